//! Approved plans: what a reviewer signed off, and the proof that a
//! scheduled run ran exactly that (`docs/scheduling.md`).
//!
//! `plan --out` writes everything that decides what runs, readable: the
//! runbook's identity (its path as given and the SHA-256 of its bytes), the
//! selection, the run-wide settings (shell, preflight checks, lock key), and
//! each step in order with its script as it would run with the values bound
//! (secret values replaced by their mask, so rotating a secret does not void
//! the approval), its environment, checks, `when`, gate, timeout, terminal,
//! retry, continue-on-error and working directory. The file's digest is the
//! SHA-256 of all of that as written. `approve` recomputes it from what the
//! file shows and records who approved that digest; `run --approved`
//! recomputes it again (an approval of other text counts for nothing), makes
//! today's plan the same way from the runbook and the values, and refuses on
//! any difference, naming it.

use serde::{Deserialize, Serialize};

use crate::bind::{Bindings, Bound, Origin};
use crate::model::{Runbook, is_secret_name};
use crate::plan::{self, Plan, PlanStep, Selection, Status};
use crate::transcript::sha256_hex;

pub mod policy;

pub const FORMAT: &str = "litops-approved-plan/2";

/// Formats of earlier releases: read only to say so.
const OLDER_FORMATS: &[&str] = &["litops-approved-plan/1"];

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
    /// How the steps were chosen (`--section`, `--step`, `--from`, `--to`).
    pub selection: Selection,
    /// The choices made with `--choose` (`CLOUD_PROVIDER=eks`): a run of
    /// the plan makes them again unless told otherwise. Left out when empty
    /// so that plans written before them read (and digest) the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    pub settings: Settings,
    /// In the order they run.
    pub steps: Vec<ApprovedStep>,
    /// `sha256:<hex>` of everything above, as written.
    pub digest: String,
    pub approvals: Vec<Approval>,
}

/// What applies to the whole run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// The program that runs the steps (`litops.shell`, else bash).
    pub shell: String,
    pub preflight: Vec<String>,
    pub lock_key: Vec<String>,
}

