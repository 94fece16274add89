//! Secrets: a [`Sensitive`] text carries what runs and what is shown side
//! by side, and the [`Redactor`] masks values wherever litops shows or
//! records text that may hold a secret (a script as run, a step's output, check messages, transcripts,
//! `--json` events, logs), each secret's value is replaced by
//! `[REDACTED:NAME]`.
//!
//! Secrets are: variables declared `secret` or named like one (PASSWORD,
//! TOKEN, KEY…), values bound with `--secret-file`, and environment
//! variables named like secrets (the steps inherit them and may print them).
//! Values shorter than three characters are not searched for (eight for the
//! environment, which holds many short flags): masking every `a` would make
//! output unreadable and protect nothing real.
//!
//! Output arrives in chunks, and a secret can straddle two of them;
//! [`StreamRedactor`] holds back a chunk's tail while it could still be the
//! start of a secret.

use std::borrow::Cow;

use regex::bytes::Regex;

use crate::bind::Bindings;
use crate::model::{Runbook, is_secret_name, is_secret_value};

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (value, mask), longest value first so that a secret containing
    /// another is masked whole.
    secrets: Vec<(String, String)>,
    /// All values as one alternation (leftmost, then longest first).
    pattern: Option<Regex>,
    too_short: Vec<String>,
}

