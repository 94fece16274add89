//! `run --approved`: today's plan must be the approved one, step for step.

use super::RunError;
use crate::approval::{self, ApprovedPlan};
use crate::bind::Bindings;
use crate::model::Runbook;
use crate::operator::Approvals;

/// Refuses unless the approvals cover today's plan; the approved gates
/// then count as approved.
pub(super) fn check(
    approved: &ApprovedPlan,
    runbook: &Runbook,
    selected: &[usize],
    bindings: &Bindings,
    approvals: &mut Approvals,
    resuming: bool,
) -> Result<(), RunError> {
    if approved.valid_approvals().is_empty() {
        return Err(RunError::NotApproved(if approved.approvals.is_empty() {
            "the plan has no approval yet (litops approve PLAN --by NAME)".to_owned()
        } else {
            "the plan's approvals do not cover its steps (it was edited after approval); approve it again".to_owned()
        }));
    }
    let (_, current) = approval::digests(runbook, selected, bindings);
    // A resumed run goes on with some of the plan's steps: only those count.
    let approved_steps: Vec<approval::StepDigest> = if resuming {
        approved
            .steps
            .iter()
            .filter(|s| current.iter().any(|c| c.id == s.id))
            .cloned()
            .collect()
    } else {
        approved.steps.clone()
    };
    let mut differences: Vec<String> = approval::compare(&approved_steps, &current)
        .iter()
        .map(ToString::to_string)
        .collect();
    let steps = differences.len();
    if approval::settings_digest(runbook) != approved.settings_digest {
        differences.push(
            "* litops.preflight or litops.lock_key changed since the plan was approved".to_owned(),
        );
    }
    if !differences.is_empty() {
        // What differs: steps, the run-wide settings, or both.
        let what = match (steps, steps < differences.len()) {
            (0, _) => "its settings".to_owned(),
            (n, settings) => format!(
                "{n} step{}{}",
                if n == 1 { "" } else { "s" },
                if settings { " and its settings" } else { "" }
            ),
        };
        let mut text = format!(
            "the runbook or its values differ from the approved plan ({what}); nothing was run:\n"
        );
        for d in &differences {
            text.push_str(&format!("  {d}\n"));
        }
        text.push_str(
            "review the change: make a new plan (litops plan --out) and have it approved",
        );
        return Err(RunError::NotApproved(text));
    }
    approvals.reviewed = approved
        .steps
        .iter()
        .filter(|s| s.gated)
        .map(|s| s.id.clone())
        .collect();
    approvals.reviewers = approved.approvers();
    Ok(())
}
