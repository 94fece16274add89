//! The command line: clap arguments, resolved into calls on the library.
//!
//! Each subcommand has its own file. Output for people goes to stdout (or
//! stderr for diagnostics), a broken pipe ends quietly, colour follows
//! `--color`, `NO_COLOR` and whether the stream is a terminal.

mod approve;
mod check;
mod list;
mod plan;
mod render;
mod run;
mod schedule;
mod transcript;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::bind::{self, Inputs};
use crate::diag::{self, Diagnostic, Style};
use crate::exit;
use crate::model::Runbook;
use crate::plan::Selection;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    `check` found errors (or warnings, with --strict); `run`: a step failed;
       `diff`: the runs differ; `transcript verify`: a transcript was altered,
       or (--allowed-signers) is not sealed by a listed key
  2    usage error, unreadable file; `run`: an error outside the steps, or a
       selected step that cannot run as written
  3    `run`: variables without a value in an unattended run
  4    `run`: a gated step not approved, or a manual step, in an unattended run
  5    `run`: a check, preflight check or `when` condition failed
  6    `run`: the transcript cannot be written (nothing runs unrecorded)
  7    `run`: another run of the same runbook (and litops.lock_key) is running
  8    `run`: incomplete: the operator quit or declined a step;
       `transcript verify`: a run's end is not recorded (killed, cut off)
  130  `run`: interrupted (Ctrl-C twice, or SIGTERM)

Variables are bound in this order (first wins): --set, --secret-file,
--env-file and --vars files (the last file wins), the environment,
front-matter defaults (litops.vars), the value written in the document
(NAME=value before a command).

Docs: docs/dialect.md (annotations), docs/checks.md (Rhai checks),
docs/transcripts.md (records, resume, diff), docs/plan-json.md and
docs/events.md (JSON output).";

/// litops: executable Markdown runbooks.
///
/// Reads ordinary Markdown runbooks (front matter, headings, fenced bash
/// blocks), shows what they would do (`list`, `plan`, `check`) and runs them
/// (`run`).
#[derive(Debug, Parser)]
#[command(name = "litops", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a runbook's outline: sections, step ids, commands, gates, variables.
    List(Deferred<list::ListArgs>),
    /// Dry run: the exact commands that would run, with values bound. Nothing is executed.
    Plan(Deferred<plan::PlanArgs>),
    /// Run a runbook's steps: interactively (step by step) or unattended.
    Run(Deferred<run::RunArgs>),
    /// Sign off a plan written by `plan --out`; `run --approved` then runs exactly that.
    Approve(Deferred<approve::ApproveArgs>),
    /// Continue a run that stopped (failed, interrupted, killed) after its last completed step.
    Resume(Deferred<run::ResumeArgs>),
    /// Lint runbooks (files or directories) for CI: errors and warnings with file:line:col.
    Check(Deferred<check::CheckArgs>),
    /// Publish runbooks (files or directories) as a static documentation site.
    Render(Deferred<render::RenderArgs>),
    /// Recorded runs: list them, show one as an executed runbook, verify their integrity.
    Transcript(Deferred<transcript::TranscriptArgs>),
    /// Compare two recorded runs step by step (commands, exit codes, output).
    Diff(Deferred<transcript::DiffArgs>),
    /// Write a scheduler's configuration (systemd timer, crontab line, Kubernetes CronJob) for unattended runs.
    Schedule(Deferred<schedule::ScheduleArgs>),
    /// Per runbook: the last recorded run, its outcome, and whether its schedule was missed.
    Status(Deferred<schedule::StatusArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A subcommand's arguments, built by clap only when that subcommand is the
/// one given. Otherwise clap builds every argument of every subcommand
/// before it reads the first word, which `litops plan` paid at each start.
#[derive(Debug)]
struct Deferred<T>(T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Set for `completions`: clap_complete walks the whole tree, built at once
/// (built late, `help`'s subcommands and the arguments' order differ).
static BUILD_ALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        if BUILD_ALL.load(std::sync::atomic::Ordering::Relaxed) {
            return T::augment_args(cmd);
        }
        cmd.defer(|cmd| keep_about(cmd, T::augment_args))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        if BUILD_ALL.load(std::sync::atomic::Ordering::Relaxed) {
            return T::augment_args_for_update(cmd);
        }
        cmd.defer(|cmd| keep_about(cmd, T::augment_args_for_update))
    }
}

/// Adds the arguments, keeping the subcommand's own description: built
/// late, their structs' doc comments would otherwise replace it.
fn keep_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let kept = |text: Option<&clap::builder::StyledStr>| {
        text.cloned().map_or(
            clap::builder::Resettable::Reset,
            clap::builder::Resettable::Value,
        )
    };
    let (about, long_about) = (kept(cmd.get_about()), kept(cmd.get_long_about()));
    augment(cmd).about(about).long_about(long_about)
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }
    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

