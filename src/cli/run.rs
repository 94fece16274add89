//! `litops run`: execute a runbook, interactively or unattended.
//!
//! Everything that can be known before the first step is checked before it:
//! variables without a value (asked for, or exit 3), gates without approval
//! and manual steps in an unattended run (exit 4), values that cannot be
//! placed safely (exit 2). Then the executor runs the plan.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::{BindArgs, Output, SelectArgs, bind_or_report, load_runnable};
use crate::approval::{self, ApprovedPlan};
use crate::bind::{Bindings, Bound, Source};
use crate::checks;
use crate::event::{Reporter, Tee};
use crate::exec::{self, Operator};
use crate::exit;
use crate::gate::{self, Approvals, Interactive, Unattended};
use crate::lock;
use crate::model::Runbook;
use crate::model::meta::parse_duration;
use crate::plan::{self, Plan, Status, select};
use crate::report::{JsonReporter, QuietReporter, RunSummary, SummaryReporter, TerminalReporter};
use crate::transcript::{self, RunView, Transcript, TranscriptWriter, WriterOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runbook (a Markdown file).
    file: PathBuf,
    #[command(flatten)]
    select: SelectArgs,
    #[command(flatten)]
    bind: BindArgs,
    #[command(flatten)]
    exec: ExecArgs,
    /// Run exactly what was approved (`plan --out`, then `approve`): the
    /// plan's steps, refused if any differs today; its gates count as approved.
    #[arg(long, value_name = "PLAN")]
    approved: Option<PathBuf>,
}

/// How a run goes: shared by `run` and `resume`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Approve every gated step.
    #[arg(long)]
    yes: bool,
    /// Approve this gated step (full id or unique trailing part); repeatable.
    #[arg(long = "approve", value_name = "ID")]
    approve: Vec<String>,
    /// Never prompt (implied when stdin is not a terminal): missing values and
    /// unapproved gates stop the run before its first step.
    #[arg(long)]
    unattended: bool,
    /// Run steps that litops inferred (a block without a language, output
    /// or REPL input left out) in an unattended run; without it, or an
    /// approved plan, such a run stops before its first step.
    #[arg(long)]
    accept_inferred: bool,
    /// Timeout for steps that set none (e.g. 10m); the runbook's `litops.timeout` wins.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    timeout: Option<Duration>,
    /// After a timeout or Ctrl-C, how long a step gets before SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration)]
    grace: Duration,
    /// The shell that runs steps (bash or a bash-compatible shell); default:
    /// the runbook's `litops.shell`, else bash.
    #[arg(long, value_name = "PATH")]
    shell: Option<String>,
    /// Write events as JSON lines to stdout instead of the terminal report.
    #[arg(long)]
    json: bool,
    /// Write the transcript here instead of .litops/runs/<runbook>/<run id>.jsonl
    /// (the directory is $LITOPS_RUNS_DIR when set).
    #[arg(long, value_name = "PATH", conflicts_with = "no_transcript")]
    transcript: Option<PathBuf>,
    /// Do not record a transcript.
    #[arg(long)]
    no_transcript: bool,
    /// Write a report when the run ends: junit=PATH (steps as test cases,
    /// checks as assertions) or json=PATH (the summary); repeatable.
    #[arg(long = "report", value_name = "KIND=PATH", value_parser = report_spec)]
    reports: Vec<(ReportKind, PathBuf)>,
    /// Run this shell command when the run succeeded, the JSON summary on its stdin.
    #[arg(long, value_name = "CMD")]
    on_success: Option<String>,
    /// Run this shell command when the run did not succeed (for paging, chat), the JSON summary on its stdin.
    #[arg(long, value_name = "CMD")]
    on_failure: Option<String>,
    /// One summary line when all goes well; a failed step's command and
    /// output in full. The default for unattended runs of an approved plan.
    #[arg(long, conflicts_with = "verbose")]
    quiet: bool,
    /// Every step's command and output, even where --quiet is the default.
    #[arg(long)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Junit,
    Json,
}

