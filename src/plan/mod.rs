//! The plan: a runbook with a selection applied and variables bound.
//!
//! A [`Plan`] lists, in order, the exact script each selected step would run
//! (placeholders and env-prefix values replaced by quoted literals), the
//! environment it gets, its gate and why, and what is still unbound. `plan`
//! prints it; the executor runs exactly it and nothing else: values enter
//! scripts here, once (`resolve`), as [`Sensitive`] text that shows and
//! serialises masked. Its JSON form is versioned (`schema_version`) and
//! documented in `docs/plan-json.md`.

pub mod directory;
mod render;
pub mod select;

use std::sync::Arc;

use serde::Serialize;

pub use directory::StartsIn;
pub use render::{render_markdown, render_text};
pub use select::{SelectError, Selection};

use crate::bind::{Bindings, Origin};
use crate::model::{
    Check, Confirm, Expr, Mode, Preflight, Runbook, Step, UseKind, VariableKind,
    meta::duration_text,
};
use crate::secret::Sensitive;
use crate::shell::{AssignmentKind, quote};
use crate::source::{SourceFile, Span};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub runbook: PlanRunbook,
    pub summary: Summary,
    pub variables: Vec<PlanVariable>,
    pub alternatives: Vec<PlanAlternative>,
    pub steps: Vec<PlanStep>,
    /// Every bound value, for checks and conditions (`vars`) and the record
    /// of the session: never serialised (the variables above show them).
    #[serde(skip)]
    pub values: Vec<Value>,
    /// Every secret value the run can meet, as (name, value): what the
    /// run's redactor masks.
    #[serde(skip)]
    pub secrets: Vec<(String, Sensitive)>,
    /// Front-matter checks that must hold before the first step runs.
    #[serde(skip)]
    pub preflight: Vec<Preflight>,
    /// The runbook's text, for the positions of checks' errors.
    #[serde(skip)]
    pub file: Arc<SourceFile>,
    /// Built from `secrets` when first asked for: one per plan.
    #[serde(skip)]
    redactor: std::sync::OnceLock<crate::secret::Redactor>,
}

