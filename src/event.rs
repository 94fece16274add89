//! Events: the only thing the executor emits.
//!
//! Every output of a run goes through these: the terminal reporter, the
//! `--json` reporter (one event per line), and the transcript writer to come.
//! They carry what a reader of the run needs later without the runbook at
//! hand: ids, the resolved command (secrets masked), exit status, timings,
//! who approved a gate and how.

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
    TimedOut,
    Interrupted,
}

/// How a run ended; maps to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    Success,
    StepFailed,
    Interrupted,
    /// The operator chose to quit.
    Quit,
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

#[expect(
    clippy::ptr_arg,
    reason = "serde's serialize_with passes the field itself by reference"
)]
fn lossy<S: serde::Serializer>(data: &Cow<'_, [u8]>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(data))
}