fn report_spec(text: &str) -> Result<(ReportKind, PathBuf), String> {
    let (kind, path) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write junit=PATH or json=PATH"))?;
    let kind = match kind {
        "junit" => ReportKind::Junit,
        "json" => ReportKind::Json,
        other => return Err(format!("{other:?} is not a report kind (junit, json)")),
    };
    if path.is_empty() {
        return Err("the report needs a path".to_owned());
    }
    Ok((kind, PathBuf::from(path)))
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run: a transcript path, a run id (or a unique part of one), or `last`.
    run: String,
    /// The approved plan the run was started with: the steps left must still
    /// match it, and its gates count as approved.
    #[arg(long, value_name = "PLAN")]
    approved: Option<PathBuf>,
    /// Resume even though the runbook changed since the run.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    bind: BindArgs,
    #[command(flatten)]
    exec: ExecArgs,
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

pub fn run(args: &RunArgs, out: &Output) -> u8 {
    exec::session::sweep_stale();
    match prepare_and_run(args, out) {
        Ok(code) => code,
        Err(code) => {
            refused(&args.exec, &args.file, code, out);
            code
        }
    }
}

/// A run refused before its first step still reports and pages: a
/// scheduled run whose approval no longer matches must not fail silently.
fn refused(args: &ExecArgs, runbook: &Path, code: u8, out: &Output) {
    if args.reports.is_empty() && args.on_failure.is_none() {
        return;
    }
    let summary = RunSummary {
        runbook: runbook.display().to_string(),
        title: String::new(),
        outcome: "refused".to_owned(),
        exit_code: code,
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        ..RunSummary::default()
    };
    after_run(args, &summary, out);
}

pub fn resume(args: &ResumeArgs, out: &Output) -> u8 {
    exec::session::sweep_stale();
    match prepare_resume(args, out) {
        Ok(code) | Err(code) => code,
    }
}

/// Where the run's transcript goes.
enum Record {
    None,
    New(PathBuf),
    /// A resumed run adds to the transcript it continues.
    Append {
        path: PathBuf,
        resumed: serde_json::Value,
    },
}

/// Everything a run needs once its runbook and steps are known.
struct Job<'a> {
    runbook: Runbook,
    path: &'a Path,
    selected: Vec<usize>,
    bindings: Bindings,
    exec: &'a ExecArgs,
    start: exec::Start,
    record: Record,
    approved: Option<ApprovedPlan>,
    /// Continues an earlier run (`resume`): only some steps are left.
    resuming: bool,
}

fn prepare_and_run(args: &RunArgs, out: &Output) -> Result<u8, u8> {
    let runbook = load_runnable(&args.file, out)?;
    let approved = match &args.approved {
        Some(path) => Some(approval::load(path).map_err(|err| {
            out.error(err);
            exit::USAGE
        })?),
        None => None,
    };
    let selection = match &approved {
        Some(plan) => {
            if args.select.is_set() {
                out.error("--approved runs the approved plan's steps; leave out --step, --section, --tag, --from and --to");
                return Err(exit::USAGE);
            }
            // Chosen again as when it was approved: a step added there shows.
            plan.selection.clone()
        }
        None => args.select.selection(),
    };
    let selected = selection.apply(&runbook).map_err(|err| {
        out.error(err);
        if approved.is_some() {
            exit::GATE_NOT_APPROVED
        } else {
            exit::USAGE
        }
    })?;
    let bindings = bind_or_report(&runbook, &args.bind, out)?;
    let record = if args.exec.no_transcript {
        Record::None
    } else {
        Record::New(args.exec.transcript.clone().unwrap_or_default())
    };
    execute(
        Job {
            runbook,
            path: &args.file,
            selected,
            bindings,
            exec: &args.exec,
            start: exec::Start::default(),
            record,
            approved,
            resuming: false,
        },
        out,
    )
}

