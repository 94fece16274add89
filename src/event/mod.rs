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
pub mod fold;

/// The version of the event stream (`--json`, and the events of a
/// transcript), in `run-started`. 2: output as `text` or `base64`, not
/// lossy `data`; `run-started` says the version.
pub const SCHEMA_VERSION: u32 = 2;

use serde::{Deserialize, Serialize};

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
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
    /// Every step the operator let run succeeded, but some were declined
    /// (skipped, their gate not approved, a manual step not done).
    Declined,
    /// The transcript could not be written; the run stopped before the next step.
    RecordFailed,
}

impl RunOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::StepFailed => "step-failed",
            RunOutcome::CheckFailed => "check-failed",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::Quit => "quit",
            RunOutcome::Declined => "declined",
            RunOutcome::RecordFailed => "record-failed",
        }
    }
}

/// Owned, so that reporters can keep events and readers can read them back
/// (a chunk of output is copied once, as the redactor already does when
/// there are secrets; the step's output as a whole is never held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    RunStarted {
        /// [`SCHEMA_VERSION`]; absent (read as 1) in transcripts of version 1.
        #[serde(default = "first_version")]
        schema_version: u32,
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
        /// The bytes as read: `text` when they are UTF-8, else `base64` (a
        /// chunk may end inside a character), so that nothing is lost.
        #[serde(flatten, with = "chunk")]
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
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
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

/// A step's check as the folds of a run keep it (`show`, `diff`, the
/// summary, JUnit): one type for all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// `block`, `annotation`, `until` or `when`.
    pub origin: String,
    /// `pass`, `warn`, `fail`, `error`.
    pub verdict: String,
    pub message: Option<String>,
    pub location: String,
}

impl Event {
    /// The step and the check result this event reports, if it reports
    /// one (preflight checks belong to no step).
    pub fn check_result(&self) -> Option<(&str, CheckResult)> {
        match self {
            Event::CheckFinished {
                id,
                origin,
                verdict,
                location,
                ..
            } if id != "preflight" => Some((
                id,
                CheckResult {
                    origin: origin.clone(),
                    verdict: verdict.name().to_owned(),
                    message: verdict.message(),
                    location: location.clone(),
                },
            )),
            _ => None,
        }
    }
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

    /// The run is about to ask the person something while a step is under
    /// way (work by hand in its middle): live displays (a spinner) stop, so
    /// they do not draw over the question.
    fn before_question(&mut self) {}
}

/// Several reporters as one (the terminal or `--json`, and the transcript).
pub struct Tee<'a>(pub Vec<&'a mut dyn Reporter>);

impl Reporter for Tee<'_> {
    fn event(&mut self, event: &Event) {
        for r in &mut self.0 {
            r.event(event);
        }
    }

    fn before_question(&mut self) {
        for r in &mut self.0 {
            r.before_question();
        }
    }

    fn failure(&self) -> Option<String> {
        self.0.iter().find_map(|r| r.failure())
    }
}

fn first_version() -> u32 {
    1
}

/// A chunk of output on the wire: `"text": …` when it is UTF-8, else
/// `"base64": …`.
mod chunk {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Shown<'a> {
        Text(&'a str),
        Base64(String),
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Read {
        Text(String),
        Base64(String),
    }

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(data) {
            Ok(text) => Shown::Text(text).serialize(s),
            Err(_) => Shown::Base64(STANDARD.encode(data)).serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Read::deserialize(d)? {
            Read::Text(text) => Ok(text.into_bytes()),
            Read::Base64(b64) => STANDARD.decode(b64).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(event: &Event) -> (serde_json::Value, Event) {
        let json = serde_json::to_value(event).expect("serialises");
        let back = serde_json::from_value(json.clone()).expect("reads back");
        (json, back)
    }

    #[test]
    fn output_is_text_when_utf8_and_base64_when_not_and_reads_back_exactly() {
        let text = Event::Output {
            id: "a".into(),
            stream: Stream::Stdout,
            data: "café\n".as_bytes().to_vec(),
        };
        let (json, back) = round_trip(&text);
        assert_eq!(
            json,
            serde_json::json!({"event": "output", "id": "a", "stream": "stdout", "text": "café\n"})
        );
        assert_eq!(back, text);
        let bytes = Event::Output {
            id: "a".into(),
            stream: Stream::Stderr,
            data: b"caf\xe9 \xff\n".to_vec(),
        };
        let (json, back) = round_trip(&bytes);
        assert_eq!(json["base64"], "Y2Fm6SD/Cg==");
        assert!(json.get("text").is_none() && json.get("data").is_none());
        assert_eq!(back, bytes);
    }

    #[test]
    fn every_kind_of_event_reads_back_as_written() {
        let events = [
            Event::RunStarted {
                schema_version: SCHEMA_VERSION,
                runbook: "r.md".into(),
                title: "R".into(),
                steps: 2,
                unattended: true,
            },
            Event::CheckFinished {
                id: "a".into(),
                check: 1,
                origin: "block".into(),
                verdict: Verdict::Warn {
                    messages: vec!["slow".into()],
                },
                location: "r.md:3:1".into(),
                printed: vec!["hi".into()],
            },
            Event::CheckFinished {
                id: "preflight".into(),
                check: 0,
                origin: "preflight".into(),
                verdict: Verdict::Pass,
                location: "r.md:1:1".into(),
                printed: Vec::new(),
            },
            Event::StepFinished {
                id: "a".into(),
                outcome: Outcome::CheckFailed,
                exit_code: None,
                signal: Some(9),
                duration_ms: 5,
                continue_on_error: true,
            },
            Event::RunFinished {
                outcome: RunOutcome::RecordFailed,
                exit_code: 6,
                duration_ms: 7,
            },
        ];
        for event in &events {
            assert_eq!(&round_trip(event).1, event);
        }
    }

    #[test]
    fn a_run_started_of_version_1_reads_as_version_1() {
        let v1 = serde_json::json!({"event": "run-started", "runbook": "r.md", "title": "R", "steps": 1, "unattended": false});
        let read: Event = serde_json::from_value(v1).expect("reads");
        assert!(matches!(
            read,
            Event::RunStarted {
                schema_version: 1,
                ..
            }
        ));
    }

    #[test]
    fn names_are_the_wire_names() {
        for outcome in [
            RunOutcome::Success,
            RunOutcome::StepFailed,
            RunOutcome::CheckFailed,
            RunOutcome::Interrupted,
            RunOutcome::Quit,
            RunOutcome::Declined,
            RunOutcome::RecordFailed,
        ] {
            assert_eq!(
                serde_json::to_value(outcome).ok(),
                Some(outcome.name().into())
            );
        }
        for stream in [Stream::Stdout, Stream::Stderr] {
            assert_eq!(
                serde_json::to_value(stream).ok(),
                Some(stream.name().into())
            );
        }
    }
}
