//! Plans as text (for a terminal) and Markdown (for a review or a ticket).

use std::fmt::Write as _;

use super::{Plan, PlanStep, PlanVariable, Status};

/// The plan for a terminal; no colour, stable for snapshots.
pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    let s = &plan.summary;
    let _ = writeln!(out, "Plan: {} ({})", plan.runbook.title, plan.runbook.path);
    let _ = writeln!(out, "{}", summary_line(plan));
    if !plan.variables.is_empty() {
        let _ = writeln!(out, "\nVariables:");
        let width = plan
            .variables
            .iter()
            .map(|v| v.name.len())
            .max()
            .unwrap_or(0);
        for v in &plan.variables {
            let _ = writeln!(out, "  {:width$}  {}", v.name, describe_variable(v));
        }
    }
    for alt in &plan.alternatives {
        if alt.menu {
            let entries: Vec<String> = alt
                .options
                .iter()
                .map(|o| format!("{} `{}`", o.value, o.label.as_deref().unwrap_or("")))
                .collect();
            let _ = match &alt.selected {
                Some(value) => writeln!(
                    out,
                    "\nMenu of {}: {} (chosen: {value})",
                    alt.variable,
                    entries.join(", ")
                ),
                None => writeln!(
                    out,
                    "\nMenu of {}: {} (none chosen: --choose {}=N)",
                    alt.variable,
                    entries.join(", "),
                    alt.variable
                ),
            };
            continue;
        }
        let options: Vec<String> = alt
            .options
            .iter()
            .map(|o| match &o.label {
                Some(label) => format!("{} ({label})", o.value),
                None => o.value.clone(),
            })
            .collect();
        let _ = match &alt.selected {
            Some(value) => writeln!(
                out,
                "\nAlternatives by {}: {} (selected: {value})",
                alt.variable,
                options.join(", ")
            ),
            None => writeln!(
                out,
                "\nAlternatives by {}: {} (none selected: --choose {}=OPTION)",
                alt.variable,
                options.join(", "),
                alt.axis.unwrap_or(&alt.variable)
            ),
        };
    }
    let _ = writeln!(out, "\nSteps:");
    for (n, step) in plan.steps.iter().enumerate() {
        step_text(&mut out, n + 1, step);
    }
    if s.selected == 0 {
        let _ = writeln!(out, "  (no steps)");
    }
    out
}

fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut parts = vec![format!("{} to run", s.to_run)];
    if s.to_choose > 0 {
        parts.push(format!("{} alternatives to choose from", s.to_choose));
    }
    if s.manual > 0 {
        parts.push(format!("{} manual", s.manual));
    }
    if s.skipped > 0 {
        parts.push(format!("{} skipped", s.skipped));
    }
    parts.push(format!("{} gated", s.gated));
    let mut line = format!(
        "{} step{} selected: {}",
        s.selected,
        if s.selected == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if !s.unbound.is_empty() {
        let _ = write!(line, "; unbound: {}", s.unbound.join(", "));
    }
    line
}

fn describe_variable(v: &PlanVariable) -> String {
    let mut parts = Vec::new();
    match (&v.value, v.source.as_deref()) {
        (Some(value), source) => parts.push(format!("= {value}  ({})", source.unwrap_or("bound"))),
        (None, Some("document")) => {
            parts.push(format!("= {}  (document)", v.document_values.join(" | ")))
        }
        (None, _) if v.optional => parts.push(match &v.script_default {
            Some(d) => format!("optional (the script's default: {d})"),
            None => "optional (has a default in the script)".to_owned(),
        }),
        (None, _) => parts.push("UNBOUND".to_owned()),
    }
    if let Some(text) = &v.placeholder {
        parts.push(format!("placeholder {text}"));
    }
    if v.selects {
        parts.push("selects alternatives".to_owned());
    }
    if v.secret {
        parts.push("secret".to_owned());
    }
    if let Some(d) = &v.description {
        parts.push(format!("— {d}"));
    }
    parts.join("  ")
}