fn prepare_resume(args: &ResumeArgs, out: &Output) -> Result<u8, u8> {
    let path = transcript::locate(&args.run, &transcript::runs_dir())
        .and_then(|path| transcript::trusted(&path).map(|()| path))
        .map_err(|err| {
            out.error(err);
            exit::USAGE
        })?;
    let old = Transcript::read(&path).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    let view = RunView::of(&old);
    if view.outcome == "success" {
        out.error(format!(
            "run {} finished successfully; there is nothing to resume",
            old.header.run_id
        ));
        return Err(exit::USAGE);
    }
    let runbook_path = {
        let p = PathBuf::from(&old.header.runbook);
        if p.is_relative() && !p.exists() {
            Path::new(&old.header.cwd).join(p)
        } else {
            p
        }
    };
    let runbook = load_runnable(&runbook_path, out)?;
    let bytes = std::fs::read(&runbook_path).unwrap_or_default();
    let hash = transcript::content_hash(&bytes);
    if hash != old.header.content_hash {
        let changes =
            crate::transcript::diff::changed_steps(&old.header.source, runbook.file.text());
        let mut text = format!(
            "{} changed since run {} ({} → {})",
            runbook_path.display(),
            old.header.run_id,
            old.header.content_hash,
            hash
        );
        if changes.is_empty() {
            text.push_str("\nno step changed (prose or front matter only)");
        } else {
            text.push_str(&format!("\nchanged steps:\n{changes}"));
        }
        if !args.force {
            out.error(format!(
                "{text}\nresuming would run steps other than those the run began with; review the change, then resume with --force, or start a new run"
            ));
            return Err(exit::USAGE);
        }
        out.warning(format!("{text}\n--force: resuming anyway"));
    }
    let mut bindings = bind_or_report(&runbook, &args.bind, out)?;
    // The run's own values win over today's environment: the run goes on
    // as it began. Secrets were never recorded; they are bound afresh.
    for var in old.header.variables.iter().filter(|v| !v.secret) {
        if let Some(now) = bindings.get(&var.name)
            && now.value != var.value
            && matches!(now.source, Source::Set | Source::SecretFile(_))
        {
            out.warning(format!(
                "{}: keeping the run's value {:?}, not {:?}",
                var.name, var.value, now.value
            ));
        }
        bindings.values.insert(
            var.name.clone(),
            Bound {
                value: var.value.clone(),
                source: Source::Set,
            },
        );
    }
    // After the last step the run completed.
    let last_done = view
        .steps
        .iter()
        .rposition(|s| s.completed())
        .map_or(0, |i| i + 1);
    let mut selected = Vec::new();
    for step in &view.steps[last_done..] {
        match runbook.steps.iter().position(|s| s.id == step.id) {
            Some(i) => selected.push(i),
            None => out.warning(format!(
                "step {} is no longer in the runbook; left out",
                step.id
            )),
        }
    }
    if selected.is_empty() {
        out.error(format!(
            "every step of run {} is done; there is nothing to resume",
            old.header.run_id
        ));
        return Err(exit::USAGE);
    }
    let start = exec::Start {
        state: view.session().map(|text| restored_session(text, out)),
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
    out.stderr(&format!(
        "resuming run {} at step {} ({} of {} steps left)\n",
        old.header.run_id,
        view.steps[last_done].id,
        view.steps.len() - last_done,
        view.steps.len()
    ));
    let record = if args.exec.no_transcript {
        Record::None
    } else {
        Record::Append {
            path: path.clone(),
            resumed: serde_json::json!({
                "event": "resumed",
                "by": gate::operator_name(),
                "content_hash": hash,
                "forced": hash != old.header.content_hash,
                "from_step": view.steps[last_done].id,
            }),
        }
    };
    execute(
        Job {
            runbook,
            path: &runbook_path,
            selected,
            bindings,
            exec: &args.exec,
            start,
            record,
            approved: match &args.approved {
                Some(path) => Some(approval::load(path).map_err(|err| {
                    out.error(err);
                    exit::USAGE
                })?),
                None => None,
            },
            resuming: true,
        },
        out,
    )
}

fn execute(job: Job, out: &Output) -> Result<u8, u8> {
    let Job {
        runbook,
        path,
        selected,
        mut bindings,
        exec: args,
        start,
        record,
        approved,
        resuming,
    } = job;
    let unattended = args.unattended || !std::io::stdin().is_terminal();
    let by = gate::operator_name();
    let interactive = Interactive::new(out.color_stderr, by.clone(), None);
    let mut plan = plan::build(&runbook, &selected, &bindings);
    // Before any question is asked: nothing of a run that cannot finish.
    refuse_unreadable(&runbook, &plan, out)?;
    // Runme's `skipPrompts: true`: the author asked for a run that never
    // asks for a value, attended or not.
    let never_ask = match (unattended, runbook.settings.skip_prompts) {
        (true, _) => Some("unattended runs never prompt"),
        (false, true) => Some("the runbook's front matter says skipPrompts: true"),
        (false, false) => None,
    };
    while let Some(missing) = first_missing(&plan) {
        if let Some(why) = never_ask {
            report_missing(&plan, why, out);
            return Err(exit::MISSING_VARIABLES);
        }
        let Some(var) = runbook.variable(&missing) else {
            out.error(format!("{missing} has no value"));
            return Err(exit::MISSING_VARIABLES);
        };
        let used_by: Vec<String> = plan
            .variables
            .iter()
            .find(|v| v.name == missing)
            .map(|v| v.used_by.clone())
            .unwrap_or_default();
        let default = var.document_values().first().map(|v| v.to_string());
        let value = interactive
            .ask_variable(var, default.as_deref(), &used_by)
            .map_err(|err| {
                out.error(format!("cannot ask for {missing}: {err}"));
                exit::MISSING_VARIABLES
            })?;
        bindings.values.insert(
            missing,
            Bound {
                value,
                source: Source::Prompt,
            },
        );
        plan = plan::build(&runbook, &selected, &bindings);
    }
    if never_ask.is_none() {
        // `${NAME:-default}`: the script has a default, but a person running
        // it is asked, with that default offered (Enter keeps it).
        for name in optional_to_ask(&plan) {
            let Some(var) = runbook.variable(&name) else {
                continue;
            };
            let used_by = plan
                .variables
                .iter()
                .find(|v| v.name == name)
                .map(|v| v.used_by.clone())
                .unwrap_or_default();
            let value = interactive
                .ask_variable(var, var.script_default.as_deref(), &used_by)
                .map_err(|err| {
                    out.error(format!("cannot ask for {name}: {err}"));
                    exit::MISSING_VARIABLES
                })?;
            bindings.values.insert(
                name,
                Bound {
                    value,
                    source: Source::Prompt,
                },
            );
        }
        plan = plan::build(&runbook, &selected, &bindings);
    }
    refuse_unplaceable(&plan, out)?;
    for name in plan.redactor().too_short() {
        out.warning(format!(
            "the secret {name} is shorter than 3 characters: it cannot be masked, and its value can appear in output and transcripts"
        ));
    }
    let mut approvals = approvals(&runbook, args, out)?;
    if let Some(approved) = &approved {
        check_approved(
            approved,
            &runbook,
            &selected,
            &bindings,
            &mut approvals,
            resuming,
            out,
        )?;
    }
    if unattended {
        if !args.accept_inferred && approved.is_none() {
            refuse_inferred(&plan, out)?;
        }
        refuse_unattended(&plan, &approvals, out)?;
    } else {
        show_inferred(&plan, out);
    }
    let confirm_word = runbook
        .settings
        .production
        .then(|| confirm_word(&runbook, &bindings));
    let shell_name = args
        .shell
        .clone()
        .or_else(|| runbook.settings.shell.clone())
        .unwrap_or_else(|| "bash".to_owned());
    let Some(shell) = find_program(&shell_name) else {
        let from = if args.shell.is_some() || runbook.settings.shell.is_none() {
            "--shell"
        } else {
            // Runme's top-level `shell` fills it too.
            "the runbook's front matter"
        };
        out.error(format!("cannot find the shell `{shell_name}` ({from})"));
        return Err(exit::USAGE);
    };
    let options = exec::Options {
        // LITOPS_FORK_SERVER=0: a bash process per step (the fallback when
        // setsid is missing), for troubleshooting and for testing that path.
        setsid: if std::env::var_os("LITOPS_FORK_SERVER").is_some_and(|v| v == "0") {
            None
        } else {
            find_program("setsid")
        },
        shell,
        unattended,
        timeout: args.timeout,
        grace: args.grace,
    };
    let mut operator: Box<dyn Operator> = if unattended {
        Box::new(Unattended::new(approvals, by))
    } else {
        Box::new(gate::Approving::new(
            approvals,
            by.clone(),
            Interactive::new(out.color_stderr, by, confirm_word),
        ))
    };
    let quiet = args.quiet || (unattended && approved.is_some() && !args.verbose);
    let mut reporter: Box<dyn Reporter> = if args.json {
        Box::new(JsonReporter::new(std::io::BufWriter::new(raw_stdout())))
    } else {
        let terminal = TerminalReporter::new(raw_stdout(), std::io::stderr(), out.color_stdout);
        if quiet {
            Box::new(QuietReporter::new(terminal))
        } else if unattended {
            Box::new(terminal)
        } else {
            Box::new(terminal.interactive(std::io::stderr().is_terminal()))
        }
    };
    let host = gate::operator_name()
        .split_once('@')
        .map(|(_, h)| h.to_owned())
        .unwrap_or_default();
    let mut summary = SummaryReporter::new(
        jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        host,
    );
    let _lock = take_lock(&runbook, path, &bindings, out)?;
    let facts = RunFacts {
        runbook: &runbook,
        path,
        plan: &plan,
        bindings: &bindings,
        unattended,
        approved: approved.as_ref(),
    };
    let mut writer = open_transcript(record, &facts, out)?;
    let finished = {
        let mut reporters: Vec<&mut dyn Reporter> = vec![reporter.as_mut(), &mut summary];
        if let Some(w) = writer.as_mut() {
            reporters.push(w);
        }
        let mut tee = Tee(reporters);
        exec::run(&plan, &options, start, operator.as_mut(), &mut tee)
    };
    let code = match finished {
        Ok(finished) => Ok(finished.exit_code),
        Err(err) => {
            out.error(format!("cannot run steps: {err}"));
            Err(exit::USAGE)
        }
    };
    if let Some(w) = &writer {
        if let Some(reason) = w.failure() {
            out.error(format!("the transcript could not be written: {reason}"));
        } else if !args.json {
            out.stderr(&format!("transcript: {}\n", w.path().display()));
        }
    }
    if code.is_ok() {
        let summary = summary.finish(writer.as_ref().map(|w| w.path().display().to_string()));
        after_run(args, &summary, out);
    }
    code
}

/// Reports and hooks, once the run has ended. Their failures are told, but
/// do not change the run's exit code: the run itself is what it was.
fn after_run(args: &ExecArgs, summary: &RunSummary, out: &Output) {
    let json = serde_json::to_string_pretty(summary).unwrap_or_default() + "\n";
    for (kind, path) in &args.reports {
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
            out.error(format!("cannot write the report {}: {err}", path.display()));
        }
    }
    let hook = if summary.outcome == "success" {
        args.on_success.as_deref()
    } else {
        args.on_failure.as_deref()
    };
    if let Some(command) = hook {
        run_hook(command, summary, &json, out);
    }
}

