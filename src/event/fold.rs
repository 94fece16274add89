//! What happened to each step of a run, folded from its events.
//!
//! The one reading of a run's events: the live summary (`--report`, JUnit,
//! the hooks' stdin) folds the events as they happen, and a transcript read
//! back (`show`, `diff`, `resume`, `status`) folds the same events from its
//! records. Each keeps what it needs of a step's output: the summary the
//! last bytes ([`Run::with_output_limit`]), a transcript view all of it
//! (the transcript bounded it when it was written).

use std::collections::HashMap;

use serde::{Serialize, Serializer};

use super::{CheckResult, Event};

/// A run, step by step.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub runbook: String,
    pub title: String,
    /// `success`, `step-failed`, …: how the run said it ended, once it did.
    pub outcome: Option<String>,
    pub exit_code: Option<u8>,
    pub duration_ms: Option<u64>,
    pub steps: Vec<Step>,
    /// Bytes of output kept per step: the last ones (`None`: all).
    output_limit: Option<usize>,
    /// The step the last event was about.
    last: usize,
    /// Where each step is in `steps`, by id (the first of an id), for the
    /// first `indexed` steps: a long run's events find their step without
    /// a search through all of them (`steps` is public: checked on use).
    index: HashMap<String, usize>,
    indexed: usize,
}

/// What happened to one step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Step {
    pub id: String,
    /// What the plan said (`run`, `skip`, `manual`, `choose`).
    pub planned: String,
    /// `success`, `failed`, `check-failed`, `timed-out`, `interrupted`,
    /// `skipped`, `started` (began, never ended: the run died), or
    /// `not-reached`.
    pub state: String,
    pub attempts: u32,
    pub script: Option<String>,
    pub started_at: Option<String>,
    pub output: Vec<OutputChunk>,
    /// Output bytes left out (the middle of a chatty step).
    pub output_dropped: u64,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub duration_ms: Option<u64>,
    pub continue_on_error: bool,
    pub checks: Vec<CheckResult>,
    pub gate: Option<Gate>,
    pub skip_reason: Option<String>,
    pub notices: Vec<String>,
    /// The sections the step is in.
    #[serde(skip)]
    pub section: Vec<String>,
    /// The session after the step (redacted), for resume.
    #[serde(skip)]
    pub session: Option<String>,
}

/// Output of one stream as printed, or a note (`note`) where some was left
/// out. Kept as bytes: a character split between two chunks of output is
/// whole again when the text is taken.
#[derive(Debug, Clone, Serialize)]
pub struct OutputChunk {
    pub stream: String,
    #[serde(rename = "text", serialize_with = "as_text")]
    pub data: Vec<u8>,
}

fn as_text<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(data))
}

#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub approved: bool,
    pub by: String,
    pub how: String,
}

impl Step {
    fn new(id: &str, planned: &str) -> Step {
        Step {
            id: id.to_owned(),
            planned: planned.to_owned(),
            state: "not-reached".to_owned(),
            ..Step::default()
        }
    }

    /// Done for good: a resumed run does not run it again.
    pub fn completed(&self) -> bool {
        match self.state.as_str() {
            "success" | "skipped" => true,
            "failed" | "check-failed" | "timed-out" => self.continue_on_error,
            _ => false,
        }
    }

