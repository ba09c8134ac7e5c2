//! Gives the binary a build identity: a hash of its sources and queries, so
//! that the facts cache is never read by a build with different extraction.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn hash_dir(dir: &Path, hasher: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_dir(&path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.file_name().hash(hasher);
            bytes.hash(hasher);
        }
    }
}

/// The smallest `bad_*` and `good_*` case of each rule under
/// `tests/fixtures/rules/`, embedded so that `sqla-analyzer rule CODE` shows
/// examples that the tests prove.
fn write_examples() {
    let root = Path::new("../tests/fixtures/rules");
    println!("cargo:rerun-if-changed=../tests/fixtures/rules");
    let mut out = String::from("pub static EXAMPLES: &[Example] = &[\n");
    let mut codes: Vec<_> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    for code_dir in codes {
        let code = code_dir.file_name().unwrap().to_string_lossy().to_string();
        for kind in ["bad", "good"] {
            let mut cases: Vec<(usize, std::path::PathBuf)> = std::fs::read_dir(&code_dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| {
                            p.is_dir()
                                && p.file_name()
                                    .unwrap()
                                    .to_string_lossy()
                                    .starts_with(&format!("{kind}_"))
                        })
                        .map(|p| (python_files(&p).iter().map(|(_, t)| t.len()).sum(), p))
                        // A case with no Python file (a configuration
                        // only) shows nothing.
                        .filter(|(size, _)| *size > 0)
                        .collect()
                })
                .unwrap_or_default();
            cases.sort();
            let Some((_, case)) = cases.first() else {
                continue;
            };
            out.push_str(&format!("    ({code:?}, {kind:?}, &["));
            for (name, text) in python_files(case) {
                out.push_str(&format!("({name:?}, {text:?}), "));
            }
            out.push_str("]),\n");
        }
    }
    out.push_str("];\n");
    let path = Path::new(&std::env::var("OUT_DIR").unwrap()).join("examples.rs");
    std::fs::write(path, out).unwrap();
}

/// The Python files of a case, nested ones included (`app/models.py`),
/// by path relative to the case.
fn python_files(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if path.is_dir() {
                walk(root, &path, files);
            } else if path.extension().is_some_and(|x| x == "py") {
                let (Ok(relative), Ok(text)) =
                    (path.strip_prefix(root), std::fs::read_to_string(&path))
                else {
                    continue;
                };
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((name, text));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

fn main() {
    write_examples();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for dir in ["src", "../queries"] {
        hash_dir(Path::new(dir), &mut hasher);
        println!("cargo:rerun-if-changed={dir}");
    }
    println!(
        "cargo:rustc-env=SQLA_ANALYZER_BUILD={:016x}",
        hasher.finish()
    );
}
