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
use crate::syntax::fence::Click;

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
    /// `text` already read as bash, when it was.
    pub script: Option<crate::shell::Script>,
}

/// A block that does not become a step: its role and why.
pub(super) type NotAStep = (BlockRole, String);

/// How a code block (not a `rhai` check) is read.
pub(super) fn read(code: &CodeBlock, lang: &str) -> Result<Reading, NotAStep> {
    let content = &code.content;
    // Killercoda: `{{exec}}` runs the block in the terminal whatever its
    // language says; `{{copy}}` only copies it.
    let lang = match code.click {
        Some(Click::Copy) => {
            return Err((
                BlockRole::Data,
                "closed with `{{copy}}`: text to copy, never run".to_owned(),
            ));
        }
        Some(Click::Exec) if !SHELL_LANGS.contains(&lang) && !prompt::is_session_lang(lang) => {
            "bash"
        }
        _ => lang,
    };
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
        // `# TODO` or nothing: no command, and a step that does nothing
        // would be counted as done. (With annotations, such as `manual`,
        // the author made it a step on purpose.)
        let annotated = code.annotation.is_some() || !code.info.attrs.is_empty();
        if split.repl.is_empty() && blank(&split.text) && !annotated {
            return Err((
                BlockRole::Data,
                format!("a `{lang}` block of comments only: nothing to run"),
            ));
        }
        return Ok(Reading {
            text: split.text,
            inferred: None,
            output: split.output,
            repl: split.repl,
            script: split.script,
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
            script: None,
        });
    }
    // `#!/bin/sh` on top: the content of a script file to write, not
    // commands to type.
    if content.as_str().trim_start().starts_with("#!") {
        return Err((
            BlockRole::Output,
            format!("{what}, not run: it starts with `#!`, the content of a script file"),
        ));
    }
    let split = classify::split(content);
    if blank(&split.text) && !split.repl.is_empty() {
        return Ok(Reading {
            text: split.text,
            inferred: Some(format!("{what} holding input to {}", split.repl[0].why)),
            output: split.output,
            repl: split.repl,
            script: None,
        });
    }
    match classify::why_not_commands(split.text.as_str(), split.script.as_ref()) {
        None => Ok(Reading {
            text: split.text,
            inferred: Some(format!("{what} whose lines read as shell commands")),
            output: split.output,
            repl: split.repl,
            script: split.script,
        }),
        // `# kubectl get orphans` and its output: root's prompt, in a
        // block the author did not mark as a terminal session.
        Some(_)
            if !session
                && prompt::root_session(content.as_str())
                && let Some(s) = prompt::read(content, true)
                && !blank(&s.commands) =>
        {
            Ok(Reading {
                text: s.commands,
                inferred: Some(format!("{what}, with root prompts (`# command`)")),
                output: Vec::new(),
                repl: s.repl,
                script: None,
            })
        }
        Some(why) => Err((BlockRole::Output, format!("{what}, not run: {why}"))),
    }
}

fn explicit(text: MappedText, repl: Vec<Dropped>) -> Reading {
    Reading {
        text,
        inferred: None,
        output: Vec::new(),
        repl,
        script: None,
    }
}

fn blank(text: &MappedText) -> bool {
    text.as_str()
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::syntax::{self, Item};

    /// How the first code block of `text` is read: the script, or the
    /// block's role and why.
    fn read_first(text: &str) -> Result<(String, Option<String>, usize, usize), NotAStep> {
        let file = SourceFile::new("t.md", text);
        let doc = syntax::parse(&file);
        let code = doc
            .items
            .iter()
            .find_map(|i| match i {
                Item::Code(c) => Some(c.clone()),
                _ => None,
            })
            .expect("a code block");
        let lang = code.lang().unwrap_or("").to_owned();
        read(&code, &lang).map(|r| {
            (
                r.text.as_str().to_owned(),
                r.inferred,
                r.output.len(),
                r.repl.len(),
            )
        })
    }

    #[test]
    fn shell_blocks_are_steps_as_written() {
        assert_eq!(
            read_first("```bash\nmy-tool --x\n```\n"),
            Ok(("my-tool --x\n".to_owned(), None, 0, 0))
        );
        assert_eq!(
            read_first("```sh\nkubectl apply -f x\nservice/x created\n```\n"),
            Ok(("kubectl apply -f x\n".to_owned(), None, 1, 0))
        );
    }

    #[test]
    fn untagged_and_promptless_sessions_are_inferred_only_when_commands() {
        assert_eq!(
            read_first("```\nhelm list\n```\n"),
            Ok((
                "helm list\n".to_owned(),
                Some("a block without a language whose lines read as shell commands".to_owned()),
                0,
                0
            ))
        );
        assert_eq!(
            read_first("```terminal\nhelm list\n```\n").map(|r| r.1),
            Ok(Some(
                "a `terminal` block without prompts whose lines read as shell commands".to_owned()
            ))
        );
        assert_eq!(
            read_first("```\nhello there\n```\n"),
            Err((
                BlockRole::Output,
                "a block without a language, not run: `hello` is not a known command".to_owned()
            ))
        );
        assert_eq!(
            read_first("```\n#!/bin/sh\nsysctl -w vm.max_map_count=1\n```\n"),
            Err((
                BlockRole::Output,
                "a block without a language, not run: it starts with `#!`, the content of a script file"
                    .to_owned()
            ))
        );
        assert_eq!(
            read_first("    kubectl get pods\n"),
            Err((
                BlockRole::Output,
                "an indented code block: text to read, never run".to_owned()
            ))
        );
    }

    #[test]
    fn never_run_languages_and_classes() {
        for (block, why) in [
            (
                "```text\nls\n```\n",
                "a `text` block: text to read, never run",
            ),
            (
                "```cmd\ndir\n```\n",
                "a `cmd` block: text to read, never run",
            ),
            (
                "```none\nls\n```\n",
                "a `none` block: text to read, never run",
            ),
            (
                "```{.bash .no-copy}\nls\n```\n",
                "marked `.no-copy`: text to read, never run",
            ),
        ] {
            assert_eq!(
                read_first(block),
                Err((BlockRole::Output, why.to_owned())),
                "{block}"
            );
        }
        assert_eq!(
            read_first("```yaml\na: 1\n```\n"),
            Err((
                BlockRole::Data,
                "a `yaml` block: not shell, never run".to_owned()
            ))
        );
    }

    #[test]
    fn repl_input_is_kept_apart() {
        assert_eq!(
            read_first("```console\n$ psql\napp=# select 1;\n```\n"),
            Ok(("psql\n".to_owned(), None, 0, 1))
        );
        assert_eq!(
            read_first("```\napp=> \\dt\n```\n"),
            Ok((
                String::new(),
                Some("a block without a language holding input to psql".to_owned()),
                0,
                1
            ))
        );
    }
}
