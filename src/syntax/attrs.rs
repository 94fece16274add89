//! Annotation attributes: the small `key=value` language litops reads from a
//! fence's info string (```` ```bash {#deploy confirm timeout=15m} ````), from
//! an HTML comment before a fence (`<!-- litops: confirm timeout=15m -->`),
//! and from Runme's JSON form (```` ```sh {"name":"deploy"} ````).
//!
//! This is syntax only: attributes come out as raw keys and values with spans.
//! Which keys exist and what their values mean is decided in `model`.

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::source::{MappedText, Span};

/// One attribute as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attr {
    /// `name` for `#id`, `.` for a `.class`, otherwise the key as written.
    pub key: String,
    /// `None` for a bare flag such as `confirm`.
    pub value: Option<String>,
    pub span: Span,
    /// Written in Runme's JSON form: a key litops does not know there is
    /// Runme's (or a newer Runme's), not a typo of a litops key.
    pub runme: bool,
}

/// A fence's info string, split into its language and attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct InfoString {
    pub raw: String,
    pub span: Span,
    pub lang: Option<String>,
    pub attrs: Vec<Attr>,
}

/// Parse an info string; problems (an unclosed brace, bad JSON) become diagnostics.
pub fn parse_info(info: &MappedText, diagnostics: &mut Vec<Diagnostic>) -> InfoString {
    let raw = info.as_str();
    let trimmed_start = raw.len() - raw.trim_start().len();
    let body = raw.trim();
    let span = info.source_span(Span::new(trimmed_start, trimmed_start + body.len()));
    let mut out = InfoString {
        raw: body.to_owned(),
        span,
        lang: None,
        attrs: Vec::new(),
    };
    let mut pos = trimmed_start;
    if !body.starts_with('{') {
        let lang_len = body
            .find(|c: char| c.is_whitespace() || c == '{')
            .unwrap_or(body.len());
        let lang = body[..lang_len].trim_end_matches(',');
        if !lang.is_empty() {
            out.lang = Some(lang.to_ascii_lowercase());
        }
        pos += lang_len;
    }
    // Only attributes inside braces are ours: bare words after the language
    // belong to other tools (MkDocs `title="..."`, `linenums`) and are left alone.
    let Some(open) = raw[pos..].find('{').map(|i| i + pos) else {
        return out;
    };
    let Some(close) = raw.rfind('}').filter(|&c| c > open) else {
        diagnostics.push(
            Diagnostic::error("annotation-syntax", "attribute list is not closed")
                .at(info.source_span(Span::new(open, raw.trim_end().len())))
                .label("this `{` has no matching `}`")
                .help("close the attribute list with `}`, e.g. ```bash {#deploy confirm}"),
        );
        return out;
    };
    let inner = &raw[open + 1..close];
    if inner.trim_start().starts_with('"') {
        out.attrs = parse_runme_json(info, Span::new(open, close + 1), diagnostics);
    } else {
        out.attrs = parse_attr_list(info, Span::new(open + 1, close), diagnostics);
    }
    if out.lang.is_none() {
        // Pandoc style: ```{.bash #id}
        out.lang = out
            .attrs
            .iter()
            .find(|a| a.key == ".")
            .and_then(|a| a.value.clone());
    }
    out
}

/// Attributes of an HTML comment `<!-- litops: ... -->`, or `None` if the
/// comment is not a litops annotation.
pub fn parse_comment(comment: &MappedText, diagnostics: &mut Vec<Diagnostic>) -> Option<Vec<Attr>> {
    let text = comment.as_str();
    let open = text.find("<!--")?;
    let rest = text[open + 4..].trim_start();
    let rest = rest
        .strip_prefix("litops")?
        .trim_start()
        .strip_prefix(':')?;
    let attrs_start = text.len() - rest.len();
    let attrs_end = text[attrs_start..]
        .find("-->")
        .map_or(text.len(), |i| i + attrs_start);
    Some(parse_attr_list(
        comment,
        Span::new(attrs_start, attrs_end),
        diagnostics,
    ))
}

/// `#id .class key=value key="quoted value" flag`, separated by spaces or commas.
fn parse_attr_list(text: &MappedText, range: Span, diagnostics: &mut Vec<Diagnostic>) -> Vec<Attr> {
    let s = text.as_str();
    let bytes = s.as_bytes();
    let mut attrs = Vec::new();
    let mut i = range.start;
    let end = range.end.min(s.len());
    while i < end {
        let c = bytes[i];
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
            continue;
        }
        let start = i;
        while i < end && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' && bytes[i] != b',' {
            i += 1;
        }
        let word = &s[start..i];
        let (key, mut value) = if let Some(id) = word.strip_prefix('#') {
            ("name".to_owned(), Some(id.to_owned()))
        } else if let Some(class) = word.strip_prefix('.') {
            (".".to_owned(), Some(class.to_owned()))
        } else {
            (word.to_owned(), None)
        };
        if i < end && bytes[i] == b'=' {
            i += 1;
            match read_value(s, i, end) {
                Ok((v, next)) => {
                    value = Some(v);
                    i = next;
                }
                Err(next) => {
                    // Reported once here; the attribute is dropped so that
                    // it is not also reported as missing its value.
                    diagnostics.push(
                        Diagnostic::error(
                            "annotation-syntax",
                            format!("the value of `{key}` has no closing quote"),
                        )
                        .at(text.source_span(Span::new(start, next)))
                        .help("close the quote; write \\\" for a quote inside the value"),
                    );
                    i = next;
                    continue;
                }
            }
        }
        attrs.push(Attr {
            key,
            value,
            span: text.source_span(Span::new(start, i)),
            runme: false,
        });
    }
    attrs
}