/// A bound value, as checks and the run see it.
#[derive(Debug, Clone)]
pub struct Value {
    pub name: String,
    pub value: Sensitive,
    pub source: Origin,
    pub secret: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRunbook {
    pub path: String,
    pub title: String,
    pub production: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub selected: usize,
    pub to_run: usize,
    pub skipped: usize,
    pub manual: usize,
    pub to_choose: usize,
    pub gated: usize,
    /// Variables the selected steps need that have no value.
    pub unbound: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanVariable {
    pub name: String,
    pub kind: VariableKind,
    /// The bound value (secrets masked), if any.
    pub value: Option<String>,
    /// Where the value came from: `--set`, `vars-file`, `environment`,
    /// `front-matter`, `document` (per-use literals), or null.
    pub source: Option<String>,
    pub document_values: Vec<String>,
    pub secret: bool,
    pub optional: bool,
    /// The default the script itself gives (`${NAME:-default}`), if plain text.
    pub script_default: Option<String>,
    pub selects: bool,
    pub placeholder: Option<String>,
    pub description: Option<String>,
    /// Steps of the plan that use it.
    pub used_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanAlternative {
    pub variable: String,
    /// The kind of axis its options name (`cloud`): `--choose cloud=…`.
    pub axis: Option<&'static str>,
    /// A menu of one step's commands (`# Option 1`, `# Or …`): `variable`
    /// is the step's id, the values are the entries' numbers.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub menu: bool,
    pub selected: Option<String>,
    pub options: Vec<PlanOption>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanOption {
    pub value: String,
    /// A menu entry's label as written (`# Or apply directly`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Run,
    Skip,
    Manual,
    /// One of several alternatives whose variable is unbound.
    Choose,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    /// Index of the step in the runbook.
    #[serde(skip)]
    pub index: usize,
    pub id: String,
    pub section: Vec<String>,
    pub summary: Option<String>,
    /// `file:line:col` of the block.
    pub location: String,
    pub lang: String,
    pub status: Status,
    /// Why a step is skipped, manual or to be chosen.
    pub status_reason: Option<String>,
    /// The script as it runs: shown and serialised with secret values masked.
    pub script: Sensitive,
    pub commands: Vec<PlanCommand>,
    /// Exported variables the script reads (shown with secret values masked).
    pub env: Vec<EnvVar>,
    pub gate: PlanGate,
    #[serde(with = "duration_text")]
    pub timeout: Option<std::time::Duration>,
    pub interactive: bool,
    /// `background`: started, not waited for; stopped when its section ends.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub background: bool,
    /// `stream=DURATION`: how long each command that never ends is followed.
    #[serde(with = "duration_text", skip_serializing_if = "Option::is_none")]
    pub stream: Option<std::time::Duration>,
    /// Commands that never end by themselves, as shown, each with why: an
    /// unattended run refuses the step unless `stream` bounds them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub never_ends: Vec<String>,
    /// Commands that ask for a terminal (`exec -it … -- migrate`), as shown,
    /// each with why: the step gets one, as `interactive` gives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs_terminal: Vec<String>,
    /// Commands that wait for a person to type (`exec -it pod -- bash`, an
    /// editor): no unattended run can do the step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs_person: Vec<String>,
    /// Where the step runs (`cwd=` or Runme's `cwd`), relative to the
    /// runbook's directory unless absolute; `None`: where the session is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Where the step starts when not where the previous one left off
    /// (see [`directory`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_in: Option<StartsIn>,
    pub continue_on_error: bool,
    #[serde(serialize_with = "expr_source")]
    pub when: Option<Expr>,
    /// The `when` condition's value with the plan's bindings.
    pub condition: Option<Condition>,
    /// `retry`/`until`: attempts and the wait between them.
    pub retry: Option<crate::model::Retry>,
    pub alternative: Option<PlanChoice>,
    /// Checks on the step's result (serialised as their sources).
    #[serde(serialize_with = "check_sources")]
    pub checks: Vec<Check>,
    pub unbound: Vec<String>,
    /// Values that could not be placed safely (the step cannot run as is).
    pub errors: Vec<String>,
    /// What the reader should know: values written in the runbook that the
    /// environment does not change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The variable whose value decides what of the step runs, when it is
    /// one of several alternatives or holds some (`# GKE` … `# EKS` …).
    #[serde(skip)]
    pub chosen_by: Option<String>,
    /// Work a person does by hand before the step runs (`# Edit … to set
    /// …`), each as `line N: instruction (before `command`)`: an unattended
    /// run refuses the step unless its plan is approved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<String>,
    /// Where an interactive run stops for the work by hand in the middle of
    /// the step: before the command a checkpoint comes before, when another
    /// command runs before it (what the person needs may be what those
    /// commands did: a `cd`, a file fetched).
    #[serde(skip)]
    pub pauses: Vec<Pause>,
    /// Lines of the block left out because they are for another
    /// alternative (`lines 261-264 (`# GKE`): for cloud=gcp`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// What litops inferred rather than read as written: the block is a step
    /// by a heuristic, or lines were left out as output or REPL input. An
    /// unattended run refuses such a step unless it is approved or
    /// `--accept-inferred` is given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inferred: Vec<String>,
    /// The commands of a step that changes nothing which run `grep`: when
    /// the step exits 1, the run says that is also grep's "no match".
    #[serde(skip)]
    pub greps: Vec<String>,
}

fn expr_source<S: serde::Serializer>(when: &Option<Expr>, s: S) -> Result<S::Ok, S::Error> {
    match when {
        Some(when) => s.serialize_some(&when.source),
        None => s.serialize_none(),
    }
}

fn check_sources<S: serde::Serializer>(checks: &[Check], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(checks.iter().map(|c| c.source.trim()))
}

impl PlanStep {
    /// The checks' sources, as `plan` shows them.
    pub fn check_sources(&self) -> Vec<String> {
        self.checks
            .iter()
            .map(|c| c.source.trim().to_owned())
            .collect()
    }
}

/// What a `when` condition says before the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "value", content = "reason")]
pub enum Condition {
    True,
    False,
    /// Unbound variables, or `step()`: evaluated again when the run reaches the step.
    Undecided(String),
    /// The condition fails to evaluate (a type error…): the step cannot run.
    Error(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanCommand {
    pub label: Option<String>,
    pub text: Sensitive,
    /// Risk rules the command matches (`rule` is a stable id, `reason` prose).
    pub risks: Vec<crate::shell::Risk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Sensitive,
}

/// A stop in the middle of a step for work by hand (see
/// [`PlanStep::pauses`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// Where the script that runs is cut: the start of the command the
    /// work comes before.
    pub at: usize,
    /// As in [`PlanStep::checkpoints`].
    pub work: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanGate {
    pub required: bool,
    /// `confirm`, `no-confirm`, or `default` (decided by the risk rules).
    pub decision: &'static str,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanChoice {
    pub variable: String,
    pub value: String,
}

/// Builds the plan for the selected steps.
pub fn build(runbook: &Runbook, selected: &[usize], bindings: &Bindings) -> Plan {
    let values = values(runbook, bindings);
    let mut steps: Vec<PlanStep> = selected
        .iter()
        .map(|&i| plan_step(runbook, i, bindings, &values))
        .collect();
    let starts = directory::starting_directories(runbook);
    for step in &mut steps {
        step.starts_in = starts.get(step.index).cloned().flatten();
    }
    let mut is_selected = vec![false; runbook.steps.len()];
    for &i in selected {
        is_selected[i] = true;
    }
    let variables = plan_variables(runbook, &is_selected, bindings);
    let alternatives = runbook
        .alternatives
        .iter()
        .filter(|g| {
            g.options
                .iter()
                .any(|(_, s)| s.iter().any(|&i| is_selected[i]))
        })
        .map(|g| PlanAlternative {
            variable: g.variable.clone(),
            axis: g.axis,
            menu: menu_of(runbook, g).is_some(),
            selected: bindings.get(&g.variable).map(|b| {
                let secret = bindings.is_secret(runbook, &g.variable);
                mask(&g.variable, secret, &b.value)
            }),
            options: g
                .options
                .iter()
                .map(|(value, s)| PlanOption {
                    label: match menu_of(runbook, g) {
                        Some(step) => step
                            .segments
                            .iter()
                            .find(|e| &e.value == value)
                            .map(|e| e.label.clone()),
                        None => s.iter().find_map(|&i| {
                            runbook.steps[i]
                                .alternative
                                .as_ref()
                                .and_then(|a| a.label.clone())
                        }),
                    },
                    value: value.clone(),
                    steps: s.iter().map(|&i| runbook.steps[i].id.clone()).collect(),
                })
                .collect(),
        })
        .collect();
    let mut summary = Summary {
        selected: steps.len(),
        ..Summary::default()
    };
    for step in &mut steps {
        match step.status {
            Status::Run => summary.to_run += 1,
            Status::Skip => summary.skipped += 1,
            Status::Manual => summary.manual += 1,
            Status::Choose => summary.to_choose += 1,
        }
        if step.gate.required && matches!(step.status, Status::Run | Status::Choose) {
            summary.gated += 1;
        }
        if step.status != Status::Skip {
            for name in &step.unbound {
                if !summary.unbound.contains(name) {
                    summary.unbound.push(name.clone());
                }
            }
        }
    }
    Plan {
        schema_version: SCHEMA_VERSION,
        runbook: PlanRunbook {
            path: runbook.file.name().to_owned(),
            title: runbook.title().to_owned(),
            production: runbook.settings.production,
        },
        summary,
        variables,
        alternatives,
        steps,
        values,
        secrets: crate::secret::secret_values(runbook, bindings)
            .into_iter()
            .map(|(name, value)| {
                let mask = format!("[REDACTED:{name}]");
                (name, Sensitive::new(value, mask))
            })
            .collect(),
        preflight: runbook.settings.preflight.clone(),
        file: Arc::clone(&runbook.file),
        redactor: std::sync::OnceLock::new(),
    }
}

/// The step whose menu a group is, if it is one.
fn menu_of<'r>(runbook: &'r Runbook, group: &crate::model::AlternativeGroup) -> Option<&'r Step> {
    let (_, steps) = group.options.first()?;
    let step = &runbook.steps[*steps.first()?];
    step.segments
        .first()
        .is_some_and(|g| g.menu && g.variable == group.variable)
        .then_some(step)
}

/// Every bound value, secret or not.
fn values(runbook: &Runbook, bindings: &Bindings) -> Vec<Value> {
    bindings
        .values
        .iter()
        .map(|(name, b)| {
            let secret = bindings.is_masked(runbook, name);
            let shown = if secret {
                format!("[REDACTED:{name}]")
            } else {
                b.value.clone()
            };
            Value {
                name: name.clone(),
                value: Sensitive::new(b.value.clone(), shown),
                source: b.source.clone(),
                secret,
            }
        })
        .collect()
}

/// What checks and conditions know of the values: `vars`.
pub fn facts(values: &[Value]) -> crate::checks::Facts<'_> {
    crate::checks::Facts {
        vars: values
            .iter()
            .map(|v| (v.name.as_str(), v.value.expose(), v.secret))
            .collect(),
        ..crate::checks::Facts::default()
    }
}

impl Plan {
    /// What checks and conditions know before a step has run.
    pub fn facts(&self) -> crate::checks::Facts<'_> {
        facts(&self.values)
    }

    /// The run's redactor: the plan's secrets, and the environment's.
    pub fn redactor(&self) -> &crate::secret::Redactor {
        self.redactor.get_or_init(|| {
            crate::secret::Redactor::for_run(
                self.secrets
                    .iter()
                    .map(|(name, value)| (name.clone(), value.expose().to_owned())),
            )
        })
    }

    /// The bound value of `name`, if any.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|v| v.name == name)
    }
}

fn plan_variables(
    runbook: &Runbook,
    is_selected: &[bool],
    bindings: &Bindings,
) -> Vec<PlanVariable> {
    runbook
        .variables
        .iter()
        .filter_map(|var| {
            // Uses are in step order, so dedup of neighbours is enough.
            let mut steps: Vec<usize> = var
                .uses
                .iter()
                .filter(|u| is_selected[u.step] && !in_left_out(runbook, u, bindings))
                .map(|u| u.step)
                .collect();
            steps.dedup();
            let used_by: Vec<String> = steps.iter().map(|&s| runbook.steps[s].id.clone()).collect();
            if used_by.is_empty() && var.declared.is_none() {
                return None;
            }
            let bound = bindings.get(&var.name);
            let secret = bindings.is_secret(runbook, &var.name);
            let document_values: Vec<String> = var
                .document_values()
                .into_iter()
                .map(|v| mask(&var.name, var.secret, v))
                .collect();
            let source = match bound {
                Some(b) => Some(source_name(&b.source).to_owned()),
                None if !document_values.is_empty() => Some("document".to_owned()),
                None => None,
            };
            Some(PlanVariable {
                name: var.name.clone(),
                kind: var.kind,
                value: bound.map(|b| mask(&var.name, secret, &b.value)),
                source,
                document_values,
                secret,
                optional: var.optional,
                script_default: var.script_default.clone(),
                selects: var.selects,
                placeholder: var.placeholder.clone(),
                description: var.description().map(str::to_owned),
                used_by,
            })
        })
        .collect()
}

fn source_name(source: &Origin) -> &'static str {
    match source {
        Origin::Set => "--set",
        Origin::Choose => "--choose",
        Origin::VarsFile(_) => "vars-file",
        Origin::EnvFile(_) => "env-file",
        Origin::Prompt => "prompt",
        Origin::Environment => "environment",
        Origin::FrontMatter => "front-matter",
        Origin::SecretFile(_) => "secret-file",
    }
}

