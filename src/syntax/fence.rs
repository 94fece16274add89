//! Fence lines, read from the source rather than from the Markdown parser's
//! events: the parser unescapes info strings and silently closes fences at the
//! end of their container, and litops needs both the raw text and the truth.

use serde::Serialize;

use crate::source::{MappedText, Span};

/// An opening fence line: marker character, run length, indentation, info text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening<'a> {
    pub marker: char,
    pub len: usize,
    pub indent: usize,
    /// Byte offset of the info string in the line.
    pub info_start: usize,
    pub info: &'a str,
}

/// Reads `line` (without its newline) as an opening fence, allowing any
/// indentation (callers decide how much indentation their container allows).
pub fn opening(line: &str) -> Option<Opening<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[indent..];
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(marker).len();
    if len < 3 {
        return None;
    }
    let info = &rest[len..];
    // A backtick fence's info string may not contain backticks (CommonMark 4.5).
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some(Opening {
        marker,
        len,
        indent,
        info_start: indent + len,
        info,
    })
}

/// Whether `line` closes a fence opened with `len` times `marker`.
pub fn is_closing(line: &str, marker: char, len: usize) -> bool {
    let body = line
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches([' ', '\t', '>']);
    let run = body.len() - body.trim_start_matches(marker).len();
    run >= len && body[run..].trim().is_empty()
}

/// What a Killercoda/Katacoda closing fence (```` ```{{exec}} ````) asks of
/// the block: to be run in the terminal, or copied by the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Click {
    Exec,
    Copy,
}

/// The Killercoda tag `text` starts with (`{{exec}}`, `{{execute}}`,
/// `{{exec interrupt}}`, `{{copy}}`): what it asks, and its length.
pub fn click_tag(text: &str) -> Option<(Click, usize)> {
    let (word, _) = text.strip_prefix("{{")?.split_once("}}")?;
    let click = match word.split_whitespace().next()? {
        "exec" | "execute" => Click::Exec,
        "copy" => Click::Copy,
        _ => return None,
    };
    Some((click, word.len() + 4))
}

/// Whether `line` closes a fence opened with `len` times `marker` the
/// Killercoda way (the closing run followed by `{{exec}}`, `{{execute}}` or
/// `{{copy}}`, with optional words such as `{{exec interrupt}}`), and what
/// it asks; with the byte range of the `{{…}}` in the line.
pub fn killercoda_closing(line: &str, marker: char, len: usize) -> Option<(Click, Span)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let indent = line.len() - line.trim_start_matches(' ').len();
    let body = &line[indent..];
    let run = body.len() - body.trim_start_matches(marker).len();
    if indent > 3 || run < len {
        return None;
    }
    let tag = body[run..].trim_end();
    let (click, _) = click_tag(tag).filter(|(_, len)| *len == tag.len())?;
    let start = indent + run;
    Some((click, Span::new(start, start + tag.len())))
}

