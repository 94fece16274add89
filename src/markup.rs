//! Escaping text for HTML and XML (pages, transcripts shown as HTML, JUnit),
//! and keeping what a runbook says inert where litops publishes it.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// Escaped for element text and quoted attributes, in HTML and XML alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped for XML 1.0, which cannot hold most control characters at all:
/// they are dropped.
pub fn escape_xml(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect();
    escape(&kept)
}

/// Characters that change how text is read without being seen: bidi
/// controls (Trojan Source: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
/// U+061C), zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and the
/// line and paragraph separators.
pub fn is_invisible_control(c: char) -> bool {
    is_bidi(c) || is_zero_width(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Bidi controls: text after them is shown in another order than it is read.
pub fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

/// Zero-width characters (a byte-order mark included).
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// Text from a runbook or a recorded run, safe to print on a terminal:
/// control characters are shown, not obeyed. A recorded escape sequence
/// could otherwise move the cursor, clear the screen, set the title or
/// write the clipboard (OSC 52) when the record is read. C0 controls and
/// DEL become their Unicode pictures (ESC is `␛`, so `ESC [2J` reads
/// `␛[2J`), C1 controls and the invisible characters above `\u{…}`. Tabs,
/// newlines and a carriage return before a newline are kept. Colours go
/// too: keeping SGR sequences safely would mean parsing them.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_char = |(i, c): (usize, char)| needs_showing(text, i, c);
    if !any_needs_showing(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        if !unsafe_char((i, c)) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�'));
        } else if c == '\u{7f}' {
            out.push('␡');
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// `text` with what [`for_terminal`] would escape replaced by a visible
/// character of the same length in UTF-8 (`?`, `¿` or `�`), so that byte
/// offsets and columns into it stay those of `text`: for showing source
/// lines under a diagnostic.
pub fn for_terminal_in_place(text: &str) -> Cow<'_, str> {
    if !any_needs_showing(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let shown = match c.len_utf8() {
            _ if !needs_showing(text, i, c) => c,
            1 => '?',
            2 => '¿',
            _ => '�',
        };
        out.push(shown);
    }
    Cow::Owned(out)
}

/// Whether any character of `text` needs showing: printable ASCII is
/// passed a byte at a time, and only the rest is decoded (most text shown
/// is ASCII, and this runs over every plan and transcript printed).
fn any_needs_showing(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' '..=b'~' | b'\n' | b'\t' => i += 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 1,
            b if b < 0x80 => return true,
            _ => {
                let Some(c) = text[i..].chars().next() else {
                    return false;
                };
                if needs_showing(text, i, c) {
                    return true;
                }
                i += c.len_utf8();
            }
        }
    }
    false
}

/// Whether the character at `i` of `text` is one a terminal would obey
/// rather than show (tabs, newlines and `\r\n` are shown).
fn needs_showing(text: &str, i: usize, c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\r' => !text[i + 1..].starts_with('\n'),
        c => c.is_control() || is_invisible_control(c),
    }
}

/// Whether a link (or, with `image`, an image) may point at `dest` in a
/// page: not at script (`javascript:`, `vbscript:`) nor at a document
/// written into the URL (`data:`, except `data:image/` for images, which
/// cannot run script). The scheme is read as browsers read it: leading
/// spaces and control characters and any tab or newline ignored, any case.
pub fn safe_url(dest: &str, image: bool) -> bool {
    let cleaned: String = dest
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    let Some((scheme, rest)) = cleaned.split_once(':') else {
        return true;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        // `a/b:c`, `#x:y`: a path, not a scheme.
        return true;
    }
    match scheme {
        "javascript" | "vbscript" => false,
        "data" => image && rest.starts_with("image/"),
        _ => true,
    }
}

