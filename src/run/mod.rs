//! The run as a library call: select → bind → ask → verify the approval →
//! lock → record → exec.
//!
//! Everything that can be known before the first step is checked before it:
//! variables without a value (asked for, or [`RunError::MissingValues`]),
//! gates without approval and manual steps in an unattended run
//! ([`RunError::NotApproved`]), values that cannot be placed safely
//! ([`RunError::Unplaceable`]). Then the executor runs the plan, and the
//! reports and hooks follow. The CLI parses arguments into a [`Request`],
//! implements [`Frontend`] (the terminal), and maps a [`RunError`] to its
//! message and exit code in one place.

mod approved;
mod error;
mod hooks;
mod lock;
mod record;
mod refuse;
pub mod resume;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::approval::ApprovedPlan;
use crate::bind::{Bindings, Bound, Origin};
use crate::event::{Reporter, Tee};
use crate::exec;
use crate::model::{Runbook, Variable};
use crate::operator::Operator;
use crate::operator::{self, Approvals, Unattended};
use crate::plan::{self, select};
use crate::report::SummaryReporter;

pub use error::RunError;
pub use hooks::{ReportKind, refused};
pub use record::Recording;

/// How a run goes: what `run` and `resume` share.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Approve every gated step.
    pub yes: bool,
    /// Gated steps approved by id (full, or a unique trailing part).
    pub approve: Vec<String>,
    /// Nobody to ask: missing values and unapproved gates stop the run
    /// before its first step.
    pub unattended: bool,
    /// Run inferred steps unattended.
    pub accept_inferred: bool,
    /// Timeout for steps that set none.
    pub timeout: Option<Duration>,
    /// Between SIGTERM/SIGINT and SIGKILL.
    pub grace: Duration,
    /// Report a step silent this long (`None`: never).
    pub silence: Option<Duration>,
    /// The shell that runs steps; `None`: the runbook's, else bash.
    pub shell: Option<String>,
    /// Reports written when the run ends.
    pub reports: Vec<(ReportKind, PathBuf)>,
    /// Shell commands run when the run ends, the JSON summary on stdin.
    pub on_success: Option<String>,
    pub on_failure: Option<String>,
    /// The SSH private key that seals the transcript when the run ends.
    pub seal_key: Option<PathBuf>,
}

/// Who a run talks to besides its reporters: the person at the terminal,
/// or the log of a scheduled job.
pub trait Frontend {
    /// Worth telling; does not stop the run.
    fn warn(&mut self, message: &str);
    /// Went wrong, but does not change the run's outcome (a report that
    /// could not be written).
    fn error(&mut self, message: &str);
    /// A line of information (`resuming run …`, `transcript: …`).
    fn info(&mut self, message: &str);
    /// A variable's value, asked of the person (never in an unattended run).
    fn ask_value(
        &mut self,
        var: &Variable,
        default: Option<&str>,
        used_by: &[String],
        choices: &[String],
    ) -> std::io::Result<String>;
    /// The person deciding during an attended run.
    fn operator(
        &mut self,
        approvals: Approvals,
        by: String,
        confirm_word: Option<String>,
    ) -> Box<dyn Operator>;
    /// The reporter of the run's events; `quiet`: the default for an
    /// unattended run of an approved plan.
    fn reporter(&mut self, quiet: bool) -> Box<dyn Reporter>;
}

/// Everything a run needs once its runbook and steps are known.
pub struct Request<'a> {
    pub runbook: Runbook,
    pub path: &'a Path,
    pub selected: Vec<usize>,
    pub bindings: Bindings,
    pub options: &'a Options,
    pub start: exec::Start,
    pub record: Recording,
    pub approved: Option<ApprovedPlan>,
    /// Who must have signed the approved plan (`None`: approvals are not
    /// checked for signatures).
    pub policy: Option<crate::approval::policy::Policy>,
    /// Continues an earlier run (`resume`): only some steps are left.
    pub resuming: bool,
}

