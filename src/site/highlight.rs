//! Syntax highlighting at render time for the languages runbooks hold
//! (bash, YAML, JSON): a few token classes, no script in the browser, no
//! network. Anything else is escaped text.

use super::escape;

/// Highlighted HTML for `code` in `lang`.
pub fn highlight(lang: &str, code: &str) -> String {
    match lang {
        "bash" | "sh" | "shell" | "zsh" | "console" | "shell-session" => lines(code, bash_line),
        "yaml" | "yml" => lines(code, yaml_line),
        "json" | "jsonc" => json(code),
        _ => escape(code),
    }
}

fn lines(code: &str, line: fn(&str, &mut String)) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for (i, l) in code.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        line(l, &mut out);
    }
    out
}

fn span(class: &str, text: &str, out: &mut String) {
    out.push_str("<span class=\"hl-");
    out.push_str(class);
    out.push_str("\">");
    out.push_str(&escape(text));
    out.push_str("</span>");
}

const BASH_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case",
    "esac", "function", "return", "export", "local", "set", "unset", "exit", "source",
];

fn bash_line(line: &str, out: &mut String) {
    let mut rest = line;
    let mut at_command = true;
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '#'
            && (rest.len() == line.len()
                || line[..line.len() - rest.len()].ends_with(char::is_whitespace))
        {
            span("comment", rest, out);
            return;
        }
        if c == '"' || c == '\'' {
            let end = rest[1..].find(c).map_or(rest.len(), |i| i + 2);
            span("string", &rest[..end], out);
            rest = &rest[end..];
            at_command = false;
            continue;
        }
        if c == '$' {
            let end = if rest[1..].starts_with('{') {
                rest.find('}').map_or(rest.len(), |i| i + 1)
            } else {
                1 + rest[1..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .unwrap_or(rest.len() - 1)
            };
            span("variable", &rest[..end.max(1)], out);
            rest = &rest[end.max(1)..];
            continue;
        }
        if c.is_whitespace() || "|&;()<>".contains(c) {
            if "|&;(".contains(c) {
                at_command = true;
            }
            out.push_str(&escape(&rest[..c.len_utf8()]));
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let end = rest
            .find(|ch: char| ch.is_whitespace() || "|&;()<>\"'$".contains(ch))
            .unwrap_or(rest.len())
            .max(c.len_utf8());
        let word = &rest[..end];
        if BASH_KEYWORDS.contains(&word) {
            span("keyword", word, out);
        } else if at_command && !word.contains('=') {
            span("command", word, out);
            at_command = false;
        } else if word.starts_with('-') {
            span("flag", word, out);
        } else {
            out.push_str(&escape(word));
        }
        rest = &rest[end..];
    }
}

fn yaml_line(line: &str, out: &mut String) {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    out.push_str(indent);
    if trimmed.starts_with('#') {
        span("comment", trimmed, out);
        return;
    }
    let (dash, body) = match trimmed.strip_prefix("- ") {
        Some(b) => ("- ", b),
        None => ("", trimmed),
    };
    out.push_str(dash);
    match body
        .find(": ")
        .or_else(|| body.strip_suffix(':').map(|b| b.len()))
    {
        Some(i) if !body.starts_with(['"', '\'']) => {
            span("key", &body[..i], out);
            let value = &body[i..];
            out.push_str(&escape(&value[..value.len().min(1)]));
            yaml_value(&value[value.len().min(1)..], out);
        }
        _ => yaml_value(body, out),
    }
}

fn yaml_value(value: &str, out: &mut String) {
    let (text, comment) = match value.find(" #") {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    let t = text.trim();
    if t.starts_with(['"', '\'']) {
        span("string", text, out);
    } else if t.parse::<f64>().is_ok() || matches!(t, "true" | "false" | "null" | "~") {
        span("literal", text, out);
    } else {
        out.push_str(&escape(text));
    }
    if !comment.is_empty() {
        span("comment", comment, out);
    }
}

fn json(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let mut end = 1;
            let bytes = rest.as_bytes();
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let end = (end + 1).min(rest.len());
            let is_key = rest[end..].trim_start().starts_with(':');
            span(
                if is_key { "key" } else { "string" },
                &rest[..end],
                &mut out,
            );
            rest = &rest[end..];
        } else if c.is_ascii_digit() || c == '-' {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ".eE+-".contains(ch)))
                .unwrap_or(rest.len());
            span("literal", &rest[..end.max(1)], &mut out);
            rest = &rest[end.max(1)..];
        } else if let Some(word) = ["true", "false", "null"]
            .iter()
            .find(|w| rest.starts_with(**w))
        {
            span("literal", word, &mut out);
            rest = &rest[word.len()..];
        } else {
            out.push_str(&escape(&rest[..c.len_utf8()]));
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_escaping() {
        let html = highlight("bash", "kubectl get pods -n \"$NS\" # <all>");
        assert_eq!(
            html,
            "<span class=\"hl-command\">kubectl</span> get pods <span class=\"hl-flag\">-n</span> <span class=\"hl-string\">&quot;$NS&quot;</span> <span class=\"hl-comment\"># &lt;all&gt;</span>"
        );
        assert!(highlight("yaml", "replicas: 3").contains("hl-key\">replicas"));
        assert!(highlight("json", "{\"a\": 1}").contains("hl-literal\">1"));
        assert_eq!(highlight("text", "<b>"), "&lt;b&gt;");
        // Any input, no panic, and the text survives.
        for code in ["$", "${", "\"unterminated", "a: \"b", "[\"\\", "é$é", "-"] {
            for lang in ["bash", "yaml", "json"] {
                let _ = highlight(lang, code);
            }
        }
    }
}
