//! Source text and positions.
//!
//! Every piece of a runbook carries a [`Span`]: a byte range into the original
//! file. Lines and columns are computed on demand from a [`SourceFile`], so the
//! model stays small and a diagnostic can always point at `file:line:col`.
//!
//! Text that litops reads is often not a contiguous slice of the file: a fence
//! inside a list item loses its indentation, CRLF loses its `\r`, a `console`
//! block keeps only its prompted lines. [`MappedText`] keeps such derived text
//! together with the map back to file offsets.

use serde::Serialize;

/// A byte range in a source file (`start..end`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(range: std::ops::Range<usize>) -> Span {
        Span::new(range.start, range.end)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> miette::SourceSpan {
        (span.start, span.len()).into()
    }
}

/// A 1-based line and column (columns count characters, a tab is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A file's name and text with a line index.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        // memchr's iterator: `match_indices` costs several times as much per line.
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Line and column of a byte offset (clamped to the text, snapped back to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// `name:line:col` of a span's start, the form editors and CI annotate.
    pub fn location(&self, span: Span) -> String {
        let pos = self.position(span.start);
        format!("{}:{}:{}", self.name, pos.line, pos.column)
    }

    /// The part of a span on its first line, trailing blanks dropped (where a
    /// diagnostic about a whole block points).
    pub fn first_line(&self, span: Span) -> Span {
        let text = self.slice(span);
        let line = text.split('\n').next().unwrap_or("");
        Span::new(span.start, span.start + line.trim_end().len())
    }

    pub fn slice(&self, span: Span) -> &str {
        let end = span.end.min(self.text.len());
        let start = span.start.min(end);
        self.text.get(start..end).unwrap_or("")
    }
}

/// Text assembled from pieces of a source file, with the way back.
///
/// Each pushed piece records the source offset of its first byte; an offset
/// inside the text maps to the same distance from its piece's source start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedText {
    text: String,
    /// `(text offset, source offset)` of each piece, sorted by text offset.
    pieces: Vec<(usize, usize)>,
}

impl MappedText {
    pub fn new() -> MappedText {
        MappedText::default()
    }

    /// A text that is a contiguous slice of the source starting at `source_start`.
    pub fn contiguous(text: &str, source_start: usize) -> MappedText {
        let mut mapped = MappedText::new();
        mapped.push(text, source_start);
        mapped
    }

    pub fn push(&mut self, piece: &str, source_start: usize) {
        if piece.is_empty() {
            return;
        }
        self.pieces.push((self.text.len(), source_start));
        self.text.push_str(piece);
    }

    /// Appends all of `other`, keeping its map.
    pub fn append(&mut self, other: &MappedText) {
        let base = self.text.len();
        self.pieces.extend(
            other
                .pieces
                .iter()
                .map(|&(text, source)| (base + text, source)),
        );
        self.text.push_str(&other.text);
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The source offset of a text offset.
    pub fn source_offset(&self, offset: usize) -> usize {
        let index = match self.pieces.binary_search_by(|(t, _)| t.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => return self.pieces.first().map_or(offset, |(_, s)| *s),
            Err(next) => next - 1,
        };
        let (text_start, source_start) = self.pieces[index];
        source_start + (offset - text_start)
    }

    /// The source span of a span of this text.
    pub fn source_span(&self, span: Span) -> Span {
        let start = self.source_offset(span.start);
        if span.is_empty() {
            return Span::new(start, start);
        }
        // Map the last byte, not the end, so a span ending at a piece boundary
        // stays inside its piece.
        Span::new(start, self.source_offset(span.end - 1) + 1)
    }

    /// The part of this text in `range`, still mapped to the source.
    pub fn slice(&self, span: Span) -> MappedText {
        let mut out = MappedText::new();
        let end = span.end.min(self.text.len());
        let mut pos = span.start.min(end);
        while pos < end {
            let index = match self.pieces.binary_search_by(|(t, _)| t.cmp(&pos)) {
                Ok(i) => i,
                Err(next) => next.saturating_sub(1),
            };
            let piece_end = self.pieces.get(index + 1).map_or(self.text.len(), |p| p.0);
            let stop = piece_end.min(end);
            if let Some(piece) = self.text.get(pos..stop) {
                out.push(piece, self.source_offset(pos));
            }
            if stop <= pos {
                break;
            }
            pos = stop;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let file = SourceFile::new("a.md", "ab\nçd\n\tx");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(3), Position { line: 2, column: 1 });
        // 'ç' is two bytes, 'd' is the second character.
        assert_eq!(file.position(5), Position { line: 2, column: 2 });
        assert_eq!(file.position(8), Position { line: 3, column: 2 });
        assert_eq!(file.location(Span::new(3, 4)), "a.md:2:1");
        // Past the end and inside a character are clamped, not a panic.
        assert_eq!(file.position(100).line, 3);
        assert_eq!(file.position(4), Position { line: 2, column: 1 });
    }

    #[test]
    fn mapped_text_maps_back_across_pieces() {
        let mut mapped = MappedText::new();
        mapped.push("abc\n", 10);
        mapped.push("def\n", 20);
        assert_eq!(mapped.as_str(), "abc\ndef\n");
        assert_eq!(mapped.source_offset(1), 11);
        assert_eq!(mapped.source_offset(5), 21);
        assert_eq!(mapped.source_span(Span::new(4, 7)), Span::new(20, 23));
        assert_eq!(mapped.source_span(Span::new(0, 4)), Span::new(10, 14));
        let slice = mapped.slice(Span::new(2, 6));
        assert_eq!(slice.as_str(), "c\nde");
        assert_eq!(slice.source_offset(2), 20);
        // Appending keeps each piece's way back.
        let mut joined = MappedText::contiguous("x\n", 0);
        joined.append(&mapped);
        assert_eq!(joined.as_str(), "x\nabc\ndef\n");
        assert_eq!(joined.source_offset(0), 0);
        assert_eq!(joined.source_offset(3), 11);
        assert_eq!(joined.source_offset(7), 21);
    }
}
