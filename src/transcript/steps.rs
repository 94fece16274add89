//! A transcript folded into what happened to each step: what `show`,
//! `list`, `diff` and `resume` read.

use serde::Serialize;

use super::Transcript;
use super::read::{Entry, Record};
use crate::event::{CheckResult, Event};

#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub run_id: String,
    pub runbook: String,
    pub title: String,
    pub started_at: String,
    pub user: String,
    pub host: String,
    /// `success`, `step-failed`, `check-failed`, `interrupted`, `quit`, or
    /// `incomplete` when the run never finished (killed, crashed, running).
    pub outcome: String,
    pub exit_code: Option<u64>,
    pub duration_ms: Option<u64>,
    pub steps: Vec<StepView>,
    /// Times the run was resumed (appended to this transcript).
    pub resumed: usize,
    pub truncated: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StepView {
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
    /// Output bytes left out of the transcript (the middle of a chatty step).
    pub output_dropped: u64,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub duration_ms: Option<u64>,
    pub continue_on_error: bool,
    pub checks: Vec<CheckResult>,
    pub gate: Option<GateView>,
    pub skip_reason: Option<String>,
    pub notices: Vec<String>,
    /// The session after the step (redacted), for resume.
    #[serde(skip)]
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputChunk {
    pub stream: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateView {
    pub approved: bool,
    pub by: String,
    pub how: String,
}

impl StepView {
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
        let mut out = String::new();
        for chunk in &self.output {
            out.push_str(&chunk.text);
        }
        out
    }
}

impl RunView {
    pub fn of(t: &Transcript) -> RunView {
        let h = &t.header;
        let mut view = RunView {
            run_id: h.run_id.clone(),
            runbook: h.runbook.clone(),
            title: h.title.clone(),
            started_at: h.started_at.clone(),
            user: h.user.clone(),
            host: h.host.clone(),
            outcome: "incomplete".to_owned(),
            exit_code: None,
            duration_ms: None,
            steps: h
                .steps
                .iter()
                .map(|s| StepView {
                    id: s.id.clone(),
                    planned: s.status.clone(),
                    state: "not-reached".to_owned(),
                    ..StepView::default()
                })
                .collect(),
            resumed: 0,
            truncated: t.truncated,
        };
        for record in &t.records[1..] {
            view.apply(record);
        }
        view
    }

    pub fn step(&self, id: &str) -> Option<&StepView> {
        self.steps.iter().find(|s| s.id == id)
    }

    fn step_mut(&mut self, id: &str) -> &mut StepView {
        let at = match self.steps.iter().position(|s| s.id == id) {
            Some(at) => at,
            None => {
                self.steps.push(StepView {
                    id: id.to_owned(),
                    planned: "run".to_owned(),
                    state: "not-reached".to_owned(),
                    ..StepView::default()
                });
                self.steps.len() - 1
            }
        };
        &mut self.steps[at]
    }

    fn apply(&mut self, r: &Record) {
        let event = match &r.entry {
            Entry::Event(event) => event,
            Entry::Resumed => {
                self.resumed += 1;
                self.outcome = "incomplete".to_owned();
                return;
            }
            Entry::OutputDropped { id, bytes } => {
                let s = self.step_mut(id);
                s.output_dropped += bytes;
                s.output.push(OutputChunk {
                    stream: "note".to_owned(),
                    text: format!("\n[… {bytes} bytes of output not kept …]\n"),
                });
                return;
            }
            Entry::Header | Entry::Unreadable { .. } => return,
        };
        match event {
            Event::RunFinished {
                outcome,
                exit_code,
                duration_ms,
            } => {
                self.outcome = outcome.name().to_owned();
                self.exit_code = Some(u64::from(*exit_code));
                self.duration_ms = Some(*duration_ms);
            }
            Event::StepStarted { id, script, .. } => {
                let s = self.step_mut(id);
                s.attempts += 1;
                s.state = "started".to_owned();
                s.script = Some(script.clone());
                s.started_at = Some(r.ts.clone());
                // Each attempt's output replaces the last one's.
                s.output.clear();
                s.output_dropped = 0;
                s.checks.clear();
            }
            Event::Output { id, stream, data } => {
                let s = self.step_mut(id);
                let text = String::from_utf8_lossy(data);
                let stream = stream.name();
                match s.output.last_mut() {
                    Some(last) if last.stream == stream => last.text.push_str(&text),
                    _ => s.output.push(OutputChunk {
                        stream: stream.to_owned(),
                        text: text.into_owned(),
                    }),
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
                self.step_mut(id).gate = Some(GateView {
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

    /// Steps done, failed and skipped, for listings.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for s in &self.steps {
            match s.state.as_str() {
                "success" => c.0 += 1,
                "skipped" => c.2 += 1,
                "not-reached" => {}
                _ => c.1 += 1,
            }
        }
        c
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
