//! Byte ranges into a file's text and their translation to lines and columns.

use serde::Serialize;

/// A half-open byte range `start..end` into one file's text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, serde::Deserialize,
)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn empty_at(offset: usize) -> Self {
        Self::new(offset, offset)
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }

    pub fn len(&self) -> usize {
        self.end() - self.start()
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start() <= offset && offset < self.end()
    }

    pub fn contains_range(&self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// The one contiguous change between two versions of a text: bytes
/// `start..old_end` of the old text became `start..new_end` of the new one.
/// Byte positions of the old text map to the new one around it: those
/// before the change stay, those after it move by the change in length,
/// those inside it have no counterpart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextChange {
    pub start: u32,
    pub old_end: u32,
    pub new_end: u32,
}

impl TextChange {
    /// The smallest change that turns `old` into `new`: everything but
    /// their common prefix and suffix, cut at character boundaries.
    pub fn between(old: &str, new: &str) -> TextChange {
        let mut prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let room = old.len().min(new.len()) - prefix;
        let mut suffix = old
            .bytes()
            .rev()
            .zip(new.bytes().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        TextChange {
            start: prefix as u32,
            old_end: (old.len() - suffix) as u32,
            new_end: (new.len() - suffix) as u32,
        }
    }

    /// The same change placed elsewhere when it can slide: inserting
    /// `"# x\n    "` right before an indented `id` equals inserting
    /// `"    # x\n"` at the start of its line. [`TextChange::between`]
    /// places an insertion or a deletion as late as it can; this also
    /// yields the latest place at a line start and the earliest place, so
    /// that one of them may keep clear of the code around it.
    pub fn placements(&self, old: &str, new: &str) -> Vec<TextChange> {
        let mut placements = vec![*self];
        let (old, new) = (old.as_bytes(), new.as_bytes());
        // The text inserted or deleted: it slides when the byte before it
        // equals its last byte.
        let changed = match (self.old_end == self.start, self.new_end == self.start) {
            (true, false) => &new[self.start as usize..self.new_end as usize],
            (false, true) => &old[self.start as usize..self.old_end as usize],
            _ => return placements,
        };
        let length = changed.len() as u32;
        let mut start = self.start;
        let mut at_line_start = None;
        while start > 0 {
            let before = old[start as usize - 1];
            // The changed text, rotated by the slide so far, ends with
            // the byte that now sits before it.
            let slid = self.start - start;
            let last = changed[(length - 1 - slid % length) as usize];
            if before != last {
                break;
            }
            start -= 1;
            if at_line_start.is_none() && start > 0 && old[start as usize - 1] == b'\n' {
                at_line_start = Some(start);
            }
        }
        for place in [at_line_start, Some(start)].into_iter().flatten() {
            let shift = self.start - place;
            let placed = TextChange {
                start: place,
                old_end: self.old_end - shift,
                new_end: self.new_end - shift,
            };
            if !placements.contains(&placed) {
                placements.push(placed);
            }
        }
        placements
    }

    fn moved(&self, offset: u32) -> u32 {
        offset - self.old_end + self.new_end
    }

    /// A range of code whose text matters (a name, a literal, an
    /// expression): mapped when the change neither touches nor enters it.
    pub fn leaf(&self, range: TextRange) -> Option<TextRange> {
        if range.end < self.start {
            Some(range)
        } else if range.start > self.old_end {
            Some(TextRange {
                start: self.moved(range.start),
                end: self.moved(range.end),
            })
        } else {
            None
        }
    }

    /// A range that only encloses code (a class, a statement, a diagnostic):
    /// it may contain the change, and then grows or shrinks with it; None
    /// when an end falls inside the replaced text, or when it is empty at
    /// the change (before or after the inserted text, it cannot say).
    pub fn span(&self, range: TextRange) -> Option<TextRange> {
        if range.is_empty() && self.start <= range.start && range.start <= self.old_end {
            return None;
        }
        // Text inserted where a range starts goes before it; where one
        // ends, after it.
        let start = if range.start < self.start {
            range.start
        } else if range.start >= self.old_end {
            self.moved(range.start)
        } else {
            return None;
        };
        let end = if range.end <= self.start {
            range.end
        } else if range.end >= self.old_end {
            self.moved(range.end)
        } else {
            return None;
        };
        Some(TextRange { start, end })
    }
}

/// A 1-based line and a 1-based column counted in Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

/// Line starts of a text, for turning byte offsets into lines and columns.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as in Python and LSP.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push((i + 1) as u32),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    line_starts.push((i + 1) as u32);
                }
                _ => {}
            }
            i += 1;
        }
        Self { line_starts }
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(*self.line_starts.last().unwrap_or(&0)) as usize
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and character column of a byte offset; offsets inside a
    /// multi-byte character count as that character.
    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[start..end].chars().count();
        LineColumn {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text of the 0-based line, without its line ending.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = if line + 1 < self.line_starts.len() {
            self.line_starts[line + 1] as usize
        } else {
            text.len()
        };
        text[start..end].trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_change_is_what_lies_between_the_common_prefix_and_suffix() {
        let change =
            TextChange::between("class A:\n    x = 1\n", "class A:\n    # hi\n    x = 1\n");
        assert_eq!((change.start, change.old_end, change.new_end), (13, 13, 22));
        // Repeated text: the suffix never overlaps the prefix.
        let change = TextChange::between("aaaa", "aaaaaa");
        assert_eq!((change.start, change.old_end, change.new_end), (4, 4, 6));
        let change = TextChange::between("abc", "abc");
        assert_eq!((change.start, change.old_end, change.new_end), (3, 3, 3));
        let change = TextChange::between("a(x, y)", "a(y)");
        assert_eq!((change.start, change.old_end, change.new_end), (2, 5, 2));
        // Never inside a character: "é" and "è" share their first byte.
        let change = TextChange::between("é1", "è1");
        assert_eq!((change.start, change.old_end, change.new_end), (0, 2, 2));
    }

    #[test]
    fn insertions_slide_to_a_line_start_and_to_their_earliest_place() {
        let old = "x = 1\n    id = 2\n";
        let new = "x = 1\n    # k\n    id = 2\n";
        let change = TextChange::between(old, new);
        // As late as can be: "# k\n    " before "id".
        assert_eq!(
            &new[change.start as usize..change.new_end as usize],
            "# k\n    "
        );
        let placements = change.placements(old, new);
        let texts: Vec<&str> = placements
            .iter()
            .map(|c| &new[c.start as usize..c.new_end as usize])
            .collect();
        assert_eq!(texts, ["# k\n    ", "    # k\n", "\n    # k"]);
        for placed in &placements {
            let mut rebuilt = old[..placed.start as usize].to_string();
            rebuilt.push_str(&new[placed.start as usize..placed.new_end as usize]);
            rebuilt.push_str(&old[placed.old_end as usize..]);
            assert_eq!(rebuilt, new);
        }
        // Deletions slide too; replacements stay.
        let deleted = TextChange::between(new, old);
        assert_eq!(deleted.placements(new, old).len(), 3);
        let replaced = TextChange::between("a = 1", "a = 2");
        assert_eq!(replaced.placements("a = 1", "a = 2"), [replaced]);
    }

    #[test]
    fn ranges_move_past_a_change_and_leaves_refuse_to_be_touched() {
        // "ab|cd|ef": "cd" (2..4) replaced by "xyz" (2..5).
        let change = TextChange {
            start: 2,
            old_end: 4,
            new_end: 5,
        };
        let range = |start, end| TextRange { start, end };
        assert_eq!(change.leaf(range(0, 1)), Some(range(0, 1)));
        assert_eq!(change.leaf(range(0, 2)), None);
        assert_eq!(change.leaf(range(4, 6)), None);
        assert_eq!(change.leaf(range(5, 6)), Some(range(6, 7)));
        assert_eq!(change.span(range(0, 2)), Some(range(0, 2)));
        assert_eq!(change.span(range(2, 6)), None);
        assert_eq!(change.span(range(0, 6)), Some(range(0, 7)));
        assert_eq!(change.span(range(4, 6)), Some(range(5, 7)));
        assert_eq!(change.span(range(3, 6)), None);
        assert_eq!(change.span(range(0, 3)), None);
        assert_eq!(change.span(range(2, 2)), None);
        assert_eq!(change.span(range(6, 6)), Some(range(7, 7)));
        // An insertion at 2 of three bytes.
        let insertion = TextChange {
            start: 2,
            old_end: 2,
            new_end: 5,
        };
        assert_eq!(insertion.span(range(2, 4)), Some(range(5, 7)));
        assert_eq!(insertion.span(range(0, 2)), Some(range(0, 2)));
        assert_eq!(insertion.span(range(0, 4)), Some(range(0, 7)));
        assert_eq!(insertion.leaf(range(0, 2)), None);
        assert_eq!(insertion.leaf(range(3, 4)), Some(range(6, 7)));
    }

    use super::*;

    #[test]
    fn columns_count_characters_and_all_line_endings() {
        let text = "ab\r\né\rx\ny";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(
            index.line_column(text, 0),
            LineColumn { line: 1, column: 1 }
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            index.line_column(text, x),
            LineColumn { line: 3, column: 1 }
        );
        let after_e = text.find('é').unwrap() + 'é'.len_utf8();
        assert_eq!(
            index.line_column(text, after_e),
            LineColumn { line: 2, column: 2 }
        );
        assert_eq!(index.line_text(text, 0), "ab");
        assert_eq!(index.line_text(text, 3), "y");
    }
}