fn mask(name: &str, secret: bool, value: &str) -> String {
    if secret {
        format!("[REDACTED:{name}]")
    } else {
        value.to_owned()
    }
}

fn plan_step(runbook: &Runbook, index: usize, bindings: &Bindings, values: &[Value]) -> PlanStep {
    let step = &runbook.steps[index];
    let segments = left_out(runbook, step, bindings);
    let (dropped, left_out) = segments.clone().unwrap_or_default();
    let mut unwritten = unwritten_choice(runbook, step, bindings);
    let resolved = resolve(runbook, index, bindings, &dropped);
    let evaluated = step.when.as_ref().map(|w| condition(runbook, w, values));
    let (condition, when_unbound) = match evaluated {
        Some((c, unbound)) => (Some(c), unbound),
        None => (None, None),
    };
    let (mut status, mut status_reason) = status(runbook, step, bindings);
    if status == Status::Run
        && let Some(first) = step.segments.first()
    {
        if segments.is_none() && first.menu {
            status = Status::Choose;
            status_reason = Some(format!(
                "a menu of {} entries: one is run, chosen with --choose {}=N",
                step.segments.len(),
                step.id
            ));
        } else if segments.is_none()
            && let Some(program) = &first.program
        {
            status = Status::Choose;
            status_reason = Some(format!(
                "its `{program}` lines are for {}={}: whether they run is chosen by {}",
                first.variable, first.value, first.variable
            ));
        } else if segments.is_none() {
            let values = step.segment_values();
            status = Status::Choose;
            status_reason = Some(format!(
                "its lines are alternatives (for {}={}): one is run, chosen by {}",
                first.variable,
                values.join("|"),
                first.variable
            ));
        } else if step
            .script
            .commands
            .iter()
            .all(|c| is_within(&dropped, c.span))
        {
            // Nothing written for this choice: work for a person, never
            // passed over as done.
            status = Status::Manual;
            status_reason = unwritten
                .take()
                .map(|work| format!("{work}: done by a person, confirmed in the run"));
        }
    }
    let remote = remote_input(step, &dropped);
    if status == Status::Run
        && let Some(remote) = remote
        && remote.without_tty.is_none()
    {
        status = Status::Manual;
        status_reason = Some(format!(
            "its lines after `{}` are meant inside that shell, and litops cannot pass them to it: done by a person, confirmed in the run",
            remote.shell
        ));
    }
    // A REPL's input is SQL or Python, not shell: no value is quoted into it.
    if status == Status::Run
        && let Some(remote) = remote
        && let Some(program) = remote.repl
        && step
            .script
            .placeholders
            .iter()
            .any(|p| is_within(&[remote.input], p.span))
    {
        status = Status::Manual;
        status_reason = Some(format!(
            "values would go into {program}'s input, which litops does not quote for: done by a person, confirmed in the run"
        ));
    }
    if status == Status::Run
        && let Some(Condition::False) = &condition
    {
        status = Status::Skip;
        status_reason = step
            .when
            .as_ref()
            .map(|w| format!("`when` is false: {}", w.source));
    }
    let mut errors: Vec<String> = step
        .unreadable
        .iter()
        .map(|reason| format!("the block cannot run as written: {reason}"))
        .collect();
    errors.extend(resolved.errors.iter().cloned());
    if status != Status::Skip
        && let Some(Condition::Error(message)) = &condition
    {
        errors.push(format!(
            "its `when` condition cannot be evaluated: {message}"
        ));
    }
    // The commands that run: not those of alternatives left out, nor the
    // lines a shell elsewhere reads (part of the command that opens it).
    let input = remote.map(|r| r.input);
    let kept: Vec<usize> = (0..step.script.commands.len())
        .filter(|&i| {
            let span = step.script.commands[i].span;
            !is_within(&dropped, span) && !input.is_some_and(|r| is_within(&[r], span))
        })
        .collect();
    let mut commands = kept
        .iter()
        .map(|&i| {
            let c = &step.script.commands[i];
            let text = match (remote, &resolved.heredoc) {
                (Some(r), Some(delimiter)) if r.opener == i => {
                    let through = resolved.map_span(Span::new(c.span.start, r.input.end));
                    Sensitive::new(
                        format!("{}{delimiter}", through.expose()),
                        format!("{}{delimiter}", through.shown()),
                    )
                }
                _ => resolved.map_span(c.span),
            };
            PlanCommand {
                label: c.label.clone(),
                text,
                risks: c.risks.clone(),
            }
        })
        .collect::<Vec<_>>();
    let greps = greps(step, &kept, &commands);
    // Work by hand, as the plan says it, and where a run stops for it.
    let mut checkpoints: Vec<String> = Vec::new();
    let mut pauses: Vec<Pause> = Vec::new();
    let first_kept = kept.first().map(|&i| step.script.commands[i].span.start);
    for c in step
        .checkpoints
        .iter()
        .filter(|c| !is_within(&dropped, c.span))
    {
        let line = runbook.file.position(step.source_span(c.span).start).line;
        let before = c.before.map(|b| {
            format!(
                " (before `{}`)",
                one_line(step.text.as_str()[b.start..b.end].trim())
            )
        });
        let work = format!(
            "line {line}: {}{}",
            c.instruction,
            before.unwrap_or_default()
        );
        if let Some(b) = c.before
            && first_kept.is_some_and(|first| first < b.start)
            && !is_within(&dropped, b)
        {
            pauses.push(Pause {
                at: resolved.map_offset(b.start).0,
                work: work.clone(),
            });
        }
        checkpoints.push(work);
    }
    let mut script = resolved.text.clone();
    let never_ends = endless(
        step,
        &kept,
        &resolved,
        &mut script,
        &mut commands,
        &mut errors,
        &mut pauses,
    );
    // The opener reads its input from the script now, not from a person.
    let fed = remote
        .filter(|_| resolved.heredoc.is_some())
        .map(|r| r.opener);
    let (needs_terminal, needs_person) = terminal(step, &kept, &commands, fed);
    PlanStep {
        index,
        id: step.id.clone(),
        section: section_titles(runbook, step.section),
        summary: step.summary.clone(),
        location: runbook.file.location(step.span),
        lang: step.lang.clone(),
        status,
        status_reason,
        script,
        commands,
        env: resolved.env,
        gate: {
            // The risks of the lines that run, here or in a shell elsewhere:
            // an alternative left out (the `aws` line for GKE) gates nothing.
            let gate = crate::model::Gate::of(
                step.gate.decision.clone(),
                step.script
                    .commands
                    .iter()
                    .filter(|c| !is_within(&dropped, c.span)),
            );
            PlanGate {
                required: gate.required(),
                decision: match gate.decision {
                    Some(Confirm::Always(_)) => "confirm",
                    Some(Confirm::Never) => "no-confirm",
                    None => "default",
                },
                reasons: gate.reasons(),
            }
        },
        timeout: step.timeout.or(runbook.settings.timeout),
        interactive: step.interactive || !needs_terminal.is_empty() || !needs_person.is_empty(),
        stream: step.stream,
        background: step.background,
        never_ends,
        needs_terminal,
        needs_person,
        cwd: step.cwd.clone().or_else(|| runbook.settings.cwd.clone()),
        starts_in: None,
        continue_on_error: step.continue_on_error,
        when: step.when.clone(),
        alternative: step.alternative.as_ref().map(|a| PlanChoice {
            variable: a.variable.clone(),
            value: a.value.clone(),
        }),
        checks: step.checks.clone(),
        condition,
        retry: step.retry.clone(),
        unbound: {
            let mut unbound = resolved.unbound;
            unbound.extend(when_unbound.filter(|n| !unbound.contains(n)));
            unbound
        },
        errors,
        greps,
        notes: resolved.notes,
        left_out,
        checkpoints: checkpoints.into_iter().chain(unwritten).collect(),
        pauses,
        // The outermost choice still to make, then the step's own.
        chosen_by: step
            .within
            .iter()
            .find(|c| bindings.get(&c.variable).is_none())
            .or(step.alternative.as_ref())
            .map(|a| a.variable.clone())
            .or_else(|| step.segments.first().map(|g| g.variable.clone())),
        inferred: inferred(runbook, step),
    }
}

