//! What litops read by a heuristic and the author should see: steps inferred
//! from untagged blocks, lines read as output or as input to a program.

use crate::diag::Diagnostic;
use crate::model::{Mode, Runbook};

/// What litops read by a heuristic: the author should see it and say so.
pub(super) fn inferred(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in &runbook.steps {
        if step.mode == Mode::Skip {
            continue;
        }
        if let Some(why) = &step.inferred {
            out.push(
                Diagnostic::warning(
                    "step-inferred",
                    format!("step `{}` is inferred: {why}", step.id),
                )
                .at(runbook.file.first_line(step.span))
                .label("read as shell commands")
                .help(
                    "give the block a language: ```bash to run it, ```text if it is not a command",
                ),
            );
        }
        // One warning per run of output (a table, a JSON dump), at its first line.
        let mut runs: Vec<(&crate::shell::classify::Dropped, usize)> = Vec::new();
        for line in &step.output {
            let line_of =
                |d: &crate::shell::classify::Dropped| runbook.file.position(d.span.start).line;
            match runs.last_mut() {
                Some((first, n))
                    if first.why == line.why && line_of(first) + *n == line_of(line) =>
                {
                    *n += 1
                }
                _ => runs.push((line, 1)),
            }
        }
        for (line, n) in runs {
            let more = match n {
                1 => String::new(),
                2 => " (and the line after it)".to_owned(),
                n => format!(" (and the {} lines after it)", n - 1),
            };
            out.push(
                Diagnostic::warning(
                    "output-in-block",
                    format!(
                        "this line of step `{}` is read as output and not run{more}: {}",
                        step.id, line.why
                    ),
                )
                .at(line.span)
                .label("output, not a command")
                .help("move output into its own ```text block, or prompt the commands (`$ `) in a ```console block"),
            );
        }
        for line in &step.repl {
            out.push(
                Diagnostic::warning(
                    "repl-input",
                    format!(
                        "this line of step `{}` is input to {}, not bash: the step is manual",
                        step.id, line.why
                    ),
                )
                .at(line.span)
                .label(format!("typed at the {} prompt", line.why))
                .help("put the input in its own block (```sql…) and run the program with it, e.g. psql -c '…'"),
            );
        }
    }
}
