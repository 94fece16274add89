//! Approved plans: what a reviewer signed off, and the proof that a
//! scheduled run ran exactly that (`docs/scheduling.md`).
//!
//! `plan --out` writes each selected step's digest: a SHA-256 of the script
//! as it would run with the values bound (secret values replaced by their
//! mask, so rotating a secret does not void the approval), the variables it
//! gets, its checks and `when`, its gate, timeout and retry. `approve`
//! records who approved which digests. `run --approved` recomputes the
//! digests with today's runbook and values and refuses on any difference.

use serde::{Deserialize, Serialize};

use crate::bind::{Bindings, Bound, Origin};
use crate::model::{Runbook, is_secret_name};
use crate::plan::{self, Plan, PlanStep, Selection, Status};
use crate::transcript::sha256_hex;

pub const FORMAT: &str = "litops-approved-plan/1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApprovedPlan {
    pub format: String,
    /// The runbook path as given to `plan`.
    pub runbook: String,
    pub title: String,
    /// `sha256:<hex>` of the runbook's bytes when the plan was made.
    pub content_hash: String,
    pub created_at: String,
    pub created_by: String,
    /// How the steps were chosen (`--section`, `--step`, `--from`, `--to`):
    /// applied again at run time, so a step added there is seen.
    pub selection: Selection,
    /// Digest of what applies to the whole run: preflight checks, lock key.
    pub settings_digest: String,
    pub steps: Vec<StepDigest>,
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepDigest {
    pub id: String,
    /// `run`, `skip`, `manual`.
    pub status: String,
    pub gated: bool,
    /// `sha256:<hex>` of what runs (see the module docs).
    pub digest: String,
    /// The script as it would run, secrets masked: what the reviewer reads.
    pub script: String,
    /// `NAME=value` of each variable it gets (secrets masked): what the
    /// reviewer approves along with the script.
    pub env: Vec<String>,
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Approval {
    pub by: String,
    pub at: String,
    pub comment: Option<String>,
    /// Digest of the whole list of steps this approval covers.
    pub steps_digest: String,
}

/// How a step differs from what was approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Changed(String),
    Added(String),
    Removed(String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Changed(id) => write!(f, "~ {id}: changed since it was approved"),
            Difference::Added(id) => write!(f, "+ {id}: not in the approved plan"),
            Difference::Removed(id) => write!(f, "- {id}: approved, but no longer in the runbook"),
        }
    }
}

/// Bindings with every secret bound to its mask: what digests are made of.
fn masked_bindings(runbook: &Runbook, bindings: &Bindings) -> Bindings {
    let mut masked = bindings.clone();
    for var in &runbook.variables {
        if var.secret || bindings.is_secret(runbook, &var.name) || is_secret_name(&var.name) {
            masked.values.insert(
                var.name.clone(),
                Bound {
                    value: format!("[REDACTED:{}]", var.name),
                    source: Origin::Set,
                },
            );
        }
    }
    masked
}

/// The plan of `selected` as digests (secrets masked).
pub fn digests(
    runbook: &Runbook,
    selected: &[usize],
    bindings: &Bindings,
) -> (Plan, Vec<StepDigest>) {
    let masked = masked_bindings(runbook, bindings);
    let plan = plan::build(runbook, selected, &masked);
    let steps = plan.steps.iter().map(digest).collect();
    (plan, steps)
}

fn digest(step: &PlanStep) -> StepDigest {
    let env: Vec<String> = step
        .env
        .iter()
        .map(|e| format!("{}={}", e.name, e.value))
        .collect();
    let mut what = serde_json::json!({
        "id": step.id,
        "status": step.status,
        "script": step.script,
        "env": env,
        "checks": step.check_sources(),
        "when": step.when.as_ref().map(|w| &w.source),
        "gate": step.gate.required,
        "timeout": step.timeout.map(|t| t.as_millis() as u64),
        "interactive": step.interactive,
        "continue_on_error": step.continue_on_error,
        "retry": step.retry,
    });
    // Only where a step has one: the digests of steps without stay as they
    // were, so plans approved before `cwd` existed still match.
    if let (Some(cwd), Some(what)) = (&step.cwd, what.as_object_mut()) {
        what.insert("cwd".to_owned(), cwd.as_str().into());
    }
    if let (Some(starts_in), Some(what)) = (&step.starts_in, what.as_object_mut()) {
        what.insert("starts_in".to_owned(), serde_json::json!(starts_in));
    }
    StepDigest {
        id: step.id.clone(),
        status: status_name(step.status).to_owned(),
        gated: step.gate.required && step.status == Status::Run,
        digest: format!("sha256:{}", sha256_hex(what.to_string().as_bytes())),
        script: step.script.shown().to_owned(),
        env,
        checks: step.check_sources(),
    }
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Run => "run",
        Status::Skip => "skip",
        Status::Manual => "manual",
        Status::Choose => "choose",
    }
}

