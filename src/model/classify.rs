//! What each code block is: a step as written, a step litops inferred, or
//! documentation, and why.
//!
//! A shell block (`bash`, `sh`…) is a step; a session block (`console`…)
//! is a step made of its prompted lines. Blocks without a language, and
//! session blocks without prompts, are steps only when their lines read as
//! shell commands (see [`crate::shell::classify`]); those steps are marked
//! inferred. Inside a block, output pasted under a command and input to a
//! REPL are taken out of what bash runs and kept for the reader.

use super::BlockRole;
use crate::shell::classify::{self, Dropped};
use crate::shell::prompt;
use crate::source::MappedText;
use crate::syntax::CodeBlock;

pub(super) const SHELL_LANGS: &[&str] = &["bash", "sh", "shell", "zsh", "ksh"];
/// Blocks that are never run, whatever they hold.
const OUTPUT_LANGS: &[&str] = &[
    "text",
    "txt",
    "output",
    "log",
    "plaintext",
    "plain",
    "none",
    "cmd",
];

/// A block that becomes a step.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    pub text: MappedText,
    /// Why the block is a step when it was not written as one.
    pub inferred: Option<String>,
    pub output: Vec<Dropped>,
    pub repl: Vec<Dropped>,
}

/// A block that does not become a step: its role and why.
pub(super) type NotAStep = (BlockRole, String);

/// How a code block (not a `rhai` check) is read.
pub(super) fn read(code: &CodeBlock, lang: &str) -> Result<Reading, NotAStep> {
    let content = &code.content;
    let no_copy = code
        .info
        .attrs
        .iter()
        .any(|a| a.key == "." && a.value.as_deref() == Some("no-copy"));
    if no_copy {
        return Err((
            BlockRole::Output,
            "marked `.no-copy`: text to read, never run".to_owned(),
        ));
    }
    if OUTPUT_LANGS.contains(&lang) {
        return Err((
            BlockRole::Output,
            format!("a `{lang}` block: text to read, never run"),
        ));
    }
    let session = prompt::is_session_lang(lang);
    if SHELL_LANGS.contains(&lang) {
        if let Some(s) = prompt::read(content, false) {
            return Ok(explicit(s.commands, s.repl));
        }
        let split = classify::split(content);
        if split.repl.is_empty() && !split.output.is_empty() && blank(&split.text) {
            return Err((
                BlockRole::Output,
                format!("a `{lang}` block of output only: {}", split.output[0].why),
            ));
        }
        return Ok(Reading {
            text: split.text,
            inferred: None,
            output: split.output,
            repl: split.repl,
        });
    }
    let what = if session {
        format!("a `{lang}` block without prompts")
    } else if lang.is_empty() && code.fence.is_some() && code.info.raw.is_empty() {
        "a block without a language".to_owned()
    } else if lang.is_empty() && code.fence.is_some() {
        // `{sql data-prompt="mysql> "}`: attributes for another tool.
        return Err((
            BlockRole::Output,
            format!(
                "a block with no language but `{}`: not read as shell",
                code.info.raw
            ),
        ));
    } else if lang.is_empty() {
        return Err((
            BlockRole::Output,
            "an indented code block: text to read, never run".to_owned(),
        ));
    } else {
        return Err((
            BlockRole::Data,
            format!("a `{lang}` block: not shell, never run"),
        ));
    };
    if let Some(s) = prompt::read(content, session)
        && (!blank(&s.commands) || !s.repl.is_empty())
    {
        if session {
            return Ok(explicit(s.commands, s.repl));
        }
        return Ok(Reading {
            text: s.commands,
            inferred: Some("a block without a language, with shell prompts".to_owned()),
            output: Vec::new(),
            repl: s.repl,
        });
    }
    let split = classify::split(content);
    if blank(&split.text) && !split.repl.is_empty() {
        return Ok(Reading {
            text: split.text,
            inferred: Some(format!("{what} holding input to {}", split.repl[0].why)),
            output: split.output,
            repl: split.repl,
        });
    }
    match classify::why_not_commands(split.text.as_str()) {
        None => Ok(Reading {
            text: split.text,
            inferred: Some(format!("{what} whose lines read as shell commands")),
            output: split.output,
            repl: split.repl,
        }),
        Some(why) => Err((BlockRole::Output, format!("{what}, not run: {why}"))),
    }
}

fn explicit(text: MappedText, repl: Vec<Dropped>) -> Reading {
    Reading {
        text,
        inferred: None,
        output: Vec::new(),
        repl,
    }
}

fn blank(text: &MappedText) -> bool {
    text.as_str()
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}
