//! Lints for `litops check`: policy on top of what lowering already reports.
//!
//! Lowering reports what is wrong with the text (bad YAML, unknown
//! annotations, duplicate ids). Lints report what a reviewer would flag in a
//! runbook that reads fine: a risky command nobody decided about, a
//! placeholder still in a command, a review date long past.

use std::time::Duration;

use crate::diag::Diagnostic;
use crate::markup;
use crate::model::{Mode, Runbook, UseKind, VariableKind};
use crate::source::Span;

#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// `last_reviewed` older than this is a warning (front-matter
    /// `litops.review_every` wins).
    pub review_max_age: Duration,
    pub today: jiff::civil::Date,
}

/// Lint diagnostics for a runbook, in source order.
pub fn lint(runbook: &Runbook, options: &LintOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    risky_without_decision(runbook, &mut out);
    placeholders(runbook, &mut out);
    review_age(runbook, options, &mut out);
    hidden_characters(runbook, &mut out);
    arithmetic_inputs(runbook, &mut out);
    inferred(runbook, &mut out);
    out.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    out
}

/// What litops read by a heuristic: the author should see it and say so.
fn inferred(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
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

fn risky_without_decision(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in &runbook.steps {
        // Skipped and manual steps never run, so their gate never matters.
        if step.gate.decision.is_some() || step.mode != Mode::Run {
            continue;
        }
        let Some(command) = step.script.commands.iter().find(|c| !c.risks.is_empty()) else {
            continue;
        };
        let reasons = step.gate.reasons();
        out.push(
            Diagnostic::warning(
                "risk-without-decision",
                format!("step `{}` {}; it is gated by default", step.id, reasons.join("; ")),
            )
            .at(runbook.file.first_line(step.source_span(command.span)))
            .label("risky command")
            .help("write `confirm` (keep asking) or `no-confirm` (never ask) in the block's annotations, e.g. ```bash {confirm}"),
        );
    }
}

fn placeholders(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for var in runbook
        .variables
        .iter()
        .filter(|v| v.kind == VariableKind::Placeholder)
    {
        let uses: Vec<_> = var
            .uses
            .iter()
            .filter(|u| u.kind == UseKind::Placeholder && runbook.steps[u.step].mode != Mode::Skip)
            .collect();
        let Some(first) = uses.first() else {
            continue;
        };
        let text = var.placeholder.as_deref().unwrap_or(&var.name);
        let more = match uses.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        out.push(
            Diagnostic::warning("placeholder", format!("placeholder `{text}` is left in a command{more}"))
                .at(first.span)
                .label(format!("bound by {}", var.name))
                .help(format!(
                    "bind it when running (--set {}=VALUE), or use a variable declared in front matter (${})",
                    var.name, var.name
                )),
        );
    }
}

/// A runbook input read where bash evaluates arithmetic: a value such as
/// `a[$(cmd)]` would run `cmd`. litops refuses non-integer values it binds
/// there, but the step runs with whatever the variable holds by then.
fn arithmetic_inputs(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter().filter(|s| s.mode != Mode::Skip) {
        for r in step.script.refs.iter().filter(|r| r.arithmetic) {
            if !step.uses(&r.name, UseKind::Reference) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    "arithmetic-variable",
                    format!(
                        "`${}` is evaluated as arithmetic here, where a value like `a[$(cmd)]` runs `cmd`",
                        r.name
                    ),
                )
                .at(step.source_span(r.span))
                .label("arithmetic")
                .help(format!(
                    "litops refuses a non-integer value it binds to {0}; check it in the script too if anything else can set it, e.g. [[ ${0} =~ ^[0-9]+$ ]]",
                    r.name
                )),
            );
        }
    }
}

fn review_age(runbook: &Runbook, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let Some(reviewed) = runbook.meta.last_reviewed else {
        return;
    };
    let max_age = runbook
        .settings
        .review_every
        .unwrap_or(options.review_max_age);
    let age_days = (options.today - reviewed).get_days();
    let max_days = (max_age.as_secs() / 86_400) as i32;
    if age_days <= max_days {
        return;
    }
    let text = runbook.file.text();
    let span = text.find("last_reviewed").map_or(Span::default(), |at| {
        Span::new(at, at + text[at..].find('\n').unwrap_or(0))
    });
    out.push(
        Diagnostic::warning(
            "review-overdue",
            format!("last reviewed {reviewed}, {age_days} days ago (allowed: {max_days} days)"),
        )
        .at(span)
        .help("review the runbook and update `last_reviewed`, or set `litops.review_every` in its front matter"),
    );
}