fn run_hook(command: &str, summary: &RunSummary, json: &str, out: &Output) {
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
            out.error(format!("cannot run the hook `{command}`: {err}"));
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is not an error.
        let _ = stdin.write_all(json.as_bytes());
    }
    match child.wait() {
        Ok(status) if status.success() => {}
        Ok(status) => out.warning(format!("the hook `{command}` ended with {status}")),
        Err(err) => out.error(format!("the hook `{command}`: {err}")),
    }
}

/// One run per runbook and lock key: refused with the holder named.
fn take_lock(
    runbook: &Runbook,
    path: &Path,
    bindings: &Bindings,
    out: &Output,
) -> Result<lock::Lock, u8> {
    let key: Vec<String> = runbook
        .settings
        .lock_key
        .iter()
        .map(|name| {
            let value = bindings.get(name).map_or("", |b| b.value.as_str());
            if bindings.is_secret(runbook, name) {
                format!("{name}=[REDACTED:{name}]")
            } else {
                format!("{name}={value}")
            }
        })
        .collect();
    let key = key.join(",");
    let (user, host) = gate::operator_name()
        .split_once('@')
        .map(|(u, h)| (u.to_owned(), h.to_owned()))
        .unwrap_or_default();
    let me = lock::Holder {
        pid: std::process::id(),
        host,
        user,
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        runbook: path.display().to_string(),
        key: key.clone(),
    };
    let file = lock::lock_path(&lock::lock_dir(), path, &key);
    match lock::acquire(&file, &me) {
        Ok(lock) => {
            if let Some(old) = &lock.taken_over {
                out.warning(format!(
                    "took over a stale lock: pid {} on {} (started {}) ended without releasing it",
                    old.pid, old.host, old.started_at
                ));
            }
            Ok(lock)
        }
        Err(err @ (lock::LockError::Held { .. } | lock::LockError::HeldUnknown(_))) => {
            out.error(format!("{err}\nnothing was run; wait for it to finish"));
            Err(exit::LOCKED)
        }
        Err(err) => {
            out.error(format!(
                "{err}\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)"
            ));
            Err(exit::LOCKED)
        }
    }
}