/// The commands that never end by themselves (`logs -f`, `port-forward`),
/// as shown, each with why. With `stream=DURATION` each is bounded where it
/// runs: `__litops_stream SECONDS` (a session function around `timeout`)
/// is put before it in the script, so the plan shows what runs; one that
/// cannot be bounded there (not first in its pipeline, after an env prefix)
/// is an error of the step.
fn endless(
    step: &Step,
    kept: &[usize],
    resolved: &Resolved,
    script: &mut Sensitive,
    commands: &mut [PlanCommand],
    errors: &mut Vec<String>,
    pauses: &mut [Pause],
) -> Vec<String> {
    let mut found = Vec::new();
    let mut inserts: Vec<(usize, usize)> = Vec::new();
    // The step shell's function that bounds each of them; without
    // `stream=`, the one that lets a person end one with Ctrl-C and the
    // step go on (an unattended run refuses such a step).
    let follow = step.stream.is_none();
    if follow && step.background {
        // A helper is stopped with its section: nothing to follow.
        return commands_never_ending(step, kept, commands);
    }
    let prefix = Some(match step.stream {
        Some(stream) => format!("__litops_stream {} ", stream.as_secs()),
        None => "__litops_follow ".to_owned(),
    });
    for (n, &i) in kept.iter().enumerate() {
        let c = &step.script.commands[i];
        let Some((at, why)) = c
            .argvs
            .iter()
            .enumerate()
            .find_map(|(at, argv)| crate::shell::endless::never_ends(argv).map(|w| (at, w)))
        else {
            continue;
        };
        let shown = commands[n].text.shown().to_owned();
        found.push(format!("{} ({why})", one_line(&shown)));
        let Some(prefix) = &prefix else {
            continue;
        };
        let prefixed = step
            .script
            .assignments
            .iter()
            .any(|a| a.command == i && a.kind == AssignmentKind::EnvPrefix);
        // Followed: a simple command only (in a pipeline, Ctrl-C ends the
        // other commands too, and with them the step).
        if follow && (at != 0 || prefixed || c.argvs.len() != 1) {
            continue;
        }
        if at != 0 || prefixed {
            errors.push(format!(
                "stream= cannot bound `{shown}`: the command that never ends must come first in its line, with no NAME=value before it"
            ));
            continue;
        }
        commands[n].text = Sensitive::new(
            format!("{prefix}{}", commands[n].text.expose()),
            format!("{prefix}{shown}"),
        );
        inserts.push(resolved.map_offset(c.span.start));
    }
    if let Some(prefix) = prefix.filter(|_| !inserts.is_empty()) {
        let (mut real, mut shown) = (script.expose().to_owned(), script.shown().to_owned());
        for (r, s) in inserts.into_iter().rev() {
            real.insert_str(r.min(real.len()), &prefix);
            shown.insert_str(s.min(shown.len()), &prefix);
            // A pause at or after the insert moves with the text.
            for pause in pauses.iter_mut().filter(|p| p.at >= r) {
                pause.at += prefix.len();
            }
        }
        *script = Sensitive::new(real, shown);
    }
    found
}

