//! Placeholders: the parts of a command its author meant you to replace —
//! `<pod-name>`, `your-project-id`, `YOUR_API_TOKEN`.
//!
//! They are found on the raw text before the shell is read, because bash would
//! read `<pod-name>` as a redirection. Each placeholder gets a variable name
//! (`<pod-name>` → `POD_NAME`, `your-project-id` → `PROJECT_ID`) so it can be
//! bound like any other variable.

use crate::source::Span;

/// A placeholder occurrence in a script's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub span: Span,
    /// The text as written, e.g. `<pod-name>`.
    pub text: String,
    /// The variable that fills it, e.g. `POD_NAME`.
    pub name: String,
}

/// Every placeholder in `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<Candidate> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let end = angle(bytes, i)
            .or_else(|| prefixed(bytes, i, b"your-", is_kebab))
            .or_else(|| {
                prefixed(bytes, i, b"YOUR_", |c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'
                })
            });
        match end {
            Some(end) => {
                let written = &text[i..end];
                found.push(Candidate {
                    span: Span::new(i, end),
                    text: written.to_owned(),
                    name: variable_name(written),
                });
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

/// The variable a placeholder's text stands for.
pub fn variable_name(written: &str) -> String {
    let inner = written.trim_start_matches('<').trim_end_matches('>');
    let inner = ["your-", "YOUR_", "your_", "YOUR-"]
        .iter()
        .find_map(|p| inner.strip_prefix(p))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(inner);
    inner
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn is_kebab(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'$' || c == b'{'
}

/// `<name>`: a letter, then letters, digits, `-` or `_`, then `>`. Not a
/// heredoc (`<<`), not after a backslash.
fn angle(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes[i] != b'<' || (i > 0 && matches!(bytes[i - 1], b'<' | b'\\')) {
        return None;
    }
    let first = *bytes.get(i + 1)?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut j = i + 2;
    while j < bytes.len()
        && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-' || bytes[j] == b'_')
    {
        j += 1;
    }
    (bytes.get(j) == Some(&b'>')).then_some(j + 1)
}

/// `your-project-id` / `YOUR_TOKEN`, at a word boundary, at least one
/// character after the prefix, not ending in a separator.
fn prefixed(bytes: &[u8], i: usize, prefix: &[u8], body: impl Fn(u8) -> bool) -> Option<usize> {
    if !bytes[i..].starts_with(prefix) || (i > 0 && is_word_byte(bytes[i - 1])) {
        return None;
    }
    let mut j = i + prefix.len();
    while j < bytes.len() && body(bytes[j]) {
        j += 1;
    }
    while j > i + prefix.len() && matches!(bytes[j - 1], b'-' | b'_') {
        j -= 1;
    }
    let next_is_word = bytes.get(j).is_some_and(|c| c.is_ascii_alphanumeric());
    (j > i + prefix.len() && !next_is_word).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, String)> {
        find(text).into_iter().map(|c| (c.text, c.name)).collect()
    }

    #[test]
    fn finds_the_common_shapes() {
        assert_eq!(
            names("kubectl logs <pod-name> -n x; job/migration-<timestamp>"),
            vec![
                ("<pod-name>".into(), "POD_NAME".into()),
                ("<timestamp>".into(), "TIMESTAMP".into())
            ]
        );
        assert_eq!(
            names("sa@your-project-id.iam.gserviceaccount.com"),
            vec![("your-project-id".into(), "PROJECT_ID".into())]
        );
        assert_eq!(
            names("--token YOUR_API_TOKEN <YOUR_KEY>"),
            vec![
                ("YOUR_API_TOKEN".into(), "API_TOKEN".into()),
                ("<YOUR_KEY>".into(), "KEY".into())
            ]
        );
    }

    #[test]
    fn ignores_heredocs_redirections_and_variables() {
        assert!(find("cat <<EOF\n").is_empty());
        assert!(find("cat < file > out").is_empty());
        assert!(find("echo $YOUR_TOKEN ${YOUR_X}").is_empty());
        assert!(find("tours-your-thing").is_empty());
        assert!(find("<(ls)").is_empty());
    }
}