/// A value and the forms shells and JSON escape it into, each different.
/// `printf %q` as bash 5 writes a value without control characters
/// (`sh_backslash_quote`).
fn bash_printf_q(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    let mut previous = None;
    for (i, c) in value.chars().enumerate() {
        let escaped = match c {
            ' ' | '\t' | '\n' | '\'' | '"' | '\\' | '|' | '&' | ';' | '(' | ')' | '<' | '>'
            | '!' | '{' | '}' | '*' | '[' | '?' | ']' | '^' | '$' | '`' | ',' => true,
            '~' => i == 0 || matches!(previous, Some('=' | ':')),
            '#' => i == 0,
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

fn escaped_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let mut push = |form: String| {
        if !forms.contains(&form) {
            forms.push(form);
        }
    };
    // Backslash escapes (what litops writes itself), and bash's own
    // `printf %q` without control characters: it leaves `#` alone but at
    // the start, `~` but at the start or after `=` or `:`, and every
    // character outside ASCII.
    push(escape_with(value, |c| {
        (!(c.is_alphanumeric() || "_@%+=:,./-".contains(c))).then(|| format!("\\{c}"))
    }));
    push(bash_printf_q(value));
    // `$'…'` (`declare -p` and `%q` with control characters), and the same
    // in the C locale, where every byte outside ASCII is octal too.
    for c_locale in [false, true] {
        push(escape_with(value, |c| ansi_c_escape(c, c_locale)));
    }
    // A JSON string, as serde and most writers make it; with `/` as `\/`
    // (PHP's `json_encode`) and DEL as `\u007f` (jq); and each with every
    // character outside ASCII as `\uXXXX` (Python's `json.dumps`, `jq -a`).
    if let Ok(json) = serde_json::to_string(value) {
        let json = &json[1..json.len() - 1];
        let ascii = |json: &str| {
            escape_with(json, |c| {
                (!c.is_ascii()).then(|| {
                    let mut units = [0u16; 2];
                    c.encode_utf16(&mut units)
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect()
                })
            })
        };
        for slash in [false, true] {
            for del in [false, true] {
                let mut form = json.to_owned();
                if slash {
                    form = form.replace('/', "\\/");
                }
                if del {
                    form = form.replace('\u{7f}', "\\u007f");
                }
                push(ascii(&form));
                push(form);
            }
        }
    }
    // As litops's own messages quote it (Rust's `{:?}`).
    let debug = format!("{value:?}");
    push(debug[1..debug.len() - 1].to_owned());
    // Inside double quotes (`declare -p`, and litops placing it), single
    // quotes (`set -x`, `'\''` joins), a heredoc and `$'…'` (litops placing
    // it); and each of those escaped once more, as litops places a value
    // inside backticks.
    let heredoc = escape_with(value, |c| {
        matches!(c, '\\' | '$' | '`').then(|| format!("\\{c}"))
    });
    let ansi_c = escape_with(value, |c| {
        matches!(c, '\\' | '\'').then(|| format!("\\{c}"))
    });
    let double = escape_with(value, |c| {
        matches!(c, '\\' | '$' | '"' | '`').then(|| format!("\\{c}"))
    });
    let single = value.replace('\'', r"'\''");
    for form in [heredoc, ansi_c, double, single] {
        let in_backticks = escape_with(&form, |c| {
            matches!(c, '\\' | '$' | '`').then(|| format!("\\{c}"))
        });
        push(form);
        push(in_backticks);
    }
    forms
}

/// How bash writes a character inside `$'…'`, if not as itself.
fn ansi_c_escape(c: char, c_locale: bool) -> Option<String> {
    let letter = match c {
        '\\' => "\\\\",
        '\'' => "\\'",
        '\n' => "\\n",
        '\t' => "\\t",
        '\r' => "\\r",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\u{b}' => "\\v",
        '\u{c}' => "\\f",
        '\u{1b}' => "\\E",
        c if c.is_ascii_control() => return Some(format!("\\{:03o}", c as u32)),
        c if c_locale && !c.is_ascii() => {
            let mut bytes = [0; 4];
            let octal = c
                .encode_utf8(&mut bytes)
                .bytes()
                .map(|b| format!("\\{b:03o}"));
            return Some(octal.collect());
        }
        _ => return None,
    };
    Some(letter.to_owned())
}

fn escape_with(value: &str, escape: impl Fn(char) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match escape(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    out
}

/// Every secret value a run of `runbook` with `bindings` can meet, as
/// (name, value): bound values of secrets, their declared defaults and the
/// values written for them in the document.
pub fn secret_values(runbook: &Runbook, bindings: &Bindings) -> Vec<(String, String)> {
    let mut secrets: Vec<(String, String)> = Vec::new();
    for var in runbook.variables.iter().filter(|v| v.secret) {
        let bound = bindings.get(&var.name).map(|b| b.value.as_str());
        let defaults = var.declared.as_ref().and_then(|d| d.default.as_deref());
        for value in bound
            .into_iter()
            .chain(defaults)
            .chain(var.document_values())
        {
            secrets.push((var.name.clone(), value.to_owned()));
        }
    }
    for (name, bound) in &bindings.values {
        if bindings.is_masked(runbook, name) {
            secrets.push((name.clone(), bound.value.clone()));
        }
    }
    // Values a block assigns to a name like a secret (`export
    // API_TOKEN=abc123`), as they run and as they are written
    // (`"abc"123`): the run shows and records both.
    for step in &runbook.steps {
        let text = step.text.as_str();
        for a in step
            .script
            .assignments
            .iter()
            .filter(|a| is_secret_name(&a.name))
        {
            let Some(literal) = &a.literal else {
                continue;
            };
            secrets.push((a.name.clone(), literal.clone()));
            // Written split by quotes: masked as written too (a value in
            // one pair of quotes is masked inside them already).
            if let Some(written) = a.value_span.and_then(|v| text.get(v.start..v.end)) {
                let unwrapped = ['"', '\'']
                    .iter()
                    .find_map(|q| written.strip_prefix(*q)?.strip_suffix(*q))
                    .unwrap_or(written);
                if unwrapped != literal {
                    secrets.push((a.name.clone(), written.to_owned()));
                }
            }
        }
    }
    secrets
}

/// Text as it runs and as it is shown: a script or value with secrets
/// placed. It displays, debugs and serialises as the shown form (secret
/// values masked); the real text only through [`Sensitive::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive {
    real: String,
    /// `None`: shown as it is (nothing secret in it).
    shown: Option<String>,
}

impl Sensitive {
    pub fn new(real: String, shown: String) -> Sensitive {
        let shown = (shown != real).then_some(shown);
        Sensitive { real, shown }
    }

    /// Text with nothing secret in it.
    pub fn plain(text: impl Into<String>) -> Sensitive {
        Sensitive {
            real: text.into(),
            shown: None,
        }
    }

    /// What runs.
    pub fn expose(&self) -> &str {
        &self.real
    }

    /// What people and records see.
    pub fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.real)
    }

    /// Shown as it runs: nothing in it is masked.
    pub fn is_plain(&self) -> bool {
        self.shown.is_none()
    }
}