fn step_text(out: &mut String, n: usize, step: &PlanStep) {
    let marker = match step.status {
        Status::Run => "",
        Status::Skip => " [skip]",
        Status::Manual => " [manual]",
        Status::Choose => " [choose]",
    };
    let inferred = if step.inferred.is_empty() {
        ""
    } else {
        " [inferred]"
    };
    let _ = writeln!(out, "\n{n:>3}. {}{marker}{inferred}", step.id);
    let _ = writeln!(
        out,
        "     {}  ({})",
        step.section.join(" › "),
        step.location
    );
    if let Some(summary) = &step.summary {
        let _ = writeln!(out, "     {summary}");
    }
    if let Some(reason) = &step.status_reason {
        let _ = writeln!(out, "     {reason}");
    }
    if step.gate.required {
        let _ = writeln!(out, "     gate: {}", step.gate.reasons.join("; "));
    } else if step.gate.decision == "no-confirm" && !step.gate.reasons.is_empty() {
        let _ = writeln!(
            out,
            "     no gate (no-confirm), although it {}",
            step.gate.reasons.join("; ")
        );
    }
    let mut flags = Vec::new();
    if let Some(t) = step.timeout {
        flags.push(format!("timeout {}", humantime::format_duration(t)));
    }
    if step.interactive {
        flags.push("interactive".to_owned());
    }
    if step.background {
        flags.push("background: not waited for; stopped when its section ends".to_owned());
    }
    if !step.needs_terminal.is_empty() {
        flags.push(format!(
            "gets a terminal: {}",
            step.needs_terminal.join("; ")
        ));
    }
    if !step.needs_person.is_empty() {
        flags.push(format!(
            "waits for a person: {}; unattended runs refuse it",
            step.needs_person.join("; ")
        ));
    }
    if !step.never_ends.is_empty() {
        flags.push(match step.stream {
            Some(t) => format!(
                "stream {}: each command that never ends is followed that long, then ended as a success",
                humantime::format_duration(t)
            ),
            None => format!(
                "never ends by itself: {}; Ctrl-C ends it and the step goes on; unattended runs refuse it (stream=DURATION bounds it)",
                step.never_ends.join("; ")
            ),
        });
    }
    if let Some(cwd) = &step.cwd {
        if std::path::Path::new(cwd).is_absolute() {
            flags.push(format!("runs in {cwd}"));
        } else {
            flags.push(format!("runs in {cwd} (from the runbook's directory)"));
        }
    }
    if let Some(starts) = step
        .starts_in
        .as_ref()
        .filter(|_| step.status != Status::Skip)
    {
        flags.push(starts.describe());
    }
    if step.continue_on_error {
        flags.push("continue on error".to_owned());
    }
    if let Some(w) = &step.when {
        let value = match &step.condition {
            Some(super::Condition::True) => " (true)".to_owned(),
            Some(super::Condition::False) => " (false)".to_owned(),
            Some(super::Condition::Undecided(why)) => format!(" (undecided: {why})"),
            Some(super::Condition::Error(_)) | None => String::new(),
        };
        flags.push(format!("when {}{value}", w.source));
    }
    if let Some(r) = &step.retry {
        flags.push(format!(
            "up to {} attempts, {} apart",
            r.attempts,
            humantime::format_duration(r.interval)
        ));
    }
    if !flags.is_empty() {
        let _ = writeln!(out, "     {}", flags.join(" · "));
    }
    for env in &step.env {
        let _ = writeln!(out, "     env {}={}", env.name, env.value);
    }
    for line in step.script.shown().trim_end_matches('\n').split('\n') {
        let _ = writeln!(out, "{}", format!("     │ {line}").trim_end());
    }
    for check in &step.checks {
        let _ = writeln!(
            out,
            "     check: {}",
            check.source.trim().replace('\n', " ")
        );
    }
    if !step.unbound.is_empty() {
        let _ = writeln!(out, "     unbound: {}", step.unbound.join(", "));
    }
    for error in &step.errors {
        let _ = writeln!(out, "     error: {error}");
    }
    for note in &step.notes {
        let _ = writeln!(out, "     note: {note}");
    }
    for work in &step.checkpoints {
        let _ = writeln!(out, "     by hand first: {work}");
    }
    for lines in &step.left_out {
        let _ = writeln!(out, "     left out: {lines}");
    }
    for what in &step.inferred {
        let _ = writeln!(out, "     inferred: {what}");
    }
}

/// The plan as a Markdown review checklist.
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Plan: {}\n", plan.runbook.title);
    let _ = writeln!(out, "Runbook: `{}`  ", plan.runbook.path);
    let _ = writeln!(out, "{}\n", summary_line(plan));
    if !plan.variables.is_empty() {
        let _ = writeln!(out, "## Variables\n");
        let _ = writeln!(out, "| Name | Value | Source | Notes |");
        let _ = writeln!(out, "|---|---|---|---|");
        for v in &plan.variables {
            let value = match (&v.value, v.source.as_deref()) {
                (Some(value), _) => format!("`{value}`"),
                (None, Some("document")) => v
                    .document_values
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                (None, _) if v.optional => "optional".to_owned(),
                (None, _) => "**unbound**".to_owned(),
            };
            let mut notes = Vec::new();
            if let Some(p) = &v.placeholder {
                notes.push(format!("placeholder `{p}`"));
            }
            if v.selects {
                notes.push("selects alternatives".to_owned());
            }
            if v.secret {
                notes.push("secret".to_owned());
            }
            if let Some(d) = &v.description {
                notes.push(d.clone());
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                v.name,
                value.replace('|', "\\|"),
                v.source.as_deref().unwrap_or(""),
                notes.join("; ").replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Steps\n");
    for (n, step) in plan.steps.iter().enumerate() {
        let status = match step.status {
            Status::Run => "",
            Status::Skip => " (skip)",
            Status::Manual => " (manual)",
            Status::Choose => " (alternative)",
        };
        let _ = writeln!(out, "### {}. `{}`{status}\n", n + 1, step.id);
        let _ = writeln!(out, "{} — `{}`\n", step.section.join(" › "), step.location);
        if let Some(summary) = &step.summary {
            let _ = writeln!(out, "> {summary}\n");
        }
        if let Some(reason) = &step.status_reason {
            let _ = writeln!(out, "*{reason}*\n");
        }
        if step.gate.required {
            let _ = writeln!(out, "**Gate:** {}\n", step.gate.reasons.join("; "));
        }
        for what in &step.inferred {
            let _ = writeln!(out, "**Inferred:** {}\n", what.replace('`', "'"));
        }
        let fence = if step.script.shown().contains("```") {
            "````"
        } else {
            "```"
        };
        let _ = writeln!(
            out,
            "{fence}bash\n{}\n{fence}\n",
            step.script.shown().trim_end_matches('\n')
        );
        if !step.unbound.is_empty() {
            let _ = writeln!(
                out,
                "Unbound: {}\n",
                step.unbound
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if step.status != Status::Skip {
            let _ = writeln!(out, "- [ ] reviewed\n");
        }
    }
    out
}
