//! Syntax highlighting at render time for the languages runbooks hold
//! (bash, YAML, JSON): a few token classes, no script in the browser, no
//! network. Anything else is escaped text.

use super::escape;
use crate::shell::lexer::{Lexer, Region, Token};
use crate::source::Span;

/// Highlighted HTML for `code` in `lang`.
pub fn highlight(lang: &str, code: &str) -> String {
    match lang {
        "bash" | "sh" | "shell" | "zsh" | "console" | "shell-session" => bash(code),
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

fn spanned(class: &str, text: &str, out: &mut String) {
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

/// Keywords after which a command comes (`then kubectl …`); after the
/// others come names and arguments (`export PATH`, `for i in`).
const BEFORE_COMMAND: &[&str] = &["if", "then", "else", "elif", "do", "while", "until"];

/// Operators after which a command comes.
const SEPARATORS: &[&str] = &["|", "||", "&", "&&", "|&", ";", ";;", ";&", ";;&", "("];

/// Substitutions nested deeper than this are shown as plain text, so
/// that highlighting does not recurse as deep as the input does.
const MAX_DEPTH: usize = 16;

/// Bash, read by the lexer litops plans with ([`crate::shell::lexer`]),
/// so that quoting, escapes (`"a \"b\" c"`, `'it'\''s'`), comments and
/// heredocs are coloured as bash reads them. The text is read once; the
/// commands inside substitutions are coloured from the lexer's nested
/// tokens.
fn bash(code: &str) -> String {
    let mut lexer = Lexer::new(code, &[]).highlighting();
    let mut tokens = lexer.tokens();
    let findings = std::mem::take(&mut lexer.findings);
    tokens.extend(findings.nested_tokens);
    // A heredoc's body is listed before the newline that precedes it.
    tokens.sort_by_key(|token| token.span().start);
    let mut regions = findings.regions;
    // Outer before inner: a region that starts where another does is
    // inside it when it ends sooner.
    regions.sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
    let read = Read {
        code,
        tokens: &tokens,
        regions: &regions,
    };
    let mut out = String::with_capacity(code.len() * 2);
    read.commands(Span::new(0, code.len()), 0, &mut out);
    out
}

/// A text with its tokens and regions, both sorted by where they start.
struct Read<'a> {
    code: &'a str,
    tokens: &'a [Token],
    regions: &'a [(Span, Region)],
}

impl Read<'_> {
    /// The tokens of one command list in `range` (the whole text, or a
    /// substitution's), those of lists nested in its words left to
    /// [`Read::word`].
    fn commands(&self, range: Span, depth: usize, out: &mut String) {
        let mut at = range.start;
        let mut at_command = true;
        let mut i = 0;
        loop {
            // Past the tokens of lists nested in the words already shown.
            i = i.max(self.tokens.partition_point(|t| t.span().start < at));
            let Some(token) = self.tokens.get(i).filter(|t| t.span().end <= range.end) else {
                break;
            };
            i += 1;
            let span = token.span();
            out.push_str(&escape(self.text(at, span.start)));
            match token {
                Token::Comment(_) => spanned("comment", self.text(span.start, span.end), out),
                Token::Newline(_) => {
                    out.push('\n');
                    at_command = true;
                }
                Token::Op(op, _) => {
                    out.push_str(&escape(self.text(span.start, span.end)));
                    at_command |= SEPARATORS.contains(op);
                }
                Token::HeredocBody(_) => {
                    self.word(span, depth, out, |_, text, out| out.push_str(&escape(text)));
                }
                Token::Word(_) => {
                    let mut next = false;
                    self.word(span, depth, out, |first, text, out| {
                        if !first {
                            out.push_str(&escape(text));
                        } else if BASH_KEYWORDS.contains(&text) {
                            spanned("keyword", text, out);
                            next = at_command && BEFORE_COMMAND.contains(&text);
                        } else if at_command && text.contains('=') {
                            // An assignment: the command is still to come.
                            out.push_str(&escape(text));
                            next = true;
                        } else if at_command {
                            spanned("command", text, out);
                        } else if text.starts_with('-') {
                            spanned("flag", text, out);
                        } else {
                            out.push_str(&escape(text));
                        }
                    });
                    at_command = next;
                }
            }
            at = span.end;
        }
        out.push_str(&escape(self.text(at, range.end)));
    }

    /// The text of `span` with its outermost regions coloured, and each
    /// plain piece between them given to `plain` (with whether it starts
    /// the span).
    fn word(
        &self,
        span: Span,
        depth: usize,
        out: &mut String,
        mut plain: impl FnMut(bool, &str, &mut String),
    ) {
        let mut at = span.start;
        let mut i = 0;
        loop {
            // Past the regions inside those already shown.
            i = i.max(self.regions.partition_point(|(r, _)| r.start < at));
            let Some((r, region)) = self.regions.get(i).filter(|(r, _)| r.end <= span.end) else {
                break;
            };
            i += 1;
            if r.start > at {
                plain(at == span.start, self.text(at, r.start), out);
            }
            match region {
                Region::Quoted => spanned("string", self.text(r.start, r.end), out),
                Region::Expansion => spanned("variable", self.text(r.start, r.end), out),
                Region::Substitution { inner } if depth < MAX_DEPTH => {
                    out.push_str(&escape(self.text(r.start, inner.start)));
                    self.commands(*inner, depth + 1, out);
                    out.push_str(&escape(self.text(inner.end, r.end)));
                }
                Region::Substitution { .. } => out.push_str(&escape(self.text(r.start, r.end))),
            }
            at = r.end;
        }
        if span.end > at {
            plain(at == span.start, self.text(at, span.end), out);
        }
    }

    fn text(&self, start: usize, end: usize) -> &str {
        slice(self.code, start, end)
    }
}

/// `code[start..end]`, or nothing where that is not a slice of it.
fn slice(code: &str, start: usize, end: usize) -> &str {
    code.get(start..end).unwrap_or("")
}

fn yaml_line(line: &str, out: &mut String) {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    out.push_str(indent);
    if trimmed.starts_with('#') {
        spanned("comment", trimmed, out);
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
            spanned("key", &body[..i], out);
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
        spanned("string", text, out);
    } else if t.parse::<f64>().is_ok() || matches!(t, "true" | "false" | "null" | "~") {
        spanned("literal", text, out);
    } else {
        out.push_str(&escape(text));
    }
    if !comment.is_empty() {
        spanned("comment", comment, out);
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
            spanned(
                if is_key { "key" } else { "string" },
                &rest[..end],
                &mut out,
            );
            rest = &rest[end..];
        } else if c.is_ascii_digit() || c == '-' {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ".eE+-".contains(ch)))
                .unwrap_or(rest.len());
            spanned("literal", &rest[..end.max(1)], &mut out);
            rest = &rest[end.max(1)..];
        } else if let Some(word) = ["true", "false", "null"]
            .iter()
            .find(|w| rest.starts_with(**w))
        {
            spanned("literal", word, &mut out);
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
    }

    #[test]
    fn escaped_quotes_are_read_as_bash_reads_them() {
        // A backslash inside double quotes does not end the string.
        assert_eq!(
            highlight("bash", r#"echo "a \"b\" c" -n"#),
            "<span class=\"hl-command\">echo</span> <span class=\"hl-string\">&quot;a \\&quot;b\\&quot; c&quot;</span> <span class=\"hl-flag\">-n</span>"
        );
        // `'it'\''s'`: two strings around an escaped quote, nothing left open.
        assert_eq!(
            highlight("bash", r"echo 'it'\''s' -n"),
            "<span class=\"hl-command\">echo</span> <span class=\"hl-string\">&#39;it&#39;</span>\\&#39;<span class=\"hl-string\">&#39;s&#39;</span> <span class=\"hl-flag\">-n</span>"
        );
        // An escaped quote outside quotes starts no string.
        assert_eq!(
            highlight("bash", r#"echo \"x y\""#),
            "<span class=\"hl-command\">echo</span> \\&quot;x y\\&quot;"
        );
    }

    #[test]
    fn commands_continuations_substitutions_and_heredocs() {
        // A continued line goes on with the same command; `$(…)` holds one.
        assert_eq!(
            highlight("bash", "ID=$(az show \\\n  -n \"$G\") && kubectl get"),
            "ID=$(<span class=\"hl-command\">az</span> show \\\n  <span class=\"hl-flag\">-n</span> <span class=\"hl-string\">&quot;$G&quot;</span>) &amp;&amp; <span class=\"hl-command\">kubectl</span> get"
        );
        // A heredoc's body is data; `#` inside a word is no comment.
        assert_eq!(
            highlight("bash", "cat <<EOF # c\nkind: $K\nEOF\necho a#b"),
            "<span class=\"hl-command\">cat</span> &lt;&lt;EOF <span class=\"hl-comment\"># c</span>\nkind: <span class=\"hl-variable\">$K</span>\nEOF\n<span class=\"hl-command\">echo</span> a#b"
        );
        // Keywords before a command, and those before names.
        assert_eq!(
            highlight("bash", "if true; then export X; fi"),
            "<span class=\"hl-keyword\">if</span> <span class=\"hl-command\">true</span>; <span class=\"hl-keyword\">then</span> <span class=\"hl-keyword\">export</span> X; <span class=\"hl-keyword\">fi</span>"
        );
    }

    /// The text of highlighted HTML: tags removed, entities read.
    fn text_of(html: &str) -> String {
        let mut text = String::new();
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            text.push_str(&rest[..i]);
            rest = &rest[i + rest[i..].find('>').map_or(rest.len() - i, |j| j + 1)..];
        }
        text.push_str(rest);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn deep_substitutions_stay_text() {
        let nested = |depth: usize| format!("{}x{}", "$(".repeat(depth), ")".repeat(depth));
        assert!(highlight("bash", &nested(3)).contains("<span class=\"hl-command\">x</span>"));
        let html = highlight("bash", &nested(40));
        assert!(!html.contains("hl-command"), "{html}");
        assert_eq!(text_of(&html), nested(40));
    }

    #[test]
    fn any_input_is_highlighted_without_panic() {
        // Any input, no panic, and the text survives.
        for code in [
            "$",
            "${",
            "\"unterminated",
            "a: \"b",
            "[\"\\",
            "é$é",
            "-",
            "$(",
            "`",
            "<<",
            "<<E\n",
            "$'\\",
            "\"$(\"",
            "${a:-'b",
            "$((",
            "echo \\",
            "é\\é'é\"é`é",
            "<(a",
            "a)\n#",
        ] {
            assert_eq!(text_of(&highlight("bash", code)), code);
            for lang in ["yaml", "json"] {
                let _ = highlight(lang, code);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// Highlighting only adds tags: for any shell-like text, every
        /// character is there once, in order.
        #[test]
        fn bash_text_survives(code in "([a-z =#;|&()<>{}$`'\"\\\n\t-]|EOF|<<|\\$\\(|é){0,40}") {
            proptest::prop_assert_eq!(text_of(&highlight("bash", &code)), code);
        }
    }
}
