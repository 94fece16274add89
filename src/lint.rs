//! Lints for `litops check`: policy on top of what lowering already reports.
//!
//! Lowering reports what is wrong with the text (bad YAML, unknown
//! annotations, duplicate ids). Lints report what a reviewer would flag in a
//! runbook that reads fine: a risky command nobody decided about, a
//! placeholder still in a command, a review date long past.

use std::time::Duration;

use crate::diag::Diagnostic;
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
    out.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    out
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
            codes("---\nlast_reviewed: 2026-01-01\n---\n"),
            vec!["review-overdue"]
        );
        assert!(codes("---\nlast_reviewed: 2026-11-01\n---\n").is_empty());
        assert!(
            codes("---\nlast_reviewed: 2026-01-01\nlitops:\n  review_every: 400d\n---\n")
                .is_empty()
        );
    }
}