    /// The output as one text (streams interleaved as printed).
    pub fn output_text(&self) -> String {
        let bytes: Vec<u8> = self
            .output
            .iter()
            .flat_map(|c| c.data.iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn output_len(&self) -> usize {
        self.output.iter().map(|c| c.data.len()).sum()
    }

    /// Keeps at least the last `limit` bytes, dropping older ones once
    /// there are twice as many (a drain per chunk would copy the tail over
    /// and over).
    fn bound_output(&mut self, limit: usize) {
        let mut excess = self.output_len().saturating_sub(limit);
        if excess <= limit {
            return;
        }
        while let Some(first) = self.output.first_mut() {
            if first.data.len() > excess {
                first.data.drain(..excess);
                break;
            }
            excess -= first.data.len();
            self.output.remove(0);
        }
    }
}

impl Run {
    /// A run whose steps are known in advance (a transcript's plan):
    /// `(id, planned)`, in order.
    pub fn planned<'a>(steps: impl IntoIterator<Item = (&'a str, &'a str)>) -> Run {
        Run {
            steps: steps
                .into_iter()
                .map(|(id, planned)| Step::new(id, planned))
                .collect(),
            ..Run::default()
        }
    }

    /// Keeps only the last `bytes` of each step's output (at least).
    pub fn with_output_limit(mut self, bytes: usize) -> Run {
        self.output_limit = Some(bytes);
        self
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        match self.indexed_position(id) {
            Some(found) => found.map(|at| &self.steps[at]),
            None => self.steps.iter().find(|s| s.id == id),
        }
    }

    /// Where the step is, from the index: `None` when the index does not
    /// hold what `steps` holds now.
    fn indexed_position(&self, id: &str) -> Option<Option<usize>> {
        if self.indexed != self.steps.len() {
            return None;
        }
        match self.index.get(id) {
            Some(&at) if self.steps.get(at).is_some_and(|s| s.id == id) => Some(Some(at)),
            Some(_) => None,
            None => Some(None),
        }
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (at, step) in self.steps.iter().enumerate() {
            self.index.entry(step.id.clone()).or_insert(at);
        }
        self.indexed = self.steps.len();
    }

    fn step_mut(&mut self, id: &str) -> &mut Step {
        // Most events are about the step the last one was about.
        let last = Some(self.last).filter(|&at| self.steps.get(at).is_some_and(|s| s.id == id));
        let found = match last {
            Some(at) => Some(at),
            None => match self.indexed_position(id) {
                Some(found) => found,
                None => {
                    self.reindex();
                    self.index.get(id).copied()
                }
            },
        };
        let at = match found {
            Some(at) => at,
            None => {
                self.steps.push(Step::new(id, "run"));
                let at = self.steps.len() - 1;
                self.index.insert(id.to_owned(), at);
                self.indexed = self.steps.len();
                at
            }
        };
        self.last = at;
        &mut self.steps[at]
    }

    /// Output left out of the record of a step (a transcript's note).
    pub fn output_dropped(&mut self, id: &str, bytes: u64) {
        let s = self.step_mut(id);
        s.output_dropped += bytes;
        s.output.push(OutputChunk {
            stream: "note".to_owned(),
            data: format!("\n[… {bytes} bytes of output not kept …]\n").into_bytes(),
        });
    }

    /// The run goes on in a new process (`resume`): it has not ended.
    pub fn resumed(&mut self) {
        self.outcome = None;
    }

    /// One event; `at` is when it happened, where that is known.
    pub fn apply(&mut self, event: &Event, at: Option<&str>) {
        match event {
            Event::RunStarted { runbook, title, .. } => {
                self.runbook.clone_from(runbook);
                self.title.clone_from(title);
            }
            Event::RunFinished {
                outcome,
                exit_code,
                duration_ms,
            } => {
                self.outcome = Some(outcome.name().to_owned());
                self.exit_code = Some(*exit_code);
                self.duration_ms = Some(*duration_ms);
            }
            Event::StepStarted {
                id,
                section,
                script,
                ..
            } => {
                let s = self.step_mut(id);
                s.attempts += 1;
                s.state = "started".to_owned();
                s.section.clone_from(section);
                s.script = Some(script.clone());
                s.started_at = at.map(str::to_owned);
                // Each attempt's output and checks replace the last one's.
                s.output.clear();
                s.output_dropped = 0;
                s.checks.clear();
            }
            Event::Output { id, stream, data } => {
                let limit = self.output_limit;
                let s = self.step_mut(id);
                let stream = stream.name();
                match s.output.last_mut() {
                    Some(last) if last.stream == stream => last.data.extend_from_slice(data),
                    _ => s.output.push(OutputChunk {
                        stream: stream.to_owned(),
                        data: data.clone(),
                    }),
                }
                if let Some(limit) = limit {
                    s.bound_output(limit);
                }
            }
            Event::CheckFinished { .. } => {
                if let Some((id, check)) = event.check_result() {
                    self.step_mut(id).checks.push(check);
                }
            }
            Event::StepFinished {
                id,
                outcome,
                exit_code,
                signal,
                duration_ms,
                continue_on_error,
            } => {
                let s = self.step_mut(id);
                s.state = outcome.name().to_owned();
                s.exit_code = exit_code.map(i64::from);
                s.signal = signal.map(i64::from);
                s.duration_ms = Some(*duration_ms);
                s.continue_on_error = *continue_on_error;
            }
            Event::StepSkipped { id, reason } => {
                let s = self.step_mut(id);
                s.state = "skipped".to_owned();
                s.skip_reason = Some(reason.clone());
            }
            Event::GateAnswered {
                id,
                approved,
                by,
                how,
            } => {
                self.step_mut(id).gate = Some(Gate {
                    approved: *approved,
                    by: by.clone(),
                    how: how.clone(),
                });
            }
            Event::StepNotice { id, message } => self.step_mut(id).notices.push(message.clone()),
            Event::SessionSaved { id, state } => self.step_mut(id).session = Some(state.clone()),
            _ => {}
        }
    }

    /// The latest session state a completed step saved.
    pub fn session(&self) -> Option<&str> {
        self.steps
            .iter()
            .filter(|s| s.completed())
            .filter_map(|s| s.session.as_deref())
            .next_back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Outcome, Stream};

    fn started(id: &str, attempt: u32) -> Event {
        Event::StepStarted {
            index: 0,
            id: id.to_owned(),
            section: vec!["Deploy".to_owned()],
            script: "echo hi".to_owned(),
            env: Vec::new(),
            interactive: false,
            attempt,
        }
    }

    fn output(id: &str, data: &[u8]) -> Event {
        Event::Output {
            id: id.to_owned(),
            stream: Stream::Stdout,
            data: data.to_vec(),
        }
    }

    #[test]
    fn events_find_their_step_wherever_it_is_and_however_it_came() {
        let mut run = Run::planned([("a", "run"), ("b", "skip"), ("a", "run")]);
        run.apply(&started("b", 1), None);
        run.apply(&started("c", 1), None);
        // Steps added from outside the fold are found too.
        run.steps.push(Step::new("d", "manual"));
        run.apply(&output("a", b"to a"), None);
        run.apply(&output("d", b"to d"), None);
        run.apply(&output("c", b"to c"), None);
        run.apply(&started("e", 1), None);
        let seen: Vec<(&str, &str, u32, String)> = run
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.planned.as_str(),
                    s.attempts,
                    s.output_text(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("a", "run", 0, "to a".to_owned()),
                ("b", "skip", 1, String::new()),
                ("a", "run", 0, String::new()),
                ("c", "run", 1, "to c".to_owned()),
                ("d", "manual", 0, "to d".to_owned()),
                ("e", "run", 1, String::new()),
            ]
        );
        assert_eq!(run.step("d").map(|s| s.planned.as_str()), Some("manual"));
        assert!(run.step("f").is_none());
    }