/// The text with each Killercoda closing fence's `{{…}}` blanked out (same
/// length, so every offset stays true), for the Markdown parser to see a
/// closing fence where Killercoda sees one. Borrowed when there is none.
pub fn blank_killercoda_closers(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("}}") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut open: Option<(char, usize)> = None;
    for line in line_spans(text) {
        let s = &text[line.start..line.end];
        match open {
            None => {
                open = opening(s.trim_end_matches('\n'))
                    .filter(|o| o.indent <= 3)
                    .map(|o| (o.marker, o.len));
            }
            Some((marker, len)) => {
                if is_closing(s, marker, len) {
                    open = None;
                } else if let Some((_, tag)) = killercoda_closing(s, marker, len) {
                    let out = out.get_or_insert_with(|| text.to_owned());
                    let at = line.start + tag.start;
                    out.replace_range(at..line.start + tag.end, &" ".repeat(tag.len()));
                    open = None;
                }
            }
        }
    }
    match out {
        Some(text) => std::borrow::Cow::Owned(text),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// A fenced block found inside an indented code block (MkDocs tabs and
/// admonitions indent their content by four spaces, which CommonMark reads
/// as an indented code block).
#[derive(Debug, Clone)]
pub struct Nested {
    pub marker: char,
    pub len: usize,
    pub info: MappedText,
    pub body: MappedText,
    pub closed: bool,
    pub span: Span,
    /// A `<!-- … -->` comment on the line just above the fence (inside a
    /// MkDocs tab or admonition, where it is not an HTML block).
    pub comment: Option<MappedText>,
}

/// Finds the fenced blocks in the text of an indented code block.
pub fn split_indented(content: &MappedText) -> Vec<Nested> {
    let text = content.as_str();
    let lines: Vec<Span> = line_spans(text).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &text[lines[i].start..lines[i].end];
        let Some(open) = opening(line.trim_end_matches('\n')) else {
            i += 1;
            continue;
        };
        let info_start = lines[i].start + open.info_start;
        let info_end = lines[i].start + line.trim_end_matches(['\n', '\r']).len();
        let info = content.slice(Span::new(info_start, info_end));
        let mut body = MappedText::new();
        let mut closed = false;
        let mut j = i + 1;
        while j < lines.len() {
            let body_line = &text[lines[j].start..lines[j].end];
            if is_closing(body_line, open.marker, open.len) {
                closed = true;
                break;
            }
            // Remove up to the fence's own indentation, as CommonMark does.
            let strip = body_line.len() - body_line.trim_start_matches(' ').len();
            let strip = strip.min(open.indent);
            let piece = content.slice(Span::new(lines[j].start + strip, lines[j].end));
            push_normalised(&mut body, &piece);
            j += 1;
        }
        let last = if closed { j } else { lines.len() - 1 };
        let span = content.source_span(Span::new(lines[i].start, lines[last].end));
        let comment = i
            .checked_sub(1)
            .map(|k| &lines[k])
            .filter(|l| {
                let t = text[l.start..l.end].trim();
                t.starts_with("<!--") && t.ends_with("-->")
            })
            .map(|l| {
                let t = &text[l.start..l.end];
                let lead = t.len() - t.trim_start().len();
                content.slice(Span::new(l.start + lead, l.start + t.trim_end().len()))
            });
        found.push(Nested {
            marker: open.marker,
            len: open.len,
            info,
            body,
            closed,
            span,
            comment,
        });
        i = j + 1;
    }
    found
}

/// Byte ranges of the lines of `text`, each including its `\n`. An
/// iterator: it runs over every line of every block, and most callers look
/// at each line once.
pub fn line_spans(text: &str) -> impl Iterator<Item = Span> + Clone + '_ {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
        let span = Span::new(start, end);
        start = end;
        Some(span)
    })
}

/// Appends `piece` with CRLF line ends turned into LF, keeping the map.
pub fn push_normalised(out: &mut MappedText, piece: &MappedText) {
    let text = piece.as_str();
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        out.append(piece);
        return;
    }
    for line in line_spans(text) {
        let s = &text[line.start..line.end];
        let source = piece.source_offset(line.start);
        match s.strip_suffix("\r\n") {
            Some(stripped) => {
                out.push(stripped, source);
                out.push("\n", source + stripped.len() + 1);
            }
            None => out.push(s, source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_and_closings() {
        let o = opening("  ````bash {#x}").expect("fence");
        assert_eq!(
            (o.marker, o.len, o.indent, o.info),
            ('`', 4, 2, "bash {#x}")
        );
        assert!(opening("``not a fence").is_none());
        assert!(opening("```a`b").is_none());
        assert!(opening("~~~ a`b").is_some());
        assert!(is_closing("````\r\n", '`', 3));
        assert!(!is_closing("```", '`', 4));
        assert!(!is_closing("``` x", '`', 3));
    }

    #[test]
    fn killercoda_closers() {
        assert_eq!(
            killercoda_closing("```{{exec}}", '`', 3),
            Some((Click::Exec, Span::new(3, 11)))
        );
        assert_eq!(
            killercoda_closing("````{{execute interrupt}}  \r", '`', 3).map(|c| c.0),
            Some(Click::Exec)
        );
        assert_eq!(
            killercoda_closing("```{{copy}}", '`', 3).map(|c| c.0),
            Some(Click::Copy)
        );
        assert_eq!(killercoda_closing("```{{exec}}", '`', 4), None);
        assert_eq!(killercoda_closing("```{{TRAFFIC_HOST1_80}}", '`', 3), None);
        assert_eq!(killercoda_closing("``` {{exec}} x", '`', 3), None);
        let text = "```{{exec}}\nnot closed: an opener\n```\n\n```bash\nls\n```{{exec}}\n";
        let blanked = blank_killercoda_closers(text);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(
            blanked,
            "```{{exec}}\nnot closed: an opener\n```\n\n```bash\nls\n```        \n"
        );
    }

    #[test]
    fn fences_inside_indented_blocks_are_found() {
        let text = "Intro\n\n```bash\n  ls\necho hi\n```\n~~~\nopen";
        let found = split_indented(&MappedText::contiguous(text, 4));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].info.as_str(), "bash");
        assert_eq!(found[0].body.as_str(), "  ls\necho hi\n");
        assert!(found[0].closed);
        assert!(!found[1].closed);
        assert_eq!(found[1].body.as_str(), "open");
        assert_eq!(found[0].span, Span::new(11, 36));
    }
}