/// The commands that never end, as shown, each with why (nothing changed).
fn commands_never_ending(step: &Step, kept: &[usize], commands: &[PlanCommand]) -> Vec<String> {
    kept.iter()
        .zip(commands)
        .filter_map(|(&i, shown)| {
            let why = step.script.commands[i]
                .argvs
                .iter()
                .find_map(|argv| crate::shell::endless::never_ends(argv))?;
            Some(format!("{} ({why})", one_line(shown.text.shown())))
        })
        .collect()
}

/// A command's first line, for a list on one line (`kubectl run -it … \`
/// becomes `kubectl run -it … …`).
fn one_line(command: &str) -> String {
    match command.split_once('\n') {
        Some((first, _)) => format!("{} …", first.trim_end_matches('\\').trim_end()),
        None => command.to_owned(),
    }
}

/// The commands that ask for a terminal, and those that wait for a person,
/// as shown, each with why.
/// `fed`: a command whose input the script gives it (a shell elsewhere).
fn terminal(
    step: &Step,
    kept: &[usize],
    commands: &[PlanCommand],
    fed: Option<usize>,
) -> (Vec<String>, Vec<String>) {
    use crate::shell::terminal::{Needs, needs};
    let (mut tty, mut person) = (Vec::new(), Vec::new());
    for (&i, shown) in kept.iter().zip(commands) {
        if fed == Some(i) {
            continue;
        }
        let c = &step.script.commands[i];
        let line = || one_line(shown.text.shown());
        match c.argvs.iter().find_map(|argv| needs(argv)) {
            Some(Needs::Terminal(why)) => tty.push(format!("{} ({why})", line())),
            Some(Needs::Person(why)) => person.push(format!("{} ({why})", line())),
            None => {}
        }
    }
    (tty, person)
}

/// The commands (as shown) that run grep, in a step no risk rule matches.
fn greps(step: &Step, kept: &[usize], commands: &[PlanCommand]) -> Vec<String> {
    if step.gate.required() || commands.iter().any(|c| !c.risks.is_empty()) {
        return Vec::new();
    }
    kept.iter()
        .map(|&i| &step.script.commands[i])
        .zip(commands)
        .filter(|(c, _)| {
            c.argvs.iter().any(|argv| {
                argv.first().is_some_and(|p| {
                    matches!(
                        crate::shell::program_name(p),
                        "grep" | "egrep" | "fgrep" | "zgrep"
                    )
                })
            })
        })
        .map(|(_, shown)| shown.text.shown().to_owned())
        .collect()
}

/// What was inferred about a step, one line each, with file positions.
pub fn inferred(runbook: &Runbook, step: &Step) -> Vec<String> {
    let mut out: Vec<String> = step.inferred.iter().cloned().collect();
    let line = |span: Span| runbook.file.position(span.start).line;
    for d in &step.output {
        out.push(format!(
            "line {} is output, not run ({}): {}",
            line(d.span),
            d.why,
            d.line.trim()
        ));
    }
    for d in &step.repl {
        out.push(format!(
            "line {} is input to {}, not bash: {}",
            line(d.span),
            d.why,
            d.line.trim()
        ));
    }
    if let Some(alt) = step
        .alternative
        .as_ref()
        .filter(|a| a.read_from.is_inferred())
    {
        out.push(format!(
            "one of several alternatives ({}={}), read from its section's title \"{}\"",
            alt.variable,
            alt.value,
            alt.label
                .as_deref()
                .unwrap_or(&runbook.sections[step.section].title)
        ));
    }
    if let Some(remote) = &step.remote {
        let source = step.source_span(remote.input);
        let (from, to) = (
            line(source),
            runbook
                .file
                .position(source.end.saturating_sub(1).max(source.start))
                .line,
        );
        let lines = if from == to {
            format!("line {from} is")
        } else {
            format!("lines {from}-{to} are")
        };
        out.push(match remote.repl {
            Some(program) => format!(
                "{lines} input to {program} (`{}`), not run here",
                remote.shell
            ),
            None => format!(
                "{lines} input to the shell `{}` opens, not run here",
                remote.shell
            ),
        });
    }
    if let Some(first) = step.segments.first() {
        let labels: Vec<String> = step
            .segments
            .iter()
            .map(|g| format!("`{}`", g.label))
            .collect();
        out.push(if first.menu {
            format!(
                "its commands are a menu, one entry to run: {}",
                labels.join(", ")
            )
        } else if let Some(program) = &first.program {
            format!(
                "its `{program}` lines are for {}={} alone, read from the program they run",
                first.variable, first.value
            )
        } else {
            format!(
                "its lines are alternatives, read from the comments {}",
                labels.join(", ")
            )
        });
    }
    out
}

