//! Terminal transcripts in runbooks: `console` blocks (and `bash` blocks that
//! start with `$ `) mix prompted commands with the output they printed. Only
//! the prompted lines run; the rest is kept as expected output.

use crate::shell::classify::{Dropped, repl_prompt};
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
pub fn commands(content: &MappedText, session: bool) -> Option<MappedText> {
    read(content, session).map(|s| s.commands)
}

/// A prompted block: the commands after prompts, and the lines typed at a
/// REPL's prompt (`postgres=# …`), which are input to that program.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub commands: MappedText,
    pub repl: Vec<Dropped>,
}

/// Reads a prompted block, or `None` if the block is a plain script.
///
/// `session` blocks accept `$ ` and `# ` (root) prompts; in a script block
/// `# ` is a comment, so there only the other prompts count, and only if the
/// first command line has one. The other prompts are `user@host:path$ `,
/// `[user@host dir]# ` and PowerShell's `PS> ` / `PS C:\dir> `. Lines after a
/// prompt that start with `> ` (bash's PS2), or that follow a line ending in
/// `\`, continue the command.
pub fn read(content: &MappedText, session: bool) -> Option<Session> {
    let text = content.as_str();
    if !session {
        let first = text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        if prompt_len(first, false).is_none() && first != "$" {
            return None;
        }
    }
    let mut out = Session::default();
    let mut continuing = false;
    // The command typed since the last prompt, and whether bash would still
    // be reading it (an open quote, a heredoc body): then the lines are its
    // own. Decided once per line.
    let mut current = String::new();
    let mut still_open = false;
    for line in line_spans(text) {
        let raw = &text[line.start..line.end];
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        let taken = if continuing {
            // Inside a quote or heredoc every character counts; after `\`
            // or at bash's `> ` prompt, the indentation and prompt do not.
            if still_open {
                Some(0)
            } else {
                Some(indent + if trimmed.starts_with("> ") { 2 } else { 0 })
            }
        } else if let Some(prompt) = prompt_len(trimmed, session) {
            current.clear();
            Some(indent + prompt)
        } else {
            None
        };
        match taken {
            Some(skip) => {
                let piece = content.slice(Span::new(line.start + skip, line.end));
                let body = piece.as_str().trim_end_matches('\n');
                current.push_str(piece.as_str());
                if !piece.as_str().ends_with('\n') {
                    current.push('\n');
                }
                still_open = open(&current);
                continuing = body.ends_with('\\') || next_is_ps2(text, line.end) || still_open;
                out.commands.push(piece.as_str(), piece.source_offset(0));
                if !piece.as_str().ends_with('\n') {
                    out.commands
                        .push("\n", content.source_offset(line.end.saturating_sub(1)));
                }
            }
            None => {
                continuing = false;
                still_open = false;
                if let Some((program, _)) = repl_prompt(trimmed) {
                    let body = raw.trim_end_matches('\n');
                    out.repl.push(Dropped {
                        span: content.source_span(Span::new(line.start, line.start + body.len())),
                        line: body.to_owned(),
                        why: program.to_owned(),
                    });
                }
            }
        }
    }
    Some(out)
}

/// Whether bash is still reading a command: a quote, a substitution, a
/// heredoc or a compound command (`for … do` without `done`) is open.
fn open(command: &str) -> bool {
    super::read(command).problems.iter().any(|p| p.open)
}

/// The length of the shell prompt `line` starts with, if any.
fn prompt_len(line: &str, session: bool) -> Option<usize> {
    if line.starts_with("$ ") {
        return Some(2);
    }
    // `# ` is root's prompt in a session, but also how people write a
    // comment there: a prompt only when a command follows.
    if session && let Some(rest) = line.strip_prefix("# ") {
        return root_command(rest).then_some(2);
    }
    // `user@host:~/dir$ `, `root@node#`: one word ending in the prompt sign.
    if let Some((word, _)) = line.split_once(' ')
        && let Some(who) = word.strip_suffix('$').or_else(|| word.strip_suffix('#'))
        && let Some((user, host)) = who.split_once('@')
    {
        let host = host.split(':').next().unwrap_or(host);
        if is_name(user) && is_name(host) {
            return Some(word.len() + 1);
        }
    }
    // `[root@node ~]# `, `[user@host dir]$ `.
    if let Some(inner) = line.strip_prefix('[')
        && let Some(close) = inner.find(']')
        && inner[..close].contains('@')
        && (inner[close + 1..].starts_with("# ") || inner[close + 1..].starts_with("$ "))
    {
        return Some(close + 4);
    }
    // PowerShell: `PS> `, `PS C:\Users\me> `.
    if let Some(rest) = line.strip_prefix("PS")
        && (rest.starts_with("> ") || rest.starts_with(' '))
        && let Some(end) = rest.find("> ")
    {
        return Some(2 + end + 2);
    }
    None
}

