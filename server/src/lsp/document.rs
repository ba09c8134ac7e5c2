//! An open document: the editor's text in a rope, and its tree-sitter tree
//! kept in step with every edit so that re-parsing is incremental.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;
use tree_sitter::{InputEdit, Point, Tree};

use super::encoding::{self, Encoding};
use crate::facts::FileFacts;

pub struct Document {
    pub version: i32,
    pub language_id: String,
    pub rope: Rope,
    /// The rope's text, shared with analysis snapshots.
    pub text: Arc<str>,
    /// The last parse, with every edit since applied through `Tree::edit`:
    /// ready for an incremental re-parse of `text`. `None` until the first
    /// analysis parses the document (off the async runtime).
    pub tree: Option<Tree>,
    /// Names the text: new for every document and every edit, never reused
    /// in the process, so that a parse made from an older text (also the
    /// text of a document since closed and opened again) is not stored.
    pub stamp: u64,
    /// The tree was parsed from exactly `text` (no edit pending).
    pub tree_current: bool,
    /// The text `tree` was last parsed from, and its facts.
    pub parse: Option<LastParse>,
    /// Why the text is not analysed (too large, binary), as last told to
    /// the client: said again only when it changes.
    pub skipped: Option<String>,
}

impl Document {
    pub fn new(text: String, version: i32, language_id: String) -> Self {
        Self {
            version,
            language_id,
            rope: Rope::from_str(&text),
            text: Arc::from(text),
            tree: None,
            stamp: next_stamp(),
            tree_current: false,
            parse: None,
            skipped: None,
        }
    }

    /// Applies the changes of one `didChange`, in order. A change without a
    /// range replaces the whole text.
    pub fn apply(&mut self, changes: &[TextDocumentContentChangeEvent], encoding: Encoding) {
        for change in changes {
            let (start, old_end) = match change.range {
                Some(range) => {
                    let range = encoding::text_range(&self.rope, range, encoding);
                    (range.start(), range.end())
                }
                None => (0, self.rope.len_bytes()),
            };
            let (start_position, old_end_position) = match self.tree {
                Some(_) => (point(&self.rope, start), point(&self.rope, old_end)),
                None => (Point::default(), Point::default()),
            };
            let start_char = self.rope.byte_to_char(start);
            let old_end_char = self.rope.byte_to_char(old_end);
            self.rope.remove(start_char..old_end_char);
            self.rope.insert(start_char, &change.text);
            if let Some(tree) = &mut self.tree {
                let new_end = start + change.text.len();
                tree.edit(&InputEdit {
                    start_byte: start,
                    old_end_byte: old_end,
                    new_end_byte: new_end,
                    start_position,
                    old_end_position,
                    new_end_position: point(&self.rope, new_end),
                });
            }
        }
        if !changes.is_empty() {
            self.text = Arc::from(self.rope.to_string());
            self.stamp = next_stamp();
            self.tree_current = false;
        }
    }
}

/// A document's last parse: the facts of its text at an edit stamp, with
/// the module path they were extracted under.
pub struct LastParse {
    pub stamp: u64,
    pub module_path: String,
    pub text: Arc<str>,
    pub facts: Arc<FileFacts>,
}

fn next_stamp() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A tree-sitter point: rows end at `\n` only, columns count bytes.
fn point(rope: &Rope, offset: usize) -> Point {
    let mut row = 0;
    let mut column = offset;
    let mut at = 0;
    for chunk in rope.byte_slice(..offset).chunks() {
        let bytes = chunk.as_bytes();
        for newline in memchr::memchr_iter(b'\n', bytes) {
            row += 1;
            column = offset - (at + newline + 1);
        }
        at += bytes.len();
    }
    Point { row, column }
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::{Position, Range};

    use super::*;
    use crate::syntax;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn edits_keep_text_and_tree_in_step() {
        let mut document = Document::new("x = 1\r\ny = '😀'\n".into(), 1, "python".into());
        document.tree = Some(syntax::parse(&document.text));
        // Replace the 1 after the emoji line's quote in UTF-16: "'" at 4, emoji 5-6, "'" at 7.
        document.apply(&[change((1, 8), (1, 8), " + 2")], Encoding::Utf16);
        assert_eq!(&*document.text, "x = 1\r\ny = '😀' + 2\n");
        document.apply(&[change((0, 4), (0, 5), "10")], Encoding::Utf16);
        assert_eq!(&*document.text, "x = 10\r\ny = '😀' + 2\n");
        let reparsed = syntax::reparse(&document.text, document.tree.as_ref().unwrap());
        let fresh = syntax::parse(&document.text);
        assert_eq!(reparsed.root_node().to_sexp(), fresh.root_node().to_sexp());
        assert!(!reparsed.root_node().has_error());
    }

    #[test]
    fn points_count_newlines_only() {
        let rope = Rope::from_str("ab\r\ncd\ref\n");
        assert_eq!(point(&rope, 0), Point { row: 0, column: 0 });
        assert_eq!(point(&rope, 4), Point { row: 1, column: 0 });
        // A lone \r is no row break for tree-sitter.
        assert_eq!(point(&rope, 8), Point { row: 1, column: 4 });
        assert_eq!(point(&rope, 10), Point { row: 2, column: 0 });
    }
}