/// One step as it would run (secrets masked): what the reviewer reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApprovedStep {
    pub id: String,
    /// `run`, `skip`, `manual`, `choose`.
    pub status: String,
    pub gated: bool,
    pub script: String,
    /// `NAME=value` of each variable it gets.
    pub env: Vec<String>,
    pub checks: Vec<String>,
    pub when: Option<String>,
    pub timeout: Option<String>,
    pub interactive: bool,
    pub continue_on_error: bool,
    /// `3 attempts, 10s apart`.
    pub retry: Option<String>,
    /// The directory the step's own `cwd` names.
    pub cwd: Option<String>,
    /// Where it starts, when not where the previous step left off.
    pub starts_in: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Approval {
    pub by: String,
    pub at: String,
    pub comment: Option<String>,
    /// The plan's digest when it was approved.
    pub digest: String,
    /// An SSH signature of [`policy::signed_text`] of the digest, in the
    /// namespace [`policy::NAMESPACE`] (`approve --key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Bindings with every secret bound to its mask: what approved plans are
/// made of.
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

/// The approvable plan of `selected` (secrets masked), not yet approved.
pub fn make(
    runbook: &Runbook,
    path: &str,
    content: &[u8],
    selection: Selection,
    selected: &[usize],
    bindings: &Bindings,
) -> (Plan, ApprovedPlan) {
    let masked = masked_bindings(runbook, bindings);
    let plan = plan::build(runbook, selected, &masked);
    let mut approvable = ApprovedPlan {
        format: FORMAT.to_owned(),
        runbook: path.to_owned(),
        title: runbook.title().to_owned(),
        content_hash: crate::transcript::content_hash(content),
        created_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        created_by: crate::operator::operator_name(),
        selection,
        choices: {
            let mut choices: Vec<String> = bindings
                .values
                .iter()
                .filter(|(_, b)| b.source == Origin::Choose)
                .map(|(name, b)| format!("{name}={}", b.value))
                .collect();
            choices.sort();
            choices
        },
        settings: settings(runbook),
        steps: plan.steps.iter().map(approved_step).collect(),
        digest: String::new(),
        approvals: Vec::new(),
    };
    approvable.digest = approvable.computed_digest();
    (plan, approvable)
}

fn settings(runbook: &Runbook) -> Settings {
    Settings {
        shell: runbook
            .settings
            .shell
            .clone()
            .unwrap_or_else(|| "bash".to_owned()),
        preflight: runbook
            .settings
            .preflight
            .iter()
            .map(|p| p.source.trim().to_owned())
            .collect(),
        lock_key: runbook.settings.lock_key.clone(),
    }
}

fn approved_step(step: &PlanStep) -> ApprovedStep {
    ApprovedStep {
        id: step.id.clone(),
        status: status_name(step.status).to_owned(),
        gated: step.gate.required && step.status == Status::Run,
        script: step.script.shown().to_owned(),
        env: step
            .env
            .iter()
            .map(|e| format!("{}={}", e.name, e.value.shown()))
            .collect(),
        checks: step.check_sources(),
        when: step.when.as_ref().map(|w| w.source.clone()),
        timeout: step
            .timeout
            .map(|t| humantime::format_duration(t).to_string()),
        interactive: step.interactive,
        continue_on_error: step.continue_on_error,
        retry: step.retry.as_ref().map(|r| {
            format!(
                "{} attempts, {} apart",
                r.attempts,
                humantime::format_duration(r.interval)
            )
        }),
        cwd: step.cwd.clone(),
        starts_in: step.starts_in.as_ref().map(|s| s.describe()),
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

impl ApprovedPlan {
    /// The digest of what the file shows (its `digest` and approvals aside).
    pub fn computed_digest(&self) -> String {
        let mut shown = self.clone();
        shown.digest.clear();
        shown.approvals.clear();
        let text = serde_json::to_string(&shown).unwrap_or_default();
        format!("sha256:{}", sha256_hex(text.as_bytes()))
    }

    /// Approvals of what the file shows now (an edit after an approval
    /// voids it).
    pub fn valid_approvals(&self) -> Vec<&Approval> {
        let digest = self.computed_digest();
        self.approvals
            .iter()
            .filter(|a| a.digest == digest)
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

    pub fn ids(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.id.clone()).collect()
    }

    /// The plan as a reviewer reads it: everything the digest covers.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}\n  runbook: {} ({})\n  made: {} by {}\n  shell: {}\n",
            self.title,
            self.runbook,
            self.content_hash,
            self.created_at,
            self.created_by,
            self.settings.shell
        );
        let selection = &self.selection;
        let mut chosen = Vec::new();
        for (flag, values) in [
            ("--section", &selection.sections),
            ("--step", &selection.steps),
            ("--tag", &selection.tags),
        ] {
            chosen.extend(values.iter().map(|v| format!("{flag} {v}")));
        }
        chosen.extend(selection.from.iter().map(|v| format!("--from {v}")));
        chosen.extend(selection.to.iter().map(|v| format!("--to {v}")));
        if !chosen.is_empty() {
            out.push_str(&format!("  selection: {}\n", chosen.join(" ")));
        }
        for p in &self.settings.preflight {
            out.push_str(&format!("  preflight: {p}\n"));
        }
        if !self.settings.lock_key.is_empty() {
            out.push_str(&format!(
                "  lock key: {}\n",
                self.settings.lock_key.join(" ")
            ));
        }
        for (n, step) in self.steps.iter().enumerate() {
            out.push_str(&format!(
                "\n{}. {} [{}{}]\n",
                n + 1,
                step.id,
                step.status,
                if step.gated { ", gated" } else { "" }
            ));
            for line in step.script.lines() {
                out.push_str(&format!("   $ {line}\n"));
            }
            for e in &step.env {
                out.push_str(&format!("   env {e}\n"));
            }
            for c in &step.checks {
                out.push_str(&format!("   check {c}\n"));
            }
            let mut facts: Vec<String> = Vec::new();
            facts.extend(step.when.iter().map(|w| format!("when {w}")));
            facts.extend(step.timeout.iter().map(|t| format!("timeout {t}")));
            facts.extend(step.retry.iter().map(|r| format!("retry {r}")));
            facts.extend(step.cwd.iter().map(|c| format!("cwd {c}")));
            facts.extend(step.starts_in.iter().cloned());
            if step.interactive {
                facts.push("interactive".to_owned());
            }
            if step.continue_on_error {
                facts.push("continue-on-error".to_owned());
            }
            for f in facts {
                out.push_str(&format!("   {f}\n"));
            }
        }
        out.push_str(&format!("\ndigest: {}\n", self.computed_digest()));
        for a in &self.approvals {
            let valid = if a.digest == self.computed_digest() {
                ""
            } else {
                " (of other text: void)"
            };
            out.push_str(&format!("approved by {} at {}{valid}\n", a.by, a.at));
        }
        out
    }
}

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("{path} is not an approvable plan: {err}")]
    Invalid { path: String, err: String },
    #[error(
        "{path} was approved under an older format ({format}), which did not cover everything that decides what runs (the shell, the steps' order, all of each step's settings): re-approve it: make a new plan (litops plan --out) and have it approved{difference}"
    )]
    Older {
        path: String,
        format: String,
        /// What else an old plan says about today's runbook.
        difference: String,
    },
    #[error("{path}: format {format:?}; this litops reads {FORMAT:?}")]
    Unknown { path: String, format: String },
}

