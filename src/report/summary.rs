//! The run in brief, for `--report json=PATH`, JUnit reports and the
//! `--on-success`/`--on-failure` hooks (on their stdin).

use serde::Serialize;

use crate::event::{CheckResult, Event, Reporter};
use crate::markup::escape_xml as xml;

/// Output kept per step for reports: its last bytes.
const TAIL: usize = 16 * 1024;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub runbook: String,
    pub title: String,
    /// `success`, `step-failed`, `check-failed`, `interrupted`, `quit`, `record-failed`.
    pub outcome: String,
    pub exit_code: u8,
    pub duration_ms: u64,
    pub started_at: String,
    pub host: String,
    pub transcript: Option<String>,
    pub steps: Vec<StepSummary>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StepSummary {
    pub id: String,
    pub section: Vec<String>,
    /// `success`, `failed`, `check-failed`, `timed-out`, `interrupted`, `skipped`.
    pub outcome: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub checks: Vec<CheckResult>,
    pub skip_reason: Option<String>,
    pub approved_by: Option<String>,
    /// The end of its output (secret values masked), both streams as printed.
    pub output_tail: String,
}

/// Collects the summary from the run's events.
#[derive(Default)]
pub struct SummaryReporter {
    summary: RunSummary,
    tail: Vec<u8>,
}

impl SummaryReporter {
    pub fn new(started_at: String, host: String) -> SummaryReporter {
        SummaryReporter {
            summary: RunSummary {
                started_at,
                host,
                ..RunSummary::default()
            },
            tail: Vec::new(),
        }
    }

    pub fn finish(self, transcript: Option<String>) -> RunSummary {
        RunSummary {
            transcript,
            ..self.summary
        }
    }

    fn step(&mut self, id: &str) -> &mut StepSummary {
        if self.summary.steps.last().is_none_or(|s| s.id != id) {
            self.summary.steps.push(StepSummary {
                id: id.to_owned(),
                ..StepSummary::default()
            });
        }
        let last = self.summary.steps.len() - 1;
        &mut self.summary.steps[last]
    }
}

impl Reporter for SummaryReporter {
    fn event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { runbook, title, .. } => {
                self.summary.runbook = runbook.clone();
                self.summary.title = title.clone();
            }
            Event::StepStarted {
                id,
                section,
                attempt,
                ..
            } => {
                self.tail.clear();
                let step = self.step(id);
                step.section = section.clone();
                step.attempts = *attempt;
                step.checks.clear();
            }
            Event::Output { data, .. } => {
                self.tail.extend_from_slice(data);
                if self.tail.len() > 2 * TAIL {
                    self.tail.drain(..self.tail.len() - TAIL);
                }
            }
            Event::CheckFinished { .. } => {
                if let Some((id, check)) = event.check_result() {
                    self.step(id).checks.push(check);
                }
            }
            Event::StepFinished {
                id,
                outcome,
                exit_code,
                duration_ms,
                ..
            } => {
                let start = self.tail.len().saturating_sub(TAIL);
                let tail = String::from_utf8_lossy(&self.tail[start..]).into_owned();
                let step = self.step(id);
                step.outcome = outcome.name().to_owned();
                step.exit_code = *exit_code;
                step.duration_ms = *duration_ms;
                step.output_tail = tail;
            }
            Event::StepSkipped { id, reason } => {
                let step = self.step(id);
                step.outcome = "skipped".to_owned();
                step.skip_reason = Some(reason.clone());
            }
            Event::GateAnswered {
                id,
                approved,
                by,
                how,
            } if *approved => {
                self.step(id).approved_by = Some(format!("{by} ({how})"));
            }
            Event::RunFinished {
                outcome,
                exit_code,
                duration_ms,
            } => {
                self.summary.outcome = serde_json::to_value(outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                self.summary.exit_code = *exit_code;
                self.summary.duration_ms = *duration_ms;
            }
            _ => {}
        }
    }
}

impl RunSummary {
    /// JUnit XML: the run as a test suite, steps as test cases, checks as
    /// assertions (a failed check is the case's failure).
    pub fn junit(&self) -> String {
        let failed = |s: &StepSummary| !matches!(s.outcome.as_str(), "success" | "skipped");
        let failures = self.steps.iter().filter(|s| failed(s)).count();
        let skipped = self.steps.iter().filter(|s| s.outcome == "skipped").count();
        let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.push_str(&format!(
            "<testsuites name=\"litops\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">\n",
            self.steps.len(),
            seconds(self.duration_ms)
        ));
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{}\" hostname=\"{}\">\n",
            xml(&self.title),
            self.steps.len(),
            seconds(self.duration_ms),
            xml(&self.started_at),
            xml(&self.host)
        ));
        x.push_str("    <properties>\n");
        for (name, value) in [
            ("runbook", Some(self.runbook.as_str())),
            ("outcome", Some(self.outcome.as_str())),
            ("transcript", self.transcript.as_deref()),
        ] {
            if let Some(value) = value {
                x.push_str(&format!(
                    "      <property name=\"{name}\" value=\"{}\"/>\n",
                    xml(value)
                ));
            }
        }
        x.push_str("    </properties>\n");
        for s in &self.steps {
            let classname = if s.section.is_empty() {
                self.title.clone()
            } else {
                s.section.join(" › ")
            };
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\" assertions=\"{}\">\n",
                xml(&s.id),
                xml(&classname),
                seconds(s.duration_ms),
                s.checks.len()
            ));
            if s.outcome == "skipped" {
                x.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    xml(s.skip_reason.as_deref().unwrap_or(""))
                ));
            } else if failed(s) {
                let failed_check = s
                    .checks
                    .iter()
                    .find(|c| c.verdict == "fail" || c.verdict == "error");
                let message = match (failed_check, s.exit_code) {
                    (Some(c), _) => format!(
                        "{} check {}: {} ({})",
                        c.origin,
                        c.verdict,
                        c.message.as_deref().unwrap_or(""),
                        c.location
                    ),
                    (None, Some(code)) => format!("exit {code}"),
                    (None, None) => s.outcome.replace('-', " "),
                };
                x.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    xml(&message),
                    xml(&s.outcome),
                    xml(&s.output_tail)
                ));
            }
            if !s.output_tail.is_empty() {
                x.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&s.output_tail)
                ));
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }
}
