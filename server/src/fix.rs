//! Applying fixes: choosing non-overlapping edits, re-checking until the
//! text settles, and writing files atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::diagnostic::{Applicability, Diagnostic, Edit};

/// The edits of one fix per diagnostic (the first applicable one), grouped by
/// file, skipping any fix that overlaps an edit already chosen.
pub fn choose_edits(
    diagnostics: &[Diagnostic],
    allow_unsafe: bool,
) -> (BTreeMap<usize, Vec<Edit>>, usize) {
    let mut chosen: BTreeMap<usize, Vec<Edit>> = BTreeMap::new();
    let mut fixed = 0;
    for diagnostic in diagnostics {
        let Some(fix) = diagnostic
            .fixes
            .iter()
            .find(|f| f.applicability == Applicability::Safe || allow_unsafe)
        else {
            continue;
        };
        let overlaps = fix.edits.iter().any(|edit| {
            chosen.get(&edit.file).is_some_and(|edits| {
                edits.iter().any(|other| {
                    (edit.range.start < other.range.end && other.range.start < edit.range.end)
                        || (edit.range.is_empty()
                            && other.range.is_empty()
                            && edit.range.start == other.range.start)
                })
            })
        });
        if overlaps {
            continue;
        }
        for edit in &fix.edits {
            chosen.entry(edit.file).or_default().push(edit.clone());
        }
        fixed += 1;
    }
    (chosen, fixed)
}

/// Applies non-overlapping edits to a text. `None` if an edit is out of
/// range or splits a character.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in sorted {
        let (start, end) = (edit.range.start(), edit.range.end());
        if start < at
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return None;
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.new_text);
        at = end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

#[derive(Debug)]
pub enum WriteError {
    /// The file changed on disk since it was read: not overwritten.
    ChangedOnDisk,
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::ChangedOnDisk => write!(
                f,
                "the file changed on disk since it was read; not overwritten"
            ),
            WriteError::Io(error) => write!(f, "{error}"),
        }
    }
}

/// Writes `new_text` to `path` through a temporary file in the same
/// directory and a rename, keeping the file's permissions (and a leading
/// byte order mark), but only if the file still holds `expected` (what the
/// fixes were computed from). A symbolic link is followed: its target is
/// rewritten, the link stays.
pub fn write_atomically(path: &Path, expected: &str, new_text: &str) -> Result<(), WriteError> {
    write_atomically_with(path, expected, new_text, || {})
}

/// Reads the file and checks that it holds `expected` (a byte order mark
/// aside); returns whether it starts with one.
fn still_expected(path: &Path, expected: &str) -> Result<bool, WriteError> {
    let current = std::fs::read(path).map_err(WriteError::Io)?;
    let bom = "\u{feff}".as_bytes();
    let had_bom = current.starts_with(bom);
    let text = current.strip_prefix(bom).unwrap_or(&current);
    if text != expected.as_bytes() {
        return Err(WriteError::ChangedOnDisk);
    }
    Ok(had_bom)
}

/// [`write_atomically`], calling `before_rename` once the temporary file is
/// written (tests change the file there). The file is compared with
/// `expected` again just before the rename, so a change made while the
/// temporary file was written is not overwritten either.
#[doc(hidden)]
pub fn write_atomically_with(
    path: &Path,
    expected: &str,
    new_text: &str,
    before_rename: impl FnOnce(),
) -> Result<(), WriteError> {
    let resolved = std::fs::canonicalize(path).map_err(WriteError::Io)?;
    let path = resolved.as_path();
    let had_bom = still_expected(path, expected)?;
    let permissions = std::fs::metadata(path)
        .map_err(WriteError::Io)?
        .permissions();
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temporary = directory.join(format!(".{name}.sqla-analyzer-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary).map_err(WriteError::Io)?;
        if had_bom {
            file.write_all("\u{feff}".as_bytes())
                .map_err(WriteError::Io)?;
        }
        file.write_all(new_text.as_bytes())
            .map_err(WriteError::Io)?;
        file.sync_all().map_err(WriteError::Io)?;
        std::fs::set_permissions(&temporary, permissions).map_err(WriteError::Io)?;
        before_rename();
        if still_expected(path, expected)? != had_bom {
            return Err(WriteError::ChangedOnDisk);
        }
        std::fs::rename(&temporary, path).map_err(WriteError::Io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    #[test]
    fn applies_edits_in_order() {
        let edits = vec![
            Edit {
                file: 0,
                range: TextRange::new(5, 5),
                new_text: ", b=2".into(),
            },
            Edit {
                file: 0,
                range: TextRange::new(0, 1),
                new_text: "g".into(),
            },
        ];
        assert_eq!(
            apply_edits("f(a=1)", &edits).as_deref(),
            Some("g(a=1, b=2)")
        );
    }

    #[test]
    fn refuses_to_overwrite_a_changed_file() {
        let dir = std::env::temp_dir().join(format!("sqla-fix-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("models.py");
        std::fs::write(&path, "changed").unwrap();
        assert!(matches!(
            write_atomically(&path, "original", "fixed"),
            Err(WriteError::ChangedOnDisk)
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "changed");
        write_atomically(&path, "changed", "fixed").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fixed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sqla-fix-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn a_change_while_writing_is_not_overwritten() {
        let dir = scratch("race");
        let path = dir.join("models.py");
        std::fs::write(&path, "original").unwrap();
        // The file changes after the first comparison, while the temporary
        // file is written: the rename does not happen.
        let result = write_atomically_with(&path, "original", "fixed", || {
            std::fs::write(&path, "edited meanwhile").unwrap();
        });
        assert!(
            matches!(result, Err(WriteError::ChangedOnDisk)),
            "{result:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited meanwhile");
        assert_eq!(leftovers(&dir), Vec::<String>::new());
        // Gone meanwhile: an error, nothing written.
        let result = write_atomically_with(&path, "edited meanwhile", "fixed", || {
            std::fs::remove_file(&path).unwrap();
        });
        assert!(matches!(result, Err(WriteError::Io(_))), "{result:?}");
        assert!(!path.exists());
        assert_eq!(leftovers(&dir), Vec::<String>::new());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_byte_order_mark_permissions_and_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("keep");
        let path = dir.join("models.py");
        std::fs::write(&path, "\u{feff}original").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, "original", "fixed").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), "\u{feff}fixed".as_bytes());
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // A link is followed: the target changes, the link stays a link.
        let link = dir.join("link.py");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        write_atomically(&link, "fixed", "fixed again").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            "\u{feff}fixed again".as_bytes()
        );
        assert_eq!(leftovers(&dir), Vec::<String>::new());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