/// Reads an approved plan.
pub fn load(path: &std::path::Path) -> Result<ApprovedPlan, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| LoadError::Read {
        path: shown.clone(),
        err,
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| LoadError::Invalid {
        path: shown.clone(),
        err: e.to_string(),
    })?;
    let format = value
        .get("format")
        .and_then(|f| f.as_str())
        .unwrap_or_default()
        .to_owned();
    if OLDER_FORMATS.contains(&format.as_str()) {
        let hash = value.get("content_hash").and_then(|h| h.as_str());
        let runbook = value.get("runbook").and_then(|r| r.as_str());
        let difference = match (runbook, hash) {
            (Some(runbook), Some(hash)) => match std::fs::read(runbook) {
                Ok(bytes) if crate::transcript::content_hash(&bytes) == hash => {
                    format!("; {runbook} is unchanged since then")
                }
                Ok(_) => format!("; {runbook} has changed since then"),
                Err(_) => String::new(),
            },
            _ => String::new(),
        };
        return Err(LoadError::Older {
            path: shown,
            format,
            difference,
        });
    }
    if value.get("format").is_none() {
        // serde says what is missing, and where.
        let err = serde_json::from_str::<ApprovedPlan>(&text).err();
        return Err(LoadError::Invalid {
            path: shown,
            err: err.map_or_else(|| "no format".to_owned(), |e| e.to_string()),
        });
    }
    if format != FORMAT {
        return Err(LoadError::Unknown {
            path: shown,
            format,
        });
    }
    serde_json::from_value(value).map_err(|e| LoadError::Invalid {
        path: shown,
        err: e.to_string(),
    })
}

/// Writes it whole or not at all (a temporary file renamed into place).
pub fn save(path: &std::path::Path, plan: &ApprovedPlan) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(plan).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::files::replace(path, &text, 0o600)
}

/// How today's plan differs from an approved one, one line each: the
/// runbook, the settings, the order of the steps, and each step's fields.
/// `only`: the approved steps that still count (a resumed run's).
pub fn compare(
    approved: &ApprovedPlan,
    today: &ApprovedPlan,
    only: Option<&[String]>,
) -> Vec<String> {
    let mut out = Vec::new();
    if approved.content_hash != today.content_hash {
        out.push(if approved.runbook == today.runbook {
            format!(
                "* {} changed since the plan was made from it",
                today.runbook
            )
        } else {
            format!(
                "* {} is not the runbook the plan was made from ({})",
                today.runbook, approved.runbook
            )
        });
    }
    let (a, t) = (&approved.settings, &today.settings);
    if a.shell != t.shell {
        out.push(format!(
            "* the shell: approved {:?}, now {:?}",
            a.shell, t.shell
        ));
    }
    if a.preflight != t.preflight {
        out.push("* litops.preflight changed since the plan was approved".to_owned());
    }
    if a.lock_key != t.lock_key {
        out.push("* litops.lock_key changed since the plan was approved".to_owned());
    }
    let counts = |id: &str| only.is_none_or(|ids| ids.iter().any(|i| i == id));
    let approved_steps: Vec<&ApprovedStep> =
        approved.steps.iter().filter(|s| counts(&s.id)).collect();
    for a in &approved_steps {
        match today.steps.iter().find(|t| t.id == a.id) {
            None => out.push(format!(
                "- {}: approved, but no longer in the runbook",
                a.id
            )),
            Some(t) => {
                let fields = differing_fields(a, t);
                if !fields.is_empty() {
                    out.push(format!(
                        "~ {}: {} changed since it was approved",
                        a.id,
                        fields.join(", ")
                    ));
                }
            }
        }
    }
    for t in &today.steps {
        if !approved_steps.iter().any(|a| a.id == t.id) {
            out.push(format!("+ {}: not in the approved plan", t.id));
        }
    }
    let order = |steps: &mut dyn Iterator<Item = &str>| -> Vec<String> {
        steps.map(str::to_owned).collect()
    };
    let both = |id: &str| {
        approved_steps.iter().any(|a| a.id == id) && today.steps.iter().any(|t| t.id == id)
    };
    let was = order(
        &mut approved_steps
            .iter()
            .map(|s| s.id.as_str())
            .filter(|id| both(id)),
    );
    let now = order(
        &mut today
            .steps
            .iter()
            .map(|s| s.id.as_str())
            .filter(|id| both(id)),
    );
    if was != now {
        out.push(format!(
            "* the steps' order: approved {}; now {}",
            was.join(", "),
            now.join(", ")
        ));
    }
    out
}