/// Bidi controls (Trojan Source) and zero-width characters. In code, in
/// the front matter and in annotations a reader cannot see what they do
/// to the text, and the shell runs what the reader did not see: a bidi
/// control there is an error, a zero-width character a warning. In prose
/// a bidi control is a warning (right-to-left text may need one). One
/// diagnostic per line and kind.
fn hidden_characters(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    let text = runbook.file.text();
    let document = crate::syntax::parse(&runbook.file);
    let mut code: Vec<Span> = document
        .front_matter
        .iter()
        .map(|f| Span::new(0, f.block.end))
        .collect();
    for item in &document.items {
        if let crate::syntax::Item::Code(block) = item {
            code.push(block.span);
            code.extend(block.annotation.as_ref().map(|a| a.span));
        }
    }
    // Annotations not attached to a block are comments in the prose.
    code.sort_by_key(|s| s.start);
    let mut next = 0;
    let mut last: Option<(usize, bool)> = None;
    let mut line = 0;
    for (at, c) in text.char_indices() {
        if c == '\n' {
            line += 1;
            continue;
        }
        let bidi = markup::is_bidi(c);
        let zero_width = markup::is_zero_width(c) && (c != '\u{feff}' || at > 0);
        if !bidi && !zero_width {
            continue;
        }
        if last == Some((line, bidi)) {
            continue;
        }
        last = Some((line, bidi));
        while code.get(next).is_some_and(|s| s.end <= at) {
            next += 1;
        }
        let in_code = code.get(next).is_some_and(|s| s.start <= at);
        let span = Span::new(at, at + c.len_utf8());
        let name = format!("U+{:04X}", c as u32);
        let diagnostic = match (bidi, in_code) {
            (true, true) => Diagnostic::error(
                "bidi-control",
                format!(
                    "invisible bidi control {name} in code: the text runs in another order than it reads"
                ),
            ),
            (true, false) => Diagnostic::warning(
                "bidi-control",
                format!(
                    "invisible bidi control {name}: the text may read in another order than it is written"
                ),
            ),
            (false, true) => Diagnostic::warning(
                "zero-width",
                format!("invisible zero-width character {name} in code"),
            ),
            (false, false) => continue,
        };
        out.push(
            diagnostic
                .at(span)
                .help("delete it (litops list and plan show it as \\u{…}); to write right-to-left text, keep it out of commands"),
        );
    }
}

/// The bidi controls of Trojan Source (CVE-2021-42574).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::from_text;

    fn codes(text: &str) -> Vec<&'static str> {
        let rb = from_text("t.md", text);
        let options = LintOptions {
            review_max_age: Duration::from_secs(180 * 86_400),
            today: jiff::civil::date(2026, 11, 24),
        };
        lint(&rb, &options).into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn lints() {
        assert_eq!(
            codes("```bash\nkubectl delete pod x\n```\n"),
            vec!["risk-without-decision"]
        );
        assert!(codes("```bash {confirm}\nkubectl delete pod x\n```\n").is_empty());
        assert!(codes("```bash {no-confirm}\nkubectl delete pod x\n```\n").is_empty());
        assert_eq!(
            codes("```bash\nkubectl logs <pod>\n```\n"),
            vec!["placeholder"]
        );
        assert_eq!(
            codes("```bash\nif (( $COUNT > 3 )); then echo $COUNT; fi\n```\n"),
            vec!["arithmetic-variable"]
        );
        assert!(codes("```bash\nn=3\necho $(( n + 1 ))\n```\n").is_empty());
        assert_eq!(
            codes("---\nlast_reviewed: 2026-01-01\n---\n"),
            vec!["review-overdue"]
        );
        assert!(codes("---\nlast_reviewed: 2026-11-01\n---\n").is_empty());
        assert!(
            codes("---\nlast_reviewed: 2026-01-01\nlitops:\n  review_every: 400d\n---\n")
                .is_empty()
        );
    }

    #[test]
    fn hidden_characters() {
        let rb = from_text(
            "t.md",
            "# T\n\nProse \u{202e}here.\n\n<!-- litops: confirm=\"x\u{2066}\" -->\n```bash\necho \"a\u{202e}b\u{2069}\" \u{202e}\nls\u{200b} -l\n```\n",
        );
        let options = LintOptions {
            review_max_age: Duration::from_secs(180 * 86_400),
            today: jiff::civil::date(2026, 11, 24),
        };
        let found: Vec<(String, bool, usize)> = lint(&rb, &options)
            .into_iter()
            .filter(|d| d.code == "bidi-control" || d.code == "zero-width")
            .map(|d| {
                let line = rb.file.text()[..d.span.map_or(0, |s| s.start)]
                    .matches('\n')
                    .count()
                    + 1;
                (d.code.to_owned(), d.is_error(), line)
            })
            .collect();
        assert_eq!(
            found,
            vec![
                ("bidi-control".to_owned(), false, 3),
                ("bidi-control".to_owned(), true, 5),
                ("bidi-control".to_owned(), true, 7),
                ("zero-width".to_owned(), false, 8),
            ]
        );
        assert!(codes("# T\n\n\u{feff}Text \u{200b}in prose.\n").is_empty());
    }
}