/// `text` without its HTML comments; an unclosed comment runs to the end,
/// as it does in a browser.
pub fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        // `<!-->` and `<!--->` are whole (empty) comments too.
        match rest[start + 2..].find("-->") {
            Some(end) => rest = &rest[start + 2 + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Markdown events made safe to publish: what a runbook writes is shown,
/// never run or hidden in the page's source. HTML comments (annotations
/// and internal notes alike, on one line or many, inline or in blocks,
/// lists, quotes, tabs) are dropped; any other raw HTML is shown as text
/// (a block as preformatted text); links and images to script or inline
/// documents point nowhere. `trusted` names the ranges of HTML that litops
/// put in the Markdown itself (MkDocs containers).
pub fn inert<'a>(
    events: impl Iterator<Item = (Event<'a>, Range<usize>)>,
    trusted: impl Fn(&Range<usize>) -> bool,
) -> Vec<(Event<'a>, Range<usize>)> {
    let mut out = Vec::new();
    // An HTML block arrives a line at a time; a comment can span lines.
    let mut block: Option<(String, Range<usize>, bool)> = None;
    for (event, range) in events {
        if let Some((text, _, _)) = &mut block {
            match event {
                Event::Html(html) => {
                    text.push_str(&html);
                    continue;
                }
                Event::End(TagEnd::HtmlBlock) => {
                    if let Some((text, block_range, keep)) = block.take() {
                        if keep {
                            out.push((Event::Html(CowStr::from(text)), block_range));
                        } else {
                            let shown = without_comments(&text);
                            if !shown.trim().is_empty() {
                                let html = format!(
                                    "<pre class=\"raw-html\"><code>{}</code></pre>\n",
                                    escape(shown.trim_end_matches('\n'))
                                );
                                out.push((Event::Html(CowStr::from(html)), block_range));
                            }
                        }
                    }
                    out.push((event, range));
                    continue;
                }
                _ => {}
            }
        }
        match event {
            Event::Start(Tag::HtmlBlock) => {
                block = Some((String::new(), range.clone(), trusted(&range)));
                out.push((event, range));
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                // Outside a block (an HTML event alone): shown as text.
                let shown = without_comments(&html);
                if !shown.is_empty() {
                    out.push((Event::Text(CowStr::from(shown)), range));
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if safe_url(&dest_url, false) {
                    dest_url
                } else {
                    CowStr::from("#")
                };
                let link = Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                };
                out.push((Event::Start(link), range));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if safe_url(&dest_url, true) {
                    dest_url
                } else {
                    CowStr::from("")
                };
                let image = Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                };
                out.push((Event::Start(image), range));
            }
            other => out.push((other, range)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_xml("bell\u{7} tab\t"), "bell tab\t");
    }

    #[test]
    fn urls_to_script_and_inline_documents_are_unsafe() {
        for dest in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "\u{1}java\tscript:alert(1)",
            "vbscript:msgbox",
            "data:text/html,<script>",
        ] {
            assert!(!safe_url(dest, false), "{dest:?}");
        }
        assert!(!safe_url("data:text/html,x", true));
        assert!(safe_url("data:image/png;base64,AAAA", true));
        assert!(!safe_url("data:image/png;base64,AAAA", false));
        for dest in [
            "https://x",
            "a.md#b",
            "#top",
            "mailto:a@b",
            "ops/a:b.md",
            "/x",
        ] {
            assert!(safe_url(dest, false), "{dest:?}");
        }
    }

    #[test]
    fn comments_are_removed_wherever_they_end() {
        assert_eq!(without_comments("a<!-- x -->b<!---->c<!-->d"), "abcd");
        assert_eq!(without_comments("a <!-- litops:\nname=x"), "a ");
        assert_eq!(without_comments("<!-- x --> <b>"), " <b>");
    }

    #[test]
    fn raw_html_becomes_text_and_comments_go() {
        let text = "a <b onclick=x>b</b> <!-- litops: c\nd -->\n\n<div>\n<!-- litops: e\n-->\n<script>x</script>\n</div>\n\n<!-- only a\ncomment -->\n";
        let events = pulldown_cmark::Parser::new(text).into_offset_iter();
        let mut html = String::new();
        pulldown_cmark::html::push_html(
            &mut html,
            inert(events, |_| false).into_iter().map(|(e, _)| e),
        );
        assert_eq!(
            html,
            "<p>a &lt;b onclick=x&gt;b&lt;/b&gt; </p>\n<pre class=\"raw-html\"><code>&lt;div&gt;\n\n&lt;script&gt;x&lt;/script&gt;\n&lt;/div&gt;</code></pre>\n"
        );
        // HTML litops wrote itself stays HTML.
        let events = pulldown_cmark::Parser::new("<div class=\"tab\">\n").into_offset_iter();
        let kept = inert(events, |_| true);
        assert!(
            kept.iter()
                .any(|(e, _)| matches!(e, Event::Html(h) if h.starts_with("<div class"))),
            "{kept:?}"
        );
    }

    #[test]
    fn the_ascii_scan_agrees_with_reading_every_character() {
        for text in [
            "",
            "plain",
            "tab\tand\nnewline\r\n",
            "lone\r",
            "\r",
            "cr\rx",
            "del\u{7f}",
            "esc\u{1b}[2J",
            "é and ü",
            "c1 \u{85}",
            "bidi \u{202e}x",
            "zero\u{200b}width",
            "€\r\n€",
            "\u{feff}",
        ] {
            let slow = text.char_indices().any(|(i, c)| needs_showing(text, i, c));
            assert_eq!(any_needs_showing(text), slow, "{text:?}");
        }
    }

    #[test]
    fn terminal_controls_are_shown_not_obeyed() {
        assert_eq!(for_terminal("plain\ttext\r\n"), "plain\ttext\r\n");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\rover\u{7f}\u{9b}"),
            "␛]52;c;aGk=␇␛[2J␍over␡\\u{9b}"
        );
        assert_eq!(
            for_terminal("a\u{202e}b\u{2066}c\u{200b}d\u{feff}"),
            "a\\u{202e}b\\u{2066}c\\u{200b}d\\u{feff}"
        );
        assert_eq!(for_terminal("\r"), "␍");
        let text = "a\u{1b}[2J\u{9b}\u{61c}\u{202e}\r\n";
        let kept = for_terminal_in_place(text);
        assert_eq!(kept, "a?[2J¿¿�\r\n");
        assert_eq!(kept.len(), text.len());
        assert_eq!(for_terminal("é ✓ 日本"), "é ✓ 日本");
    }
}
