//! `litops run` and `litops resume`: arguments into a [`run::Request`],
//! the terminal as its [`run::Frontend`], and a refusal's message and exit
//! code. The run itself is [`crate::run`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{BindArgs, Console, SelectArgs, bind_or_report, bind_with_choices, load_runnable};
use crate::approval::{self, ApprovedPlan, policy::Policy};
use crate::event::Reporter;
use crate::exec;
use crate::model::Variable;
use crate::model::meta::parse_duration;
use crate::operator::Operator;
use crate::operator::{self, Approvals, Interactive};
use crate::report::{JsonReporter, QuietReporter, TerminalReporter};
use crate::run::{self, ReportKind, RunError};

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
    #[command(flatten)]
    approved: ApprovedArgs,
}

/// An approved plan and who must have signed it: shared by `run` and `resume`.
#[derive(Debug, Args)]
pub struct ApprovedArgs {
    /// Run exactly what was approved (`plan --out`, then `approve`): the
    /// plan's steps, refused if any differs today; its gates count as
    /// approved. With `resume`: the plan the run was started with.
    #[arg(long, value_name = "PLAN")]
    approved: Option<PathBuf>,
    /// With --approved: count only approvals signed (`approve --key`) by a
    /// key in this allowed-signers file (ssh-keygen's format), never the
    /// user running the plan. Default: the approval policy file, if any.
    #[arg(long, value_name = "FILE", requires = "approved")]
    allowed_signers: Option<PathBuf>,
    /// With --allowed-signers: how many distinct signers must approve.
    #[arg(long, value_name = "N", requires = "allowed_signers", value_parser = clap::value_parser!(u16).range(1..))]
    required_approvals: Option<u16>,
}

impl ApprovedArgs {
    /// The plan, and the approval policy in force for it.
    fn load(&self) -> Result<(Option<ApprovedPlan>, Option<Policy>), RunError> {
        let Some(path) = &self.approved else {
            return Ok((None, None));
        };
        let plan = approval::load(path).map_err(refused_plan)?;
        let policy = Policy::find(
            self.allowed_signers.as_deref(),
            self.required_approvals.map(usize::from),
        )
        .map_err(RunError::Usage)?;
        Ok((Some(plan), policy))
    }
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
    /// Report a step that prints nothing for this long, and again each time
    /// the silence lasts as long again (`off`: never). Nothing is stopped:
    /// use --timeout for that.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = silence)]
    silence: Silence,
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
    /// Seal the transcript when the run ends with this SSH private key
    /// (ed25519 or ecdsa, no passphrase, mode 0600; default:
    /// $LITOPS_SEAL_KEY): `transcript verify --allowed-signers` then
    /// detects a rewrite or a truncation.
    #[arg(long, value_name = "PATH")]
    seal_key: Option<PathBuf>,
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
    #[command(flatten)]
    approved: ApprovedArgs,
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

/// `--silence`: a duration, or `off` (`None`).
#[derive(Debug, Clone, Copy)]
struct Silence(Option<Duration>);

fn silence(text: &str) -> Result<Silence, String> {
    match text {
        "off" | "0" => Ok(Silence(None)),
        text => parse_duration(text).map(|d| Silence(Some(d))),
    }
}

impl ExecArgs {
    fn options(&self) -> run::Options {
        run::Options {
            yes: self.yes,
            approve: self.approve.clone(),
            unattended: self.unattended || !std::io::stdin().is_terminal(),
            accept_inferred: self.accept_inferred,
            timeout: self.timeout,
            grace: self.grace,
            silence: self.silence.0,
            shell: self.shell.clone(),
            reports: self.reports.clone(),
            on_success: self.on_success.clone(),
            on_failure: self.on_failure.clone(),
            // Set but empty is unset, as for LITOPS_RUNS_DIR.
            seal_key: self.seal_key.clone().or_else(|| {
                std::env::var_os("LITOPS_SEAL_KEY")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            }),
        }
    }