/// Whether text after `# ` is a command (its first word, after any
/// `NAME=value`, is a known command or a path), not a sentence.
/// Whether a block without a language (that holds no command as a script)
/// is a root terminal session: its `# ` lines are prompts, not comments.
/// Each `# ` line that starts with a known command must read as typed (an
/// option, a path, `=`, a quote, `$` or a pipe), or be followed by its
/// output (a line that is neither blank nor `#`): `# install the chart`
/// alone stays a comment.
pub fn root_session(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut prompts = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        // `# cat this file:` introduces what follows.
        if !root_command(rest) || rest.ends_with(':') {
            continue;
        }
        let typed = rest
            .split_whitespace()
            .skip(1)
            .any(|w| w.contains(['-', '/', '=', '"', '\'', '$', '|', '.']));
        let output_follows = lines[i + 1..]
            .iter()
            .find(|l| !l.is_empty())
            .is_some_and(|l| !l.starts_with('#'));
        if !typed && !output_follows {
            return false;
        }
        prompts += 1;
    }
    prompts > 0
}

fn root_command(rest: &str) -> bool {
    rest.split_whitespace()
        .find(|w| !w.contains('='))
        .is_some_and(|w| crate::shell::classify::is_known_command(w) || w.starts_with('/'))
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
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
    fn user_host_bracket_and_powershell_prompts() {
        let text = "user@host:~/app$ kubectl get pods\nNAME READY\n[root@node ~]# systemctl restart kubelet\nPS> kubectl version\nPS C:\\Users\\me> helm list\nroot@db# whoami\n";
        for session in [true, false] {
            let got = commands(&MappedText::contiguous(text, 0), session).expect("prompted");
            assert_eq!(
                got.as_str(),
                "kubectl get pods\nsystemctl restart kubelet\nkubectl version\nhelm list\nwhoami\n"
            );
        }
        // Not prompts: a mail address, a test, redirection.
        for line in ["me@example.com is the owner", "[ -f x ] && echo", "PSQL> x"] {
            assert_eq!(prompt_len(line, true), None, "{line}");
        }
    }

    #[test]
    fn repl_lines_in_a_session_are_kept_apart() {
        let text =
            "$ psql -U app\napp=# select 1;\n ?column?\n$ redis-cli\n127.0.0.1:6379> GET k\n";
        let got = read(&MappedText::contiguous(text, 0), true).expect("prompted");
        assert_eq!(got.commands.as_str(), "psql -U app\nredis-cli\n");
        let repl: Vec<(&str, &str)> = got
            .repl
            .iter()
            .map(|d| (d.line.as_str(), d.why.as_str()))
            .collect();
        assert_eq!(
            repl,
            vec![
                ("app=# select 1;", "psql"),
                ("127.0.0.1:6379> GET k", "redis-cli")
            ]
        );
        assert_eq!(got.repl[0].span, Span::new(14, 29));
    }

    #[test]
    fn a_comment_in_a_session_is_not_a_root_prompt() {
        let text = "# Create the repo path\nmkdir -p src\n# systemctl restart kubelet\n";
        let got = read(&MappedText::contiguous(text, 0), true).expect("session");
        assert_eq!(got.commands.as_str(), "systemctl restart kubelet\n");
        let comments_only = "# Create the repo path\nmkdir -p src\n";
        let got = read(&MappedText::contiguous(comments_only, 0), true).expect("session");
        assert!(got.commands.is_empty());
    }

    #[test]
    fn a_prompted_command_goes_on_while_a_quote_or_heredoc_is_open() {
        let text = "$ echo \"\napiVersion: v1\n  kind: X\n\" | kubectl apply -f -\nconfigured\n$ kubectl apply -f - <<EOF\nkind: Y\nEOF\nsecret/y created\n";
        let got = commands(&MappedText::contiguous(text, 0), true).expect("session");
        assert_eq!(
            got.as_str(),
            "echo \"\napiVersion: v1\n  kind: X\n\" | kubectl apply -f -\nkubectl apply -f - <<EOF\nkind: Y\nEOF\n"
        );
    }

    #[test]
    fn a_prompted_command_goes_on_while_a_substitution_or_loop_is_open() {
        let text = "$ NOW=$(date\n  +%s)\n$ for i in 1 2; do\n  echo \"$i\"\ndone\n1\n2\n";
        let got = commands(&MappedText::contiguous(text, 0), true).expect("session");
        assert_eq!(
            got.as_str(),
            "NOW=$(date\n  +%s)\nfor i in 1 2; do\n  echo \"$i\"\ndone\n"
        );
        // The lexer says which problems leave the text open, not its messages.
        assert!(open("echo $(date"));
        assert!(open("echo ${HOME"));
        assert!(open("for i in 1; do"));
        assert!(!open("echo done; done"));
        assert!(!open("echo \"$(date)\""));
    }

    #[test]
    fn root_prompts_in_a_block_without_a_language() {
        for (text, root) in [
            ("# kubectl -n x delete orphan o-1\n", true),
            ("# kubectl get orphans\nNAME   TYPE\no-1    replica\n", true),
            ("# ls /mnt/disk/replicas/\n\n", true),
            ("# install the chart\n", false),
            ("# install the chart\n# kubectl get pods -n x\n", false),
            ("# a note about it\n", false),
            ("# cat this file:\nfoo bar\n", false),
            ("NAME   TYPE\n", false),
        ] {
            assert_eq!(root_session(text), root, "{text}");
        }
    }

    #[test]
    fn output_only_session_has_no_commands() {
        let out = commands(&MappedText::contiguous("NAME READY\n", 0), true).expect("session");
        assert!(out.is_empty());
    }
}