/// The condition's value, and the variable it still needs, if any.
fn condition(runbook: &Runbook, when: &Expr, values: &[Value]) -> (Condition, Option<String>) {
    use crate::checks::{self, Code, ConditionError};
    checks::with_engine(|engine| {
        let Ok(compiled) = engine.compile(Code::expression(&when.source, when.span)) else {
            let error = Condition::Error("it does not compile (see `litops check`)".to_owned());
            return (error, None);
        };
        match engine.condition(&compiled, &facts(values), &runbook.file) {
            Ok(true) => (Condition::True, None),
            Ok(false) => (Condition::False, None),
            Err(ConditionError::Unbound(name)) => {
                let reason = ConditionError::Unbound(name.clone()).to_string();
                (Condition::Undecided(reason), Some(name))
            }
            Err(err @ ConditionError::NeedsRun) => (Condition::Undecided(err.to_string()), None),
            Err(ConditionError::Broken(message)) => (Condition::Error(message), None),
        }
    })
}

/// The section path, or the document's title for a step under no section.
fn section_titles(runbook: &Runbook, section: usize) -> Vec<String> {
    let path = runbook.section_path(section);
    if path.is_empty() {
        vec![runbook.title().to_owned()]
    } else {
        path.into_iter().map(str::to_owned).collect()
    }
}

fn status(runbook: &Runbook, step: &Step, bindings: &Bindings) -> (Status, Option<String>) {
    if step.mode == Mode::Skip {
        return (
            Status::Skip,
            Some("marked `skip`: documentation only".to_owned()),
        );
    }
    // The choices it lies inside first (os=linux), then its own.
    for alt in step.within.iter().chain(&step.alternative) {
        match bindings.get(&alt.variable) {
            Some(b) if b.value != alt.value => {
                let secret = bindings.is_masked(runbook, &alt.variable);
                let value = if secret {
                    format!("[REDACTED:{}]", alt.variable)
                } else {
                    b.value.clone()
                };
                return (
                    Status::Skip,
                    Some(format!(
                        "alternative for {}={}; {} is {value}",
                        alt.variable, alt.value, alt.variable
                    )),
                );
            }
            None => {
                return (
                    Status::Choose,
                    Some(format!(
                        "one of several alternatives: runs when {}={}",
                        alt.variable, alt.value
                    )),
                );
            }
            Some(_) => {}
        }
    }
    if step.mode == Mode::Manual {
        if let Some(first) = step.repl.first() {
            return (
                Status::Manual,
                Some(format!(
                    "input to {} (not bash): done by a person, confirmed in the run",
                    first.why
                )),
            );
        }
        return (
            Status::Manual,
            Some("marked `manual`: done by a person, confirmed in the run".to_owned()),
        );
    }
    (Status::Run, None)
}

/// A step's script with values placed, and what is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Resolved {
    /// As it runs, and as it is shown (secret values masked).
    pub text: Sensitive,
    pub env: Vec<EnvVar>,
    pub unbound: Vec<String>,
    pub errors: Vec<String>,
    /// What the plan should say (values the environment may not change).
    pub notes: Vec<String>,
    /// The delimiter of the heredoc that carries a remote shell's input.
    pub heredoc: Option<String>,
    /// (span in the step text, replacement length) of each edit, in order:
    /// in the text that runs, and in the text shown.
    real_edits: Vec<(Span, usize)>,
    shown_edits: Vec<(Span, usize)>,
}

impl Resolved {
    /// Where an offset of the original step text is, in the text that runs
    /// and in the text shown.
    pub fn map_offset(&self, offset: usize) -> (usize, usize) {
        (
            shifted(&self.real_edits, offset),
            shifted(&self.shown_edits, offset),
        )
    }

    /// The resolved text of a span of the original step text.
    pub fn map_span(&self, span: Span) -> Sensitive {
        // Nothing masked (most steps): the two texts are one, mapped once.
        if self.text.is_plain() && self.real_edits == self.shown_edits {
            return Sensitive::plain(map_span(self.text.expose(), &self.real_edits, span));
        }
        Sensitive::new(
            map_span(self.text.expose(), &self.real_edits, span),
            map_span(self.text.shown(), &self.shown_edits, span),
        )
    }
}

fn shifted(edits: &[(Span, usize)], offset: usize) -> usize {
    let mut out = offset as isize;
    for (edit, len) in edits {
        if edit.end <= offset {
            out += *len as isize - edit.len() as isize;
        }
    }
    out.max(0) as usize
}

fn map_span(text: &str, edits: &[(Span, usize)], span: Span) -> String {
    let shift = |offset: usize, is_end: bool| -> usize {
        let mut out = offset as isize;
        for (edit, len) in edits {
            if edit.end <= offset && !(is_end && edit.end == offset && edit.start == offset) {
                out += *len as isize - edit.len() as isize;
            }
        }
        out.max(0) as usize
    };
    let start = shift(span.start, false).min(text.len());
    let end = shift(span.end, true).clamp(start, text.len());
    text.get(start..end).unwrap_or("").to_owned()
}

/// One replacement in a step's text: what runs there and what is shown
/// there (`None`: the text as written).
struct Edit {
    span: Span,
    real: Option<String>,
    shown: Option<String>,
}