    fn record(&self) -> run::Recording {
        if self.no_transcript {
            run::Recording::None
        } else {
            run::Recording::New(self.transcript.clone().unwrap_or_default())
        }
    }
}

pub fn run(args: &RunArgs, out: &Console) -> u8 {
    exec::session::sweep_stale();
    let options = args.exec.options();
    let mut ui = Terminal {
        out,
        args: &args.exec,
    };
    match start(args, &options, &mut ui) {
        Ok(code) => code,
        Err(Refusal::Reported(code)) => code,
        Err(Refusal::Run(err)) => {
            // A run refused before its first step still reports and pages: a
            // scheduled run whose approval no longer matches must not fail
            // silently.
            run::refused(&options, &args.file, &err, &mut ui);
            report(&err, out)
        }
    }
}

pub fn resume(args: &ResumeArgs, out: &Console) -> u8 {
    exec::session::sweep_stale();
    let options = args.exec.options();
    let mut ui = Terminal {
        out,
        args: &args.exec,
    };
    match start_resume(args, &options, &mut ui) {
        Ok(code) | Err(Refusal::Reported(code)) => code,
        Err(Refusal::Run(err)) => report(&err, out),
    }
}

/// Why a run did not start: reported already (loading, binding), or a
/// refusal of the run to report here.
enum Refusal {
    Reported(u8),
    Run(RunError),
}

impl From<RunError> for Refusal {
    fn from(err: RunError) -> Refusal {
        Refusal::Run(err)
    }
}

/// A refusal's messages, and its exit code.
fn report(err: &RunError, out: &Console) -> u8 {
    for message in err.messages() {
        out.error(message);
    }
    err.exit_code()
}

fn start(args: &RunArgs, options: &run::Options, ui: &mut Terminal) -> Result<u8, Refusal> {
    let out = ui.out;
    let runbook = load_runnable(&args.file, out).map_err(Refusal::Reported)?;
    let (approved, policy) = args.approved.load()?;
    let selection = match &approved {
        Some(plan) => {
            if args.select.is_set() {
                return Err(RunError::Usage("--approved runs the approved plan's steps; leave out --step, --section, --tag, --from and --to".to_owned()).into());
            }
            // Chosen again as when it was approved: a step added there shows.
            plan.selection.clone()
        }
        None => args.select.selection(),
    };
    let selected = selection.apply(&runbook).map_err(|err| {
        if approved.is_some() {
            RunError::NotApproved(err.to_string())
        } else {
            RunError::Usage(err.to_string())
        }
    })?;
    let choices = approved.as_ref().map_or(&[][..], |plan| &plan.choices[..]);
    let bindings =
        bind_with_choices(&runbook, &args.bind, choices, out).map_err(Refusal::Reported)?;
    let request = run::Request {
        runbook,
        path: &args.file,
        selected,
        bindings,
        options,
        start: exec::Start::default(),
        record: args.exec.record(),
        approved,
        policy,
        resuming: false,
    };
    Ok(run::run(request, ui)?)
}

fn start_resume(
    args: &ResumeArgs,
    options: &run::Options,
    ui: &mut Terminal,
) -> Result<u8, Refusal> {
    let out = ui.out;
    let earlier = run::resume::find(&args.run)?;
    let runbook = super::runnable(
        crate::load::from_bytes(&earlier.runbook.display().to_string(), &earlier.text),
        out,
    )
    .map_err(Refusal::Reported)?;
    earlier.check_unchanged(&runbook, args.force, ui)?;
    let mut bindings = bind_or_report(&runbook, &args.bind, out).map_err(Refusal::Reported)?;
    earlier.keep_values(&mut bindings, ui);
    let next = earlier.continuation(&runbook, !args.exec.no_transcript, ui)?;
    let (approved, policy) = args.approved.load()?;
    let request = run::Request {
        runbook,
        path: &earlier.runbook,
        selected: next.selected,
        bindings,
        options,
        start: next.start,
        record: next.record,
        approved,
        policy,
        resuming: true,
    };
    Ok(run::run(request, ui)?)
}

/// The terminal (or a scheduled job's log) as the run's frontend.
struct Terminal<'a> {
    out: &'a Console,
    args: &'a ExecArgs,
}

impl run::Frontend for Terminal<'_> {
    fn warn(&mut self, message: &str) {
        self.out.warning(message);
    }

    fn error(&mut self, message: &str) {
        self.out.error(message);
    }

    fn info(&mut self, message: &str) {
        // `--json` keeps stdout for events, and stderr for what goes wrong.
        if !self.args.json {
            self.out.stderr(&format!("{message}\n"));
        }
    }

    fn ask_value(
        &mut self,
        var: &Variable,
        default: Option<&str>,
        used_by: &[String],
        choices: &[String],
    ) -> std::io::Result<String> {
        Interactive::new(self.out.color_stderr, operator::operator_name(), None)
            .ask_variable(var, default, used_by, choices)
    }

    fn operator(
        &mut self,
        approvals: Approvals,
        by: String,
        confirm_word: Option<String>,
    ) -> Box<dyn Operator> {
        Box::new(operator::Approving::new(
            approvals,
            by.clone(),
            Interactive::new(self.out.color_stderr, by, confirm_word),
        ))
    }

    fn reporter(&mut self, quiet: bool) -> Box<dyn Reporter> {
        let args = self.args;
        let quiet = args.quiet || (quiet && !args.verbose);
        if args.json {
            return Box::new(JsonReporter::new(std::io::BufWriter::new(raw_stdout())));
        }
        let terminal =
            TerminalReporter::new(raw_stdout(), std::io::stderr(), self.out.color_stdout);
        let unattended = args.unattended || !std::io::stdin().is_terminal();
        if quiet {
            Box::new(QuietReporter::new(terminal))
        } else if unattended {
            Box::new(terminal)
        } else {
            Box::new(terminal.interactive(std::io::stderr().is_terminal()))
        }
    }
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

/// A plan file that cannot be used: one approved under an older format is
/// not approved for this litops; the rest is a usage error.
fn refused_plan(err: approval::LoadError) -> RunError {
    match err {
        approval::LoadError::Older { .. } => RunError::NotApproved(err.to_string()),
        other => RunError::Usage(other.to_string()),
    }
}
