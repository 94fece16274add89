//! `litops list`: a runbook's outline.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{Output, load_plannable};
use crate::bind::Bindings;
use crate::exit;
use crate::model::{Mode, Runbook, VariableKind};
use crate::redact::Redactor;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The runbook (a Markdown file).
    file: PathBuf,
}

pub fn run(args: &ListArgs, out: &Output) -> u8 {
    match load_plannable(&args.file, out) {
        Ok(runbook) => {
            // Titles and commands as written, control characters shown.
            out.stdout(&crate::markup::for_terminal(&masked(
                &runbook,
                &outline(&runbook),
            )));
            exit::OK
        }
        Err(code) => code,
    }
}

/// The outline with secret values masked wherever they were written (in a
/// command as well as in the variables), as `plan` masks them: the values
/// of secret variables (declared so or named like one) and literal values
/// assigned in a block to a name like a secret (`export API_TOKEN=…`).
fn masked(runbook: &Runbook, text: &str) -> String {
    Redactor::for_document(runbook, &Bindings::default())
        .apply(text)
        .into_owned()
}

/// The outline as text.
pub fn outline(runbook: &Runbook) -> String {
    let mut out = String::new();
    let gated = runbook.steps.iter().filter(|s| s.gate.required()).count();
    let inputs = runbook.variables.len();
    let _ = writeln!(out, "{}", runbook.title());
    let _ = writeln!(
        out,
        "{} · {} · {gated} gated · {} · {}",
        runbook.file.name(),
        count(runbook.steps.len(), "step"),
        count(inputs, "variable"),
        count(runbook.alternatives.len(), "alternative group")
    );
    for (i, section) in runbook.sections.iter().enumerate().skip(1) {
        if section.level == 1 {
            continue;
        }
        let depth = runbook.section_path(i).len().saturating_sub(1);
        let indent = "  ".repeat(depth);
        if depth == 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{indent}{}", section.title);
        for &s in &section.steps {
            let step = &runbook.steps[s];
            let mut tags = Vec::new();
            if let Some(alt) = &step.alternative {
                tags.push(format!("alt {}={}", alt.variable, alt.value));
            }
            match step.mode {
                Mode::Skip => tags.push("skip".to_owned()),
                Mode::Manual => tags.push("manual".to_owned()),
                Mode::Run => {}
            }
            if step.interactive {
                tags.push("interactive".to_owned());
            }
            if !step.unreadable.is_empty() {
                tags.push("cannot run".to_owned());
            }
            if let Some(t) = step.timeout {
                tags.push(format!("timeout {}", humantime::format_duration(t)));
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", tags.join(", "))
            };
            let _ = writeln!(out, "{indent}  ▸ {}{tags}", step.id);
            if step.gate.required() {
                let _ = writeln!(
                    out,
                    "{indent}      gate: {}",
                    step.gate.reasons().join("; ")
                );
            }
            for reason in &step.unreadable {
                let _ = writeln!(out, "{indent}      cannot run: {reason}");
            }
            for command in &step.script.commands {
                let text = &step.text.as_str()[command.span.start..command.span.end];
                let mut lines = text.lines();
                let first = lines.next().unwrap_or("").trim_end_matches('\\').trim_end();
                let more = if lines.next().is_some() { " …" } else { "" };
                match &command.label {
                    Some(label) => {
                        let _ = writeln!(out, "{indent}      {first}{more}   # {label}");
                    }
                    None => {
                        let _ = writeln!(out, "{indent}      {first}{more}");
                    }
                }
            }
        }
    }
    if !runbook.variables.is_empty() {
        let _ = writeln!(out, "\nVariables:");
        let width = runbook
            .variables
            .iter()
            .map(|v| v.name.len())
            .max()
            .unwrap_or(0);
        for var in &runbook.variables {
            let mut notes = Vec::new();
            match (var.kind, &var.placeholder) {
                (VariableKind::Placeholder, Some(text)) => {
                    notes.push(format!("placeholder {text}"))
                }
                _ => notes.push("input".to_owned()),
            }
            // Secret values are never printed, wherever they were written.
            let shown = |value: &str| {
                if var.secret {
                    format!("[REDACTED:{}]", var.name)
                } else {
                    value.to_owned()
                }
            };
            if let Some(default) = var.declared.as_ref().and_then(|d| d.default.as_deref()) {
                notes.push(format!("default {}", shown(default)));
            }
            let values: Vec<String> = var.document_values().into_iter().map(shown).collect();
            if !values.is_empty() {
                notes.push(format!("in document: {}", values.join(" | ")));
            }
            if var.selects {
                notes.push("selects alternatives".to_owned());
            }
            if var.secret {
                notes.push("secret".to_owned());
            }
            if var.optional {
                notes.push("optional".to_owned());
            }
            let mut steps: Vec<usize> = var.uses.iter().map(|u| u.step).collect();
            steps.dedup();
            notes.push(format!(
                "used in {} step{}",
                steps.len(),
                if steps.len() == 1 { "" } else { "s" }
            ));
            let _ = writeln!(out, "  {:width$}  {}", var.name, notes.join(" · "));
        }
    }
    out
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
