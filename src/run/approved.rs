//! `run --approved`: today's plan must be the approved one, step for step.

use super::RunError;
use crate::approval::policy::Policy;
use crate::approval::{self, ApprovedPlan};
use crate::bind::Bindings;
use crate::model::Runbook;
use crate::operator::Approvals;

/// Refuses unless the approvals cover today's plan (and, with an approval
/// policy, enough of them are signed by allowed signers other than the
/// user running it); the approved gates then count as approved. Returns
/// the principals the policy counted (`None`: no policy).
#[expect(
    clippy::too_many_arguments,
    reason = "what the runner holds at this point"
)]
pub(super) fn check(
    approved: &ApprovedPlan,
    runbook: &Runbook,
    path: &str,
    content: &[u8],
    shell: Option<&String>,
    policy: Option<&Policy>,
    selected: &[usize],
    bindings: &Bindings,
    approvals: &mut Approvals,
    resuming: bool,
) -> Result<Option<Vec<String>>, RunError> {
    if approved.valid_approvals().is_empty() {
        return Err(RunError::NotApproved(if approved.approvals.is_empty() {
            "the plan has no approval yet (litops approve PLAN --by NAME)".to_owned()
        } else {
            "the plan's approvals do not cover its steps (it was edited after approval); approve it again".to_owned()
        }));
    }
    let (_, today) = approval::make(
        runbook,
        path,
        content,
        approved.selection.clone(),
        selected,
        bindings,
    );
    // A resumed run goes on with some of the plan's steps: only those count.
    let remaining: Vec<String> = today.steps.iter().map(|s| s.id.clone()).collect();
    let mut differences = approval::compare(approved, &today, resuming.then_some(&remaining[..]));
    if let Some(shell) = shell
        && *shell != approved.settings.shell
    {
        differences.push(format!(
            "* the shell: approved {:?}, --shell {shell:?}",
            approved.settings.shell
        ));
    }
    if !differences.is_empty() {
        let mut text =
            "the runbook or its values differ from the approved plan; nothing was run:\n"
                .to_owned();
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
    let signed_by = match policy {
        None => {
            approvals.reviewers = approved.approvers();
            None
        }
        Some(policy) => {
            let runner = nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_default();
            let principals = policy
                .check(approved, &runner)
                .map_err(RunError::NotApproved)?;
            approvals.reviewers = principals.join(", ");
            Some(principals)
        }
    };
    Ok(signed_by)
}