/// Runs the request; `Ok` is the run's exit code (a run that started and
/// failed a step is still `Ok`), `Err` a run refused before its first step.
pub fn run(request: Request, ui: &mut dyn Frontend) -> Result<u8, RunError> {
    let Request {
        runbook,
        path,
        selected,
        mut bindings,
        options,
        start,
        record,
        approved,
        policy,
        resuming,
    } = request;
    let unattended = options.unattended;
    let by = operator::operator_name();
    let mut plan = plan::build(&runbook, &selected, &bindings);
    // Before any question is asked: nothing of a run that cannot finish.
    refuse::unreadable(&runbook, &plan)?;
    let sealer = sealing_key(options, &record)?;
    // Runme's `skipPrompts: true`: the author asked for a run that never
    // asks for a value, attended or not.
    let never_ask = match (unattended, runbook.settings.skip_prompts) {
        (true, _) => Some("unattended runs never prompt"),
        (false, true) => Some("the runbook's front matter says skipPrompts: true"),
        (false, false) => None,
    };
    while let Some(missing) = refuse::missing(&plan).into_iter().next() {
        if let Some(why) = never_ask {
            return Err(refuse::missing_values(&plan, why));
        }
        // A menu is asked for like a variable named after its step.
        let menu = plan
            .alternatives
            .iter()
            .any(|a| a.menu && a.variable == missing)
            .then(|| Variable::chosen(&missing));
        let Some(var) = runbook.variable(&missing).or(menu.as_ref()) else {
            return Err(RunError::MissingValues(format!("{missing} has no value")));
        };
        let default = var.document_values().first().map(|v| v.to_string());
        let value = ask(ui, &plan, var, default.as_deref())?;
        bindings.values.insert(
            missing,
            Bound {
                value,
                source: Origin::Prompt,
            },
        );
        plan = plan::build(&runbook, &selected, &bindings);
    }
    if never_ask.is_none() {
        // `${NAME:-default}`: the script has a default, but a person running
        // it is asked, with that default offered (Enter keeps it).
        let optional = refuse::optional_to_ask(&plan);
        for name in &optional {
            let Some(var) = runbook.variable(name) else {
                continue;
            };
            let value = ask(ui, &plan, var, var.script_default.as_deref())?;
            bindings.values.insert(
                name.clone(),
                Bound {
                    value,
                    source: Origin::Prompt,
                },
            );
        }
        if !optional.is_empty() {
            plan = plan::build(&runbook, &selected, &bindings);
        }
    }
    refuse::unplaceable(&plan, ui)?;
    for name in plan.redactor().too_short() {
        ui.warn(&format!(
            "the secret {name} is shorter than 3 characters: it cannot be masked, and its value can appear in output and transcripts"
        ));
    }
    let mut approvals = approvals(&runbook, options)?;
    let mut signed_by = None;
    if let Some(approved) = &approved {
        signed_by = approved::check(
            approved,
            &runbook,
            &path.display().to_string(),
            runbook.file.text().as_bytes(),
            options.shell.as_ref(),
            policy.as_ref(),
            &selected,
            &bindings,
            &mut approvals,
            resuming,
        )?;
        if signed_by.is_none() {
            ui.warn("the plan's approvals are not signed or not checked: no approval policy (--allowed-signers, or an approval-policy.yaml; docs/scheduling.md)");
        }
    }
    if unattended {
        if !options.accept_inferred && approved.is_none() {
            refuse::inferred(&plan)?;
        }
        if approved.is_none() {
            refuse::checkpoints(&plan)?;
        }
        refuse::unattended(&plan, &approvals)?;
        refuse::endless(&plan)?;
        refuse::needs_person(&plan)?;
    } else {
        refuse::show_inferred(&plan, ui);
    }
    let shell_name = options
        .shell
        .clone()
        .or_else(|| runbook.settings.shell.clone())
        .unwrap_or_else(|| "bash".to_owned());
    let Some(shell) = find_program(&shell_name) else {
        let from = if options.shell.is_some() || runbook.settings.shell.is_none() {
            "--shell"
        } else {
            // Runme's top-level `shell` fills it too.
            "the runbook's front matter"
        };
        return Err(RunError::Usage(format!(
            "cannot find the shell `{shell_name}` ({from})"
        )));
    };
    let exec_options = exec::Options {
        // LITOPS_FORK_SERVER=0: a bash process per step (the fallback when
        // setsid is missing), for troubleshooting and for testing that path.
        setsid: if std::env::var_os("LITOPS_FORK_SERVER").is_some_and(|v| v == "0") {
            None
        } else {
            find_program("setsid")
        },
        shell,
        unattended,
        timeout: options.timeout,
        grace: options.grace,
        silence: options.silence,
    };
    let mut operator: Box<dyn Operator> = if unattended {
        Box::new(Unattended::new(approvals, by))
    } else {
        let confirm_word = runbook
            .settings
            .production
            .then(|| confirm_word(&runbook, &bindings));
        ui.operator(approvals, by, confirm_word)
    };
    let mut reporter = ui.reporter(unattended && approved.is_some());
    let host = operator::operator_name()
        .split_once('@')
        .map(|(_, h)| h.to_owned())
        .unwrap_or_default();
    let mut summary = SummaryReporter::new(
        jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        host,
    );
    let _lock = lock::take(&runbook, path, &bindings, ui)?;
    let facts = record::RunFacts {
        runbook: &runbook,
        path,
        plan: &plan,
        bindings: &bindings,
        unattended,
        approved: approved.as_ref(),
        signed_by,
    };
    let mut writer = record::open(record, &facts)?;
    let finished = {
        let mut reporters: Vec<&mut dyn Reporter> = vec![reporter.as_mut(), &mut summary];
        if let Some(w) = writer.as_mut() {
            reporters.push(w);
        }
        let mut tee = Tee(reporters);
        exec::run(&plan, &exec_options, start, operator.as_mut(), &mut tee)
    };
    // The executor could not start: the run has a transcript, but its
    // outcome is a refusal's, reported and paged as one.
    let finished = finished.map_err(|err| {
        let err = RunError::Exec(err);
        ui.error(&err.to_string());
        err
    });
    let mut unsealed = false;
    if let Some(w) = &mut writer {
        if let Some(key) = &sealer
            && w.failure().is_none()
            && let Err(err) = w.seal(key)
        {
            ui.error(&format!(
                "the transcript {} could not be sealed: {err}",
                w.path().display()
            ));
            unsealed = true;
        }
        if let Some(reason) = w.failure() {
            ui.error(&format!("the transcript could not be written: {reason}"));
        } else {
            ui.info(&format!("transcript: {}", w.path().display()));
        }
    }
    let finished = match finished {
        Ok(finished) => finished,
        Err(err) => {
            hooks::refused(options, path, &err, ui);
            return Ok(err.exit_code());
        }
    };
    let summary = summary.finish(writer.as_ref().map(|w| w.path().display().to_string()));
    hooks::after_run(options, &summary, ui);
    // A run that went well but whose seal is missing must not look sealed
    // to a scheduler: the transcript is not what was asked for.
    if unsealed && finished.exit_code == crate::exit::OK {
        return Ok(crate::exit::TRANSCRIPT_FAILED);
    }
    Ok(finished.exit_code)
}

