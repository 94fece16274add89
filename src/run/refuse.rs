//! What stops a run before its first step, and what a person is told
//! before approving: missing values, steps that cannot run as written,
//! values that cannot be placed, inferred, manual and unapproved steps.

use super::{Frontend, RunError};
use crate::model::Runbook;
use crate::operator::Approvals;
use crate::plan::{Plan, PlanStep, Status};

/// What the plan still needs, selectors first: once an alternative is
/// chosen, the variables of the ones not chosen are no longer needed.
pub(super) fn missing(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for step in plan.steps.iter().filter(|s| s.status == Status::Choose) {
        if let Some(variable) = &step.chosen_by
            && !names.contains(variable)
        {
            names.push(variable.clone());
        }
    }
    let needed = plan
        .steps
        .iter()
        .filter(|s| matches!(s.status, Status::Run | Status::Manual));
    for name in needed.flat_map(|s| &s.unbound) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// Unbound variables with a default in the script, used by steps that run.
pub(super) fn optional_to_ask(plan: &Plan) -> Vec<String> {
    plan.variables
        .iter()
        .filter(|v| v.value.is_none() && v.optional && v.script_default.is_some())
        .filter(|v| {
            plan.steps
                .iter()
                .any(|s| s.status == Status::Run && v.used_by.contains(&s.id))
        })
        .map(|v| v.name.clone())
        .collect()
}

/// Every variable still without a value, and how to give one.
pub(super) fn missing_values(plan: &Plan, why: &str) -> RunError {
    let names = missing(plan);
    let menus = names
        .iter()
        .filter(|n| {
            plan.alternatives
                .iter()
                .any(|a| a.menu && &a.variable == *n)
        })
        .count();
    let variables = names.len() - menus;
    let mut what = Vec::new();
    if variables > 0 {
        what.push(format!(
            "{variables} variable{} without a value",
            if variables == 1 { "" } else { "s" }
        ));
    }
    if menus > 0 {
        what.push(format!(
            "{menus} menu{} without a choice",
            if menus == 1 { "" } else { "s" }
        ));
    }
    let mut text = format!("{} ({why}):\n", what.join(" and "));
    let mut chooses = false;
    let mut flags: Vec<String> = Vec::new();
    for name in &names {
        let var = plan.variables.iter().find(|v| &v.name == name);
        let mut line = format!("  {name}");
        if let Some(menu) = plan
            .alternatives
            .iter()
            .find(|a| a.menu && &a.variable == name)
        {
            let entries: Vec<String> = menu
                .options
                .iter()
                .map(|o| format!("{} `{}`", o.value, o.label.as_deref().unwrap_or("")))
                .collect();
            line.push_str(&format!(
                "  a menu, one entry to run: {}",
                entries.join(", ")
            ));
            flags.push(format!("--choose {name}=N"));
            chooses = true;
        }
        if let Some(p) = var.and_then(|v| v.placeholder.as_deref()) {
            line.push_str(&format!("  (placeholder {p})"));
        }
        if var.is_some_and(|v| v.selects) {
            chooses = true;
            let groups = plan.alternatives.iter().filter(|a| &a.variable == name);
            let mut values: Vec<&str> = Vec::new();
            for o in groups.clone().flat_map(|a| &a.options) {
                if !values.contains(&o.value.as_str()) {
                    values.push(&o.value);
                }
            }
            line.push_str(&format!("  chooses between: {}", values.join(", ")));
            let axis = groups.filter_map(|a| a.axis).next().unwrap_or(name);
            flags.push(format!(
                "--choose {axis}={}",
                values.first().unwrap_or(&"OPTION")
            ));
        }
        if let Some(v) = var {
            line.push_str(&format!("  used by: {}", v.used_by.join(", ")));
        }
        text.push_str(&line);
        text.push('\n');
    }
    if chooses {
        text.push_str(&format!(
            "choose with {} (the alternative you choose may need more values)\n",
            flags.join(" ")
        ));
    }
    text.push_str(
        "give them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment",
    );
    RunError::MissingValues(text)
}

/// Steps whose block has an error (an unclosed fence, a bad annotation):
/// the run is refused before anything runs, naming each and why. Only the
/// selected steps count: the rest of the file can still be run.
pub(super) fn unreadable(runbook: &Runbook, plan: &Plan) -> Result<(), RunError> {
    let bad: Vec<&PlanStep> = plan
        .steps
        .iter()
        .filter(|s| s.status != Status::Skip && !runbook.steps[s.index].unreadable.is_empty())
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} step{} cannot run as written; nothing was run:\n",
        bad.len(),
        if bad.len() == 1 { "" } else { "s" }
    );
    for step in &bad {
        for reason in &runbook.steps[step.index].unreadable {
            text.push_str(&format!("  {}: {reason}\n", step.id));
        }
    }
    text.push_str("fix them (`litops check` shows where), or leave them out with --step/--section/--from/--to");
    Err(RunError::Usage(text))
}

