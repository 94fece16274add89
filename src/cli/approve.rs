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
    /// Who approves (default: the current user@host); printable text.
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// A note kept with the approval (a ticket, a change number).
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
    /// Sign the approval with this SSH private key (ed25519 or ECDSA,
    /// without a passphrase): runs with an approval policy count only
    /// signed approvals.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Print what would be approved, everything its digest covers, and
    /// approve nothing.
    #[arg(long)]
    show: bool,
}

pub fn run(args: &ApproveArgs, out: &Console) -> u8 {
    let mut plan = match approval::load(&args.plan) {
        Ok(plan) => plan,
        Err(err) => {
            out.error(err);
            return exit::USAGE;
        }
    };
    // What the file shows must be what its digest says: a plan edited
    // after `plan --out` is not offered for approval.
    let digest = plan.computed_digest();
    if digest != plan.digest {
        out.error(format!(
            "{} was edited after `litops plan --out` wrote it (what it shows does not match its digest); make the plan again",
            args.plan.display()
        ));
        return exit::USAGE;
    }
    if args.show {
        out.stdout(&crate::markup::for_terminal(&plan.describe()));
        return exit::OK;
    }
    for (flag, text) in [
        ("--by", args.by.as_deref()),
        ("--comment", args.comment.as_deref()),
    ] {
        if let Some(text) = text
            && text.chars().any(char::is_control)
        {
            out.error(format!(
                "{flag} takes printable text: {:?} has control characters",
                text
            ));
            return exit::USAGE;
        }
    }
    let by = args
        .by
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(crate::operator::operator_name);
    if plan
        .approvals
        .iter()
        .any(|a| a.by == by && a.digest == digest && (args.key.is_none() || a.signature.is_some()))
    {
        out.stderr(&format!("{by} has already approved this plan\n"));
        return exit::OK;
    }
    let (signature, signed) = match &args.key {
        None => (None, String::new()),
        Some(path) => {
            let signed = crate::sign::SigningKey::load(path).and_then(|key| {
                let text = approval::policy::signed_text(&digest);
                let signature = key.sign(approval::policy::NAMESPACE, text.as_bytes())?;
                Ok((signature, key.fingerprint()))
            });
            match signed {
                Ok((signature, fingerprint)) => {
                    (Some(signature), format!(", signed with {fingerprint}"))
                }
                Err(err) => {
                    out.error(err);
                    return exit::USAGE;
                }
            }
        }
    };
    // A signed approval replaces the same person's unsigned one.
    if signature.is_some() {
        plan.approvals
            .retain(|a| !(a.by == by && a.digest == digest && a.signature.is_none()));
    }
    plan.approvals.push(Approval {
        by: by.clone(),
        at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        comment: args.comment.clone(),
        digest,
        signature,
    });
    if let Err(err) = approval::save(&args.plan, &plan) {
        out.error(format!("cannot write {}: {err}", args.plan.display()));
        return exit::USAGE;
    }
    let gated = plan.steps.iter().filter(|s| s.gated).count();
    out.stdout(&format!(
        "approved by {by}{signed}: {} ({} step{}, {gated} gated) in {}\n",
        plan.title,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        args.plan.display()
    ));
    exit::OK
}