/// Which steps: shared by `plan` (and later `run`).
#[derive(Debug, Args)]
struct SelectArgs {
    /// Only steps under this section (title, slug or id); repeatable.
    #[arg(long = "section", value_name = "NAME")]
    sections: Vec<String>,
    /// Only this step (full id, or a unique trailing part of it); repeatable.
    #[arg(long = "step", value_name = "ID")]
    steps: Vec<String>,
    /// Only steps with this tag (`tag=`, Runme's `tag` or `category`); repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Start at this step (in document order).
    #[arg(long, value_name = "ID")]
    from: Option<String>,
    /// Stop after this step.
    #[arg(long, value_name = "ID")]
    to: Option<String>,
}

impl SelectArgs {
    fn is_set(&self) -> bool {
        !self.sections.is_empty()
            || !self.steps.is_empty()
            || !self.tags.is_empty()
            || self.from.is_some()
            || self.to.is_some()
    }

    fn selection(&self) -> Selection {
        Selection {
            sections: self.sections.clone(),
            steps: self.steps.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// Where values come from: shared by `plan` (and later `run`).
#[derive(Debug, Args)]
struct BindArgs {
    /// Bind a variable: NAME=VALUE (a placeholder's text works too: '<pod-name>=web-1'); repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Read variables from a YAML or JSON file of NAME: value; repeatable.
    #[arg(long = "vars", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Read variables from a dotenv file (NAME=value lines); repeatable.
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,
    /// Read a secret's value from a file: NAME=PATH (one trailing newline dropped); repeatable.
    /// The value is masked wherever litops shows or records it.
    #[arg(long = "secret-file", value_name = "NAME=PATH")]
    secret_files: Vec<String>,
    /// Choose one of a group of alternatives: AXIS=OPTION (`cloud=eks`,
    /// `CLOUD_PROVIDER=eks`, `os=ubuntu`); `plan` lists the groups; repeatable.
    #[arg(long = "choose", value_name = "AXIS=OPTION")]
    chooses: Vec<String>,
    /// Do not read variable values from the environment.
    #[arg(long)]
    no_env: bool,
}

impl BindArgs {
    fn inputs(&self) -> Inputs {
        Inputs {
            sets: self.sets.clone(),
            var_files: self.var_files.clone(),
            env_files: self.env_files.clone(),
            secret_files: self.secret_files.clone(),
            chooses: self.chooses.clone(),
            env: if self.no_env {
                Default::default()
            } else {
                std::env::vars().collect()
            },
        }
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    init_logging();
    let out = Console::new(cli.color);
    let code = match cli.command {
        Command::List(args) => list::run(&args, &out),
        Command::Plan(args) => plan::run(&args, &out),
        Command::Run(args) => run::run(&args, &out),
        Command::Check(args) => check::run(&args, &out),
        Command::Render(args) => render::run(&args, &out),
        Command::Resume(args) => run::resume(&args, &out),
        Command::Approve(args) => approve::run(&args, &out),
        Command::Transcript(args) => transcript::run(&args, &out),
        Command::Diff(args) => transcript::diff(&args, &out),
        Command::Schedule(args) => schedule::schedule(&args, &out),
        Command::Status(args) => schedule::status(&args, &out),
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            BUILD_ALL.store(true, std::sync::atomic::Ordering::Relaxed);
            clap_complete::generate(shell, &mut Cli::command(), "litops", &mut buffer);
            out.stdout(&String::from_utf8_lossy(&buffer));
            exit::OK
        }
    };
    ExitCode::from(code)
}

/// What a command that reads one file built, left as it is: the process
/// exits next, and the system takes its memory back at once, where freeing
/// a runbook's model and plan piece by piece cost `plan` of the reference
/// runbook 3% of its instructions. Nothing in them holds a resource.
fn leave<T>(value: T) {
    std::mem::forget(value);
}

/// `LITOPS_LOG=debug` (any `tracing` filter) logs to stderr. Logs go
/// through the same redaction as everything else: they carry masked
/// scripts and values only.
fn init_logging() {
    let Ok(filter) = std::env::var("LITOPS_LOG") else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// The terminal the CLI writes to: stdout, stderr, colours and width.
struct Console {
    color_stdout: bool,
    color_stderr: bool,
    width: usize,
}

impl Console {
    fn new(choice: ColorChoice) -> Console {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|w: &usize| *w >= 40)
            .unwrap_or(100);
        Console {
            color_stdout: decide(std::io::stdout().is_terminal()),
            color_stderr: decide(std::io::stderr().is_terminal()),
            width,
        }
    }

    /// Writes to stdout; a closed pipe (`litops plan x | head`) is not an error.
    fn stdout(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    fn stderr(&self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn error(&self, message: impl std::fmt::Display) {
        self.stderr(&format!("error: {message}\n"));
    }

    fn warning(&self, message: impl std::fmt::Display) {
        self.stderr(&format!("warning: {message}\n"));
    }

    fn diagnostics_style(&self, color: bool) -> Style {
        Style::Human {
            color,
            width: self.width,
        }
    }

    /// Diagnostics of a runbook, to stderr.
    fn report(&self, runbook: &Runbook, diagnostics: &[Diagnostic]) {
        if !diagnostics.is_empty() {
            // Source lines with control and bidi characters made visible.
            let shown = crate::source::SourceFile::new(
                runbook.file.name(),
                crate::markup::for_terminal_in_place(runbook.file.text()).into_owned(),
            );
            self.stderr(&diag::render(
                &shown,
                diagnostics,
                self.diagnostics_style(self.color_stderr),
            ));
        }
    }
}

/// Loads a runbook for `list`/`plan`: diagnostics are reported and it goes
/// on. An error in a block makes that block's step one that cannot run
/// (shown, never run); every other part of the file is still read.
fn load_plannable(path: &std::path::Path, out: &Console) -> Result<Runbook, u8> {
    let runbook = crate::load::load(path).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    out.report(&runbook, &runbook.diagnostics);
    Ok(runbook)
}

/// Loads a runbook for `run`/`resume`/`schedule`: as [`load_plannable`],
/// but an error that belongs to no step (front matter, encoding, a check
/// that follows no step) ends the command (exit 2): it can change what every
/// step does.
fn load_runnable(path: &std::path::Path, out: &Console) -> Result<Runbook, u8> {
    let runbook = crate::load::load(path).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    runnable(runbook, out)
}

/// A runbook read already (`resume` reads it once, when it checks it):
/// reported, and held to [`load_runnable`]'s rule.
fn runnable(runbook: Runbook, out: &Console) -> Result<Runbook, u8> {
    out.report(&runbook, &runbook.diagnostics);
    let errors = runbook.file_errors().len();
    if errors > 0 {
        out.error(format!(
            "{} has {errors} error{} outside its steps; fix {} first (`litops check {}` lists everything)",
            runbook.file.name(),
            if errors == 1 { "" } else { "s" },
            if errors == 1 { "it" } else { "them" },
            runbook.file.name()
        ));
        return Err(exit::USAGE);
    }
    Ok(runbook)
}

/// As [`bind_or_report`], with an approved plan's choices (`NAME=VALUE`)
/// made for the groups no input given now chooses: a run of the plan makes
/// them again without `--choose`, and another choice given now wins (and is
/// then refused as a change from what was approved).
fn bind_with_choices(
    runbook: &Runbook,
    args: &BindArgs,
    choices: &[String],
    out: &Console,
) -> Result<bind::Bindings, u8> {
    let bindings = bind_or_report(runbook, args, out)?;
    let missing: Vec<String> = choices
        .iter()
        .filter(|c| {
            c.split_once('=')
                .is_some_and(|(name, _)| bindings.get(name).is_none())
        })
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(bindings);
    }
    let mut inputs = args.inputs();
    // First: a choice given now for the same group comes later and wins.
    inputs.chooses.splice(0..0, missing);
    bind::bind(runbook, &inputs).map_err(|err| {
        out.error(err);
        exit::USAGE
    })
}

fn bind_or_report(runbook: &Runbook, args: &BindArgs, out: &Console) -> Result<bind::Bindings, u8> {
    let bindings = bind::bind(runbook, &args.inputs()).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    for warning in &bindings.warnings {
        out.warning(warning);
    }
    Ok(bindings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each subcommand's `--help`, from the command as built.
    fn helps() -> Vec<String> {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        names
            .iter()
            .map(
                |name| match Cli::command().try_get_matches_from(["litops", name, "--help"]) {
                    Ok(_) => format!("{name}: no help"),
                    Err(err) => err.render().to_string(),
                },
            )
            .collect()
    }

    #[test]
    fn subcommands_built_late_read_as_when_built_at_once() {
        use std::sync::atomic::Ordering::Relaxed;
        let late = helps();
        BUILD_ALL.store(true, Relaxed);
        let at_once = helps();
        BUILD_ALL.store(false, Relaxed);
        assert_eq!(late.len(), 12);
        assert_eq!(late, at_once);
        assert!(late[1].starts_with("Dry run: the exact commands that would run"));
    }
}