/// Values that cannot be placed safely stop the run; the plan's notes
/// are told.
pub(super) fn unplaceable(plan: &Plan, ui: &mut dyn Frontend) -> Result<(), RunError> {
    // The reasons quote the value refused: a secret one is masked.
    let redactor = plan.redactor();
    let mut errors = Vec::new();
    for step in plan.steps.iter().filter(|s| s.status != Status::Skip) {
        for error in &step.errors {
            errors.push(
                redactor
                    .apply(&format!("step {}: {error}", step.id))
                    .into_owned(),
            );
        }
        for note in &step.notes {
            ui.warn(&redactor.apply(&format!("step {}: {note}", step.id)));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RunError::Unplaceable(errors))
    }
}

/// The steps that would run (or be done by hand) though they exist, or lost
/// lines, only by a heuristic.
fn inferred_steps(plan: &Plan) -> Vec<&PlanStep> {
    plan.steps
        .iter()
        .filter(|s| s.status != Status::Skip && !s.inferred.is_empty())
        .collect()
}

fn describe_inferred(steps: &[&PlanStep]) -> String {
    let mut text = String::new();
    for step in steps {
        text.push_str(&format!("  {}  ({})\n", step.id, step.location));
        for what in &step.inferred {
            text.push_str(&format!("    {what}\n"));
        }
    }
    text
}

/// Unattended, nobody sees what was inferred: only a reviewer (an approved
/// plan) or `--accept-inferred` lets it run.
pub(super) fn inferred(plan: &Plan) -> Result<(), RunError> {
    let steps = inferred_steps(plan);
    if steps.is_empty() {
        return Ok(());
    }
    let said = |what: &str| {
        steps
            .iter()
            .any(|s| s.inferred.iter().any(|w| w.starts_with(what)))
    };
    let mut hints = String::new();
    if said("one of several alternatives") || said("its lines are alternatives") {
        hints.push_str("; alt=\"VAR=value\" for an alternative");
    }
    if said("its commands are a menu") {
        hints.push_str("; `sequence` for a block whose every command runs");
    }
    if steps.iter().any(|s| {
        s.inferred
            .iter()
            .any(|w| w.contains("input to the shell") || w.contains(", not run here"))
    }) {
        hints.push_str("; a heredoc for a shell's input (`exec -i pod -- sh <<'EOF'`)");
    }
    Err(RunError::NotApproved(format!(
        "{} step{} inferred, not written as {}; nothing was run:\n{}run them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text{})",
        steps.len(),
        if steps.len() == 1 { " is" } else { "s are" },
        if steps.len() == 1 { "a step" } else { "steps" },
        describe_inferred(&steps),
        hints
    )))
}

/// A person running the runbook sees what litops inferred before it runs.
pub(super) fn show_inferred(plan: &Plan, ui: &mut dyn Frontend) {
    let steps = inferred_steps(plan);
    if !steps.is_empty() {
        ui.warn(&format!(
            "litops inferred {} step{} (check what runs before approving):\n{}",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" },
            describe_inferred(&steps).trim_end()
        ));
    }
}

