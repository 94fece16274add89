//! Putting a value into a script as data.
//!
//! A placeholder or an env-prefix literal is replaced by the bound value,
//! quoted for the exact context it sits in, so that no value can end a quote,
//! start a substitution or end a heredoc: the result always reads back as the
//! same literal string.

use super::foreign::ProgramText;
use super::{PlaceholderUse, Quoting};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error(
        "the value contains a line `{0}` (or `{0})`), which would end the heredoc it is written in"
    )]
    EndsHeredoc(String),
    #[error("the value contains a NUL byte, which bash cannot hold")]
    Nul,
    #[error(
        "the value {0:?} is not an integer; it is placed where bash evaluates arithmetic, which would run any `$(…)` in a subscript, so only integers are allowed there"
    )]
    Arithmetic(String),
    #[error(
        "the value is placed in code that {0} reads again as shell, so quoting cannot keep it data; only letters, digits and _@%+=:,./- are allowed there"
    )]
    InnerShell(String),
    #[error(
        "the value is placed inside nested backticks; only letters, digits and _@%+=:,./- are allowed there"
    )]
    NestedBackticks,
    #[error(
        "the value {0:?} starts with `-` where it begins an argument, so the command would read it as an option"
    )]
    Option(String),
    #[error(
        "the value {0:?} is taken there as a variable's name, whose subscript bash would evaluate (running any `$(…)` in it); only a name (letters, digits and _) is allowed there"
    )]
    Name(String),
    #[error(
        "the value is expanded there as a prompt (`@P`), which runs any `$(…)` in it; only letters, digits and _@%+=:,./- are allowed there"
    )]
    Prompt,
    #[error(
        "the value is placed in the program text of {0}, which runs it as code whatever the shell quoting; only an integer, or letters, digits and _@%+=:,./- inside one of its strings or patterns (without the character that ends it), is data there; pass the value as data instead (awk -v, jq --arg, an environment variable)"
    )]
    ProgramText(&'static str),
}

/// Where bash (or the program it starts) reads a value again, beyond its
/// quoting: as arithmetic, as another shell's code, as a variable's name,
/// as a prompt, as another language's program. Both a placeholder's value
/// and a bound variable's (`$NAME`) meet these, and so does whatever is
/// assigned to a variable read there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadAgain {
    /// Bash evaluates the text as arithmetic (`$((…))`, `((…))`, `let`,
    /// subscripts, `[[ … -gt … ]]`…), where `a[$(cmd)]` runs `cmd`.
    pub arithmetic: bool,
    /// The code of another shell (`bash -c '…'`, `eval`, `ssh host '…'`,
    /// a heredoc fed to a shell): what that program is.
    pub inner_shell: Option<String>,
    /// Bash takes the text as a variable's name (`read <name>`,
    /// `declare "<name>=1"`, `${!NAME}`): only a name is data there.
    pub names_a_variable: bool,
    /// `${NAME@P}`: expanded as a prompt, `$(…)` included.
    pub prompt: bool,
    /// In another language's program text (`awk '{print "<x>"}'`).
    pub program_text: Option<ProgramText>,
}

impl ReadAgain {
    /// Why `value` cannot be data there, if it cannot; `shown` is how the
    /// message quotes it (masked when secret).
    pub fn refuses(&self, value: &str, shown: &str) -> Option<QuoteError> {
        if self.arithmetic && !is_integer(value) {
            return Some(QuoteError::Arithmetic(shown.to_owned()));
        }
        if let Some(program) = &self.inner_shell
            && !is_plain(value)
        {
            return Some(QuoteError::InnerShell(program.clone()));
        }
        if self.names_a_variable && !super::is_name(value) {
            return Some(QuoteError::Name(shown.to_owned()));
        }
        if self.prompt && !is_plain(value) {
            return Some(QuoteError::Prompt);
        }
        if let Some(text) = self.program_text
            && !text.takes(value)
        {
            return Some(QuoteError::ProgramText(text.language.name()));
        }
        None
    }

    /// Whether bash reads the value only once, as the data it is.
    pub fn is_none(&self) -> bool {
        *self == ReadAgain::default()
    }

