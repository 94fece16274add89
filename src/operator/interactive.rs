//! The interactive operator: before each step, show what it is and what it
//! will run, then let the person run it, skip it, edit it, run some of its
//! commands, open a shell where the session is, or quit. Gates need an
//! explicit yes; production runbooks ask to type a name instead.
//!
//! Prompts go to stderr (stdout carries the steps' output) through dialoguer.

use std::io::Write;

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Editor, Input, MultiSelect, Password, Select};

const RUN: Entry = Entry::new('r', "Run");
const SKIP: Entry = Entry::new('s', "Skip");
const EDIT: Entry = Entry::new('e', "Edit the command");
const CHOOSE: Entry = Entry::new('c', "Choose commands to run");
const SHELL: Entry = Entry::new('o', "Open a shell here");
const ALL: Entry = Entry::new('a', "All remaining steps, without asking");
const QUIT: Entry = Entry::new('q', "Quit");
const DONE: Entry = Entry::new('d', "Done");
const RETRY: Entry = Entry::new('r', "Retry");
const NEXT: Entry = Entry::new('c', "Continue with the next step");

use super::keys::{self, Entry};
use super::{Choice, GateDecision, Here, Operator, Recovery, StepContext};
use crate::event::Outcome;
use crate::model::Variable;
use crate::plan::PlanStep;

pub struct Interactive {
    theme: Box<dyn Theme>,
    color: bool,
    by: String,
    /// For production runbooks: the word to type to pass a gate.
    confirm_word: Option<String>,
    /// The person chose to run the remaining steps without being asked
    /// before each (gates, work by hand and failures still ask).
    run_all: bool,
}

impl Interactive {
    pub fn new(color: bool, by: String, confirm_word: Option<String>) -> Interactive {
        let theme: Box<dyn Theme> = if color {
            Box::new(ColorfulTheme::default())
        } else {
            Box::new(SimpleTheme)
        };
        Interactive {
            theme,
            color,
            by,
            confirm_word,
            run_all: false,
        }
    }

    fn say(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// Asks for a variable's value: a list for declared values (or the
    /// alternatives a selector chooses between), hidden input
    /// for secrets, otherwise text with the document's value as the default.
    pub fn ask_variable(
        &self,
        var: &Variable,
        default: Option<&str>,
        used_by: &[String],
        choices: &[String],
    ) -> std::io::Result<String> {
        let mut prompt = var.name.clone();
        if let Some(d) = var.description() {
            prompt.push_str(&format!(" ({d})"));
        }
        if let Some(p) = &var.placeholder {
            prompt.push_str(&format!(" — replaces {p}"));
        }
        if !used_by.is_empty() {
            self.say(&format!("{} is used by: {}", var.name, used_by.join(", ")));
        }
        // Declared values, else the options of the alternatives it chooses.
        let values = var
            .declared
            .as_ref()
            .map(|d| d.values.clone())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| choices.to_vec());
        let value = if !values.is_empty() {
            let start = default
                .and_then(|d| values.iter().position(|v| v == d))
                .unwrap_or(0);
            let index = Select::with_theme(self.theme.as_ref())
                .with_prompt(prompt)
                .items(&values)
                .default(start)
                .interact()
                .map_err(io)?;
            values[index].clone()
        } else if var.secret {
            Password::with_theme(self.theme.as_ref())
                .with_prompt(prompt)
                .allow_empty_password(false)
                .interact()
                .map_err(io)?
        } else {
            let mut input = Input::<String>::with_theme(self.theme.as_ref()).with_prompt(prompt);
            if let Some(d) = default {
                input = input.default(d.to_owned());
            }
            input.interact_text().map_err(io)?
        };
        Ok(value)
    }

    fn show(&self, ctx: &StepContext) {
        let step = ctx.step;
        let (n, total) = ctx.position;
        self.say(&format!("\n▶ [{n}/{total}] {}", step.id));
        self.say(&format!(
            "  {}  ({})",
            step.section.join(" › "),
            step.location
        ));
        if let Some(summary) = &step.summary {
            self.say(&format!("  {summary}"));
        }
        // The variables the script reads, not every input of the runbook.
        let script = step.script.shown();
        let used: Vec<String> = step
            .env
            .iter()
            .filter(|e| reads(script, &e.name))
            .map(|e| format!("{}={}", e.name, e.value))
            .collect();
        if !used.is_empty() {
            self.say(&format!("  variables: {}", used.join(" ")));
        }
        if step.gate.required {
            self.say(&format!("  risk: {}", step.gate.reasons.join("; ")));
        }
        if step.interactive {
            self.say("  interactive: the step uses this terminal");
        }
        for work in before_work(step) {
            self.say(&format!("  by hand first: {work}"));
        }
        for pause in &step.pauses {
            self.say(&format!(
                "  by hand when the step gets there: {}",
                pause.work
            ));
        }
        for line in crate::shell::typed_lines(script) {
            self.say(line.trim_end());
        }
    }