/// Creates (or reopens, for a resumed run) the transcript before anything
/// runs: a run that cannot be recorded does not start.
/// What the transcript's header says of a run.
struct RunFacts<'a> {
    runbook: &'a Runbook,
    path: &'a Path,
    plan: &'a Plan,
    bindings: &'a Bindings,
    unattended: bool,
    approved: Option<&'a ApprovedPlan>,
}

fn open_transcript(
    record: Record,
    facts: &RunFacts,
    out: &Output,
) -> Result<Option<TranscriptWriter>, u8> {
    let refuse = |target: &Path, err: std::io::Error| {
        out.error(format!(
            "cannot write the transcript {}: {err}\nnothing was run; fix the directory, choose another with --transcript PATH, or run with --no-transcript",
            target.display()
        ));
        exit::TRANSCRIPT_FAILED
    };
    match record {
        Record::None => Ok(None),
        Record::Append { path, resumed } => {
            let mut writer = TranscriptWriter::append(&path, WriterOptions::default())
                .map_err(|e| refuse(&path, e))?;
            writer.note(resumed).map_err(|e| refuse(&path, e))?;
            Ok(Some(writer))
        }
        Record::New(target) => {
            let now = jiff::Timestamp::now();
            let run_id = transcript::new_run_id(now);
            let target = if target.as_os_str().is_empty() {
                transcript::default_path(&transcript::runs_dir(), facts.path, &run_id)
            } else {
                target
            };
            let header = header(facts, &run_id, now);
            TranscriptWriter::create(&target, &header, WriterOptions::default())
                .map(Some)
                .map_err(|e| refuse(&target, e))
        }
    }
}