impl std::fmt::Display for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.shown())
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sensitive({:?})", self.shown())
    }
}

impl serde::Serialize for Sensitive {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.shown())
    }
}

const MIN_LEN: usize = 3;
const MIN_ENV_LEN: usize = 8;

impl Redactor {
    pub fn new(runbook: &Runbook, bindings: &Bindings) -> Redactor {
        Redactor::for_run(secret_values(runbook, bindings))
    }

    /// The secrets given (a plan's), and environment variables that look
    /// like secrets: the steps inherit them and may print them.
    pub fn for_run(secrets: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut redactor = Redactor::default();
        redactor.add(secrets);
        redactor.add_environment();
        redactor.compiled()
    }

    fn add_environment(&mut self) {
        self.add(std::env::vars().filter(|(name, value)| {
            (is_secret_name(name) && value.len() >= MIN_ENV_LEN) || is_secret_value(value)
        }));
    }

    /// [`Redactor::new`], and the literal values a block assigns to a name
    /// like a secret (`export API_TOKEN=abc123`): for showing a document
    /// (`list`, `plan`), where those are written in the commands.
    pub fn for_document(runbook: &Runbook, bindings: &Bindings) -> Redactor {
        Redactor::new(runbook, bindings)
    }

    /// From (name, value) pairs.
    pub fn from_secrets(secrets: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut redactor = Redactor::default();
        redactor.add(secrets);
        redactor.compiled()
    }

    /// Adds secrets; [`Redactor::compiled`] makes the pattern, once for all
    /// of them (compiling it costs more than reading a runbook).
    fn add(&mut self, secrets: impl IntoIterator<Item = (String, String)>) {
        for (name, value) in secrets {
            if value.len() < MIN_LEN {
                if !value.is_empty() && !self.too_short.contains(&name) {
                    self.too_short.push(name);
                }
                continue;
            }
            // The value as shells and JSON print it too (`declare -p`,
            // `set -x`, `printf %q`, `$'…'`): each of those forms is the
            // secret all the same.
            for form in escaped_forms(&value) {
                if !self.secrets.iter().any(|(v, _)| *v == form) {
                    self.secrets.push((form, format!("[REDACTED:{name}]")));
                }
            }
        }
    }

    fn compiled(mut self) -> Redactor {
        self.secrets
            .sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        let alternatives: Vec<String> =
            self.secrets.iter().map(|(v, _)| regex::escape(v)).collect();
        self.pattern = if alternatives.is_empty() {
            None
        } else {
            // Escaped literals: this cannot fail short of the size limit.
            regex::bytes::RegexBuilder::new(&alternatives.join("|"))
                .size_limit(64 << 20)
                .build()
                .ok()
        };
        self
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Secrets too short to be masked (shorter than three characters):
    /// their values can appear in output, and the run says so.
    pub fn too_short(&self) -> &[String] {
        &self.too_short
    }

    fn mask_of(&self, value: &[u8]) -> &str {
        self.secrets
            .iter()
            .find(|(v, _)| v.as_bytes() == value)
            .map_or("[REDACTED]", |(_, m)| m.as_str())
    }

    pub fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.apply_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Whole UTF-8 values replaced by ASCII masks: still UTF-8.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    pub fn apply_bytes<'t>(&self, data: &'t [u8]) -> Cow<'t, [u8]> {
        match &self.pattern {
            None => Cow::Borrowed(data),
            Some(pattern) => pattern.replace_all(data, |caps: &regex::bytes::Captures| {
                self.mask_of(&caps[0]).as_bytes().to_vec()
            }),
        }
    }

    /// Masks back to values: for resuming a run from its redacted record.
    pub fn unredact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (value, mask) in &self.secrets {
            if out.contains(mask.as_str()) {
                out = out.replace(mask.as_str(), value);
            }
        }
        out
    }

    /// How many trailing bytes of `data` could begin a secret.
    fn partial_tail(&self, data: &[u8]) -> usize {
        let longest = self.secrets.first().map_or(0, |(v, _)| v.len());
        let max = longest.saturating_sub(1).min(data.len());
        (1..=max)
            .rev()
            .find(|&n| {
                let tail = &data[data.len() - n..];
                self.secrets
                    .iter()
                    .any(|(v, _)| v.len() > n && v.as_bytes().starts_with(tail))
            })
            .unwrap_or(0)
    }
}

