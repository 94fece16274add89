//! Splitting front matter off the top of a file (`---` YAML, `+++` TOML).
//! The text is kept raw, with its span; `model` reads the YAML.

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrontMatterFormat {
    Yaml,
    Toml,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub format: FrontMatterFormat,
    /// The text between the delimiter lines.
    pub text: String,
    /// Span of `text` in the file.
    pub span: Span,
    /// Span of the whole block, delimiters included.
    pub block: Span,
}

/// Returns the front matter (if any) and where the Markdown body starts.
pub fn split(
    text: &str,
    start: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<FrontMatter>, usize) {
    let first_end = text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1);
    let first = text[start..first_end].trim_end();
    let (format, closers): (_, &[&str]) = match first {
        "---" => (FrontMatterFormat::Yaml, &["---", "..."]),
        "+++" => (FrontMatterFormat::Toml, &["+++"]),
        _ => return (None, start),
    };
    let mut line_start = first_end;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        if closers.contains(&text[line_start..line_end].trim_end()) {
            let front = FrontMatter {
                format,
                text: text[first_end..line_start].replace("\r\n", "\n"),
                span: Span::new(first_end, line_start),
                block: Span::new(start, line_end),
            };
            return (Some(front), line_end);
        }
        line_start = line_end;
    }
    diagnostics.push(
        Diagnostic::error("front-matter-unterminated", "front matter is never closed")
            .at(Span::new(start, start + first.len()))
            .label("front matter opened here")
            .help(format!(
                "end the front matter with a line containing only `{}`",
                closers[0]
            )),
    );
    (None, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_front_matter_is_split_with_spans() {
        let mut d = Vec::new();
        let text = "---\ntitle: x\n---\n# Body\n";
        let (front, body) = split(text, 0, &mut d);
        let front = front.expect("front matter");
        assert_eq!(front.text, "title: x\n");
        assert_eq!(front.span, Span::new(4, 13));
        assert_eq!(&text[body..], "# Body\n");
        assert!(d.is_empty());
    }

    #[test]
    fn unclosed_front_matter_is_diagnosed_and_body_kept() {
        let mut d = Vec::new();
        let (front, body) = split("---\ntitle: x\n# Body\n", 0, &mut d);
        assert!(front.is_none());
        assert_eq!(body, 0);
        assert_eq!(d[0].code, "front-matter-unterminated");
    }

    #[test]
    fn no_front_matter() {
        let mut d = Vec::new();
        assert_eq!(split("# x\n---\n", 0, &mut d), (None, 0));
    }
}
