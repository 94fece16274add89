//! `litops approve`: a reviewer signs off a plan written by `plan --out`.

use std::path::PathBuf;

use clap::Args;

use super::Console;
use crate::approval::{self, Approval};
use crate::exit;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The plan file (`litops plan RUNBOOK --out FILE`).
    plan: PathBuf,
    /// Who approves (default: the current user@host).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// A note kept with the approval (a ticket, a change number).
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
}

pub fn run(args: &ApproveArgs, out: &Console) -> u8 {
    let mut plan = match approval::load(&args.plan) {
        Ok(plan) => plan,
        Err(err) => {
            out.error(err);
            return exit::USAGE;
        }
    };
    let by = args
        .by
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(crate::operator::operator_name);
    let digest = plan.approval_digest();
    if plan
        .approvals
        .iter()
        .any(|a| a.by == by && a.steps_digest == digest)
    {
        out.stderr(&format!("{by} has already approved this plan\n"));
        return exit::OK;
    }
    plan.approvals.push(Approval {
        by: by.clone(),
        at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        comment: args.comment.clone(),
        steps_digest: digest,
    });
    if let Err(err) = approval::save(&args.plan, &plan) {
        out.error(format!("cannot write {}: {err}", args.plan.display()));
        return exit::USAGE;
    }
    let gated = plan.steps.iter().filter(|s| s.gated).count();
    out.stdout(&format!(
        "approved by {by}: {} ({} steps, {gated} gated) in {}\n",
        plan.title,
        plan.steps.len(),
        args.plan.display()
    ));
    exit::OK
}
