//! The run in brief, for `--report json=PATH`, JUnit reports and the
//! `--on-success`/`--on-failure` hooks (on their stdin).

use serde::Serialize;

use crate::event::{CheckResult, Event, Reporter, fold};
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

/// Collects the summary from the run's events (`event::fold`, keeping the
/// last bytes of each step's output).
pub struct SummaryReporter {
    run: fold::Run,
    started_at: String,
    host: String,
}

impl SummaryReporter {
    pub fn new(started_at: String, host: String) -> SummaryReporter {
        SummaryReporter {
            run: fold::Run::default().with_output_limit(TAIL),
            started_at,
            host,
        }
    }

    pub fn finish(self, transcript: Option<String>) -> RunSummary {
        let run = self.run;
        RunSummary {
            runbook: run.runbook,
            title: run.title,
            outcome: run.outcome.unwrap_or_default(),
            exit_code: run.exit_code.unwrap_or_default(),
            duration_ms: run.duration_ms.unwrap_or_default(),
            started_at: self.started_at,
            host: self.host,
            transcript,
            steps: run.steps.into_iter().map(StepSummary::from).collect(),
        }
    }
}

impl From<fold::Step> for StepSummary {
    fn from(step: fold::Step) -> StepSummary {
        let output = step.output_text();
        let mut start = output.len().saturating_sub(TAIL);
        while !output.is_char_boundary(start) {
            start += 1;
        }
        StepSummary {
            // A step that began and never ended has no outcome.
            outcome: match step.state.as_str() {
                "started" | "not-reached" => String::new(),
                state => state.to_owned(),
            },
            exit_code: step.exit_code.and_then(|c| i32::try_from(c).ok()),
            duration_ms: step.duration_ms.unwrap_or_default(),
            attempts: step.attempts,
            approved_by: step
                .gate
                .filter(|g| g.approved)
                .map(|g| format!("{} ({})", g.by, g.how)),
            output_tail: output[start..].to_owned(),
            id: step.id,
            section: step.section,
            checks: step.checks,
            skip_reason: step.skip_reason,
        }
    }
}

impl Reporter for SummaryReporter {
    fn event(&mut self, event: &Event) {
        self.run.apply(event, None);
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
