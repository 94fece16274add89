//! A transcript folded into what happened to each step: what `show`,
//! `list`, `diff` and `resume` read.

use serde::Serialize;

use super::Transcript;
use super::read::Entry;
use crate::event::fold;

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

/// What happened to a step, as `event::fold` reads it.
pub type StepView = crate::event::fold::Step;

impl RunView {
    pub fn of(t: &Transcript) -> RunView {
        let h = &t.header;
        let mut run =
            fold::Run::planned(h.steps.iter().map(|s| (s.id.as_str(), s.status.as_str())));
        let mut resumed = 0;
        for record in &t.records[1..] {
            match &record.entry {
                Entry::Event(event) => run.apply(event, Some(&record.ts)),
                Entry::Resumed => {
                    resumed += 1;
                    run.resumed();
                }
                Entry::OutputDropped { id, bytes } => run.output_dropped(id, *bytes),
                Entry::Header | Entry::Seal { .. } | Entry::Unreadable { .. } => {}
            }
        }
        RunView {
            run_id: h.run_id.clone(),
            runbook: h.runbook.clone(),
            title: h.title.clone(),
            started_at: h.started_at.clone(),
            user: h.user.clone(),
            host: h.host.clone(),
            outcome: run
                .outcome
                .take()
                .unwrap_or_else(|| "incomplete".to_owned()),
            exit_code: run.exit_code.map(u64::from),
            duration_ms: run.duration_ms,
            steps: run.steps,
            resumed,
            truncated: t.truncated,
        }
    }

    pub fn step(&self, id: &str) -> Option<&StepView> {
        self.steps.iter().find(|s| s.id == id)
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
