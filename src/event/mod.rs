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

use std::borrow::Cow;

use serde::Serialize;

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// Output borrows its bytes from the reader's buffer (a 1 GiB step must not
/// cost 1 GiB of copies); everything else is owned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event<'a> {
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
        #[serde(serialize_with = "lossy")]
        data: Cow<'a, [u8]>,
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

impl Event<'_> {
    /// A copy that owns its output bytes (to keep events for later).
    pub fn to_static(&self) -> Event<'static> {
        match self {
            Event::Output { id, stream, data } => Event::Output {
                id: id.clone(),
                stream: *stream,
                data: Cow::Owned(data.to_vec()),
            },
            Event::RunStarted {
                runbook,
                title,
                steps,
                unattended,
            } => Event::RunStarted {
                runbook: runbook.clone(),
                title: title.clone(),
                steps: *steps,
                unattended: *unattended,
            },
            Event::StepStarted {
                index,
                id,
                section,
                script,
                env,
                interactive,
                attempt,
            } => Event::StepStarted {
                index: *index,
                id: id.clone(),
                section: section.clone(),
                script: script.clone(),
                env: env.clone(),
                interactive: *interactive,
                attempt: *attempt,
            },
            Event::StepFinished {
                id,
                outcome,
                exit_code,
                signal,
                duration_ms,
                continue_on_error,
            } => Event::StepFinished {
                id: id.clone(),
                outcome: *outcome,
                exit_code: *exit_code,
                signal: *signal,
                duration_ms: *duration_ms,
                continue_on_error: *continue_on_error,
            },
            Event::StepSkipped { id, reason } => Event::StepSkipped {
                id: id.clone(),
                reason: reason.clone(),
            },
            Event::CheckFinished {
                id,
                check,
                origin,
                verdict,
                location,
                printed,
            } => Event::CheckFinished {
                id: id.clone(),
                check: *check,
                origin: origin.clone(),
                verdict: verdict.clone(),
                location: location.clone(),
                printed: printed.clone(),
            },
            Event::StepRetrying {
                id,
                attempt,
                attempts,
                wait_ms,
                reason,
            } => Event::StepRetrying {
                id: id.clone(),
                attempt: *attempt,
                attempts: *attempts,
                wait_ms: *wait_ms,
                reason: reason.clone(),
            },
            Event::SessionSaved { id, state } => Event::SessionSaved {
                id: id.clone(),
                state: state.clone(),
            },
            Event::StepNotice { id, message } => Event::StepNotice {
                id: id.clone(),
                message: message.clone(),
            },
            Event::GateAsked { id, reasons } => Event::GateAsked {
                id: id.clone(),
                reasons: reasons.clone(),
            },
            Event::GateAnswered {
                id,
                approved,
                by,
                how,
            } => Event::GateAnswered {
                id: id.clone(),
                approved: *approved,
                by: by.clone(),
                how: how.clone(),
            },
            Event::RunInterrupted { id } => Event::RunInterrupted { id: id.clone() },
            Event::RunFinished {
                outcome,
                exit_code,
                duration_ms,
            } => Event::RunFinished {
                outcome: *outcome,
                exit_code: *exit_code,
                duration_ms: *duration_ms,
            },
        }
    }
}

/// What a check decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    fn event(&mut self, event: &Event<'_>);

    /// Why this reporter can no longer record (a transcript on a full or
    /// read-only disk). A run does not start a step that cannot be recorded.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// Several reporters as one (the terminal or `--json`, and the transcript).
pub struct Tee<'a>(pub Vec<&'a mut dyn Reporter>);

impl Reporter for Tee<'_> {
    fn event(&mut self, event: &Event<'_>) {
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
fn lossy<S: serde::Serializer>(data: &Cow<'_, [u8]>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(data))
}
