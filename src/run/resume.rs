//! `resume`: a run goes on after the last step it completed, with the values
//! and session it had, from its transcript. A transcript is a file someone
//! else may have edited: what it holds is read as data, never run as text.

use std::path::{Path, PathBuf};

use super::{Frontend, Recording, RunError};
use crate::bind::{Bindings, Bound, Origin};
use crate::checks;
use crate::exec;
use crate::model::Runbook;
use crate::operator;
use crate::transcript::{self, RunView, Transcript};

/// The run to resume, as its transcript tells it.
pub struct Earlier {
    /// The transcript's path.
    pub path: PathBuf,
    pub transcript: Transcript,
    pub view: RunView,
    /// The runbook it ran (relative paths from the run's directory).
    pub runbook: PathBuf,
    /// That runbook's text, read once when it was found trusted: what is
    /// checked is what runs.
    pub text: Vec<u8>,
}

/// Finds and reads the run (`last`, a run id, or a path).
pub fn find(run: &str) -> Result<Earlier, RunError> {
    let path = transcript::locate(run, &transcript::runs_dir())
        .and_then(|path| transcript::trusted(&path).map(|()| path))
        .map_err(|err| RunError::Usage(err.to_string()))?;
    let old = Transcript::read(&path).map_err(|err| RunError::Usage(err.to_string()))?;
    let view = RunView::of(&old);
    if view.outcome == "success" {
        return Err(RunError::Usage(format!(
            "run {} finished successfully; there is nothing to resume",
            old.header.run_id
        )));
    }
    let runbook = {
        let p = PathBuf::from(&old.header.runbook);
        if p.is_relative() && !p.exists() {
            Path::new(&old.header.cwd).join(p)
        } else {
            p
        }
    };
    let text = transcript::trusted_runbook(&runbook).map_err(RunError::Usage)?;
    Ok(Earlier {
        path,
        transcript: old,
        view,
        runbook,
        text,
    })
}

/// What goes on: the steps left, where they start, where they are recorded.
pub struct Continuation {
    pub selected: Vec<usize>,
    pub start: exec::Start,
    pub record: Recording,
}

impl Earlier {
    /// Refuses a runbook that changed since the run, unless `force`; the
    /// change is told either way.
    pub fn check_unchanged(
        &self,
        runbook: &Runbook,
        force: bool,
        ui: &mut dyn Frontend,
    ) -> Result<(), RunError> {
        let old = &self.transcript;
        let hash = self.content_hash();
        if hash == old.header.content_hash {
            return Ok(());
        }
        let changes = transcript::diff::changed_steps(&old.header.source, runbook.file.text());
        let mut text = format!(
            "{} changed since run {} ({} → {})",
            self.runbook.display(),
            old.header.run_id,
            old.header.content_hash,
            hash
        );
        if changes.is_empty() {
            text.push_str("\nno step changed (prose or front matter only)");
        } else {
            text.push_str(&format!("\nchanged steps:\n{changes}"));
        }
        if !force {
            return Err(RunError::Usage(format!(
                "{text}\nresuming would run steps other than those the run began with; review the change, then resume with --force, or start a new run"
            )));
        }
        ui.warn(&format!("{text}\n--force: resuming anyway"));
        Ok(())
    }

    fn content_hash(&self) -> String {
        transcript::content_hash(&self.text)
    }

    /// The run's own values win over today's environment: the run goes on
    /// as it began. Secrets were never recorded; they are bound afresh.
    pub fn keep_values(&self, bindings: &mut Bindings, ui: &mut dyn Frontend) {
        for var in self
            .transcript
            .header
            .variables
            .iter()
            .filter(|v| !v.secret)
        {
            if let Some(now) = bindings.get(&var.name)
                && now.value != var.value
                && matches!(now.source, Origin::Set | Origin::SecretFile(_))
            {
                ui.warn(&format!(
                    "{}: keeping the run's value {:?}, not {:?}",
                    var.name, var.value, now.value
                ));
            }
            bindings.values.insert(
                var.name.clone(),
                Bound {
                    value: var.value.clone(),
                    source: Origin::Set,
                },
            );
        }
    }

    /// The steps after the last one the run completed, its session and
    /// history; `record`: whether the transcript is added to.
    pub fn continuation(
        &self,
        runbook: &Runbook,
        record: bool,
        ui: &mut dyn Frontend,
    ) -> Result<Continuation, RunError> {
        let (old, view) = (&self.transcript, &self.view);
        let last_done = view
            .steps
            .iter()
            .rposition(|s| s.completed())
            .map_or(0, |i| i + 1);
        let mut selected = Vec::new();
        for step in &view.steps[last_done..] {
            match runbook.steps.iter().position(|s| s.id == step.id) {
                Some(i) => selected.push(i),
                None => ui.warn(&format!(
                    "step {} is no longer in the runbook; left out",
                    step.id
                )),
            }
        }
        if selected.is_empty() {
            return Err(RunError::Usage(format!(
                "every step of run {} is done; there is nothing to resume",
                old.header.run_id
            )));
        }
        let start = exec::Start {
            state: view.session().map(|text| restored_session(text, ui)),
            directory: Some(old.header.cwd.clone()).filter(|d| !d.is_empty()),
            history: view.steps[..last_done]
                .iter()
                .map(|s| checks::StepFacts {
                    id: s.id.clone(),
                    outcome: s.state.clone(),
                    exit_code: s.exit_code,
                    duration_ms: s.duration_ms.unwrap_or(0),
                    stdout: s.output_text(),
                    stderr: String::new(),
                })
                .collect(),
        };
        ui.info(&format!(
            "resuming run {} at step {} ({} of {} steps left)",
            old.header.run_id,
            view.steps[last_done].id,
            view.steps.len() - last_done,
            view.steps.len()
        ));
        let record = if record {
            let hash = self.content_hash();
            let forced = hash != old.header.content_hash;
            Recording::Append {
                path: self.path.clone(),
                resumed: serde_json::json!({
                    "event": "resumed",
                    "by": operator::operator_name(),
                    "content_hash": hash,
                    "forced": forced,
                    "from_step": view.steps[last_done].id,
                }),
            }
        } else {
            Recording::None
        };
        Ok(Continuation {
            selected,
            start,
            record,
        })
    }
}

/// The saved session of a transcript, read as data and written again as
/// shell text by litops (never sourced as recorded: a transcript is a file
/// someone else may have edited). Values that were masked are left out: a
/// secret the run bound comes back from the bindings, never spliced into
/// text; one a step made is gone, and the run says so.
fn restored_session(text: &str, ui: &mut dyn Frontend) -> String {
    let mut saved = exec::session::parse(text);
    let mut lost: Vec<String> = std::mem::take(&mut saved.skipped);
    saved.variables.retain(|v| {
        let masked = v.value.contains("[REDACTED");
        // Data as restored, but code once a step reads it where bash
        // evaluates a value again (arithmetic by name, `${!x}`, `@P`).
        let would_run = ["$(", "`", "${"].iter().any(|s| v.value.contains(s));
        if masked || would_run {
            lost.push(v.name.clone());
        }
        !(masked || would_run)
    });
    if !lost.is_empty() {
        ui.warn(&format!(
            "not restored from the saved session (secrets, arrays, functions and aliases are never recorded or read back, nor values holding `$(`, `${{` or a backtick): {}",
            lost.join(", ")
        ));
    }
    exec::session::restore_script(&saved)
}