    /// An edited step is read again: the person sees what changed and what
    /// the risk rules say of the new text, and confirms it before it runs
    /// (an edit must not slip a `delete` past a gate).
    fn edit_confirmed(&self, ctx: &StepContext, edited: &str) -> bool {
        self.say("  edited:");
        let diff = similar::TextDiff::from_lines(ctx.script, edited);
        for change in diff.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => continue,
            };
            self.say(&format!(
                "  {sign} {}",
                change.value().trim_end_matches('\n')
            ));
        }
        let mut reasons: Vec<&str> = Vec::new();
        for risk in crate::shell::read(edited)
            .commands
            .iter()
            .flat_map(|c| &c.risks)
        {
            if !reasons.contains(&risk.reason) {
                reasons.push(risk.reason);
            }
        }
        let prompt = if reasons.is_empty() {
            "Run the edited step?".to_owned()
        } else {
            format!("Run the edited step? It {}", reasons.join("; "))
        };
        Confirm::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .default(false)
            .interact()
            .unwrap_or(false)
    }

    /// Whether the person says the step's work by hand is done.
    fn work_done(&self, step: &PlanStep) -> bool {
        Confirm::with_theme(self.theme.as_ref())
            .with_prompt(if before_work(step).len() == 1 {
                "Have you done the work by hand above?"
            } else {
                "Have you done all the work by hand above?"
            })
            .default(false)
            .interact()
            .unwrap_or(false)
    }

    fn open_shell(&self, here: Here) {
        let rc = match tempfile::NamedTempFile::new() {
            Ok(rc) => rc,
            Err(err) => return self.say(&format!("cannot open a shell: {err}")),
        };
        let body = format!(
            "[ -f {state} ] && . {state}\nPS1='(litops) \\w\\$ '\n",
            state = crate::shell::quote::unquoted(&here.state.to_string_lossy())
        );
        if std::fs::write(rc.path(), body).is_err() {
            return self.say("cannot open a shell: the rc file could not be written");
        }
        self.say("Opening a shell where the session is (its directory and variables); `exit` returns to the run. What you change in it (cd, variables) is not carried back.");
        let status = std::process::Command::new(here.shell)
            .arg("--rcfile")
            .arg(rc.path())
            .arg("-i")
            .status();
        if let Err(err) = status {
            self.say(&format!("cannot open a shell: {err}"));
        }
    }
}

/// A prompt hides the cursor while it runs, and Ctrl-C in one ends it
/// without showing it again: the person's terminal gets its cursor back
/// when the prompts are done.
impl Drop for Interactive {
    fn drop(&mut self) {
        let _ = dialoguer::console::Term::stderr().show_cursor();
    }
}

fn io(err: dialoguer::Error) -> std::io::Error {
    match err {
        dialoguer::Error::IO(e) => e,
    }
}

impl Operator for Interactive {
    fn approve(&mut self, step: &PlanStep) -> GateDecision {
        self.say(&format!("  gate: {}", step.gate.reasons.join("; ")));
        let approved = match self.confirm_word.clone() {
            // A typo asks again; only an empty answer (or no terminal) declines.
            Some(word) => loop {
                let typed = Input::<String>::with_theme(self.theme.as_ref())
                    .with_prompt(format!(
                        "Production runbook: type `{word}` to run this step (Enter: do not run it)"
                    ))
                    .allow_empty(true)
                    .interact_text();
                match typed.as_deref().map(str::trim) {
                    Ok(typed) if typed == word => break true,
                    Ok("") | Err(_) => break false,
                    Ok(other) => self.say(&format!(
                        "  `{other}` is not `{word}`: type it exactly, or press Enter to not run the step"
                    )),
                }
            },
            None => Confirm::with_theme(self.theme.as_ref())
                .with_prompt("Run this gated step?")
                .default(false)
                .interact()
                .unwrap_or(false),
        };
        GateDecision {
            approved,
            by: self.by.clone(),
            how: "prompt".to_owned(),
        }
    }

