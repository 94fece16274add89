//! Lines after a command that opens a shell elsewhere (`kubectl exec -it
//! pod -- bash`, `ssh host`) are what the reader types into that shell:
//! `pg_restore -c …` "inside the pod", never on the operator's machine.
//! They run as the shell's input: the opener loses its terminal flag (`-it`
//! → `-i`, `ssh -T`) and reads them from a quoted heredoc the plan shows.
//! Up to an `exit` line (the reader leaving the shell), else to the block's
//! end.

use super::{RemoteInput, Step};
use crate::shell::remote::{opens_shell, repl_of, without_tty};
use crate::source::Span;

pub fn find(step: &Step) -> Option<RemoteInput> {
    let text = step.text.as_str();
    let commands = &step.script.commands;
    let (opener, kind) = commands
        .iter()
        .enumerate()
        .find_map(|(i, c)| opens_shell(c.argvs.first()?).map(|k| (i, k)))?;
    let span = commands[opener].span;
    // Nothing after it: the reader types into the shell (a manual step).
    let after: Vec<usize> = (opener + 1..commands.len())
        .filter(|&i| commands[i].span.start >= span.end)
        .collect();
    let first = *after.first()?;
    let line_end = |offset: usize| {
        text[offset..]
            .find('\n')
            .map_or(text.len(), |n| offset + n + 1)
    };
    let start = line_end(span.end);
    if commands[first].span.start < start {
        // `… -- bash; ls` on one line: not lines for the shell.
        return None;
    }
    let repl = commands[opener]
        .argvs
        .first()
        .and_then(|argv| repl_of(argv));
    let end = match repl {
        // A REPL's input is not shell: it ends at the line that quits it,
        // as written (`\q`, `exit()`).
        Some(_) => {
            let mut at = start;
            let mut end = text.len();
            for line in text[start..].split_inclusive('\n') {
                at += line.len();
                let quits = matches!(
                    line.trim().trim_end_matches(';'),
                    "\\q" | "\\quit" | "quit" | "exit" | "exit()" | "quit()" | ".quit" | ".exit"
                );
                if quits {
                    end = at;
                    break;
                }
            }
            end
        }
        None => after
            .iter()
            .copied()
            .find(|&i| {
                commands[i]
                    .argvs
                    .first()
                    .and_then(|argv| argv.first())
                    .is_some_and(|p| p == "exit" || p == "logout")
            })
            .map_or(text.len(), |i| line_end(commands[i].span.end)),
    };
    let written = &text[span.start..span.end];
    Some(RemoteInput {
        opener,
        shell: written
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('\\')
            .trim()
            .to_owned(),
        input: Span::new(start, end),
        without_tty: without_tty(written, kind)
            .map(|(a, b, with)| (Span::new(span.start + a, span.start + b), with)),
        repl,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::Runbook;

    fn runbook(text: &str) -> Runbook {
        crate::model::from_text(text)
    }

    #[test]
    fn lines_after_a_shell_opener_are_its_input_up_to_exit() {
        let rb = runbook(
            "```bash\nkubectl exec -it db-0 -- bash\npg_restore -c /backup/db.dump\nrm /backup/db.dump\nexit\nkubectl get pods\n```\n",
        );
        let step = &rb.steps[0];
        let remote = step.remote.as_ref().expect("remote");
        let text = step.text.as_str();
        assert_eq!(
            &text[remote.input.start..remote.input.end],
            "pg_restore -c /backup/db.dump\nrm /backup/db.dump\nexit\n"
        );
        assert_eq!(remote.shell, "kubectl exec -it db-0 -- bash");
        let (span, with) = remote.without_tty.expect("rewritten");
        assert_eq!((&text[span.start..span.end], with), ("-it", "-i"));
    }

    #[test]
    fn an_opener_alone_is_not_one() {
        let rb = runbook("```bash\nkubectl exec -it db-0 -- bash\n```\n");
        assert!(rb.steps[0].remote.is_none());
        let rb = runbook("```bash\nssh host uptime\nls\n```\n");
        assert!(rb.steps[0].remote.is_none());
    }

    #[test]
    fn lines_after_a_repl_are_its_input_up_to_the_line_that_quits_it() {
        let rb = runbook("```bash\npsql -h db app\nSELECT 1;\n\\q\necho here\n```\n");
        let step = &rb.steps[0];
        let remote = step.remote.as_ref().expect("remote");
        let text = step.text.as_str();
        assert_eq!(
            &text[remote.input.start..remote.input.end],
            "SELECT 1;\n\\q\n"
        );
        assert_eq!(remote.repl, Some("psql"));
        let rb = runbook("```bash\npsql -h db -c 'select 1'\nls\n```\n");
        assert!(rb.steps[0].remote.is_none());
    }
}