fn header(facts: &RunFacts, run_id: &str, now: jiff::Timestamp) -> transcript::Header {
    let RunFacts {
        runbook,
        path,
        plan,
        bindings,
        unattended,
        approved,
    } = *facts;
    let redactor = plan.redactor();
    let bytes = std::fs::read(path).unwrap_or_else(|_| runbook.file.text().as_bytes().to_vec());
    let (user, host) = gate::operator_name()
        .split_once('@')
        .map(|(u, h)| (u.to_owned(), h.to_owned()))
        .unwrap_or_default();
    transcript::Header {
        schema_version: transcript::SCHEMA_VERSION,
        run_id: run_id.to_owned(),
        litops_version: env!("CARGO_PKG_VERSION").to_owned(),
        runbook: path.display().to_string(),
        title: runbook.title().to_owned(),
        content_hash: transcript::content_hash(&bytes),
        source: redactor.apply(runbook.file.text()).into_owned(),
        git_commit: transcript::git_commit(path),
        user,
        host,
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        started_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        unattended,
        steps: plan
            .steps
            .iter()
            .map(|s| transcript::PlannedStep {
                id: s.id.clone(),
                status: format!("{:?}", s.status).to_lowercase(),
            })
            .collect(),
        variables: bindings
            .values
            .iter()
            .map(|(name, b)| {
                let secret = bindings.is_secret(runbook, name);
                transcript::BoundVariable {
                    name: name.clone(),
                    value: if secret {
                        format!("[REDACTED:{name}]")
                    } else {
                        redactor.apply(&b.value).into_owned()
                    },
                    source: b.source.to_string(),
                    secret,
                }
            })
            .collect(),
        approved_plan: approved.map(|a| transcript::ApprovedRef {
            steps_digest: approval::steps_digest(&a.steps),
            approvers: a
                .valid_approvals()
                .iter()
                .map(|v| format!("{} at {}", v.by, v.at))
                .collect(),
        }),
    }
}

