//! Risky commands (deletes, restarts, production changes) whose step
//! neither asks for confirmation nor says it need not.

use crate::diag::Diagnostic;
use crate::model::{Mode, Runbook};

pub(super) fn risky_without_decision(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
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
