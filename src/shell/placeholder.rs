//! Placeholders: the parts of a command its author meant you to replace —
//! `<pod-name>`, `your-project-id`, `YOUR_API_TOKEN` — and the template
//! tags a site generator fills in before a reader sees the page: Hugo
//! shortcodes (`{{< param "fullversion" >}}`, `{{% skew currentVersion %}}`)
//! and ERB (`<%= node_version %>`). Run as text they would be garbage, so
//! they need a value like any placeholder.
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
    let mut starts = Starts::new(bytes);
    let mut i = 0;
    while let Some(at) = starts.next_from(i) {
        i = at;
        let end = template(text, i)
            .or_else(|| angle(bytes, i))
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

/// Where a placeholder can start: at `<` or `{`, or where `your-` or
/// `YOUR_` is written. Found with memchr and memmem instead of a byte at a
/// time (this runs over every block); each search's next hit is kept until
/// the reading passes it, so the text is searched once for each.
struct Starts<'t> {
    bytes: &'t [u8],
    /// For `<`/`{`, `your-`, `YOUR_`: the next hit at or after where it was
    /// last searched from (`None`: no more; the reading only moves on).
    next: [Option<usize>; 3],
}

impl<'t> Starts<'t> {
    fn new(bytes: &'t [u8]) -> Starts<'t> {
        let mut starts = Starts {
            bytes,
            next: [None; 3],
        };
        for kind in 0..3 {
            starts.search(kind, 0);
        }
        starts
    }

    fn search(&mut self, kind: usize, from: usize) {
        let rest = self.bytes.get(from..).unwrap_or(&[]);
        let hit = match kind {
            0 => memchr::memchr2(b'<', b'{', rest),
            1 => memchr::memmem::find(rest, b"your-"),
            _ => memchr::memmem::find(rest, b"YOUR_"),
        };
        self.next[kind] = hit.map(|i| from + i);
    }

    /// The first possible start at or after `from`.
    fn next_from(&mut self, from: usize) -> Option<usize> {
        for kind in 0..3 {
            if self.next[kind].is_some_and(|at| at < from) {
                self.search(kind, from);
            }
        }
        self.next.iter().flatten().min().copied()
    }
}

/// Openings of template tags and the closing each needs.
const TEMPLATES: &[(&str, &[&str])] =
    &[("{{<", &[">}}"]), ("{{%", &["%}}"]), ("<%", &["-%>", "%>"])];

/// A template tag starting at `i`, closed on the same line: its end.
fn template(text: &str, i: usize) -> Option<usize> {
    // `find` walks bytes; a tag starts with ASCII, so never inside a character.
    let rest = text.get(i..)?;
    let (open, closes) = TEMPLATES.iter().find(|(open, _)| rest.starts_with(open))?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    closes
        .iter()
        .filter_map(|close| {
            line[open.len()..]
                .find(close)
                .map(|at| open.len() + at + close.len())
        })
        .min()
        .map(|len| i + len)
}

/// `{{< skew currentVersion >}}` → `SKEW_CURRENT_VERSION`,
/// `{{< param "fullversion" >}}` → `FULLVERSION` (Hugo's `param` only reads
/// a site parameter, so the parameter names it), `<%= @node_version %>` →
/// `NODE_VERSION`.
fn template_name(written: &str) -> Option<String> {
    let (open, closes) = TEMPLATES
        .iter()
        .find(|(open, _)| written.starts_with(open))?;
    let close = closes.iter().find(|c| written.ends_with(*c))?;
    let inner = written.get(open.len()..written.len() - close.len())?;
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous: Option<char> = None;
    for c in inner.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() {
            // camelCase parts are words of their own.
            if c.is_ascii_uppercase()
                && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                && !word.is_empty()
            {
                words.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_uppercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous = Some(c);
    }
    if words.len() > 1 && words[0] == "PARAM" {
        words.remove(0);
    }
    let name = words.join("_");
    Some(match name.chars().next() {
        None => "TEMPLATE".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("TEMPLATE_{name}"),
        Some(_) => name,
    })
}

/// The variable a placeholder's text stands for.
pub fn variable_name(written: &str) -> String {
    if let Some(name) = template_name(written) {
        return name;
    }
    let inner = written.trim_start_matches('<').trim_end_matches('>');
    let inner = ["your-", "YOUR_", "your_", "YOUR-"]
        .iter()
        .find_map(|p| inner.strip_prefix(p))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(inner);
    upper_snake(inner)
}

/// `pod-name` → `POD_NAME`: letters and digits upper-cased, anything else `_`.
pub fn upper_snake(text: &str) -> String {
    text.chars()
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
    // `<pod-name>`, and what people write in prose: `<path/to/key.pem>`,
    // `<pid of the process>`. Not `<in.txt >out` (a space before `>`) nor
    // `<in.txt>out` (a word after it): those are redirections.
    let mut j = i + 2;
    let (mut spaces, mut path) = (0, false);
    while j < bytes.len() && j - i <= 64 {
        match bytes[j] {
            c if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' => {}
            b'.' | b'/' => path = true,
            b' ' if bytes[j - 1] != b' ' => spaces += 1,
            _ => break,
        }
        j += 1;
    }
    if bytes.get(j) != Some(&b'>') || bytes[j - 1] == b' ' {
        return None;
    }
    let after = bytes.get(j + 1).copied();
    if (path || spaces > 0)
        && after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'/' || c == b'.')
    {
        return None;
    }
    (spaces <= 6).then_some(j + 1)
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
    fn every_kind_is_found_wherever_the_others_are() {
        // Starts of each kind before, between and inside the others'.
        let text = "y {a} yes <b> YOUR_C your-<d> {{< e >}} x<f>your-g <% h %> Y";
        let found: Vec<&str> = find(text)
            .iter()
            .map(|c| &text[c.span.start..c.span.end])
            .collect();
        assert_eq!(
            found,
            [
                "<b>",
                "YOUR_C",
                "<d>",
                "{{< e >}}",
                "<f>",
                "your-g",
                "<% h %>"
            ]
        );
    }

    #[test]
    fn ignores_heredocs_redirections_and_variables() {
        assert!(find("cat <<EOF\n").is_empty());
        assert!(find("cat < file > out").is_empty());
        assert!(find("sort <in.txt >out.txt").is_empty());
        assert!(find("sort <in.txt>out.txt").is_empty());
        assert_eq!(
            names("gdb -p <pid of the process> --key=<path/to/private.key> NODE=<instance label>"),
            vec![
                ("<pid of the process>".into(), "PID_OF_THE_PROCESS".into()),
                ("<path/to/private.key>".into(), "PATH_TO_PRIVATE_KEY".into()),
                ("<instance label>".into(), "INSTANCE_LABEL".into()),
            ]
        );
        assert!(find("echo $YOUR_TOKEN ${YOUR_X}").is_empty());
        assert!(find("tours-your-thing").is_empty());
        assert!(find("<(ls)").is_empty());
    }

    #[test]
    fn template_tags_are_placeholders() {
        assert_eq!(
            names("curl -LO https://dl.k8s.io/v{{< param \"fullversion\" >}}/kubectl"),
            vec![("{{< param \"fullversion\" >}}".into(), "FULLVERSION".into())]
        );
        assert_eq!(
            names("kubeadm upgrade apply {{% skew currentVersion %}}.x"),
            vec![(
                "{{% skew currentVersion %}}".into(),
                "SKEW_CURRENT_VERSION".into()
            )]
        );
        assert_eq!(
            names("nvm install <%= @node_version %> && echo <%- node['app']['dir'] -%>"),
            vec![
                ("<%= @node_version %>".into(), "NODE_VERSION".into()),
                ("<%- node['app']['dir'] -%>".into(), "NODE_APP_DIR".into())
            ]
        );
        assert_eq!(names("echo {{< >}} <%= 1 %>")[0].1, "TEMPLATE");
        assert_eq!(names("echo <%= 1 %>")[0].1, "TEMPLATE_1");
    }

    #[test]
    fn go_templates_and_unclosed_tags_are_left_alone() {
        // kubectl's own templates run as written.
        assert!(find("kubectl get po -o go-template='{{.metadata.name}}'").is_empty());
        assert!(find("echo {{< param x\n>}}").is_empty());
        assert!(find("echo <%= x").is_empty());
        assert!(find("echo \u{202e}é <%").is_empty());
    }
}