/// Places bound values into a step's script, once: the text that runs and
/// the text shown (secret values, including those written in the document,
/// replaced by `[REDACTED:NAME]`). Whether a value can be placed safely is
/// decided on the real value.
fn resolve(runbook: &Runbook, index: usize, bindings: &Bindings, dropped: &[Span]) -> Resolved {
    let step = &runbook.steps[index];
    let text = step.text.as_str();
    let mut out = Resolved::default();
    let is_dropped = |span: Span| is_within(dropped, span);
    let secret = |name: &str| bindings.is_secret(runbook, name);
    let shown = |name: &str, value: &str| -> String {
        if secret(name) {
            format!("[REDACTED:{name}]")
        } else {
            value.to_owned()
        }
    };
    let sensitive = |name: &str, value: &str| Sensitive::new(value.to_owned(), shown(name, value));
    let unbound = |name: &str, out: &mut Resolved| push_once(&mut out.unbound, name.to_owned());
    // The lines of alternatives not chosen: gone from what runs and is shown.
    let mut edits: Vec<Edit> = dropped
        .iter()
        .map(|&span| Edit {
            span,
            real: Some(String::new()),
            shown: Some(String::new()),
        })
        .collect();
    // Lines for a shell elsewhere: its opener reads them from a quoted
    // heredoc (nothing in them is expanded here).
    if let Some(remote) = remote_input(step, dropped)
        && let Some((flag, with)) = remote.without_tty
    {
        let body = &text[remote.input.start..remote.input.end];
        let delimiter = (1..)
            .map(|n| {
                if n == 1 {
                    "LITOPS_INPUT".to_owned()
                } else {
                    format!("LITOPS_INPUT_{n}")
                }
            })
            .find(|d| !body.lines().any(|l| l.trim() == d))
            .unwrap_or_default();
        let opener = step.script.commands[remote.opener].span;
        let close = if body.ends_with('\n') {
            format!("{delimiter}\n")
        } else {
            format!("\n{delimiter}\n")
        };
        for (span, insert) in [
            (flag, with.to_owned()),
            (
                Span::new(opener.end, opener.end),
                format!(" <<'{delimiter}'"),
            ),
            (Span::new(remote.input.end, remote.input.end), close),
        ] {
            edits.push(Edit {
                span,
                real: Some(insert.clone()),
                shown: Some(insert),
            });
        }
        out.heredoc = Some(delimiter);
    }
    let selector = step.alternative.as_ref().map(|a| a.variable.as_str());
    for a in step
        .script
        .assignments
        .iter()
        .filter(|a| a.kind == AssignmentKind::EnvPrefix && !is_dropped(a.span))
    {
        let (Some(value_span), Some(literal)) = (a.value_span, a.literal.as_ref()) else {
            continue;
        };
        if Some(a.name.as_str()) == selector || !step.uses(&a.name, UseKind::EnvPrefix) {
            continue;
        }
        // The literal as written, masked where it is shown.
        let masked_literal = secret(&a.name).then(|| Edit {
            span: value_span,
            real: None,
            shown: Some(quote::unquoted(&shown(&a.name, literal))),
        });
        match bindings.get(&a.name) {
            // The environment fills only what the runbook leaves open: a
            // value written here (`AWS_PROFILE=staging cmd`, a hardening
            // `PATH=/usr/bin:/bin`) changes only through an explicit input.
            Some(bound) if bound.source == Origin::Environment => {
                if bound.value != *literal {
                    let note = format!(
                        "{}: the runbook sets {:?} here; the environment's value is not used (--set {}=… overrides)",
                        a.name,
                        shown(&a.name, literal),
                        a.name
                    );
                    push_once(&mut out.notes, note);
                }
                edits.extend(masked_literal);
            }
            // `Y=<x> sh -c 'eval "$Y"'`, `PS4=<v> bash -x …`: where the
            // variable is read again, its value is held to that.
            Some(bound)
                if let Some(error) = step
                    .script
                    .read_again_of(&a.name, value_span)
                    .refuses(&bound.value, &shown(&a.name, &bound.value)) =>
            {
                push_once(&mut out.errors, format!("{}: {error}", a.name));
            }
            Some(bound) => edits.push(Edit {
                span: value_span,
                real: Some(quote::unquoted(&bound.value)),
                shown: Some(quote::unquoted(&shown(&a.name, &bound.value))),
            }),
            None => edits.extend(masked_literal),
        }
    }
    for p in &step.script.placeholders {
        if edits
            .iter()
            .any(|e| e.span.start <= p.span.start && p.span.end <= e.span.end)
        {
            continue;
        }
        let Some(bound) = bindings.get(&p.name) else {
            unbound(&p.name, &mut out);
            continue;
        };
        match quote::place(&bound.value, p) {
            Ok(real) => {
                let masked = secret(&p.name).then(|| {
                    quote::place(&shown(&p.name, &bound.value), p)
                        .unwrap_or_else(|_| format!("[REDACTED:{}]", p.name))
                });
                edits.push(Edit {
                    span: p.span,
                    shown: Some(masked.unwrap_or_else(|| real.clone())),
                    real: Some(real),
                });
            }
            Err(err) => out.errors.push(format!("{}: {err}", p.name)),
        }
    }
    for r in &step.script.refs {
        if !step.uses(&r.name, UseKind::Reference) || is_dropped(r.span) {
            continue;
        }
        match bindings.get(&r.name) {
            Some(bound)
                if let Some(error) = r
                    .read_again
                    .refuses(&bound.value, &shown(&r.name, &bound.value)) =>
            {
                push_once(&mut out.errors, format!("{}: {error}", r.name));
            }
            Some(bound) => {
                if !out.env.iter().any(|e| e.name == r.name) {
                    out.env.push(EnvVar {
                        name: r.name.clone(),
                        value: sensitive(&r.name, &bound.value),
                    });
                }
            }
            None if r.has_default || runbook.variable(&r.name).is_some_and(|v| v.optional) => {}
            None => unbound(&r.name, &mut out),
        }
    }
    // Declared variables are the runbook's inputs: every step gets them, as
    // a terminal with the runbook's environment would.
    for var in runbook.variables.iter().filter(|v| v.declared.is_some()) {
        if let Some(bound) = bindings.get(&var.name)
            && !out.env.iter().any(|e| e.name == var.name)
        {
            out.env.push(EnvVar {
                name: var.name.clone(),
                value: sensitive(&var.name, &bound.value),
            });
        }
    }
    // A bound variable named bare in arithmetic (`(( N > 3 ))`) is
    // evaluated there too: only an integer is data.
    for (name, span) in &step.script.arithmetic_names {
        if is_dropped(*span) {
            continue;
        }
        if let Some(var) = out.env.iter().find(|e| &e.name == name)
            && !quote::is_integer(var.value.expose())
        {
            let error = quote::QuoteError::Arithmetic(var.value.shown().to_owned());
            push_once(&mut out.errors, format!("{name}: {error}"));
        }
    }
    edits.sort_by_key(|e| e.span.start);
    // With nothing masked (most steps) the shown text is the real one:
    // built once.
    let masks = edits.iter().any(|e| e.shown != e.real);
    let mut real = String::with_capacity(text.len());
    let mut masked = String::with_capacity(if masks { text.len() } else { 0 });
    let mut at = 0;
    for edit in &edits {
        if edit.span.start < at {
            continue;
        }
        let written = &text[edit.span.start..edit.span.end];
        let (r, m) = (
            edit.real.as_deref().unwrap_or(written),
            edit.shown.as_deref().unwrap_or(written),
        );
        real.push_str(&text[at..edit.span.start]);
        real.push_str(r);
        if masks {
            masked.push_str(&text[at..edit.span.start]);
            masked.push_str(m);
        }
        out.real_edits.push((edit.span, r.len()));
        out.shown_edits.push((edit.span, m.len()));
        at = edit.span.end;
    }
    real.push_str(&text[at..]);
    out.text = if masks {
        masked.push_str(&text[at..]);
        Sensitive::new(real, masked)
    } else {
        Sensitive::plain(real)
    };
    // A value placed in a remote shell's input must not end it early.
    if let Some(delimiter) = &out.heredoc
        && out
            .text
            .expose()
            .lines()
            .filter(|l| l.trim() == delimiter)
            .count()
            > 1
    {
        push_once(
            &mut out.errors,
            format!("a value would end the input to the shell at a line `{delimiter}`"),
        );
    }
    // A value can end a heredoc with the text around it (`EO<x>` and `F`):
    // the lines holding placeholders are checked as they will run.
    for p in &step.script.placeholders {
        let Some(delimiter) = p
            .heredoc_delimiter
            .as_deref()
            .filter(|_| !is_dropped(p.span))
        else {
            continue;
        };
        let line_start = text[..p.span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[p.span.end..]
            .find('\n')
            .map_or(text.len(), |i| p.span.end + i);
        let line = out.map_span(Span::new(line_start, line_end));
        if line
            .expose()
            .split('\n')
            .any(|l| quote::ends_heredoc(l, delimiter))
        {
            let error = quote::QuoteError::EndsHeredoc(delimiter.to_owned());
            push_once(&mut out.errors, format!("{}: {error}", p.name));
        }
    }
    out
}

/// The step's lines for a shell elsewhere, unless left out with an
/// alternative.
fn remote_input<'s>(step: &'s Step, dropped: &[Span]) -> Option<&'s crate::model::RemoteInput> {
    step.remote
        .as_ref()
        .filter(|r| !is_within(dropped, step.script.commands[r.opener].span))
}

