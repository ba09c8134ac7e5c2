//! Fixture discovery for the crate's own tests.

use std::path::{Path, PathBuf};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Every fixture workspace: a directory holding Python files directly.
pub fn workspaces() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = sorted_entries(dir);
        if entries
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "py"))
        {
            found.push(dir.to_path_buf());
            return;
        }
        for entry in entries {
            if entry.is_dir() {
                walk(&entry, found);
            }
        }
    }
    let mut found = Vec::new();
    walk(&fixtures(), &mut found);
    found
}

/// The Python files under `root`: path relative to it (with `/`), text.
pub fn python_files(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in sorted_entries(dir) {
            if entry.is_dir() {
                walk(root, &entry, found);
            } else if entry.extension().is_some_and(|e| e == "py") {
                let relative = entry.strip_prefix(root).unwrap().to_string_lossy();
                let text = std::fs::read_to_string(&entry).unwrap();
                found.push((relative.replace('\\', "/"), text));
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}
