//! Quiet reporting for scheduled runs: one line when all went well; the
//! full story of a step (its command, output, checks) only when it failed.

use std::io::Write;

use super::TerminalReporter;
use crate::event::{Event, Outcome, Reporter, RunOutcome};

/// Output kept per step, in case it fails: its end matters most.
const KEEP: usize = 64 * 1024;

pub struct QuietReporter<O: Write, E: Write> {
    detail: TerminalReporter<O, E>,
    title: String,
    started: Option<Event>,
    step: Vec<Event>,
    kept: usize,
    counts: (usize, usize, usize),
    /// A step just failed: shown unless the next event retries it.
    failed: bool,
}

impl<O: Write, E: Write> QuietReporter<O, E> {
    pub fn new(detail: TerminalReporter<O, E>) -> QuietReporter<O, E> {
        QuietReporter {
            detail,
            title: String::new(),
            started: None,
            step: Vec::new(),
            kept: 0,
            counts: (0, 0, 0),
            failed: false,
        }
    }

    fn flush_step(&mut self) {
        if let Some(started) = self.started.take() {
            self.detail.event(&started);
        }
        for event in std::mem::take(&mut self.step) {
            self.detail.event(&event);
        }
        self.kept = 0;
    }
}

impl<O: Write, E: Write> Reporter for QuietReporter<O, E> {
    fn event(&mut self, event: &Event) {
        if std::mem::take(&mut self.failed) {
            if let Event::StepRetrying { .. } = event {
                // The attempt that failed is retried: not worth showing.
                self.counts.1 = self.counts.1.saturating_sub(1);
                self.step.clear();
                return;
            }
            self.flush_step();
        }
        match event {
            Event::RunStarted { title, .. } => {
                self.title = title.clone();
                self.started = Some(event.clone());
            }
            Event::StepStarted { .. } => {
                self.step.clear();
                self.kept = 0;
                self.step.push(event.clone());
            }
            Event::Output { data, .. } => {
                self.kept += data.len();
                self.step.push(event.clone());
                // Keep the end: drop the oldest output beyond the bound.
                while self.kept > KEEP {
                    let Some(i) = self
                        .step
                        .iter()
                        .position(|e| matches!(e, Event::Output { .. }))
                    else {
                        break;
                    };
                    if let Event::Output { data, .. } = self.step.remove(i) {
                        self.kept -= data.len();
                    }
                }
            }
            Event::StepFinished { outcome, .. } => {
                self.step.push(event.clone());
                if *outcome == Outcome::Success {
                    self.counts.0 += 1;
                    self.step.clear();
                } else {
                    self.counts.1 += 1;
                    self.failed = true;
                }
            }
            Event::StepSkipped { .. } => self.counts.2 += 1,
            Event::RunInterrupted { .. } | Event::StepNotice { .. } => {
                self.step.push(event.clone());
                self.flush_step();
            }
            Event::CheckFinished { id, .. } if id == "preflight" => {
                self.step.push(event.clone());
                if !matches!(event, Event::CheckFinished { verdict, .. } if verdict.passed()) {
                    self.flush_step();
                }
            }
            Event::RunFinished {
                outcome,
                duration_ms,
                ..
            } => {
                let (ok, failed, skipped) = self.counts;
                let mark = if *outcome == RunOutcome::Success {
                    "✓"
                } else {
                    "✗"
                };
                let outcome = serde_json::to_value(outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                self.detail.summary_line(&format!(
                    "{mark} {}: {outcome}; {ok} succeeded, {failed} failed, {skipped} skipped in {:.1}s",
                    self.title,
                    *duration_ms as f64 / 1000.0
                ));
            }
            _ => self.step.push(event.clone()),
        }
    }
}
