//! MkDocs tabs (`=== "GKE"`) and admonitions (`!!! note "Title"`) hold their
//! content indented four spaces, which CommonMark reads as one indented
//! code block. For the page, their content is un-indented and wrapped in a
//! `<div>` so it renders as Markdown (steps in tabs become step cards),
//! keeping the way back to the file's offsets.

use std::ops::Range;

use crate::markup::without_comments;
use crate::source::MappedText;
use crate::syntax::container_of;

/// The body with container content un-indented, mapped to `base + offset`,
/// and where in it the HTML litops wrote is (the page keeps that HTML and
/// shows any other as text).
pub fn unfold(text: &str, base: usize) -> (MappedText, Vec<Range<usize>>) {
    let mut out = MappedText::new();
    let mut inserted = Vec::new();
    let mut insert = |out: &mut MappedText, html: &str, at: usize| {
        let start = out.as_str().len();
        out.push(html, at);
        inserted.push(start..out.as_str().len());
    };
    let mut offset = 0;
    let mut open = false;
    for line in text.split_inclusive('\n') {
        let at = base + offset;
        offset += line.len();
        let blank = line.trim().is_empty();
        let indented = line.starts_with("    ") || line.starts_with('\t');
        if open && !blank && !indented {
            insert(&mut out, "\n</div>\n\n", at);
            open = false;
        }
        if open {
            if blank {
                out.push(line, at);
            } else {
                let cut = if line.starts_with('\t') { 1 } else { 4 };
                out.push(&line[cut..], at + cut);
            }
            continue;
        }
        let header = is_header(line).then(|| container_of(line)).flatten();
        match header {
            Some(container) => {
                let class = if container.marker == "===" {
                    "tab".to_owned()
                } else {
                    let kind = line.trim()[container.marker.len()..]
                        .trim_start_matches('+')
                        .split_whitespace()
                        .next()
                        .unwrap_or("note")
                        .trim_matches('"')
                        .to_owned();
                    format!("admonition {}", super::escape(&kind))
                };
                // A comment in the title is no more shown than one elsewhere.
                let title = without_comments(&container.title);
                insert(
                    &mut out,
                    &format!(
                        "<div class=\"container {class}\"><p class=\"container-title\">{}</p>\n\n",
                        super::escape(title.trim())
                    ),
                    at,
                );
                open = true;
            }
            None => out.push(line, at),
        }
    }
    if open {
        insert(&mut out, "\n</div>\n", base + offset);
    }
    (out, inserted)
}

/// `=== "Title"`, `!!! note`, `??? tip "Title"` at the start of a line; not
/// a setext heading's `===` underline.
fn is_header(line: &str) -> bool {
    let line = line.trim_end();
    ["=== \"", "!!! ", "??? ", "???+ "]
        .iter()
        .any(|m| line.starts_with(m) && line.len() > m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_unindented_and_mapped_back() {
        let text = "Intro\n\n=== \"GKE\"\n\n    ```bash\n    gcloud x\n    ```\n\n=== \"EKS\"\n\n    aws y\n\nAfter\n";
        let (unfolded, inserted) = unfold(text, 100);
        assert_eq!(inserted.len(), 4);
        assert!(
            unfolded.as_str()[inserted[0].clone()].starts_with("<div class=\"container tab\">")
        );
        assert_eq!(
            unfolded.as_str(),
            "Intro\n\n<div class=\"container tab\"><p class=\"container-title\">GKE</p>\n\n\n```bash\ngcloud x\n```\n\n\n</div>\n\n<div class=\"container tab\"><p class=\"container-title\">EKS</p>\n\n\naws y\n\n\n</div>\n\nAfter\n"
        );
        let fence = unfolded.as_str().find("```bash").expect("fence");
        assert_eq!(
            unfolded.source_offset(fence),
            100 + text.find("```bash").expect("fence")
        );
        // A document without containers maps one to one; a setext heading stays one.
        assert_eq!(unfold("a\n    b\n", 0).0.as_str(), "a\n    b\n");
        assert_eq!(
            unfold("Title\n===\n\n    code\n", 0).0.as_str(),
            "Title\n===\n\n    code\n"
        );
    }
}