/// Digest of the run-wide settings an approval also covers.
pub fn settings_digest(runbook: &Runbook) -> String {
    let what = serde_json::json!({
        "preflight": runbook.settings.preflight.iter().map(|p| p.source.as_str()).collect::<Vec<_>>(),
        "lock_key": runbook.settings.lock_key,
    });
    format!("sha256:{}", sha256_hex(what.to_string().as_bytes()))
}

/// The digest an approval signs: the steps as written in the plan, every
/// field (the gates and the scripts the reviewer read included).
pub fn steps_digest(steps: &[StepDigest]) -> String {
    let text = serde_json::to_string(steps).unwrap_or_default();
    format!("sha256:{}", sha256_hex(text.as_bytes()))
}

impl ApprovedPlan {
    /// Approvals whose digest matches the steps (an edit to the file after
    /// an approval voids it).
    pub fn valid_approvals(&self) -> Vec<&Approval> {
        let digest = self.approval_digest();
        self.approvals
            .iter()
            .filter(|a| a.steps_digest == digest)
            .collect()
    }

    /// Who approved, for gate records: `alice, bob`.
    pub fn approvers(&self) -> String {
        let names: Vec<&str> = self
            .valid_approvals()
            .iter()
            .map(|a| a.by.as_str())
            .collect();
        names.join(", ")
    }

    /// What an approval signs: the steps, the selection and the settings.
    pub fn approval_digest(&self) -> String {
        let what = serde_json::json!({
            "steps": steps_digest(&self.steps),
            "selection": self.selection,
            "settings": self.settings_digest,
        });
        format!("sha256:{}", sha256_hex(what.to_string().as_bytes()))
    }

    pub fn ids(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.id.clone()).collect()
    }
}

/// Reads an approved plan.
pub fn load(path: &std::path::Path) -> Result<ApprovedPlan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let plan: ApprovedPlan = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an approvable plan: {e}", path.display()))?;
    if plan.format != FORMAT {
        return Err(format!(
            "{}: format {:?}; this litops reads {FORMAT:?}",
            path.display(),
            plan.format
        ));
    }
    Ok(plan)
}

/// Writes it whole or not at all (a temporary file renamed into place).
pub fn save(path: &std::path::Path, plan: &ApprovedPlan) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(plan).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::files::replace(path, &text, 0o600)
}

/// Steps that differ between an approved plan and today's.
pub fn compare(approved: &[StepDigest], current: &[StepDigest]) -> Vec<Difference> {
    let mut out = Vec::new();
    for a in approved {
        match current.iter().find(|c| c.id == a.id) {
            None => out.push(Difference::Removed(a.id.clone())),
            Some(c) if c.digest != a.digest || c.status != a.status => {
                out.push(Difference::Changed(a.id.clone()));
            }
            Some(_) => {}
        }
    }
    for c in current {
        if !approved.iter().any(|a| a.id == c.id) {
            out.push(Difference::Added(c.id.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::from_text;

    const RB: &str = "---\nlitops:\n  vars:\n    DB_PASSWORD:\n      secret: true\n---\n## Vacuum\n\n```bash\npsql -h \"$DB_HOST\" -c 'VACUUM'\n```\n\n## Rotate\n\n```bash\necho \"$DB_PASSWORD\" | rotate\n```\n";

    fn bind(pairs: &[(&str, &str)]) -> Bindings {
        let mut b = Bindings::default();
        for (k, v) in pairs {
            b.values.insert(
                (*k).into(),
                Bound {
                    value: (*v).into(),
                    source: Origin::Set,
                },
            );
        }
        b
    }

    #[test]
    fn digests_follow_values_but_not_secrets() {
        let rb = from_text("rb.md", RB);
        let all = [0, 1];
        let (_, a) = digests(
            &rb,
            &all,
            &bind(&[("DB_HOST", "db1"), ("DB_PASSWORD", "one")]),
        );
        let (_, same) = digests(
            &rb,
            &all,
            &bind(&[("DB_HOST", "db1"), ("DB_PASSWORD", "two")]),
        );
        let (_, unbound_secret) = digests(&rb, &all, &bind(&[("DB_HOST", "db1")]));
        let (_, other_host) = digests(
            &rb,
            &all,
            &bind(&[("DB_HOST", "db2"), ("DB_PASSWORD", "one")]),
        );
        assert_eq!(compare(&a, &same), vec![]);
        assert_eq!(compare(&a, &unbound_secret), vec![]);
        assert_eq!(
            compare(&a, &other_host),
            vec![Difference::Changed("vacuum".into())]
        );
        assert!(!a.iter().any(|s| s.script.contains("one")));
        let edited = from_text("rb.md", &RB.replace("VACUUM", "VACUUM FULL"));
        let (_, b) = digests(&edited, &all, &bind(&[("DB_HOST", "db1")]));
        assert_eq!(compare(&a, &b), vec![Difference::Changed("vacuum".into())]);
        assert_eq!(
            compare(&a[..1], &a),
            vec![Difference::Added("rotate".into())]
        );
        assert_eq!(
            compare(&a, &a[..1]),
            vec![Difference::Removed("rotate".into())]
        );
    }
}