/// The key that will seal the transcript, loaded and checked before
/// anything runs: a run asked to seal that could not would leave an
/// unsealed record.
fn sealing_key(
    options: &Options,
    record: &Recording,
) -> Result<Option<crate::sign::SigningKey>, RunError> {
    let Some(path) = &options.seal_key else {
        return Ok(None);
    };
    if matches!(record, Recording::None) {
        return Err(RunError::Usage(
            "--seal-key (or LITOPS_SEAL_KEY) seals the transcript, and --no-transcript records none; leave one out".to_owned(),
        ));
    }
    crate::sign::SigningKey::load(path)
        .map(Some)
        .map_err(|err| RunError::Usage(format!("{err}; nothing was run")))
}

/// Asks for one variable's value, telling which steps use it.
fn ask(
    ui: &mut dyn Frontend,
    plan: &plan::Plan,
    var: &Variable,
    default: Option<&str>,
) -> Result<String, RunError> {
    let used_by: Vec<String> = plan
        .variables
        .iter()
        .find(|v| v.name == var.name)
        .map(|v| v.used_by.clone())
        .unwrap_or_default();
    // A selector is asked once for all its groups: their options, in
    // order, a menu's with their labels.
    let mut choices: Vec<(String, String)> = Vec::new();
    for alt in plan.alternatives.iter().filter(|a| a.variable == var.name) {
        for option in &alt.options {
            if !choices.iter().any(|(v, _)| *v == option.value) {
                let shown = match &option.label {
                    Some(label) => format!("{} {label}", option.value),
                    None => option.value.clone(),
                };
                choices.push((option.value.clone(), shown));
            }
        }
    }
    let shown: Vec<String> = choices.iter().map(|(_, s)| s.clone()).collect();
    ui.ask_value(var, default, &used_by, &shown)
        .map(|answer| {
            choices
                .iter()
                .find(|(_, s)| *s == answer)
                .map_or(answer.clone(), |(v, _)| v.clone())
        })
        .map_err(|err| RunError::MissingValues(format!("cannot ask for {}: {err}", var.name)))
}

fn approvals(runbook: &Runbook, options: &Options) -> Result<Approvals, RunError> {
    let mut steps = Vec::new();
    for name in &options.approve {
        let index = select::find_step(runbook, name)
            .map_err(|err| RunError::Usage(format!("--approve: {err}")))?;
        steps.push(runbook.steps[index].id.clone());
    }
    Ok(Approvals {
        all: options.yes,
        steps,
        ..Approvals::default()
    })
}

/// What to type to pass a gate in a production runbook: the cluster or
/// namespace the run targets, when it has one, else the word `production`.
fn confirm_word(runbook: &Runbook, bindings: &Bindings) -> String {
    ["CLUSTER_NAME", "CLUSTER", "NAMESPACE", "ENVIRONMENT"]
        .iter()
        .find_map(|name| {
            bindings.get(name).map(|b| b.value.clone()).or_else(|| {
                runbook
                    .variable(name)
                    .and_then(|v| v.document_values().first().map(|s| s.to_string()))
            })
        })
        .unwrap_or_else(|| "production".to_owned())
}

/// A program's path: as given if it has a `/`, else the first match on PATH
/// (resolved once, not by every step's spawn).
fn find_program(name: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    if name.contains('/') {
        return Some(name.to_owned());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .map(|p| p.display().to_string())
}