    fn before_step(&mut self, ctx: &StepContext) -> Choice {
        self.show(ctx);
        let mut work_done = before_work(ctx.step).is_empty();
        if self.run_all && !work_done {
            work_done = self.work_done(ctx.step);
        }
        loop {
            let entry = if self.run_all && work_done {
                RUN
            } else {
                let mut entries = vec![RUN, SKIP, EDIT];
                if ctx.commands.len() > 1 {
                    entries.push(CHOOSE);
                }
                entries.extend([SHELL, ALL, QUIT]);
                match keys::pick("Step", &entries, 0, self.color) {
                    Some(i) => entries[i],
                    None => return Choice::Quit,
                }
            };
            match entry {
                RUN | ALL => {
                    if !work_done {
                        work_done = self.work_done(ctx.step);
                    }
                    if !work_done {
                        self.say("  not run: do the work by hand first (`Open a shell here` opens one where the session is)");
                        continue;
                    }
                    if entry == ALL {
                        self.run_all = true;
                    }
                    return Choice::Run(ctx.script.to_owned());
                }
                SKIP => return Choice::Skip,
                // The editor works on a file: a script holding secret values
                // is not written to one.
                EDIT if ctx.step.script.shown() != ctx.script => {
                    self.say("  cannot edit: the step holds secret values, and litops does not write them to a file for an editor (`Open a shell here` instead)");
                }
                EDIT => match Editor::new().extension(".sh").edit(ctx.script) {
                    Ok(Some(edited)) if edited == ctx.script => self.say("unchanged"),
                    Ok(Some(edited)) => {
                        if self.edit_confirmed(ctx, &edited) {
                            return Choice::Run(edited);
                        }
                    }
                    Ok(None) => self.say("unchanged (editor closed without saving)"),
                    Err(err) => self.say(&format!("cannot edit: {err}")),
                },
                CHOOSE => {
                    // Shown masked (the plan's text); what runs is `ctx.commands`.
                    let labels: Vec<String> = ctx
                        .step
                        .commands
                        .iter()
                        .map(|planned| {
                            let first = planned.text.shown().lines().next().unwrap_or("");
                            match &planned.label {
                                Some(label) => format!("{first}   # {label}"),
                                None => first.to_owned(),
                            }
                        })
                        .collect();
                    match MultiSelect::with_theme(self.theme.as_ref())
                        .with_prompt("Commands (space to select, enter to run)")
                        .items(&labels)
                        .interact()
                    {
                        Ok(chosen) if !chosen.is_empty() => {
                            let script: Vec<&str> =
                                chosen.iter().map(|&i| ctx.commands[i].as_str()).collect();
                            return Choice::Run(script.join("\n") + "\n");
                        }
                        _ => self.say("no command chosen"),
                    }
                }
                SHELL => self.open_shell(ctx.here),
                _ => return Choice::Quit,
            }
        }
    }

    fn manual(&mut self, step: &PlanStep, here: Here) -> Choice {
        self.say(&format!("\n✋ manual step {}: do this by hand", step.id));
        if let Some(reason) = &step.status_reason {
            self.say(&format!("  {reason}"));
        }
        for line in step.script.shown().trim_end_matches('\n').split('\n') {
            self.say(format!("  $ {line}").trim_end());
        }
        let entries = [DONE, SKIP, SHELL, QUIT];
        loop {
            match keys::pick("When you have done it", &entries, 0, self.color).map(|i| entries[i]) {
                Some(DONE) => return Choice::Run(String::new()),
                Some(SKIP) => return Choice::Skip,
                Some(SHELL) => self.open_shell(here),
                _ => return Choice::Quit,
            }
        }
    }

    /// The run's notice just before said which step and what work.
    fn pause(&mut self, _step: &PlanStep, _work: &str, here: Here) -> Choice {
        let entries = [DONE, SHELL, QUIT];
        loop {
            match keys::pick("When you have done it", &entries, 0, self.color).map(|i| entries[i]) {
                Some(DONE) => return Choice::Run(String::new()),
                Some(SHELL) => self.open_shell(here),
                _ => return Choice::Quit,
            }
        }
    }

    fn recover(&mut self, step: &PlanStep, outcome: Outcome, here: Here) -> Recovery {
        let what = match outcome {
            Outcome::Interrupted => "was interrupted",
            Outcome::TimedOut => "timed out",
            Outcome::CheckFailed => "ran, but its check did not pass",
            _ => "failed",
        };
        let entries = [RETRY, NEXT, SHELL, QUIT];
        // After Ctrl-C, Enter quits: the person stopped the run on purpose,
        // and going on needs a choice of its own.
        let default = if outcome == Outcome::Interrupted {
            3
        } else {
            0
        };
        let prompt = format!("{} {what}", step.id);
        loop {
            match keys::pick(&prompt, &entries, default, self.color).map(|i| entries[i]) {
                Some(RETRY) => return Recovery::Retry,
                Some(NEXT) => return Recovery::Continue,
                Some(SHELL) => self.open_shell(here),
                _ => return Recovery::Quit,
            }
        }
    }
}

/// The work by hand to do before the step starts: the rest is asked for
/// where the step gets to it (its pauses).
fn before_work(step: &PlanStep) -> Vec<&String> {
    step.checkpoints
        .iter()
        .filter(|work| !step.pauses.iter().any(|p| &p.work == *work))
        .collect()
}

/// Whether `script` reads the variable `name` (`$NAME`, `${NAME…}`), as
/// written: `$NAMESPACE` does not read `NAME`.
fn reads(script: &str, name: &str) -> bool {
    ["$", "${"].iter().any(|opening| {
        let needle = format!("{opening}{name}");
        script.match_indices(&needle).any(|(at, _)| {
            !script
                .as_bytes()
                .get(at + needle.len())
                .is_some_and(|b| crate::shell::NAME_BYTE[usize::from(*b)])
        })
    })
}

#[cfg(test)]
mod tests {
    use super::reads;

    #[test]
    fn a_variable_is_read_by_its_whole_name() {
        assert!(reads("echo $NAME", "NAME"));
        assert!(reads("echo \"${NAME:-x}\"", "NAME"));
        assert!(reads("echo $NAME-1", "NAME"));
        assert!(!reads("echo $NAMESPACE", "NAME"));
        assert!(!reads("echo ${NAMESPACE}", "NAME"));
        assert!(!reads("echo NAME", "NAME"));
    }
}
