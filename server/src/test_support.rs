//! Fixture discovery for the crate's own tests.

use std::path::{Path, PathBuf};

use tree_sitter::{InputEdit, Point, Tree};

use crate::syntax;

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

fn point(text: &str, offset: usize) -> Point {
    let before = &text.as_bytes()[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
    Point { row, column }
}

/// Replaces `start..end` of `text` with `inserted` as an editor would: the
/// new text, the old tree edited to match it, and its incremental re-parse.
pub fn edit(
    text: &str,
    tree: &Tree,
    (start, end, inserted): (usize, usize, &str),
) -> (String, Tree, Tree) {
    let new_text = format!("{}{inserted}{}", &text[..start], &text[end..]);
    let new_end = start + inserted.len();
    let mut old_tree = tree.clone();
    old_tree.edit(&InputEdit {
        start_byte: start,
        old_end_byte: end,
        new_end_byte: new_end,
        start_position: point(text, start),
        old_end_position: point(text, end),
        new_end_position: point(&new_text, new_end),
    });
    let new_tree = syntax::reparse(&new_text, &old_tree);
    (new_text, old_tree, new_tree)
}
