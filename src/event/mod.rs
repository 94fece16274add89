//! Events: the only thing the executor emits.
//!
//! Every output of a run goes through these: the terminal reporter, the
//! `--json` reporter (one event per line), and the transcript writer.
//! They carry what a reader of the run needs later without the runbook at
//! hand: ids, the resolved command (secrets masked), exit status, timings,
//! who approved a gate and how.
//!
//! This is the bottom of the run pipeline: the executor emits events,
//! reporters and the transcript consume them, and none of that needs the
//! engine (checks, plan, model), so nothing here imports it.

pub mod bounded;

use serde::{Deserialize, Serialize};

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    /// Non-zero exit (or killed by a signal it did not ask for).
    Failed,
    /// The step ran but a check on its result did not pass.
    CheckFailed,
    TimedOut,
    Interrupted,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::CheckFailed => "check-failed",
            Outcome::TimedOut => "timed-out",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// How a run ended; maps to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    Success,
    StepFailed,
    /// A check (or a preflight check) did not pass.
    CheckFailed,
    Interrupted,
    /// The operator chose to quit.
    Quit,
    /// The transcript could not be written; the run stopped before the next step.
    RecordFailed,
}

/// Owned, so that reporters can keep events and readers can read them back
/// (a chunk of output is copied once, as the redactor already does when
/// there are secrets; the step's output as a whole is never held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    RunStarted {
        runbook: String,
        title: String,
        steps: usize,
        unattended: bool,
    },
    StepStarted {
        index: usize,
        id: String,
        section: Vec<String>,
        /// The script as it runs, secret values masked.
        script: String,
        /// Names of the variables exported to it (values are in the plan).
        env: Vec<String>,
        /// The step has the terminal to itself (`interactive`).
        interactive: bool,
        /// 1 for the first run of the step; more with `retry`/`until` or a retry by the operator.
        attempt: u32,
    },
    Output {
        id: String,
        stream: Stream,
        /// The bytes as read; JSON shows them as lossy UTF-8 (a chunk may
        /// end inside a character).
        #[serde(serialize_with = "lossy", deserialize_with = "text")]
        data: Vec<u8>,
    },
    StepFinished {
        id: String,
        outcome: Outcome,
        exit_code: Option<i32>,
        signal: Option<i32>,
        duration_ms: u64,
        /// `continue-on-error`: a failure here does not stop the run.
        continue_on_error: bool,
    },
    StepSkipped {
        id: String,
        reason: String,
    },
    /// A check on a step's result, a `when` condition that could not be
    /// evaluated, or a preflight check (`id` is `preflight` then).
    CheckFinished {
        id: String,
        /// Position among the step's checks (0-based).
        check: usize,
        /// `block`, `annotation`, `until`, `when` or `preflight`.
        origin: String,
        #[serde(flatten)]
        verdict: Verdict,
        /// `file:line:col` of the check.
        location: String,
        /// What the check printed (`print`, `debug`), secret values masked.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        printed: Vec<String>,
    },
    /// The step will run again (`retry`/`until`) after a wait.
    StepRetrying {
        id: String,
        /// The attempt that just ended, and the most there will be.
        attempt: u32,
        attempts: u32,
        wait_ms: u64,
        reason: String,
    },
    /// The session as a completed step left it (`declare -p` form, secret
    /// values masked): what `resume` restores. Not shown by reporters.
    SessionSaved {
        id: String,
        state: String,
    },
    /// Something worth knowing about a step that is not its output.
    StepNotice {
        id: String,
        message: String,
    },
    GateAsked {
        id: String,
        reasons: Vec<String>,
    },
    GateAnswered {
        id: String,
        approved: bool,
        /// Who: the operator's user name, or the approval's source.
        by: String,
        /// How: `--yes`, `--approve`, `prompt`.
        how: String,
    },
    RunInterrupted {
        id: Option<String>,
    },
    RunFinished {
        outcome: RunOutcome,
        exit_code: u8,
        duration_ms: u64,
    },
}

/// What a check decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    Pass,
    /// Passed, with something to look at.
    Warn {
        messages: Vec<String>,
    },
    Fail {
        message: String,
    },
    /// The check itself is broken (syntax, a limit, a type error).
    Error {
        message: String,
    },
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Warn { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn { .. } => "warn",
            Verdict::Fail { .. } => "fail",
            Verdict::Error { .. } => "error",
        }
    }

    /// One line for people.
    pub fn message(&self) -> Option<String> {
        match self {
            Verdict::Pass => None,
            Verdict::Warn { messages } => Some(messages.join("; ")),
            Verdict::Fail { message } | Verdict::Error { message } => Some(message.clone()),
        }
    }
}

/// Receives every event of a run.
pub trait Reporter {
    fn event(&mut self, event: &Event);

    /// Why this reporter can no longer record (a transcript on a full or
    /// read-only disk). A run does not start a step that cannot be recorded.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// Several reporters as one (the terminal or `--json`, and the transcript).
pub struct Tee<'a>(pub Vec<&'a mut dyn Reporter>);

impl Reporter for Tee<'_> {
    fn event(&mut self, event: &Event) {
        for r in &mut self.0 {
            r.event(event);
        }
    }

    fn failure(&self) -> Option<String> {
        self.0.iter().find_map(|r| r.failure())
    }
}

#[expect(
    clippy::ptr_arg,
    reason = "serde's serialize_with passes the field itself by reference"
)]
fn lossy<S: serde::Serializer>(data: &Vec<u8>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(data))
}

fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    String::deserialize(d).map(String::into_bytes)
}