/// The names of the fields that differ, the variables by name.
fn differing_fields(a: &ApprovedStep, t: &ApprovedStep) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |differs: bool, name: &str| {
        if differs {
            out.push(name.to_owned());
        }
    };
    field(a.status != t.status, "status");
    field(a.gated != t.gated, "gate");
    field(a.script != t.script, "script");
    field(a.checks != t.checks, "checks");
    field(a.when != t.when, "when");
    field(a.timeout != t.timeout, "timeout");
    field(a.interactive != t.interactive, "interactive");
    field(
        a.continue_on_error != t.continue_on_error,
        "continue-on-error",
    );
    field(a.retry != t.retry, "retry");
    field(a.cwd != t.cwd, "cwd");
    field(a.starts_in != t.starts_in, "starting directory");
    let name = |e: &String| e.split_once('=').map_or(e.clone(), |(n, _)| n.to_owned());
    let mut names: Vec<String> = a
        .env
        .iter()
        .filter(|e| !t.env.contains(e))
        .chain(t.env.iter().filter(|e| !a.env.contains(e)))
        .map(name)
        .collect();
    names.dedup();
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    for n in names {
        out.push(format!("the value of {n}"));
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

    fn plan(text: &str, pairs: &[(&str, &str)]) -> ApprovedPlan {
        let rb = from_text("rb.md", text);
        make(
            &rb,
            "rb.md",
            text.as_bytes(),
            Selection::default(),
            &[0, 1],
            &bind(pairs),
        )
        .1
    }

    #[test]
    fn approved_plans_follow_values_but_not_secrets() {
        let a = plan(RB, &[("DB_HOST", "db1"), ("DB_PASSWORD", "one")]);
        let same = plan(RB, &[("DB_HOST", "db1"), ("DB_PASSWORD", "two")]);
        let unbound_secret = plan(RB, &[("DB_HOST", "db1")]);
        let other_host = plan(RB, &[("DB_HOST", "db2"), ("DB_PASSWORD", "one")]);
        assert_eq!(compare(&a, &same, None), Vec::<String>::new());
        assert_eq!(compare(&a, &unbound_secret, None), Vec::<String>::new());
        assert_eq!(
            compare(&a, &other_host, None),
            ["~ vacuum: the value of DB_HOST changed since it was approved"]
        );
        assert!(
            !serde_json::to_string(&a)
                .unwrap_or_default()
                .contains("one")
        );
    }

    #[test]
    fn an_edited_runbook_reordered_steps_and_another_shell_are_named() {
        let a = plan(RB, &[("DB_HOST", "db1")]);
        let edited = plan(&RB.replace("VACUUM", "VACUUM FULL"), &[("DB_HOST", "db1")]);
        let differences = compare(&a, &edited, None);
        assert_eq!(
            differences[0],
            "* rb.md changed since the plan was made from it"
        );
        assert_eq!(
            differences[1],
            "~ vacuum: script changed since it was approved"
        );
        let (vacuum, rotate) = RB.split_at(RB.find("## Rotate").unwrap_or(0));
        let reordered = format!(
            "{}\n{rotate}\n{}",
            &vacuum[..vacuum.find("## Vacuum").unwrap_or(0)],
            &vacuum[vacuum.find("## Vacuum").unwrap_or(0)..]
        );
        let differences = compare(&a, &plan(&reordered, &[("DB_HOST", "db1")]), None);
        assert!(
            differences.contains(
                &"* the steps' order: approved vacuum, rotate; now rotate, vacuum".to_owned()
            ),
            "{differences:?}"
        );
        let shell = plan(
            &RB.replace("litops:\n", "litops:\n  shell: ./anything\n"),
            &[("DB_HOST", "db1")],
        );
        assert!(
            compare(&a, &shell, None)
                .contains(&"* the shell: approved \"bash\", now \"./anything\"".to_owned())
        );
    }

    #[test]
    fn an_approval_covers_the_text_it_was_given() {
        let mut a = plan(RB, &[("DB_HOST", "db1")]);
        a.approvals.push(Approval {
            by: "alice".to_owned(),
            at: "now".to_owned(),
            comment: None,
            digest: a.computed_digest(),
            signature: None,
        });
        assert_eq!(a.valid_approvals().len(), 1);
        a.steps[0].script = "echo harmless".to_owned();
        assert!(a.valid_approvals().is_empty());
    }
}