/// Redaction over a stream of chunks (one per output stream of a step).
#[derive(Debug, Default)]
pub struct StreamRedactor {
    pending: Vec<u8>,
}

impl StreamRedactor {
    /// The redacted bytes that can be shown now.
    pub fn feed<'d>(&mut self, redactor: &Redactor, data: &'d [u8]) -> Cow<'d, [u8]> {
        if redactor.is_empty() {
            return Cow::Borrowed(data);
        }
        let mut joined = std::mem::take(&mut self.pending);
        joined.extend_from_slice(data);
        let replaced = redactor.apply_bytes(&joined).into_owned();
        let keep = redactor.partial_tail(&replaced);
        let (now, later) = replaced.split_at(replaced.len() - keep);
        self.pending = later.to_vec();
        Cow::Owned(now.to_vec())
    }

    /// What is still held back, at the end of the stream.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::{Bound, Origin};
    use crate::load::from_text;

    #[test]
    fn secret_values_are_masked_wherever_they_appear() {
        let rb = from_text(
            "t.md",
            "```bash\nDB_PASSWORD=hunter22 psql\necho $API_TOKEN $REGION\n```\n",
        );
        let mut bindings = Bindings::default();
        for (name, value) in [("API_TOKEN", "tok-123456"), ("REGION", "eu-west-1")] {
            bindings.values.insert(
                name.into(),
                Bound {
                    value: value.into(),
                    source: Origin::Set,
                },
            );
        }
        let r = Redactor::new(&rb, &bindings);
        assert_eq!(
            r.apply("x=hunter22 y=tok-123456 z=eu-west-1"),
            "x=[REDACTED:DB_PASSWORD] y=[REDACTED:API_TOKEN] z=eu-west-1"
        );
        assert!(matches!(r.apply("nothing here"), Cow::Borrowed(_)));
        assert_eq!(r.unredact("x=[REDACTED:DB_PASSWORD]"), "x=hunter22");
    }

    #[test]
    fn a_document_masks_bound_secrets_and_the_ones_it_assigns_longest_first() {
        let rb = from_text(
            "t.md",
            "```bash\nexport API_TOKEN=abc123\necho $DB_PASSWORD\n```\n",
        );
        let mut bindings = Bindings::default();
        bindings.values.insert(
            "DB_PASSWORD".into(),
            Bound {
                value: "abc123456".into(),
                source: Origin::Set,
            },
        );
        let r = Redactor::for_document(&rb, &bindings);
        // The longer value first: `abc123` inside it is not masked apart.
        assert_eq!(
            r.apply("a=abc123 b=abc123456"),
            "a=[REDACTED:API_TOKEN] b=[REDACTED:DB_PASSWORD]"
        );
    }

    #[test]
    fn json_escapes_of_other_writers_are_masked() {
        let r = Redactor::from_secrets([("DB_PASSWORD".to_owned(), "Zq9/s\u{7f}c/ü".to_owned())]);
        for form in ["\"Zq9\\/s\\u007fc\\/ü\"", "\"Zq9/s\\u007fc/\\u00fc\""] {
            assert_eq!(r.apply(form), "\"[REDACTED:DB_PASSWORD]\"", "{form}");
        }
    }

    /// Bash's `printf %q` leaves `#` and `~` inside a word, and letters
    /// outside ASCII, as they are (checked against bash 5.2).
    #[test]
    fn bash_printf_q_forms_are_masked() {
        for (secret, form) in [
            ("hunter 22#xyz", "hunter\\ 22#xyz"),
            ("hunter 22~xyz", "hunter\\ 22~xyz"),
            ("hun€ter 22", "hun€ter\\ 22"),
            ("#a,b", "\\#a\\,b"),
        ] {
            let r = Redactor::from_secrets([("API_TOKEN".to_owned(), secret.to_owned())]);
            assert_eq!(
                r.apply(&format!("{form}\n")),
                "[REDACTED:API_TOKEN]\n",
                "{secret}"
            );
        }
    }

    #[test]
    fn secret_files_are_secret_whatever_the_name() {
        let rb = from_text("t.md", "```bash\necho $CERT\n```\n");
        let mut bindings = Bindings::default();
        bindings.values.insert(
            "CERT".into(),
            Bound {
                value: "-----BEGIN".into(),
                source: Origin::SecretFile("c.pem".into()),
            },
        );
        let r = Redactor::new(&rb, &bindings);
        assert_eq!(r.apply("got -----BEGIN"), "got [REDACTED:CERT]");
    }

    #[test]
    fn sensitive_text_is_shown_masked_in_every_form() {
        let script = Sensitive::new(
            "psql 'hunter22'".to_owned(),
            "psql '[REDACTED:PW]'".to_owned(),
        );
        assert_eq!(script.expose(), "psql 'hunter22'");
        assert_eq!(script.to_string(), "psql '[REDACTED:PW]'");
        assert_eq!(
            format!("{script:?}"),
            r#"Sensitive("psql '[REDACTED:PW]'")"#
        );
        assert_eq!(
            serde_json::to_string(&script).unwrap_or_default(),
            r#""psql '[REDACTED:PW]'""#
        );
        assert_eq!(Sensitive::plain("ls").shown(), "ls");
        assert!(!script.is_plain());
        assert!(Sensitive::new("ls".into(), "ls".into()).is_plain());
    }

    /// A step that prints a secret with `declare -p` or `%q` prints it
    /// escaped, differently in the C locale (non-ASCII as octal bytes).
    #[test]
    fn secrets_as_bash_escapes_them_are_masked_in_every_locale() {
        let value = "pa\u{7}s\u{8}s\u{b}w\u{c}o\u{1}rd-é";
        let r = Redactor::from_secrets([("TOKEN".to_owned(), value.to_owned())]);
        for locale in ["C", "C.UTF-8"] {
            let out = std::process::Command::new("bash")
                .args([
                    "--norc",
                    "-c",
                    "declare -p TOKEN; printf '%q\\n' \"$TOKEN\"",
                ])
                .env("TOKEN", value)
                .env("LC_ALL", locale)
                .output()
                .expect("bash runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                r.apply(&text),
                "declare -x TOKEN=$'[REDACTED:TOKEN]'\n$'[REDACTED:TOKEN]'\n",
                "{locale}: {text}"
            );
        }
    }

    #[test]
    fn secrets_split_across_chunks_are_masked() {
        let r = Redactor::from_secrets([
            ("TOKEN".to_owned(), "s3cr3t-value".to_owned()),
            ("SHORT".to_owned(), "abc".to_owned()),
        ]);
        let text = b"a s3cr3t-value b abc c s3cr3t-value";
        // Every way of cutting the text into two and three chunks.
        for i in 0..text.len() {
            for j in i..text.len() {
                let mut stream = StreamRedactor::default();
                let mut out = Vec::new();
                for chunk in [&text[..i], &text[i..j], &text[j..]] {
                    out.extend_from_slice(&stream.feed(&r, chunk));
                }
                out.extend(stream.finish());
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    "a [REDACTED:TOKEN] b [REDACTED:SHORT] c [REDACTED:TOKEN]",
                    "cut at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn output_that_cannot_hold_a_secret_is_not_held_back() {
        let r = Redactor::from_secrets([("TOKEN".to_owned(), "s3cr3t".to_owned())]);
        let mut stream = StreamRedactor::default();
        assert_eq!(&*stream.feed(&r, b"progress: 10%\n"), b"progress: 10%\n");
        assert_eq!(&*stream.feed(&r, b"ends with s3c"), b"ends with ");
        assert_eq!(&*stream.feed(&r, b"x"), b"s3cx");
    }
}