/// What the plan still needs, selectors first: once an alternative is
/// chosen, the variables of the ones not chosen are no longer needed.
fn missing(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for step in plan.steps.iter().filter(|s| s.status == Status::Choose) {
        if let Some(alt) = &step.alternative
            && !names.contains(&alt.variable)
        {
            names.push(alt.variable.clone());
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
fn optional_to_ask(plan: &Plan) -> Vec<String> {
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

fn first_missing(plan: &Plan) -> Option<String> {
    missing(plan).into_iter().next()
}

fn report_missing(plan: &Plan, why: &str, out: &Output) {
    let names = missing(plan);
    let mut text = format!(
        "{} variable{} without a value ({why}):\n",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    );
    let mut chooses = false;
    for name in &names {
        let var = plan.variables.iter().find(|v| &v.name == name);
        let mut line = format!("  {name}");
        if let Some(p) = var.and_then(|v| v.placeholder.as_deref()) {
            line.push_str(&format!("  (placeholder {p})"));
        }
        if var.is_some_and(|v| v.selects) {
            chooses = true;
            let values: Vec<&str> = plan
                .alternatives
                .iter()
                .filter(|a| &a.variable == name)
                .flat_map(|a| a.options.iter().map(|o| o.value.as_str()))
                .collect();
            line.push_str(&format!("  chooses between: {}", values.join(", ")));
        }
        if let Some(v) = var {
            line.push_str(&format!("  used by: {}", v.used_by.join(", ")));
        }
        text.push_str(&line);
        text.push('\n');
    }
    if chooses {
        text.push_str("(the alternative you choose may need more values)\n");
    }
    text.push_str(
        "give them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment",
    );
    out.error(text);
}

/// Steps whose block has an error (an unclosed fence, a bad annotation):
/// the run is refused before anything runs, naming each and why. Only the
/// selected steps count: the rest of the file can still be run.
fn refuse_unreadable(runbook: &Runbook, plan: &Plan, out: &Output) -> Result<(), u8> {
    let bad: Vec<&crate::plan::PlanStep> = plan
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
    out.error(text);
    Err(exit::USAGE)
}

fn refuse_unplaceable(plan: &Plan, out: &Output) -> Result<(), u8> {
    let mut bad = false;
    for step in plan.steps.iter().filter(|s| s.status != Status::Skip) {
        for error in &step.errors {
            out.error(format!("step {}: {error}", step.id));
            bad = true;
        }
        for note in &step.notes {
            out.warning(format!("step {}: {note}", step.id));
        }
    }
    if bad { Err(exit::USAGE) } else { Ok(()) }
}

fn approvals(runbook: &Runbook, args: &ExecArgs, out: &Output) -> Result<Approvals, u8> {
    let mut steps = Vec::new();
    for name in &args.approve {
        let index = select::find_step(runbook, name).map_err(|err| {
            out.error(format!("--approve: {err}"));
            exit::USAGE
        })?;
        steps.push(runbook.steps[index].id.clone());
    }
    Ok(Approvals {
        all: args.yes,
        steps,
        ..Approvals::default()
    })
}

/// `--approved`: today's plan must be the approved one, step for step.
fn check_approved(
    approved: &ApprovedPlan,
    runbook: &Runbook,
    selected: &[usize],
    bindings: &Bindings,
    approvals: &mut Approvals,
    resuming: bool,
    out: &Output,
) -> Result<(), u8> {
    if approved.valid_approvals().is_empty() {
        out.error(if approved.approvals.is_empty() {
            "the plan has no approval yet (litops approve PLAN --by NAME)".to_owned()
        } else {
            "the plan's approvals do not cover its steps (it was edited after approval); approve it again".to_owned()
        });
        return Err(exit::GATE_NOT_APPROVED);
    }
    let (_, current) = approval::digests(runbook, selected, bindings);
    // A resumed run goes on with some of the plan's steps: only those count.
    let approved_steps: Vec<approval::StepDigest> = if resuming {
        approved
            .steps
            .iter()
            .filter(|s| current.iter().any(|c| c.id == s.id))
            .cloned()
            .collect()
    } else {
        approved.steps.clone()
    };
    let mut differences: Vec<String> = approval::compare(&approved_steps, &current)
        .iter()
        .map(ToString::to_string)
        .collect();
    if approval::settings_digest(runbook) != approved.settings_digest {
        differences.push(
            "* litops.preflight or litops.lock_key changed since the plan was approved".to_owned(),
        );
    }
    if !differences.is_empty() {
        let mut text = format!(
            "the runbook or its values differ from the approved plan ({} step{}); nothing was run:\n",
            differences.len(),
            if differences.len() == 1 { "" } else { "s" }
        );
        for d in &differences {
            text.push_str(&format!("  {d}\n"));
        }
        text.push_str(
            "review the change: make a new plan (litops plan --out) and have it approved",
        );
        out.error(text);
        return Err(exit::GATE_NOT_APPROVED);
    }
    approvals.reviewed = approved
        .steps
        .iter()
        .filter(|s| s.gated)
        .map(|s| s.id.clone())
        .collect();
    approvals.reviewers = approved.approvers();
    Ok(())
}

/// The steps that would run (or be done by hand) though they exist, or lost
/// lines, only by a heuristic.
fn inferred_steps(plan: &Plan) -> Vec<&plan::PlanStep> {
    plan.steps
        .iter()
        .filter(|s| s.status != Status::Skip && !s.inferred.is_empty())
        .collect()
}

fn describe_inferred(steps: &[&plan::PlanStep]) -> String {
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
fn refuse_inferred(plan: &Plan, out: &Output) -> Result<(), u8> {
    let steps = inferred_steps(plan);
    if steps.is_empty() {
        return Ok(());
    }
    out.error(format!(
        "{} step{} inferred, not written as {}; nothing was run:\n{}run them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text)",
        steps.len(),
        if steps.len() == 1 { " is" } else { "s are" },
        if steps.len() == 1 { "a step" } else { "steps" },
        describe_inferred(&steps)
    ));
    Err(exit::GATE_NOT_APPROVED)
}

/// A person running the runbook sees what litops inferred before it runs.
fn show_inferred(plan: &Plan, out: &Output) {
    let steps = inferred_steps(plan);
    if !steps.is_empty() {
        out.warning(format!(
            "litops inferred {} step{} (check what runs before approving):\n{}",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" },
            describe_inferred(&steps).trim_end()
        ));
    }
}

fn refuse_unattended(plan: &Plan, approvals: &Approvals, out: &Output) -> Result<(), u8> {
    let manual: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.status == Status::Manual)
        .map(|s| s.id.as_str())
        .collect();
    if !manual.is_empty() {
        out.error(format!(
            "manual steps need a person; an unattended run cannot do them: {}\nleave them out with --step/--section/--from/--to",
            manual.join(", ")
        ));
        return Err(exit::GATE_NOT_APPROVED);
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
    out.error(text);
    Err(exit::GATE_NOT_APPROVED)
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

/// Stdout without Rust's line buffering: a step's output is written in large
/// chunks and flushed as it comes, and scanning every chunk for newlines
/// would cost more than writing it.
fn raw_stdout() -> Box<dyn std::io::Write> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// The saved session of a transcript, read as data and written again as
/// shell text by litops (never sourced as recorded: a transcript is a file
/// someone else may have edited). Values that were masked are left out: a
/// secret the run bound comes back from the bindings, never spliced into
/// text; one a step made is gone, and the run says so.
fn restored_session(text: &str, out: &Output) -> String {
    let mut saved = exec::session::parse(text);
    let mut lost: Vec<String> = std::mem::take(&mut saved.skipped);
    saved.variables.retain(|v| {
        let masked = v.value.contains("[REDACTED");
        if masked {
            lost.push(v.name.clone());
        }
        !masked
    });
    if !lost.is_empty() {
        out.warning(format!(
            "not restored from the saved session (secrets, arrays, functions and aliases are never recorded or read back): {}",
            lost.join(", ")
        ));
    }
    exec::session::restore_script(&saved)
}
