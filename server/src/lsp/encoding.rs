//! LSP positions and byte offsets, converted with the document's rope.
//!
//! Tree-sitter and the analysis speak in byte offsets; LSP positions are a
//! line and a column counted in the negotiated encoding's code units. Lines
//! end at `\n`, `\r\n` or `\r` (ropey built with `cr_lines` only). Positions
//! past the end of a line clamp to the line's end, positions past the last
//! line to the end of the text, and positions inside a character round down
//! to its start: a wrong position from a client never panics.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

use crate::text::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    /// The protocol's default.
    #[default]
    Utf16,
    Utf32,
}

impl Encoding {
    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn from_kind(kind: &PositionEncodingKind) -> Option<Self> {
        match kind.as_str() {
            "utf-8" => Some(Encoding::Utf8),
            "utf-16" => Some(Encoding::Utf16),
            "utf-32" => Some(Encoding::Utf32),
            _ => None,
        }
    }

    /// The first of the client's encodings (listed in its order of
    /// preference) that the server supports; UTF-16 when it lists none.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Self {
        offered
            .unwrap_or_default()
            .iter()
            .find_map(Self::from_kind)
            .unwrap_or_default()
    }
}

/// Length in bytes of the line break ending `line` (0, 1 or 2).
fn line_break_len(rope: &Rope, line: usize) -> usize {
    let slice = rope.line(line);
    let len = slice.len_bytes();
    if len == 0 {
        return 0;
    }
    match slice.byte(len - 1) {
        b'\n' if len >= 2 && slice.byte(len - 2) == b'\r' => 2,
        b'\n' | b'\r' => 1,
        _ => 0,
    }
}

/// The byte offset of an LSP position, clamped into the text.
pub fn offset(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line);
    let line_end = line_start + rope.line(line).len_bytes() - line_break_len(rope, line);
    let column = position.character as usize;
    match encoding {
        Encoding::Utf8 => {
            let byte = (line_start + column).min(line_end);
            // Round down to a character boundary.
            rope.char_to_byte(rope.byte_to_char(byte))
        }
        Encoding::Utf32 => {
            let start = rope.byte_to_char(line_start);
            let end = rope.byte_to_char(line_end);
            rope.char_to_byte((start + column).min(end))
        }
        Encoding::Utf16 => {
            let start = rope.char_to_utf16_cu(rope.byte_to_char(line_start));
            let end = rope.char_to_utf16_cu(rope.byte_to_char(line_end));
            // A column inside a surrogate pair rounds down to its character.
            let char_index = rope.utf16_cu_to_char((start + column).min(end));
            rope.char_to_byte(char_index)
        }
    }
}

/// The LSP position of a byte offset (clamped, rounded down to a character).
pub fn position(rope: &Rope, offset: usize, encoding: Encoding) -> Position {
    let offset = offset.min(rope.len_bytes());
    let char_index = rope.byte_to_char(offset);
    let line = rope.char_to_line(char_index);
    let line_char = rope.line_to_char(line);
    let character = match encoding {
        Encoding::Utf8 => rope.char_to_byte(char_index) - rope.line_to_byte(line),
        Encoding::Utf32 => char_index - line_char,
        Encoding::Utf16 => rope.char_to_utf16_cu(char_index) - rope.char_to_utf16_cu(line_char),
    };
    Position::new(line as u32, character as u32)
}

pub fn range(rope: &Rope, range: TextRange, encoding: Encoding) -> Range {
    Range::new(
        position(rope, range.start(), encoding),
        position(rope, range.end(), encoding),
    )
}

/// The byte range of an LSP range; a reversed range is read as empty at its start.
pub fn text_range(rope: &Rope, range: Range, encoding: Encoding) -> TextRange {
    let start = offset(rope, range.start, encoding);
    let end = offset(rope, range.end, encoding).max(start);
    TextRange::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a = \"é😀\"\r\n\tb = 1\rc\n";

    #[test]
    fn negotiation_prefers_the_clients_order() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::new("utf-7"),
                PositionEncodingKind::UTF32,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf32
        );
        assert_eq!(Encoding::negotiate(Some(&[])), Encoding::Utf16);
    }

    #[test]
    fn positions_round_trip_in_every_encoding() {
        let rope = Rope::from_str(TEXT);
        for encoding in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for (byte, _) in TEXT.char_indices() {
                if TEXT[..byte].ends_with('\r') && TEXT[byte..].starts_with('\n') {
                    // Between \r and \n: inside a line break, no position.
                    continue;
                }
                let at = position(&rope, byte, encoding);
                assert_eq!(offset(&rope, at, encoding), byte, "{encoding:?} {byte}");
            }
        }
    }

    #[test]
    fn columns_count_code_units() {
        let rope = Rope::from_str(TEXT);
        let quote = TEXT.rfind('"').unwrap();
        assert_eq!(position(&rope, quote, Encoding::Utf8), Position::new(0, 11));
        assert_eq!(position(&rope, quote, Encoding::Utf16), Position::new(0, 8));
        assert_eq!(position(&rope, quote, Encoding::Utf32), Position::new(0, 7));
        let b = TEXT.find('b').unwrap();
        assert_eq!(position(&rope, b, Encoding::Utf16), Position::new(1, 1));
        let c = TEXT.find('c').unwrap();
        assert_eq!(position(&rope, c, Encoding::Utf16), Position::new(2, 0));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let rope = Rope::from_str(TEXT);
        let line_end = TEXT.find('\r').unwrap();
        assert_eq!(
            offset(&rope, Position::new(0, 999), Encoding::Utf16),
            line_end
        );
        assert_eq!(
            offset(&rope, Position::new(99, 0), Encoding::Utf16),
            TEXT.len()
        );
        // Inside the surrogate pair of 😀: the emoji's start.
        let emoji = TEXT.find('😀').unwrap();
        assert_eq!(offset(&rope, Position::new(0, 7), Encoding::Utf16), emoji);
        // Inside the UTF-8 bytes of é.
        let e = TEXT.find('é').unwrap();
        assert_eq!(offset(&rope, Position::new(0, 6), Encoding::Utf8), e);
        assert_eq!(position(&rope, 10_000, Encoding::Utf8), Position::new(3, 0));
    }
}
