//! Reports and hooks, once a run has ended (or was refused).

use std::path::Path;

use super::{Frontend, Options, RunError};
use crate::report::RunSummary;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Junit,
    Json,
}

/// A run refused before its first step still reports and pages: a
/// scheduled run whose approval no longer matches must not fail silently.
pub fn refused(options: &Options, runbook: &Path, error: &RunError, ui: &mut dyn Frontend) {
    if options.reports.is_empty() && options.on_failure.is_none() {
        return;
    }
    let summary = RunSummary {
        runbook: runbook.display().to_string(),
        title: String::new(),
        outcome: "refused".to_owned(),
        exit_code: error.exit_code(),
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        ..RunSummary::default()
    };
    after_run(options, &summary, ui);
}

/// Reports and hooks, once the run has ended. Their failures are told, but
/// do not change the run's exit code: the run itself is what it was.
pub(super) fn after_run(options: &Options, summary: &RunSummary, ui: &mut dyn Frontend) {
    let json = serde_json::to_string_pretty(summary).unwrap_or_default() + "\n";
    for (kind, path) in &options.reports {
        let text = match kind {
            ReportKind::Junit => summary.junit(),
            ReportKind::Json => json.clone(),
        };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let written = dir
            .map_or(Ok(()), std::fs::create_dir_all)
            // A report written each night to the same path: never through a
            // link someone put there.
            .and_then(|()| crate::files::replace(path, &text, 0o600));
        if let Err(err) = written {
            ui.error(&format!(
                "cannot write the report {}: {err}",
                path.display()
            ));
        }
    }
    let hook = if summary.outcome == "success" {
        options.on_success.as_deref()
    } else {
        options.on_failure.as_deref()
    };
    if let Some(command) = hook {
        run_hook(command, summary, &json, ui);
    }
}

fn run_hook(command: &str, summary: &RunSummary, json: &str, ui: &mut dyn Frontend) {
    use std::io::Write;
    let child = std::process::Command::new("sh")
        .args(["-c", command])
        .env("LITOPS_OUTCOME", &summary.outcome)
        .env("LITOPS_EXIT_CODE", summary.exit_code.to_string())
        .env("LITOPS_RUNBOOK", &summary.runbook)
        .env(
            "LITOPS_TRANSCRIPT",
            summary.transcript.as_deref().unwrap_or(""),
        )
        .stdin(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => {
            ui.error(&format!("cannot run the hook `{command}`: {err}"));
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is not an error.
        let _ = stdin.write_all(json.as_bytes());
    }
    match child.wait() {
        Ok(status) if status.success() => {}
        Ok(status) => ui.warn(&format!("the hook `{command}` ended with {status}")),
        Err(err) => ui.error(&format!("the hook `{command}`: {err}")),
    }
}