    /// Adds what `other` requires; whether anything was added.
    pub fn merge(&mut self, other: &ReadAgain) -> bool {
        let before = self.clone();
        self.arithmetic |= other.arithmetic;
        if self.inner_shell.is_none() {
            self.inner_shell.clone_from(&other.inner_shell);
        }
        self.names_a_variable |= other.names_a_variable;
        self.prompt |= other.prompt;
        // Of two places in program text, the stricter one decides.
        match (self.program_text, other.program_text) {
            (None, theirs) => self.program_text = theirs,
            (Some(ours), Some(theirs)) if theirs.is_stricter_than(&ours) => {
                self.program_text = Some(theirs);
            }
            _ => {}
        }
        *self != before
    }
}

/// The text that stands for `value` at a placeholder: quoted for its
/// quoting, escaped once more for each backtick substitution around it
/// (bash removes a level of `\` before `$`, `` ` `` and `\` there), and
/// refused where bash would read it again as code: arithmetic (integers
/// only) and another shell's code (plain words only).
pub fn place(value: &str, at: &PlaceholderUse) -> Result<String, QuoteError> {
    if let Some(error) = at.read_again.refuses(value, value) {
        return Err(error);
    }
    if at.deep && !is_plain(value) {
        return Err(QuoteError::NestedBackticks);
    }
    // `kubectl delete pod <name>` with `--all` deletes every pod. (Numbers
    // such as `-1` are values, not options.)
    if at.starts_word && !at.read_again.arithmetic && value.starts_with('-') && !is_integer(value) {
        return Err(QuoteError::Option(value.to_owned()));
    }
    let mut text = quote(value, at.quoting, at.heredoc_delimiter.as_deref())?;
    for _ in 0..at.backticks {
        text = escape(&text, &['\\', '$', '`']);
    }
    Ok(text)
}

