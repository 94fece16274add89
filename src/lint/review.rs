//! A review date (`last_reviewed`) long past.

use super::LintOptions;
use crate::diag::Diagnostic;
use crate::model::Runbook;
use crate::source::Span;

pub(super) fn review_age(runbook: &Runbook, options: &LintOptions, out: &mut Vec<Diagnostic>) {
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
