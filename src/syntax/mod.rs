//! Markdown → [`Document`]: syntax only.
//!
//! The document is what the file says, in order, with a span on every piece:
//! front matter (raw), headings, prose paragraphs, fenced blocks with their
//! info strings and annotations. No shell semantics and no validation of
//! annotation keys happen here; problems found while reading (an unclosed
//! fence, an annotation with nothing to annotate) are collected as
//! diagnostics, never raised.

pub mod attrs;
pub mod fence;
mod front_matter;
pub mod links;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

pub use attrs::{Attr, InfoString};
pub use front_matter::{FrontMatter, FrontMatterFormat};

use crate::diag::Diagnostic;
use crate::source::{MappedText, SourceFile, Span};

/// A parsed Markdown runbook.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub front_matter: Option<FrontMatter>,
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A top-level piece of the document, in source order.
#[derive(Debug, Clone)]
pub enum Item {
    Heading(Heading),
    Prose(Prose),
    Code(CodeBlock),
    /// Anything else that separates blocks (tables, rules, raw HTML).
    Other(Span),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// `{#custom-id}` written on the heading, if any.
    pub anchor: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prose {
    pub text: String,
    pub span: Span,
}

/// An annotation comment (`<!-- litops: ... -->`) attached to the next fence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// Where a block sits when a MkDocs tab or admonition holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// `===` (tab), `!!!` or `???` (admonition).
    pub marker: String,
    pub title: String,
}

/// A code block: fenced (backticks or tildes) or indented.
#[derive(Debug, Clone)]
pub struct CodeBlock {
    pub span: Span,
    /// `None` for an indented code block.
    pub fence: Option<(char, usize)>,
    pub info: InfoString,
    pub annotation: Option<Annotation>,
    /// The block's text, LF line ends, mapped back to the source.
    pub content: MappedText,
    pub closed: bool,
    pub container: Option<Container>,
    /// Killercoda/Katacoda: closed with ```` ```{{exec}} ```` or
    /// ```` ```{{copy}} ````, or inline `` `cmd`{{exec}} ``.
    pub click: Option<fence::Click>,
}

impl CodeBlock {
    pub fn lang(&self) -> Option<&str> {
        self.info.lang.as_deref()
    }
}

