//! Lints for `litops check`: policy on top of what lowering already reports.
//!
//! Lowering reports what is wrong with the text (bad YAML, unknown
//! annotations, duplicate ids). Lints report what a reviewer would flag in a
//! runbook that reads fine: a risky command nobody decided about, a
//! placeholder still in a command, a review date long past. One rule per
//! file; `links` and `invisible` run only where `check` says (they read
//! other files, or render the runbook a second way).

use std::time::Duration;

use crate::diag::Diagnostic;
use crate::model::Runbook;

mod arithmetic;
mod hidden;
mod inferred;
mod invisible;
mod links;
mod placeholders;
mod review;
mod risk;

pub use invisible::visible_annotations;
pub use links::{broken_links, names_in};

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
    risk::risky_without_decision(runbook, &mut out);
    placeholders::placeholders(runbook, &mut out);
    review::review_age(runbook, options, &mut out);
    hidden::hidden_characters(runbook, &mut out);
    arithmetic::arithmetic_inputs(runbook, &mut out);
    inferred::inferred(runbook, &mut out);
    out.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    out
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