/// A decimal integer, optionally signed: all bash arithmetic can take as data.
pub fn is_integer(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Characters no shell gives a meaning to (empty included).
pub fn is_plain(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
}

/// The text that stands for `value` in a context with the given quoting.
pub fn quote(
    value: &str,
    quoting: Quoting,
    heredoc_delimiter: Option<&str>,
) -> Result<String, QuoteError> {
    if value.contains('\0') {
        return Err(QuoteError::Nul);
    }
    match quoting {
        Quoting::Unquoted => Ok(unquoted(value)),
        Quoting::Double => Ok(escape(value, &['\\', '$', '`', '"'])),
        Quoting::Single => Ok(value.replace('\'', r"'\''")),
        Quoting::AnsiC => Ok(escape(value, &['\\', '\''])),
        Quoting::Heredoc | Quoting::HeredocLiteral => {
            if let Some(delimiter) = heredoc_delimiter
                && value.split('\n').any(|line| ends_heredoc(line, delimiter))
            {
                return Err(QuoteError::EndsHeredoc(delimiter.to_owned()));
            }
            Ok(if quoting == Quoting::Heredoc {
                escape(value, &['\\', '$', '`'])
            } else {
                value.to_owned()
            })
        }
    }
}

/// Whether a line of a heredoc's body ends it: the delimiter alone (after
/// tabs, which `<<-` strips), or, inside `$(…)`, followed by `)` (bash 5.2
/// ends the heredoc at `EOF)` and `EOF )` there).
pub fn ends_heredoc(line: &str, delimiter: &str) -> bool {
    let line = line.trim_start_matches('\t').trim_end_matches('\r');
    line.strip_prefix(delimiter).is_some_and(|rest| {
        rest.is_empty() || rest.trim_start_matches([' ', '\t']).starts_with(')')
    })
}

/// A word on its own: bare if it holds only safe characters, else in single quotes.
pub fn unquoted(value: &str) -> String {
    if !value.is_empty() && is_plain(value) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn escape(value: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Hostile values, each checked through a real bash in every context.
    const HOSTILE: &[&str] = &[
        "plain",
        "two words",
        "x\"; rm -rf ~; echo \"",
        "$(touch /tmp/litops-pwned)",
        "`touch /tmp/litops-pwned`",
        "'; touch /tmp/litops-pwned; '",
        "a\nb",
        "\\",
        "$HOME",
        "${IFS}",
        "*",
        "!",
        "",
        "EOF",
        "tab\there",
        "ünïcödé",
    ];

    fn bash_echo(script: &str) -> String {
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn every_context_reads_back_the_same_literal() {
        for value in HOSTILE {
            let u = quote(value, Quoting::Unquoted, None).expect("quote");
            let d = quote(value, Quoting::Double, None).expect("quote");
            let s = quote(value, Quoting::Single, None).expect("quote");
            let script = format!("printf '%s|' {u} \"{d}\" '{s}'");
            let want = format!("{v}|{v}|{v}|", v = value);
            assert_eq!(bash_echo(&script), want, "value {value:?}");
            if *value != "EOF" {
                let h = quote(value, Quoting::Heredoc, Some("EOF")).expect("quote");
                let script = format!("cat <<EOF\n{h}\nEOF");
                assert_eq!(
                    bash_echo(&script),
                    format!("{value}\n"),
                    "heredoc {value:?}"
                );
            }
        }
        assert!(!std::path::Path::new("/tmp/litops-pwned").exists());
    }

    /// Every value through a real bash, placed by `place` in each backtick
    /// context; values refused there are refused, never mangled.
    #[test]
    fn backticks_and_refused_contexts_through_bash() {
        let contexts = [
            "printf '%s|' `printf '%s' <v>`",
            "printf '%s|' `printf '%s' \"<v>\"`",
            "printf '%s|' \"`printf '%s' \"<v>\"`\"",
            "printf '%s|' \"`printf '%s' '<v>'`\"",
            "printf '%s|' \"$(printf '%s' \"`printf '%s' \"<v>\"`\")\"",
        ];
        for template in contexts {
            let script = crate::shell::read(template);
            let at = &script.placeholders[0];
            assert_eq!(at.backticks, 1, "{template}");
            for value in HOSTILE.iter().filter(|v| !v.contains('\n')) {
                let text = place(value, at).expect("placed");
                let full = format!(
                    "{}{}{}",
                    &template[..at.span.start],
                    text,
                    &template[at.span.end..]
                );
                let out = bash_echo(&full);
                // Quoted inside and out: exactly the literal (elsewhere bash
                // splits the result into words, as it would the literal's).
                if template.starts_with("printf '%s|' \"") {
                    assert_eq!(out, format!("{value}|"), "{full}");
                }
            }
        }
        assert!(!std::path::Path::new("/tmp/litops-pwned").exists());
        let arithmetic = crate::shell::read("echo $(( <v> + 1 ))");
        assert_eq!(
            place("a[$(touch x)]", &arithmetic.placeholders[0]),
            Err(QuoteError::Arithmetic("a[$(touch x)]".into()))
        );
        assert_eq!(place("-12", &arithmetic.placeholders[0]), Ok("-12".into()));
        let inner = crate::shell::read("ssh -p 22 host 'uptime; echo <v>'");
        assert_eq!(
            place("a;b", &inner.placeholders[0]),
            Err(QuoteError::InnerShell("ssh host".into()))
        );
    }

    #[test]
    fn heredoc_delimiter_lines_are_refused() {
        assert_eq!(
            quote("a\nEOF\nb", Quoting::Heredoc, Some("EOF")),
            Err(QuoteError::EndsHeredoc("EOF".into()))
        );
        assert_eq!(quote("a\0b", Quoting::Unquoted, None), Err(QuoteError::Nul));
        // Inside `$(…)`, bash 5.2 ends the heredoc at a line `EOF)`.
        assert_eq!(
            quote("x\nEOF)\ntouch y", Quoting::Heredoc, Some("EOF")),
            Err(QuoteError::EndsHeredoc("EOF".into()))
        );
        assert_eq!(
            quote("x\n\tEOF\r", Quoting::HeredocLiteral, Some("EOF")),
            Err(QuoteError::EndsHeredoc("EOF".into()))
        );
        for kept in ["an EOF here", "EOFX", "EOF;", "EOF #)", " EOF)"] {
            assert_eq!(quote(kept, Quoting::Heredoc, Some("EOF")), Ok(kept.into()));
        }
        assert!(quote("EOF \t)", Quoting::Heredoc, Some("EOF")).is_err());
        // `<<''` ends at an empty line.
        assert!(quote("a\n\nb", Quoting::HeredocLiteral, Some("")).is_err());
        assert!(quote("a\nb", Quoting::HeredocLiteral, Some("")).is_ok());
    }
}
