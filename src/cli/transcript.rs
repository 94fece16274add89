//! `litops transcript list|show|verify` and `litops diff`: reading runs back.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::Console;
use crate::exit;
use crate::markup::for_terminal;
use crate::transcript::{self, RunView, Transcript, diff, render};

#[derive(Debug, Args)]
pub struct TranscriptArgs {
    #[command(subcommand)]
    command: TranscriptCommand,
}

#[derive(Debug, Subcommand)]
enum TranscriptCommand {
    /// List recorded runs, newest last, with their outcome.
    List {
        /// Where runs are recorded (default: $LITOPS_RUNS_DIR, else .litops/runs).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// One JSON object per run.
        #[arg(long)]
        json: bool,
    },
    /// The executed runbook: the document with each step's command, output,
    /// duration, checks and approver inline.
    Show {
        /// A transcript path, a run id (or a unique part), or `last`.
        run: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Markdown)]
        format: ShowFormat,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check that records follow each other unchanged (the hash chain),
    /// that the run's end is recorded, and whether a seal covers it all.
    Verify {
        /// Transcript paths, run ids, or `last`.
        #[arg(required = true)]
        runs: Vec<String>,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Require each transcript to be sealed by a key in this file
        /// (ssh-keygen's allowed_signers format, namespace `litops-transcript`).
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowFormat {
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run: a transcript path, a run id (or a unique part), or `last`.
    a: String,
    /// The later run.
    b: String,
    /// Only the line per step, no diffs of commands and output.
    #[arg(long)]
    summary: bool,
    /// The comparison as JSON.
    #[arg(long)]
    json: bool,
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

fn runs_dir(dir: &Option<PathBuf>) -> PathBuf {
    dir.clone().unwrap_or_else(transcript::runs_dir)
}

fn open(name: &str, dir: &Option<PathBuf>, out: &Console) -> Result<Transcript, u8> {
    let path = transcript::locate(name, &runs_dir(dir)).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    let t = Transcript::read(&path).map_err(|err| {
        out.error(err);
        exit::USAGE
    })?;
    if t.truncated {
        out.warning(format!(
            "{}: the last record was cut short (the run was killed while writing it); it is ignored",
            path.display()
        ));
    }
    Ok(t)
}

pub fn run(args: &TranscriptArgs, out: &Console) -> u8 {
    let result = match &args.command {
        TranscriptCommand::List { dir, json } => list(&runs_dir(dir), *json, out),
        TranscriptCommand::Show { run, format, dir } => show(run, *format, dir, out),
        TranscriptCommand::Verify {
            runs,
            dir,
            allowed_signers,
        } => verify(runs, dir, allowed_signers.as_deref(), out),
    };
    match result {
        Ok(code) | Err(code) => code,
    }
}

#[derive(Serialize)]
struct Listed {
    run_id: String,
    runbook: String,
    started_at: String,
    outcome: String,
    exit_code: Option<u64>,
    duration_ms: Option<u64>,
    succeeded: usize,
    failed: usize,
    skipped: usize,
    steps: usize,
    user: String,
    path: String,
}

fn list(dir: &std::path::Path, json: bool, out: &Console) -> Result<u8, u8> {
    let mut paths = transcript::read_all(dir);
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut rows = Vec::new();
    for path in paths {
        match Transcript::read(&path) {
            Ok(t) => {
                let view = RunView::of(&t);
                let (succeeded, failed, skipped) = view.counts();
                rows.push(Listed {
                    run_id: view.run_id.clone(),
                    runbook: view.runbook.clone(),
                    started_at: view.started_at.clone(),
                    outcome: view.outcome.clone(),
                    exit_code: view.exit_code,
                    duration_ms: view.duration_ms,
                    succeeded,
                    failed,
                    skipped,
                    steps: view.steps.len(),
                    user: format!("{}@{}", view.user, view.host),
                    path: path.display().to_string(),
                });
            }
            Err(err) => out.warning(err),
        }
    }
    if json {
        let mut text = String::new();
        for row in &rows {
            text.push_str(&serde_json::to_string(row).unwrap_or_default());
            text.push('\n');
        }
        out.stdout(&text);
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        out.stderr(&format!("no runs recorded in {}\n", dir.display()));
        return Ok(exit::OK);
    }
    let mut text = format!(
        "{:<24} {:<12} {:>9} {:>13}  {}\n",
        "RUN", "OUTCOME", "DURATION", "OK/FAIL/SKIP", "RUNBOOK"
    );
    for r in &rows {
        let duration = r
            .duration_ms
            .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let counts = format!("{}/{}/{}", r.succeeded, r.failed, r.skipped);
        text.push_str(&format!(
            "{:<24} {:<12} {:>9} {:>13}  {}\n",
            r.run_id, r.outcome, duration, counts, r.runbook
        ));
    }
    out.stdout(&for_terminal(&text));
    Ok(exit::OK)
}

fn show(run: &str, format: ShowFormat, dir: &Option<PathBuf>, out: &Console) -> Result<u8, u8> {
    let t = open(run, dir, out)?;
    let view = RunView::of(&t);
    let text = match format {
        // Recorded output and the runbook's text are shown, not obeyed: an
        // escape sequence in them must not drive the reader's terminal.
        ShowFormat::Markdown => for_terminal(&render::markdown(&t, &view)).into_owned(),
        ShowFormat::Html => render::html(&t, &view),
        ShowFormat::Json => {
            let mut text = serde_json::to_string_pretty(&view).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    out.stdout(&text);
    Ok(exit::OK)
}

/// How bad a transcript's verdict is: the exit code goes by the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Ok,
    Incomplete,
    Failed,
}

fn verify(
    runs: &[String],
    dir: &Option<PathBuf>,
    allowed: Option<&std::path::Path>,
    out: &Console,
) -> Result<u8, u8> {
    let allowed = match allowed {
        Some(path) => Some(crate::sign::AllowedSigners::load(path).map_err(|err| {
            out.error(err);
            exit::USAGE
        })?),
        None => None,
    };
    let mut worst = Verdict::Ok;
    for name in runs {
        let path = transcript::locate(name, &runs_dir(dir)).map_err(|err| {
            out.error(err);
            exit::USAGE
        })?;
        let (verdict, line) = match transcript::verify(&path) {
            Ok(v) => judge(&path.display().to_string(), &v, allowed.as_ref()),
            Err(err) => (Verdict::Failed, format!("INVALID: {err}")),
        };
        worst = worst.max(verdict);
        out.stdout(&for_terminal(&format!("{line}\n")));
    }
    Ok(match worst {
        Verdict::Ok => exit::OK,
        Verdict::Incomplete => exit::INCOMPLETE,
        Verdict::Failed => exit::LINT,
    })
}

/// One transcript's verdict and its line: `ok: PATH: N records, chain
/// intact; SEAL`, or what is wrong first (tampered, a seal that does not
/// hold, no seal where one is required, the run's end missing).
fn judge(
    path: &str,
    v: &transcript::Verification,
    allowed: Option<&crate::sign::AllowedSigners>,
) -> (Verdict, String) {
    use transcript::SealStatus;
    if !v.intact() {
        let lines: Vec<String> = v
            .broken_links
            .iter()
            .chain(&v.out_of_sequence)
            .map(|n| n.to_string())
            .collect();
        return (
            Verdict::Failed,
            format!(
                "TAMPERED: {path}: records do not follow from the ones before them at line{} {}",
                if lines.len() == 1 { "" } else { "s" },
                lines.join(", ")
            ),
        );
    }
    if let SealStatus::Sealed {
        line,
        mismatch: Some(why),
        ..
    } = &v.seal
    {
        return (
            Verdict::Failed,
            format!("TAMPERED: {path}: the seal on line {line} does not match its place: {why}"),
        );
    }
    let seal = match (allowed.and_then(|a| v.check_seal(a)), &v.seal) {
        (Some(Ok(by)), _) => format!("sealed by {} ({})", by.principals.join(","), by.fingerprint),
        (Some(Err(err)), SealStatus::Sealed { line, .. }) => {
            let label = match err {
                crate::sign::VerifyError::BadSignature { .. } => "TAMPERED",
                _ => "UNTRUSTED SEAL",
            };
            return (
                Verdict::Failed,
                format!("{label}: {path}: the seal on line {line} does not hold: {err}"),
            );
        }
        (_, SealStatus::Sealed { .. }) => {
            "sealed (the seal was not checked: give --allowed-signers FILE)".to_owned()
        }
        (_, SealStatus::Superseded { line }) => format!(
            "not sealed (the seal on line {line} covers only the records before it; the run was resumed without --seal-key)"
        ),
        (_, SealStatus::None) => "not sealed".to_owned(),
    };
    let cut = if v.truncated {
        " (its last record was cut short by a crash and is ignored)"
    } else {
        ""
    };
    let sealed = matches!(v.seal, SealStatus::Sealed { .. });
    if !v.finished() {
        let last = if v.last_event.is_empty() {
            "no record".to_owned()
        } else {
            format!("the last record is `{}`", v.last_event)
        };
        let verdict = if allowed.is_some() && !sealed {
            Verdict::Failed
        } else {
            Verdict::Incomplete
        };
        return (
            verdict,
            format!(
                "INCOMPLETE: {path}: {} records, chain intact{cut}, but the run's end is not recorded: {last} (the run was killed, is still going, or its last records were removed); {seal}",
                v.records
            ),
        );
    }
    if allowed.is_some() && !sealed {
        return (
            Verdict::Failed,
            format!(
                "UNSEALED: {path}: {} records, chain intact{cut}; {seal}, and --allowed-signers requires a seal",
                v.records
            ),
        );
    }
    (
        Verdict::Ok,
        format!(
            "ok: {path}: {} records, chain intact{cut}; {seal}",
            v.records
        ),
    )
}

pub fn diff(args: &DiffArgs, out: &Console) -> u8 {
    let (a, b) = match (open(&args.a, &args.dir, out), open(&args.b, &args.dir, out)) {
        (Ok(a), Ok(b)) => (RunView::of(&a), RunView::of(&b)),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let steps = diff::compare(&a, &b);
    if args.json {
        let mut text = serde_json::to_string_pretty(&steps).unwrap_or_default();
        text.push('\n');
        out.stdout(&text);
    } else {
        out.stdout(&for_terminal(&diff::render(&a, &b, &steps, args.summary)));
    }
    // Like diff(1): 1 when the runs differ.
    if steps.iter().all(|s| s.change == "same") {
        exit::OK
    } else {
        exit::LINT
    }
}
