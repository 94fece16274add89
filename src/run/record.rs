//! The run's transcript: where it goes, its header, and opening it before
//! anything runs (a run that cannot be recorded does not start).

use std::path::{Path, PathBuf};

use super::RunError;
use crate::approval::ApprovedPlan;
use crate::bind::Bindings;
use crate::model::Runbook;
use crate::operator;
use crate::plan::Plan;
use crate::transcript::{self, TranscriptWriter, WriterOptions};

/// Where the run's transcript goes.
pub enum Recording {
    None,
    /// A new transcript: at this path, or (empty) the default one.
    New(PathBuf),
    /// A resumed run adds to the transcript it continues.
    Append {
        path: PathBuf,
        resumed: serde_json::Value,
    },
}

/// What the transcript's header says of a run.
pub(super) struct RunFacts<'a> {
    pub runbook: &'a Runbook,
    pub path: &'a Path,
    pub plan: &'a Plan,
    pub bindings: &'a Bindings,
    pub unattended: bool,
    pub approved: Option<&'a ApprovedPlan>,
    /// The principals an approval policy counted (`None`: no policy).
    pub signed_by: Option<Vec<String>>,
}

/// Creates (or reopens, for a resumed run) the transcript.
pub(super) fn open(
    record: Recording,
    facts: &RunFacts,
) -> Result<Option<TranscriptWriter>, RunError> {
    let refuse = |target: &Path, err: std::io::Error| {
        RunError::Transcript(format!(
            "cannot write the transcript {}: {err}\nnothing was run; fix the directory, choose another with --transcript PATH, or run with --no-transcript",
            target.display()
        ))
    };
    match record {
        Recording::None => Ok(None),
        Recording::Append { path, resumed } => {
            let mut writer = TranscriptWriter::append(&path, WriterOptions::default())
                .map_err(|e| refuse(&path, e))?;
            writer.note(resumed).map_err(|e| refuse(&path, e))?;
            Ok(Some(writer))
        }
        Recording::New(target) => {
            let now = jiff::Timestamp::now();
            let run_id = transcript::new_run_id(now);
            let target = if target.as_os_str().is_empty() {
                let path = transcript::default_path(&transcript::runs_dir(), facts.path, &run_id);
                if let Some(dir) = path.parent() {
                    transcript::private_runs_subdir(dir).map_err(|e| refuse(&path, e))?;
                }
                path
            } else {
                target
            };
            let header = header(facts, &run_id, now);
            TranscriptWriter::create(&target, &header, WriterOptions::default())
                .map(Some)
                .map_err(|e| refuse(&target, e))
        }
    }
}

fn header(facts: &RunFacts, run_id: &str, now: jiff::Timestamp) -> transcript::Header {
    let RunFacts {
        runbook,
        path,
        plan,
        bindings,
        unattended,
        approved,
        ref signed_by,
    } = *facts;
    let redactor = plan.redactor();
    let bytes = std::fs::read(path).unwrap_or_else(|_| runbook.file.text().as_bytes().to_vec());
    let (user, host) = operator::operator_name()
        .split_once('@')
        .map(|(u, h)| (u.to_owned(), h.to_owned()))
        .unwrap_or_default();
    transcript::Header {
        schema_version: transcript::SCHEMA_VERSION,
        run_id: run_id.to_owned(),
        litops_version: env!("CARGO_PKG_VERSION").to_owned(),
        runbook: path.display().to_string(),
        title: runbook.title().to_owned(),
        content_hash: transcript::content_hash(&bytes),
        source: redactor.apply(runbook.file.text()).into_owned(),
        git_commit: transcript::git_commit(path),
        user,
        host,
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        started_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        unattended,
        steps: plan
            .steps
            .iter()
            .map(|s| transcript::PlannedStep {
                id: s.id.clone(),
                status: format!("{:?}", s.status).to_lowercase(),
            })
            .collect(),
        variables: bindings
            .values
            .iter()
            .map(|(name, b)| {
                let secret = bindings.is_secret(runbook, name);
                transcript::BoundVariable {
                    name: name.clone(),
                    value: if secret {
                        format!("[REDACTED:{name}]")
                    } else {
                        redactor.apply(&b.value).into_owned()
                    },
                    source: b.source.to_string(),
                    secret,
                }
            })
            .collect(),
        approved_plan: approved.map(|a| transcript::ApprovedRef {
            // The plan's digest (named for the steps when only they were digested).
            steps_digest: a.computed_digest(),
            approvers: a
                .valid_approvals()
                .iter()
                .map(|v| format!("{} at {}", v.by, v.at))
                .collect(),
            signed_by: signed_by.clone(),
        }),
    }
}
