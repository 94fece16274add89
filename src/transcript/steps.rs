//! A transcript folded into what happened to each step: what `show`,
//! `list`, `diff` and `resume` read.

use serde::Serialize;

use super::Transcript;
use super::read::Record;

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
    pub checks: Vec<CheckView>,
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
pub struct CheckView {
    pub origin: String,
    pub verdict: String,
    pub message: Option<String>,
    pub location: String,
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

    fn step_mut(&mut self, record: &Record) -> Option<&mut StepView> {
        let id = record.str("id")?;
        if !self.steps.iter().any(|s| s.id == id) {
            self.steps.push(StepView {
                id: id.to_owned(),
                planned: "run".to_owned(),
                state: "not-reached".to_owned(),
                ..StepView::default()
            });
        }
        self.steps.iter_mut().find(|s| s.id == id)
    }

    fn apply(&mut self, r: &Record) {
        let kind = r.kind().to_owned();
        match kind.as_str() {
            "resumed" => {
                self.resumed += 1;
                self.outcome = "incomplete".to_owned();
            }
            "run-finished" => {
                self.outcome = r.str("outcome").unwrap_or("incomplete").to_owned();
                self.exit_code = r.u64("exit_code");
                self.duration_ms = r.u64("duration_ms");
            }
            "step-started" => {
                let ts = r.ts.clone();
                if let Some(s) = self.step_mut(r) {
                    s.attempts += 1;
                    s.state = "started".to_owned();
                    s.script = r.str("script").map(str::to_owned);
                    s.started_at = Some(ts);
                    // Each attempt's output replaces the last one's.
                    s.output.clear();
                    s.output_dropped = 0;
                    s.checks.clear();
                }
            }
            "output" => {
                if let Some(s) = self.step_mut(r) {
                    let text = match (r.str("text"), r.str("base64")) {
                        (Some(t), _) => t.to_owned(),
                        (None, Some(b)) => {
                            use base64::Engine;
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(b)
                                .unwrap_or_default();
                            String::from_utf8_lossy(&bytes).into_owned()
                        }
                        (None, None) => String::new(),
                    };
                    let stream = r.str("stream").unwrap_or("stdout").to_owned();
                    match s.output.last_mut() {
                        Some(last) if last.stream == stream => last.text.push_str(&text),
                        _ => s.output.push(OutputChunk { stream, text }),
                    }
                }
            }
            "output-dropped" => {
                let bytes = r.u64("bytes").unwrap_or(0);
                if let Some(s) = self.step_mut(r) {
                    s.output_dropped += bytes;
                    s.output.push(OutputChunk {
                        stream: "note".to_owned(),
                        text: format!("\n[… {bytes} bytes of output not kept …]\n"),
                    });
                }
            }
            "check-finished" => {
                let check = CheckView {
                    origin: r.str("origin").unwrap_or("").to_owned(),
                    verdict: r.str("verdict").unwrap_or("").to_owned(),
                    message: r.str("message").map(str::to_owned).or_else(|| {
                        r.value.get("messages").and_then(|m| m.as_array()).map(|m| {
                            m.iter()
                                .filter_map(|v| v.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    }),
                    location: r.str("location").unwrap_or("").to_owned(),
                };
                if r.str("id") != Some("preflight")
                    && let Some(s) = self.step_mut(r)
                {
                    s.checks.push(check);
                }
            }
            "step-finished" => {
                if let Some(s) = self.step_mut(r) {
                    s.state = r.str("outcome").unwrap_or("failed").to_owned();
                    s.exit_code = r.value.get("exit_code").and_then(|v| v.as_i64());
                    s.signal = r.value.get("signal").and_then(|v| v.as_i64());
                    s.duration_ms = r.u64("duration_ms");
                    s.continue_on_error = r
                        .value
                        .get("continue_on_error")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                }
            }
            "step-skipped" => {
                if let Some(s) = self.step_mut(r) {
                    s.state = "skipped".to_owned();
                    s.skip_reason = r.str("reason").map(str::to_owned);
                }
            }
            "gate-answered" => {
                if let Some(s) = self.step_mut(r) {
                    s.gate = Some(GateView {
                        approved: r.value.get("approved").and_then(|v| v.as_bool()) == Some(true),
                        by: r.str("by").unwrap_or("").to_owned(),
                        how: r.str("how").unwrap_or("").to_owned(),
                    });
                }
            }
            "step-notice" => {
                if let Some(s) = self.step_mut(r) {
                    s.notices.push(r.str("message").unwrap_or("").to_owned());
                }
            }
            "session-saved" => {
                if let Some(s) = self.step_mut(r) {
                    s.session = r.str("state").map(str::to_owned);
                }
            }
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