/// Parse a runbook's text. Never fails: problems become diagnostics.
pub fn parse(file: &SourceFile) -> Document {
    let text = file.text();
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut doc = Document::default();
    let (front_matter, body_start) = front_matter::split(text, start, &mut doc.diagnostics);
    doc.front_matter = front_matter;
    // The parser reads a Killercoda closer (```{{exec}}) as the closing
    // fence its authors meant; offsets are unchanged.
    let seen = fence::blank_killercoda_closers(text);
    Reader::new(file, &seen, &mut doc).read(body_start);
    doc
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Folds pulldown-cmark's events into [`Item`]s.
struct Reader<'a> {
    file: &'a SourceFile,
    /// The file's text as the parser sees it (same offsets).
    seen: &'a str,
    doc: &'a mut Document,
    heading: Option<Heading>,
    paragraph: Option<Prose>,
    code: Option<(Span, Option<CodeBlockKind<'a>>, MappedText)>,
    html: Option<(Span, MappedText)>,
    annotation: Option<Annotation>,
    /// The last inline code span (text, source offset of the text and of its
    /// opening backtick), for a
    /// Killercoda `` `cmd`{{exec}} `` that follows it.
    inline: Option<(String, usize, usize)>,
    /// Inline `{{exec}}` commands, pushed as blocks after their paragraph.
    clicked: Vec<CodeBlock>,
    /// Where a MkDocs container body read from the source ends: indented
    /// code blocks before this offset are already read.
    consumed: usize,
}

impl<'a> Reader<'a> {
    fn new(file: &'a SourceFile, seen: &'a str, doc: &'a mut Document) -> Reader<'a> {
        Reader {
            file,
            seen,
            doc,
            inline: None,
            clicked: Vec::new(),
            consumed: 0,
            heading: None,
            paragraph: None,
            code: None,
            html: None,
            annotation: None,
        }
    }

    fn read(mut self, base: usize) {
        let body = &self.seen[base..];
        for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
            let span = Span::new(range.start + base, range.end + base);
            self.event(event, span);
        }
        self.flush_clicked();
        if let Some(annotation) = self.annotation.take() {
            self.detached(&annotation);
        }
    }

    /// Inline `{{exec}}` commands become blocks after the text they are in.
    fn flush_clicked(&mut self) {
        for code in std::mem::take(&mut self.clicked) {
            self.push(Item::Code(code));
        }
    }

    fn event(&mut self, event: Event<'a>, span: Span) {
        // `cmd`{{exec}}: the tag must follow the code span directly.
        let inline = self.inline.take();
        if matches!(event, Event::Text(_)) {
            self.inline = inline;
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                self.heading = Some(Heading {
                    level: level as u8,
                    text: String::new(),
                    anchor: id.map(|id| id.to_string()),
                    span,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut heading) = self.heading.take() {
                    heading.text = heading.text.trim().to_owned();
                    self.push(Item::Heading(heading));
                }
            }
            Event::Start(Tag::Paragraph) if self.heading.is_none() => {
                self.paragraph = Some(Prose {
                    text: String::new(),
                    span,
                });
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(prose) = self.paragraph.take() {
                    self.finish_paragraph(prose);
                }
                self.flush_clicked();
            }
            Event::End(TagEnd::Item) => self.flush_clicked(),
            Event::Start(Tag::CodeBlock(kind)) => {
                let kind = match kind {
                    CodeBlockKind::Fenced(_) => Some(kind),
                    CodeBlockKind::Indented => None,
                };
                self.code = Some((span, kind, MappedText::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((span, kind, content)) = self.code.take() {
                    self.finish_code(span, kind.is_some(), content);
                }
            }
            Event::Start(Tag::HtmlBlock) => self.html = Some((span, MappedText::new())),
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((span, html)) = self.html.take() {
                    self.finish_html(span, html);
                }
            }
            Event::Html(t) => {
                if let Some((_, html)) = &mut self.html {
                    html.push(&t, source_start(&t, span));
                }
            }
            Event::Code(t) if self.code.is_none() && self.heading.is_none() => {
                let at = self
                    .file
                    .slice(span)
                    .find(&*t)
                    .map_or(span.start, |i| span.start + i);
                self.inline = Some((t.to_string(), at, span.start));
                if let Some(prose) = &mut self.paragraph {
                    prose.text.push_str(&t);
                }
            }
            Event::Text(t) if self.code.is_none() && self.inline.is_some() => {
                if let Some((command, at, start)) = self.inline.take() {
                    self.inline_click(&command, (at, start), &t, span);
                }
                if let Some(prose) = &mut self.paragraph {
                    prose.text.push_str(&t);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, content)) = &mut self.code {
                    let piece = MappedText::contiguous(&t, source_start(&t, span));
                    fence::push_normalised(content, &piece);
                } else if let Some(heading) = &mut self.heading {
                    heading.text.push_str(&t);
                } else if let Some(prose) = &mut self.paragraph {
                    prose.text.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(prose) = &mut self.paragraph {
                    prose.text.push(' ');
                }
            }
            Event::Start(Tag::Table(_)) | Event::Rule => self.push(Item::Other(span)),
            _ => {}
        }
    }

    /// Killercoda's inline `` `cmd`{{exec}} ``: a one-line block that runs
    /// (`{{copy}}` is text to copy, as in prose).
    fn inline_click(
        &mut self,
        command: &str,
        (at, start): (usize, usize),
        after: &str,
        span: Span,
    ) {
        let Some((fence::Click::Exec, len)) = fence::click_tag(after) else {
            return;
        };
        let mut content = MappedText::new();
        content.push(command, at);
        content.push("\n", at + command.len());
        // `{{` word `}}`, within the text event (never past it).
        let end = (span.start + len).min(span.end).max(start);
        self.clicked.push(CodeBlock {
            span: Span::new(start, end),
            fence: None,
            info: InfoString {
                lang: Some("bash".to_owned()),
                ..InfoString::default()
            },
            annotation: None,
            content,
            closed: true,
            container: None,
            click: Some(fence::Click::Exec),
        });
    }

    fn push(&mut self, item: Item) {
        let item = match item {
            Item::Code(mut code) => {
                code.annotation = self.annotation.take();
                Item::Code(code)
            }
            other => {
                if let Some(annotation) = self.annotation.take() {
                    self.detached(&annotation);
                }
                other
            }
        };
        self.doc.items.push(item);
    }

    fn detached(&mut self, annotation: &Annotation) {
        self.doc.diagnostics.push(
            Diagnostic::warning(
                "annotation-detached",
                "this annotation is not directly before a fenced block, so it applies to nothing",
            )
            .at(annotation.span)
            .help("put the `<!-- litops: ... -->` comment on the line just above the block's opening fence"),
        );
    }

    fn finish_html(&mut self, span: Span, html: MappedText) {
        let Some(attrs) = attrs::parse_comment(&html, &mut self.doc.diagnostics) else {
            self.push(Item::Other(span));
            return;
        };
        let trimmed = Span::new(
            span.start,
            span.start + self.file.slice(span).trim_end().len(),
        );
        if let Some(previous) = self.annotation.take() {
            self.detached(&previous);
        }
        self.annotation = Some(Annotation {
            attrs,
            span: trimmed,
        });
    }

    fn finish_code(&mut self, span: Span, fenced: bool, content: MappedText) {
        if !fenced {
            self.finish_indented(span, content);
            return;
        }
        let block_text = self.file.slice(span);
        let first_line = block_text.split('\n').next().unwrap_or("");
        let Some(open) = fence::opening(first_line) else {
            // The parser saw a fence where we cannot read one (for example
            // after a list marker on the same line); keep the block, unannotated.
            self.push_code(span, None, InfoString::default(), content, true);
            return;
        };
        let info_text = open.info.trim_end_matches('\r');
        let info = attrs::parse_info(
            &MappedText::contiguous(info_text, span.start + open.info_start),
            &mut self.doc.diagnostics,
        );
        // The last line, if there is more than one (found from the end: the
        // lines before it are not needed).
        let last = block_text
            .trim_end_matches('\n')
            .rsplit_once('\n')
            .map(|(_, last)| last);
        let click = last
            .and_then(|last| fence::killercoda_closing(last, open.marker, open.len))
            .map(|(click, _)| click);
        let mut closed = click.is_some()
            || last.is_some_and(|last| fence::is_closing(last, open.marker, open.len));
        // The parser ends an unclosed fence at the end of its container; the
        // block's span then runs to there, trailing blank lines included.
        let span = Span::new(span.start, span.start + block_text.trim_end().len());
        // Ended by its list item or block quote, not by the end of the file:
        // that is where GitHub (CommonMark) ends it too, so that is the block.
        if !closed && !self.file.text()[span.end..].trim().is_empty() {
            closed = true;
            self.doc.diagnostics.push(
                Diagnostic::warning(
                    "fence-closed-by-container",
                    "this fenced block has no closing fence inside its list item or block quote; it ends where that ends",
                )
                .at(self.file.first_line(span))
                .label("opened here")
                .help("indent the closing fence like the opening one, so that it is inside the list item or quote"),
            );
        }
        self.push_code(span, Some((open.marker, open.len)), info, content, closed);
        if let Some(Item::Code(code)) = self.doc.items.last_mut() {
            code.click = click;
        }
    }

    fn finish_indented(&mut self, span: Span, content: MappedText) {
        if span.start < self.consumed {
            return;
        }
        let nested = fence::split_indented(&content);
        if nested.is_empty() {
            self.push_code(span, None, InfoString::default(), content, true);
            return;
        }
        let container = match self.doc.items.last() {
            Some(Item::Prose(prose)) => container_of(&prose.text),
            _ => None,
        };
        self.push_nested(nested, container);
    }

    /// `!!! note` or `=== "Tab"` with its indented body on the next lines
    /// (no blank line between): CommonMark reads one paragraph, MkDocs
    /// (Python-Markdown with pymdownx.superfences) reads the container's
    /// body, where a fence may directly follow a line of text.
    fn finish_paragraph(&mut self, prose: Prose) {
        let text = self.file.slice(prose.span);
        let mut lines = fence::line_spans(text);
        let first = lines.next().unwrap_or_default();
        let container = container_of(&text[first.start..first.end]);
        let Some(container) = container.filter(|_| lines.next().is_some()) else {
            self.push(Item::Prose(prose));
            return;
        };
        // The body runs past the paragraph, over blank lines, to the first
        // line indented less than four spaces (the indented code blocks the
        // parser reads there are part of it, and skipped when they come).
        let file = self.file.text();
        let start = prose.span.start + first.end;
        let mut body = MappedText::new();
        let mut end = start;
        for line in fence::line_spans(&file[start..]) {
            let s = &file[start + line.start..start + line.end];
            let strip = s.len() - s.trim_start_matches(' ').len();
            if s.trim().is_empty() {
                body.push(
                    s.trim_start_matches([' ', '\t']),
                    start + line.start + strip,
                );
            } else if strip >= 4 {
                body.push(&s[4..], start + line.start + 4);
            } else {
                break;
            }
            end = start + line.end;
        }
        self.consumed = end;
        let nested = fence::split_indented(&body);
        self.push(Item::Prose(prose));
        self.push_nested(nested, Some(container));
    }

    fn push_nested(&mut self, nested: Vec<fence::Nested>, container: Option<Container>) {
        for block in nested {
            let info = attrs::parse_info(&block.info, &mut self.doc.diagnostics);
            // An annotation inside the container, just above its fence.
            let annotation = block.comment.as_ref().and_then(|comment| {
                let attrs = attrs::parse_comment(comment, &mut self.doc.diagnostics)?;
                let span = comment.source_span(Span::new(0, comment.as_str().len()));
                Some(Annotation { attrs, span })
            });
            self.push_code(
                block.span,
                Some((block.marker, block.len)),
                info,
                block.body,
                block.closed,
            );
            if let Some(Item::Code(code)) = self.doc.items.last_mut() {
                code.container = container.clone();
                if annotation.is_some() {
                    code.annotation = annotation;
                }
            }
        }
    }

    fn push_code(
        &mut self,
        span: Span,
        fence: Option<(char, usize)>,
        info: InfoString,
        content: MappedText,
        closed: bool,
    ) {
        if !closed {
            let opening = self.file.first_line(span);
            let marker = fence.map_or("```".to_owned(), |(c, n)| c.to_string().repeat(n));
            self.doc.diagnostics.push(
                Diagnostic::error("fence-unterminated", "this fenced block is never closed")
                    .at(opening)
                    .label("opened here")
                    .help(format!(
                        "add a line containing only {marker} after the block's last line; until then the rest of the file belongs to the block"
                    )),
            );
        }
        self.push(Item::Code(CodeBlock {
            span,
            fence,
            info,
            annotation: None,
            content,
            closed,
            container: None,
            click: None,
        }));
    }
}

/// The source offset of an event's text: its range, unless the parser
/// synthesised part of the text (tab expansion), in which case the text is a
/// suffix of the range.
fn source_start(text: &str, span: Span) -> usize {
    if text.len() <= span.len() {
        span.end - text.len()
    } else {
        span.start
    }
}

/// `=== "GKE"` (MkDocs tab) or `!!! note "Title"` (admonition).
pub(crate) fn container_of(text: &str) -> Option<Container> {
    let text = text.trim();
    let marker = ["===", "!!!", "???+", "???"]
        .into_iter()
        .find(|m| text.starts_with(m))?;
    let rest = text[marker.len()..].trim();
    let title = match rest.find('"') {
        Some(open) => rest[open + 1..].trim_end_matches('"').to_owned(),
        None => rest.to_owned(),
    };
    Some(Container {
        marker: marker.trim_end_matches('+').to_owned(),
        title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        parse(&SourceFile::new("t.md", text))
    }

    fn codes(doc: &Document) -> Vec<&CodeBlock> {
        doc.items
            .iter()
            .filter_map(|i| match i {
                Item::Code(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn headings_prose_and_fences_in_order() {
        let d = doc("# Title\n\nSome *prose*.\n\n```bash\nls -l\n```\n");
        assert!(d.diagnostics.is_empty());
        assert!(matches!(&d.items[0], Item::Heading(h) if h.text == "Title" && h.level == 1));
        assert!(matches!(&d.items[1], Item::Prose(p) if p.text == "Some prose."));
        let code = codes(&d)[0];
        assert_eq!(code.lang(), Some("bash"));
        assert_eq!(code.content.as_str(), "ls -l\n");
        assert_eq!(code.content.source_offset(0), 32);
        assert!(code.closed);
    }

    #[test]
    fn unclosed_fence_is_an_error_with_the_opening_line() {
        let d = doc("# T\n\n```bash\nls\n\nmore\n");
        assert_eq!(d.diagnostics.len(), 1);
        assert_eq!(d.diagnostics[0].code, "fence-unterminated");
        assert_eq!(d.diagnostics[0].span, Some(Span::new(5, 12)));
        assert_eq!(codes(&d)[0].content.as_str(), "ls\n\nmore\n");
    }

    #[test]
    fn annotations_attach_to_the_next_fence_only() {
        let d =
            doc("<!-- litops: confirm -->\n```bash\nls\n```\n\n<!-- litops: skip -->\n\ntext\n");
        assert_eq!(
            codes(&d)[0].annotation.as_ref().map(|a| a.attrs.len()),
            Some(1)
        );
        assert_eq!(d.diagnostics.len(), 1);
        assert_eq!(d.diagnostics[0].code, "annotation-detached");
    }

    #[test]
    fn crlf_and_bom() {
        let d = doc("\u{feff}# T\r\n\r\n```bash\r\necho a \\\r\n  b\r\n```\r\n");
        let code = codes(&d)[0];
        assert_eq!(code.content.as_str(), "echo a \\\n  b\n");
        assert!(code.closed);
        assert!(d.diagnostics.is_empty());
    }

    #[test]
    fn annotations_inside_mkdocs_tabs_apply() {
        let text = "=== \"GKE\"\n\n    <!-- litops: name=gke confirm -->\n    ```bash\n    gcloud x\n    ```\n\n=== \"EKS\"\n\n    ```bash\n    aws y\n    ```\n";
        let d = doc(text);
        let codes = codes(&d);
        let keys: Vec<&str> = codes[0]
            .annotation
            .as_ref()
            .map(|a| a.attrs.iter().map(|a| a.key.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["name", "confirm"]);
        let span = codes[0]
            .annotation
            .as_ref()
            .map(|a| a.span)
            .unwrap_or_default();
        assert_eq!(
            &text[span.start..span.end],
            "<!-- litops: name=gke confirm -->"
        );
        assert!(codes[1].annotation.is_none());
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    }

    #[test]
    fn mkdocs_tabs_hold_fenced_blocks() {
        let d = doc(
            "=== \"GKE\"\n\n    ```bash\n    gcloud x\n    ```\n\n=== \"EKS\"\n\n    ```bash\n    aws y\n    ```\n",
        );
        let codes = codes(&d);
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].content.as_str(), "gcloud x\n");
        assert_eq!(
            codes[0].container.as_ref().map(|c| c.title.as_str()),
            Some("GKE")
        );
        assert_eq!(
            codes[1].container.as_ref().map(|c| c.title.as_str()),
            Some("EKS")
        );
        assert_eq!(codes[1].lang(), Some("bash"));
    }

    #[test]
    fn killercoda_closers_close_and_inline_exec_is_a_block() {
        let d = doc(
            "```shell\nls\n```{{exec}}\n\nRun `pwd`{{exec}} or `x`{{copy}}.\n\n```hcl\na\n```{{copy}}\n",
        );
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        let found: Vec<(&str, Option<fence::Click>, bool)> = codes(&d)
            .iter()
            .map(|c| (c.content.as_str(), c.click, c.closed))
            .collect();
        assert_eq!(
            found,
            [
                ("ls\n", Some(fence::Click::Exec), true),
                ("pwd\n", Some(fence::Click::Exec), true),
                ("a\n", Some(fence::Click::Copy), true),
            ]
        );
        // The inline block comes after its paragraph, and maps to `pwd`.
        assert!(matches!(&d.items[1], Item::Prose(p) if p.text.starts_with("Run pwd")));
        assert_eq!(codes(&d)[1].content.source_offset(0), 30);
    }

    #[test]
    fn a_container_body_right_after_its_marker_holds_fences() {
        let d =
            doc("!!! note \"Careful\"\n    Run:\n    ```bash\n    ls\n\n    pwd\n    ```\nlazy\n");
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        let codes = codes(&d);
        assert_eq!(codes.len(), 1);
        // A blank line in the block does not end the body.
        assert_eq!(codes[0].content.as_str(), "ls\n\npwd\n");
        assert_eq!(codes[0].content.source_offset(0), 44);
        assert_eq!(
            codes[0]
                .container
                .as_ref()
                .map(|c| (c.marker.as_str(), c.title.as_str())),
            Some(("!!!", "Careful"))
        );
    }

    #[test]
    fn a_fence_ended_by_its_container_is_closed_with_a_warning() {
        let d = doc("- a\n  ```bash\n  ls\n- b\n");
        assert_eq!(codes(&d)[0].content.as_str(), "ls\n");
        assert!(codes(&d)[0].closed);
        let found: Vec<(&str, Option<Span>)> =
            d.diagnostics.iter().map(|d| (d.code, d.span)).collect();
        assert_eq!(
            found,
            [("fence-closed-by-container", Some(Span::new(6, 13)))]
        );
        // At the end of the file it is never closed.
        let d = doc("- a\n  ```bash\n  ls\n");
        assert!(!codes(&d)[0].closed);
        assert_eq!(d.diagnostics[0].code, "fence-unterminated");
    }
}
