//! Terminal transcripts in runbooks: `console` blocks (and `bash` blocks that
//! start with `$ `) mix prompted commands with the output they printed. Only
//! the prompted lines run; the rest is kept as expected output.

use crate::source::{MappedText, Span};
use crate::syntax::fence::line_spans;

/// Languages that hold a terminal session rather than a script.
pub fn is_session_lang(lang: &str) -> bool {
    matches!(
        lang,
        "console" | "shell-session" | "sh-session" | "shellsession" | "bash-session" | "terminal"
    )
}

/// The commands of a prompted block, or `None` if the block is a plain script.
///
/// `session` blocks accept `$ ` and `# ` (root) prompts; in a script block only
/// `$ ` counts, and only if the first command line has it, since `# ` there is
/// a comment. Lines after a prompt that start with `> ` (bash's PS2), or that
/// follow a line ending in `\`, continue the command.
pub fn commands(content: &MappedText, session: bool) -> Option<MappedText> {
    let text = content.as_str();
    let prompts: &[&str] = if session { &["$ ", "# "] } else { &["$ "] };
    if !session {
        let first = text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        if !first.starts_with("$ ") && first != "$" {
            return None;
        }
    }
    let mut out = MappedText::new();
    let mut continuing = false;
    for line in line_spans(text) {
        let raw = &text[line.start..line.end];
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        let taken = if let Some(prompt) = prompts.iter().find(|p| trimmed.starts_with(**p)) {
            Some(indent + prompt.len())
        } else if continuing {
            Some(indent + if trimmed.starts_with("> ") { 2 } else { 0 })
        } else {
            None
        };
        match taken {
            Some(skip) => {
                let piece = content.slice(Span::new(line.start + skip, line.end));
                let body = piece.as_str().trim_end_matches('\n');
                continuing = body.ends_with('\\') || next_is_ps2(text, line.end);
                out.push(piece.as_str(), piece.source_offset(0));
                if !piece.as_str().ends_with('\n') {
                    out.push("\n", content.source_offset(line.end.saturating_sub(1)));
                }
            }
            None => continuing = false,
        }
    }
    Some(out)
}

fn next_is_ps2(text: &str, at: usize) -> bool {
    text[at..].trim_start_matches([' ', '\t']).starts_with("> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_keeps_prompted_lines_only() {
        let text =
            "$ kubectl get pods\nNAME  READY\nweb   1/1\n# whoami\nroot\n$ echo a \\\n> b\na b\n";
        let got = commands(&MappedText::contiguous(text, 0), true).expect("prompted");
        assert_eq!(got.as_str(), "kubectl get pods\nwhoami\necho a \\\nb\n");
        assert_eq!(got.source_offset(0), 2);
    }

    #[test]
    fn bash_blocks_need_a_leading_dollar_prompt() {
        let plain = MappedText::contiguous("# comment\nls -l\n", 0);
        assert!(commands(&plain, false).is_none());
        let prompted = MappedText::contiguous("# comment\n$ ls -l\ntotal 0\n", 0);
        assert_eq!(
            commands(&prompted, false).map(|m| m.as_str().to_owned()),
            Some("ls -l\n".into())
        );
    }

    #[test]
    fn output_only_session_has_no_commands() {
        let out = commands(&MappedText::contiguous("NAME READY\n", 0), true).expect("session");
        assert!(out.is_empty());
    }
}
