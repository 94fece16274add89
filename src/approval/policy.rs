//! Who must approve a plan before `run --approved` runs it: a policy kept
//! outside the runbook and the plan file (whoever can edit those could
//! otherwise approve their own change).
//!
//! A policy is an allowed-signers file (ssh-keygen's format, as git uses
//! for signed commits) and a number of approvals: that many distinct
//! principals must have signed the plan's digest with a key listed for them,
//! and the Unix user running the plan counts for none of them. It comes
//! from `--allowed-signers FILE` (and `--required-approvals N`), else from
//! the file `LITOPS_APPROVAL_POLICY` names, else from
//! `$XDG_CONFIG_HOME/litops/approval-policy.yaml` (`~/.config/…`), else from
//! `/etc/litops/approval-policy.yaml`:
//!
//! ```yaml
//! allowed_signers: /etc/litops/allowed_signers
//! required_approvals: 2
//! ```
//!
//! With no policy, approvals are not checked for signatures, and the run
//! says so.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Approval, ApprovedPlan};
use crate::sign::AllowedSigners;

/// The namespace approvals are signed in: a signature made for anything
/// else (a git commit, a transcript's seal) never counts as an approval.
pub const NAMESPACE: &str = "litops-approval";

/// What an approval signs: the plan's format and digest.
pub fn signed_text(digest: &str) -> String {
    format!("{}\n{digest}\n", super::FORMAT)
}

pub struct Policy {
    /// Where it came from, for messages.
    pub origin: String,
    pub allowed_signers: PathBuf,
    pub required: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    allowed_signers: PathBuf,
    #[serde(default = "one")]
    required_approvals: usize,
}

fn one() -> usize {
    1
}

impl Policy {
    /// The policy in force: the flags, else the first configuration file
    /// found (see the module docs). `Ok(None)`: none.
    pub fn find(
        allowed_signers: Option<&Path>,
        required: Option<usize>,
    ) -> Result<Option<Policy>, String> {
        if let Some(path) = allowed_signers {
            return Ok(Some(Policy {
                origin: "--allowed-signers".to_owned(),
                allowed_signers: path.to_owned(),
                required: required.unwrap_or(1),
            }));
        }
        if required.is_some() {
            return Err(
                "--required-approvals needs --allowed-signers (or an approval policy file)"
                    .to_owned(),
            );
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("LITOPS_APPROVAL_POLICY").filter(|p| !p.is_empty()) {
            candidates.push(PathBuf::from(path));
            // Named explicitly: it must be there.
            return Policy::read(&candidates[0]).map(Some);
        }
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        candidates.extend(config.map(|c| c.join("litops/approval-policy.yaml")));
        candidates.push(PathBuf::from("/etc/litops/approval-policy.yaml"));
        for path in candidates {
            if path.exists() {
                return Policy::read(&path).map(Some);
            }
        }
        Ok(None)
    }

    fn read(path: &Path) -> Result<Policy, String> {
        guarded(path, "approval policy")?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the approval policy {}: {e}", path.display()))?;
        let file: File = serde_saphyr::from_str(&text)
            .map_err(|e| format!("{} is not an approval policy: {e}", path.display()))?;
        if file.required_approvals == 0 {
            return Err(format!(
                "{}: required_approvals must be at least 1",
                path.display()
            ));
        }
        // A relative path is read from the policy file's directory.
        let signers = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&file.allowed_signers);
        Ok(Policy {
            origin: path.display().to_string(),
            allowed_signers: signers,
            required: file.required_approvals,
        })
    }

    /// Checks the plan's approvals against the policy, for a run by the Unix
    /// user `runner`. `Ok`: the principals that count, in the order of the
    /// approvals. `Err`: why the plan is not approved, each approval
    /// accounted for.
    pub fn check(&self, plan: &ApprovedPlan, runner: &str) -> Result<Vec<String>, String> {
        guarded(&self.allowed_signers, "allowed-signers file")?;
        let signers = AllowedSigners::load(&self.allowed_signers).map_err(|e| e.to_string())?;
        let digest = plan.computed_digest();
        let text = signed_text(&digest);
        let mut counted: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        for approval in plan.approvals.iter().filter(|a| a.digest == digest) {
            match verify(&signers, approval, &text) {
                Err(why) => notes.push(format!("{}: {why}", approval.by)),
                Ok(principals) => {
                    if principals.iter().any(|p| is_user(p, runner)) {
                        notes.push(format!(
                            "{}: signed as {}, the user running this plan, who cannot approve their own run",
                            approval.by,
                            principals.join(",")
                        ));
                    } else if principals.iter().any(|p| counted.contains(p)) {
                        notes.push(format!(
                            "{}: signed as {}, who approved already",
                            approval.by,
                            principals.join(",")
                        ));
                    } else if let Some(first) = principals.into_iter().next() {
                        counted.push(first);
                    }
                }
            }
        }
        if counted.len() >= self.required {
            return Ok(counted);
        }
        let mut text = format!(
            "the plan needs {} signed approval{} by allowed signers ({}, from {}); it has {}{}",
            self.required,
            if self.required == 1 { "" } else { "s" },
            self.allowed_signers.display(),
            self.origin,
            counted.len(),
            if counted.is_empty() {
                String::new()
            } else {
                format!(" ({})", counted.join(", "))
            }
        );
        for note in notes {
            text.push_str(&format!("\n  {note}"));
        }
        text.push_str(&format!(
            "\nsign with: litops approve PLAN --key ~/.ssh/id_ed25519 (a key listed in {})",
            self.allowed_signers.display()
        ));
        Err(text)
    }
}

fn verify(
    signers: &AllowedSigners,
    approval: &Approval,
    text: &str,
) -> Result<Vec<String>, String> {
    let Some(signature) = &approval.signature else {
        return Err("not signed".to_owned());
    };
    signers
        .verify(NAMESPACE, text.as_bytes(), signature)
        .map(|v| v.principals)
        .map_err(|e| e.to_string())
}

/// Refuses a policy file another user could change (as ssh refuses an
/// `authorized_keys` others can write): whoever can write it chooses who
/// may approve. It must belong to root or to the user running litops and
/// be writable by its owner only.
fn guarded(path: &Path, what: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    let me = nix::unistd::getuid().as_raw();
    if meta.uid() != 0 && meta.uid() != me {
        return Err(format!(
            "the {what} {} belongs to another user (uid {}); it must be root's or yours",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "the {what} {} can be changed by other users (mode {:04o}); make it writable by its owner only (chmod go-w)",
            path.display(),
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

/// Whether a principal names the Unix user `user`: `user`, or `user@…`.
fn is_user(principal: &str, user: &str) -> bool {
    principal == user
        || principal
            .split_once('@')
            .is_some_and(|(local, _)| local == user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_names_the_user_alone_or_at_a_host() {
        assert!(is_user("root", "root"));
        assert!(is_user("root@db1", "root"));
        assert!(!is_user("rooted@db1", "root"));
        assert!(!is_user("alice", "root"));
    }
}
