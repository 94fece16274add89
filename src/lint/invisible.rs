//! `check --render`: the annotation dialect must stay invisible where the
//! runbook is read. The file is rendered by a second, independent CommonMark
//! implementation (comrak, GFM extensions, as GitHub renders) and its
//! visible text searched for every annotation litops reads.

use crate::diag::Diagnostic;
use crate::model::Runbook;
use crate::syntax::{self, Item};

/// An error for each annotation whose text a reader would see.
pub fn visible_annotations(runbook: &Runbook) -> Vec<Diagnostic> {
    let text = runbook.file.text();
    let mut options = comrak::Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.front_matter_delimiter = Some("---".to_owned());
    let html = comrak::markdown_to_html(text, &options);
    let visible = visible_text(&html);
    let document = syntax::parse(&runbook.file);
    let mut out = Vec::new();
    for item in &document.items {
        let Item::Code(code) = item else { continue };
        let lang = code.info.lang.as_deref().unwrap_or("");
        let attrs = code
            .info
            .raw
            .trim_start()
            .strip_prefix(lang)
            .unwrap_or("")
            .trim();
        let mut fragments: Vec<(&str, crate::source::Span)> = Vec::new();
        if !attrs.is_empty() {
            fragments.push((attrs, code.info.span));
        }
        if let Some(annotation) = &code.annotation {
            let comment = runbook.file.slice(annotation.span).trim();
            let inner = comment
                .trim_start_matches("<!--")
                .trim_end_matches("-->")
                .trim();
            fragments.push((inner, annotation.span));
        }
        for (fragment, span) in fragments {
            if visible.contains(fragment) {
                out.push(
                    Diagnostic::error(
                        "annotation-visible",
                        format!("readers would see this annotation as text: `{fragment}`"),
                    )
                    .at(runbook.file.first_line(span))
                    .help("annotations go in the fence's info string or in a <!-- litops: --> comment on the line before the fence, outside indented code and other blocks"),
                );
            }
        }
    }
    // Comments litops did not attach to a block still must not show.
    if let Some(at) = visible.find("litops:") {
        let snippet: String = visible[at..].chars().take(40).collect();
        if !out.iter().any(|d| d.message.contains(snippet.trim())) {
            out.push(Diagnostic::error(
                "annotation-visible",
                format!("readers would see `{}` as text", snippet.trim()),
            ));
        }
    }
    out
}

/// The text a browser shows: tags dropped, entities decoded. Inline code
/// is left out: a runbook that quotes the dialect in prose (`` `{confirm}` ``)
/// shows it on purpose; code blocks (`<pre>`) are kept.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut in_pre = 0usize;
    let mut in_inline_code = false;
    while let Some(start) = rest.find('<') {
        if !in_inline_code {
            out.push_str(&rest[..start]);
        }
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name = tag
            .trim_start_matches('/')
            .split([' ', '>'])
            .next()
            .unwrap_or("");
        let closing = tag.starts_with('/');
        match (name, closing) {
            ("pre", false) => in_pre += 1,
            ("pre", true) => in_pre = in_pre.saturating_sub(1),
            ("code", false) if in_pre == 0 => in_inline_code = true,
            ("code", true) => in_inline_code = false,
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::from_text;

    #[test]
    fn annotations_in_the_right_places_are_invisible() {
        let rb = from_text(
            "ok.md",
            "---\ntitle: x\n---\n# T\n\n<!-- litops: name=a confirm=\"why\" -->\n```bash {#b timeout=5m}\necho hi\n```\n\n```sh {\"name\":\"c\",\"interactive\":true}\necho c\n```\n",
        );
        assert_eq!(visible_annotations(&rb), vec![]);
    }

    #[test]
    fn prose_that_quotes_the_dialect_is_not_reported() {
        let rb = from_text(
            "doc.md",
            "# T\n\nWrite `<!-- litops: confirm -->` or `{confirm}` above a block.\n\n```bash {confirm}\necho hi\n```\n",
        );
        assert_eq!(visible_annotations(&rb), vec![]);
    }

    #[test]
    fn an_annotation_shown_as_code_is_reported() {
        // Indented four spaces, the comment is an indented code block: text.
        let rb = from_text(
            "bad.md",
            "# T\n\nSome text.\n\n    <!-- litops: name=x confirm -->\n\n```bash\necho hi\n```\n",
        );
        let found = visible_annotations(&rb);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "annotation-visible");
    }
}