/// Whether a use is in lines of an alternative the bindings leave out.
fn in_left_out(runbook: &Runbook, used: &crate::model::VarUse, bindings: &Bindings) -> bool {
    let step = &runbook.steps[used.step];
    step.segments.iter().any(|g| {
        bindings
            .get(&g.variable)
            .is_some_and(|b| b.value != g.value)
            && is_within(&[step.source_span(g.span)], used.span)
    })
}

/// Whether `span` lies inside one of `spans`.
fn is_within(spans: &[Span], span: Span) -> bool {
    spans
        .iter()
        .any(|d| d.start <= span.start && span.end <= d.end.max(d.start))
}

/// The lines of a block's alternatives (`# GKE` … `# EKS` …) the bindings
/// leave out, each with a line for the plan saying which; `None` when the
/// step's segment variable has no value (a choice to make).
fn left_out(
    runbook: &Runbook,
    step: &Step,
    bindings: &Bindings,
) -> Option<(Vec<Span>, Vec<String>)> {
    let first = step.segments.first()?;
    let bound = bindings.get(&first.variable)?;
    let mut spans = Vec::new();
    let mut said = Vec::new();
    for segment in step.segments.iter().filter(|g| g.value != bound.value) {
        spans.push(segment.span);
        // The lines as a person counts them: not the blank ones after.
        let text = &step.text.as_str()[segment.span.start..segment.span.end];
        let end = segment.span.start + text.trim_end().len();
        let (from, to) = (
            runbook
                .file
                .position(step.source_span(segment.span).start)
                .line,
            runbook
                .file
                .position(
                    step.text
                        .source_offset(end.saturating_sub(1).max(segment.span.start)),
                )
                .line,
        );
        said.push(if segment.menu {
            format!(
                "lines {from}-{to} (`{}`): entry {} of the menu, not chosen",
                segment.label, segment.value
            )
        } else {
            format!(
                "lines {from}-{to} (`{}`): for {}={}",
                segment.label, segment.variable, segment.value
            )
        });
    }
    Some((spans, said))
}

/// The work by hand a block of alternatives leaves for the chosen option:
/// its lines are comments only (`# EKS: Use Spot instances` / `# (configure
/// in eksctl config file)`), or the block has lines for other options and
/// none for it. A person with EKS in mind does that part themselves; the
/// run must not pass over it as done.
fn unwritten_choice(runbook: &Runbook, step: &Step, bindings: &Bindings) -> Option<String> {
    let first = step.segments.first().filter(|g| !g.menu)?;
    let bound = bindings.get(&first.variable)?;
    let text = step.text.as_str();
    let line_at = |offset: usize| runbook.file.position(step.text.source_offset(offset)).line;
    let choice = format!("{}={}", first.variable, bound.value);
    match step.segments.iter().find(|g| g.value == bound.value) {
        Some(chosen) => {
            let runs = step
                .script
                .commands
                .iter()
                .any(|c| chosen.span.start <= c.span.start && c.span.start < chosen.span.end);
            if runs {
                return None;
            }
            let said: Vec<&str> = text[chosen.span.start..chosen.span.end]
                .lines()
                .filter_map(|l| l.trim().strip_prefix('#'))
                .map(|l| l.trim_start_matches('#').trim())
                .filter(|l| !l.is_empty())
                .collect();
            Some(format!(
                "line {}: {} (the block has no command for {choice})",
                line_at(chosen.span.start),
                said.join(" ")
            ))
        }
        None => {
            let mut others: Vec<&str> = Vec::new();
            for g in &step.segments {
                if !others.contains(&g.value.as_str()) {
                    others.push(&g.value);
                }
            }
            let line = line_at(first.span.start);
            Some(match &first.program {
                Some(program) => format!(
                    "line {line}: `{}` is written for {} only (`{program}`): do it for {} by hand",
                    first.label.trim_start_matches('#').trim(),
                    others.join(", "),
                    bound.value
                ),
                None => format!(
                    "line {line}: the block has lines for {} only, none for {choice}: do its work for {} by hand",
                    others.join(", "),
                    bound.value
                ),
            })
        }
    }
}

/// Adds `item` unless the list has it already (messages said once).
fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}
