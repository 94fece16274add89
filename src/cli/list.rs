//! `litops list`: a runbook's outline.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Console, load_plannable};
use crate::bind::Bindings;
use crate::exit;
use crate::model::{Mode, Runbook, Step, VariableKind};
use crate::secret::Redactor;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The runbook (a Markdown file).
    file: PathBuf,
    /// Output: human (the outline) or json (documented in docs/list-json.md).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: &ListArgs, out: &Console) -> u8 {
    match load_plannable(&args.file, out) {
        Ok(runbook) => {
            match args.format {
                // Titles and commands as written, control characters shown.
                Format::Human => out.stdout(&crate::markup::for_terminal(&masked(
                    &runbook,
                    &outline(&runbook),
                ))),
                Format::Json => {
                    let json = serde_json::to_string_pretty(&OutlineJson::of(&runbook))
                        .unwrap_or_default();
                    out.stdout(&(json + "\n"));
                }
            }
            super::leave(runbook);
            exit::OK
        }
        Err(code) => code,
    }
}

/// Version of the `list --format json` document (docs/list-json.md).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
struct OutlineJson {
    schema_version: u32,
    file: String,
    title: String,
    sections: Vec<SectionJson>,
    steps: Vec<StepJson>,
}

#[derive(Debug, Serialize)]
struct SectionJson {
    id: String,
    title: String,
    level: u8,
    location: Option<String>,
    /// Ids of the steps directly under it.
    steps: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StepJson {
    id: String,
    /// The id of the section it is in (`""`: no heading above it).
    section: String,
    location: String,
    lang: String,
    /// `run`, `skip` or `manual`, as the author wrote it.
    status: &'static str,
    /// Whether `run` would run it: status `run` and no error in its block.
    runnable: bool,
    /// Why not, when it is not runnable.
    not_runnable: Vec<String>,
    gated: bool,
    gate_reasons: Vec<String>,
    interactive: bool,
    /// Its commands as written (secret values masked).
    commands: Vec<CommandJson>,
}

#[derive(Debug, Serialize)]
struct CommandJson {
    text: String,
    label: Option<String>,
}

impl OutlineJson {
    fn of(runbook: &Runbook) -> OutlineJson {
        let redactor = Redactor::for_document(runbook, &Bindings::default());
        let mask = |text: &str| redactor.apply(text).into_owned();
        let sections = runbook
            .sections
            .iter()
            .map(|s| SectionJson {
                id: s.id.clone(),
                title: mask(&s.title),
                level: s.level,
                location: (s.level > 0).then(|| runbook.file.location(s.span)),
                steps: s
                    .steps
                    .iter()
                    .map(|&i| runbook.steps[i].id.clone())
                    .collect(),
            })
            .collect();
        let steps = runbook
            .steps
            .iter()
            .map(|step| {
                let mut not_runnable = step.unreadable.clone();
                match step.mode {
                    Mode::Skip => not_runnable.push("marked `skip`".to_owned()),
                    Mode::Manual => {
                        not_runnable.push("marked `manual`: a person does it".to_owned())
                    }
                    Mode::Run => {}
                }
                StepJson {
                    id: step.id.clone(),
                    section: runbook.sections[step.section].id.clone(),
                    location: runbook.file.location(step.span),
                    lang: step.lang.clone(),
                    status: match step.mode {
                        Mode::Run => "run",
                        Mode::Skip => "skip",
                        Mode::Manual => "manual",
                    },
                    runnable: not_runnable.is_empty(),
                    not_runnable: not_runnable.iter().map(|r| mask(r)).collect(),
                    gated: step.gate.required(),
                    gate_reasons: step.gate.reasons(),
                    interactive: step.interactive,
                    commands: step
                        .script
                        .commands
                        .iter()
                        .map(|c| CommandJson {
                            text: mask(&step.text.as_str()[c.span.start..c.span.end]),
                            label: c.label.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        OutlineJson {
            schema_version: SCHEMA_VERSION,
            file: runbook.file.name().to_owned(),
            title: mask(runbook.title()),
            sections,
            steps,
        }
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
    // Steps above every heading, and under the title, come first: the
    // title is the outline's first line.
    let title = runbook.sections.iter().position(|s| s.level == 1);
    let top: Vec<usize> = runbook.sections[0]
        .steps
        .iter()
        .chain(title.iter().flat_map(|&t| &runbook.sections[t].steps))
        .copied()
        .collect();
    if !top.is_empty() {
        out.push('\n');
        for &s in &top {
            write_step(&mut out, &runbook.steps[s], "");
        }
    }
    for (i, section) in runbook.sections.iter().enumerate().skip(1) {
        if Some(i) == title {
            continue;
        }
        let depth = runbook.section_path(i).len().saturating_sub(1);
        let indent = "  ".repeat(depth);
        if depth == 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{indent}{}", section.title);
        for &s in &section.steps {
            write_step(&mut out, &runbook.steps[s], &indent);
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

/// One step of the outline: id and tags, gate, why it cannot run, commands.
fn write_step(out: &mut String, step: &Step, indent: &str) {
    let mut tags = Vec::new();
    if let Some(alt) = &step.alternative {
        tags.push(format!("alt {}={}", alt.variable, alt.value));
    }
    match step.mode {
        Mode::Skip => tags.push("skip".to_owned()),
        Mode::Manual => tags.push("manual".to_owned()),
        Mode::Run => {}
    }
    if step.exclude_from_run_all {
        tags.push("only by --step".to_owned());
    }
    for tag in &step.tags {
        tags.push(format!("tag {tag}"));
    }
    if step.interactive {
        tags.push("interactive".to_owned());
    }
    if step.is_inferred() {
        tags.push("inferred".to_owned());
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

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