    #[test]
    fn a_character_split_between_two_chunks_of_output_is_whole() {
        let mut run = Run::default();
        run.apply(&started("a", 1), None);
        run.apply(&output("a", &[b'x', 0xc3]), None);
        run.apply(&output("a", &[0xa9, b'\n']), None);
        assert_eq!(run.steps[0].output_text(), "xé\n");
    }

    #[test]
    fn an_attempt_replaces_the_last_ones_output_and_counts() {
        let mut run = Run::planned([("a", "run"), ("b", "run")]);
        run.apply(&started("a", 1), Some("t1"));
        run.apply(&output("a", b"first"), None);
        run.apply(&started("a", 2), Some("t2"));
        run.apply(&output("a", b"second"), None);
        run.apply(
            &Event::StepFinished {
                id: "a".to_owned(),
                outcome: Outcome::Success,
                exit_code: Some(0),
                signal: None,
                duration_ms: 5,
                continue_on_error: false,
            },
            None,
        );
        let a = &run.steps[0];
        assert_eq!(
            (
                a.attempts,
                a.state.as_str(),
                a.output_text(),
                a.started_at.as_deref()
            ),
            (2, "success", "second".to_owned(), Some("t2"))
        );
        assert_eq!(a.section, ["Deploy"]);
        assert_eq!(run.steps[1].state, "not-reached");
    }

    #[test]
    fn a_limited_run_keeps_the_last_bytes_of_each_step() {
        let mut run = Run::default().with_output_limit(4);
        run.apply(&started("a", 1), None);
        for chunk in [&b"0123"[..], b"4567", b"89"] {
            run.apply(&output("a", chunk), None);
        }
        let text = run.steps[0].output_text();
        assert!(text.ends_with("6789") && text.len() <= 8, "{text:?}");
    }
}