/// Unattended, nobody does the work a block asks of a person (`# Edit
/// kustomization.yaml to set newTag`): only an approved plan, whose
/// reviewer saw it, runs such a step.
pub(super) fn checkpoints(plan: &Plan) -> Result<(), RunError> {
    let steps: Vec<&PlanStep> = plan
        .steps
        .iter()
        .filter(|s| s.status == Status::Run && !s.checkpoints.is_empty())
        .collect();
    if steps.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} by hand that nobody does in an unattended run; nothing was run:\n",
        if steps.len() == 1 {
            "1 step asks for work".to_owned()
        } else {
            format!("{} steps ask for work", steps.len())
        }
    );
    for step in steps {
        for work in &step.checkpoints {
            text.push_str(&format!("  {}: {work}\n", step.id));
        }
    }
    text.push_str("run it interactively, run an approved plan (--approved) once the work is done, or mark the block `no-checkpoint` if the comment is not work for the person running it");
    Err(RunError::NotApproved(text))
}

/// Unattended, nobody types into a shell a step opens.
pub(super) fn needs_person(plan: &Plan) -> Result<(), RunError> {
    refuse_commands(
        plan,
        |s| &s.needs_person,
        ("1 step waits", "steps wait"),
        "for a person to type",
        "run them interactively, mark them `manual`, or leave them out with --step/--section/--from/--to",
    )
}

/// Unattended, nobody presses Ctrl-C: a command that never ends by itself
/// would hold the run until something kills it.
pub(super) fn endless(plan: &Plan) -> Result<(), RunError> {
    refuse_commands(
        plan,
        |s| {
            // A background helper is stopped with its section.
            if s.stream.is_none() && !s.background {
                &s.never_ends
            } else {
                &[]
            }
        },
        (
            "1 step never ends by itself",
            "steps never end by themselves",
        ),
        "",
        "bound them with stream=DURATION on the step (followed that long, then ended as a success), or leave them out with --step/--section/--from/--to",
    )
}

/// Refuses the steps that run and have commands of a kind (`commands`),
/// each named with its step: `N <one|many> <what>; nothing was run:`.
fn refuse_commands(
    plan: &Plan,
    commands: impl Fn(&PlanStep) -> &[String],
    (one, many): (&str, &str),
    what: &str,
    help: &str,
) -> Result<(), RunError> {
    let steps: Vec<&PlanStep> = plan
        .steps
        .iter()
        .filter(|s| s.status == Status::Run && !commands(s).is_empty())
        .collect();
    if steps.is_empty() {
        return Ok(());
    }
    let count = match steps.len() {
        1 => one.to_owned(),
        n => format!("{n} {many}"),
    };
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" {what}")
    };
    let mut text = format!("{count}{what}; nothing was run:\n");
    for step in &steps {
        for command in commands(step) {
            text.push_str(&format!("  {}: {command}\n", step.id));
        }
    }
    text.push_str(help);
    Err(RunError::NotApproved(text))
}

/// Unattended, manual steps cannot be done and every gate needs an approval.
pub(super) fn unattended(plan: &Plan, approvals: &Approvals) -> Result<(), RunError> {
    let manual: Vec<&PlanStep> = plan
        .steps
        .iter()
        .filter(|s| s.status == Status::Manual)
        .collect();
    if !manual.is_empty() {
        let mut text = "manual steps need a person; an unattended run cannot do them:\n".to_owned();
        for step in manual {
            text.push_str(&format!("  {}", step.id));
            if let Some(reason) = &step.status_reason {
                text.push_str(&format!(": {reason}"));
            }
            text.push('\n');
        }
        text.push_str("leave them out with --step/--section/--from/--to");
        return Err(RunError::NotApproved(text));
    }
    let missing = approvals.missing(plan);
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} gated step{} not approved; nothing was run:\n",
        missing.len(),
        if missing.len() == 1 { " is" } else { "s are" }
    );
    for step in &missing {
        text.push_str(&format!(
            "  {}  ({})\n",
            step.id,
            step.gate.reasons.join("; ")
        ));
    }
    text.push_str("approve them with --approve ID (repeatable) or all with --yes");
    Err(RunError::NotApproved(text))
}