/// A bare or quoted value starting at `i`; `Err(end)` if a quote is not closed.
fn read_value(s: &str, i: usize, end: usize) -> Result<(String, usize), usize> {
    let bytes = s.as_bytes();
    let Some(&quote) = bytes.get(i).filter(|b| **b == b'"' || **b == b'\'') else {
        let mut j = i;
        while j < end && !bytes[j].is_ascii_whitespace() && bytes[j] != b',' {
            j += 1;
        }
        return Ok((s[i..j].to_owned(), j));
    };
    let mut value = String::new();
    let mut chars = s[i + 1..end].char_indices();
    while let Some((off, c)) = chars.next() {
        if c == quote as char {
            return Ok((value, i + 1 + off + 1));
        }
        if c == '\\' && quote == b'"' {
            if let Some((_, escaped)) = chars.next() {
                value.push(escaped);
            }
            continue;
        }
        value.push(c);
    }
    Err(end)
}

/// Runme's `{"name":"deploy","interactive":true}`: every member becomes an attribute.
fn parse_runme_json(
    text: &MappedText,
    range: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Attr> {
    let raw = &text.as_str()[range.start..range.end];
    let span = text.source_span(range);
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw) {
        Ok(map) => map
            .into_iter()
            .map(|(key, value)| {
                // Runme writes flags both as JSON booleans and as strings
                // (`"interactive":"false"`); both reach `flag` as text.
                let value = match value {
                    serde_json::Value::Bool(true) => None,
                    serde_json::Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                };
                Attr {
                    key,
                    value,
                    span,
                    runme: true,
                }
            })
            .collect(),
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(
                    "annotation-syntax",
                    format!("invalid JSON attributes: {err}"),
                )
                .at(span)
                .help("Runme-style attributes must be a JSON object, e.g. {\"name\":\"deploy\"}"),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(s: &str) -> (InfoString, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let parsed = parse_info(&MappedText::contiguous(s, 100), &mut diags);
        (parsed, diags)
    }

    fn pairs(attrs: &[Attr]) -> Vec<(String, Option<String>)> {
        attrs
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    }

    #[test]
    fn braces_hold_litops_attributes() {
        let (i, d) = info("bash {#provision confirm timeout=15m when=\"A == \\\"b\\\"\"}");
        assert!(d.is_empty());
        assert_eq!(i.lang.as_deref(), Some("bash"));
        assert_eq!(
            pairs(&i.attrs),
            vec![
                ("name".into(), Some("provision".into())),
                ("confirm".into(), None),
                ("timeout".into(), Some("15m".into())),
                ("when".into(), Some("A == \"b\"".into())),
            ]
        );
        assert_eq!(i.attrs[0].span, Span::new(106, 116));
    }

    #[test]
    fn runme_json_and_pandoc_forms() {
        let (i, d) = info(r#"sh {"name":"deploy","interactive":true,"excludeFromRunAll":false}"#);
        assert!(d.is_empty());
        assert_eq!(
            pairs(&i.attrs),
            vec![
                ("name".into(), Some("deploy".into())),
                ("interactive".into(), None),
                ("excludeFromRunAll".into(), Some("false".into())),
            ]
        );
        let (i, _) = info("{.bash #id}");
        assert_eq!(i.lang.as_deref(), Some("bash"));
    }

    #[test]
    fn foreign_words_outside_braces_are_ignored() {
        let (i, d) = info("bash title=\"deploy.sh\" linenums=\"1\"");
        assert!(d.is_empty());
        assert!(i.attrs.is_empty());
    }

    #[test]
    fn bad_attribute_lists_are_diagnosed() {
        let (_, d) = info("bash {confirm");
        assert_eq!(d[0].code, "annotation-syntax");
        let (_, d) = info("bash {when=\"x}");
        assert_eq!(d.len(), 1);
        let (_, d) = info("sh {\"name\": }");
        assert!(d[0].message.starts_with("invalid JSON attributes"));
    }

    #[test]
    fn comments_only_count_with_the_litops_keyword() {
        let mut d = Vec::new();
        let c = MappedText::contiguous("<!-- litops: name=x confirm -->", 0);
        let attrs = parse_comment(&c, &mut d).expect("annotation");
        assert_eq!(attrs.len(), 2);
        let c = MappedText::contiguous("<!-- just a comment -->", 0);
        assert!(parse_comment(&c, &mut d).is_none());
        assert!(d.is_empty());
    }
}
