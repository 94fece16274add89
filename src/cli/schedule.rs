//! `litops schedule` (write a scheduler's configuration) and `litops status`
//! (what the recorded runs say about each runbook and its schedule).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Console, load_runnable};
use crate::exit;
use crate::model::meta::parse_duration;
use crate::schedule::{self, Cron, Job, KubernetesOptions, Registered};
use crate::transcript::{self, RunView, Transcript};

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The runbook to run on a schedule.
    file: PathBuf,
    /// When, as a cron expression: "0 3 * * 0" (Sundays 03:00), "@daily".
    #[arg(long, value_name = "EXPR")]
    cron: String,
    /// What to write: systemd (service + timer), cron (a crontab line),
    /// k8s-cronjob (CronJob, ConfigMap and a Dockerfile).
    #[arg(long, value_enum)]
    emit: Emit,
    /// The approved plan the job runs (`plan --out`, `approve`).
    #[arg(long, value_name = "PLAN")]
    approved: Option<PathBuf>,
    /// Name of the units or objects (litops-NAME); default: the runbook's file name.
    #[arg(long)]
    name: Option<String>,
    /// Directory to write into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Replace files that already exist (a symlink is replaced, not followed).
    #[arg(long)]
    force: bool,
    /// How long a run may take before the scheduler stops it.
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = duration)]
    timeout: Duration,
    /// Kubernetes: the image (build it with the written Dockerfile).
    #[arg(long, value_name = "IMAGE", default_value = concat!("litops:", env!("CARGO_PKG_VERSION")))]
    image: String,
    /// Kubernetes: the namespace of the objects.
    #[arg(long)]
    namespace: Option<String>,
    /// Kubernetes: an existing PersistentVolumeClaim to keep transcripts in
    /// (default: a claim litops-NAME-runs, written with the CronJob).
    #[arg(long, value_name = "CLAIM")]
    transcripts_claim: Option<String>,
    /// Kubernetes: the schedule's time zone (IANA name, e.g. Europe/Paris).
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// More arguments for `litops run` (e.g. -- --vars prod.yaml --report junit=/var/log/x.xml).
    #[arg(last = true, value_name = "RUN ARGS")]
    run_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Emit {
    Systemd,
    Cron,
    #[value(name = "k8s-cronjob")]
    K8sCronjob,
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_owned())
    })
}

pub fn schedule(args: &ScheduleArgs, out: &Console) -> u8 {
    match write_schedule(args, out) {
        Ok(code) | Err(code) => code,
    }
}

fn write_schedule(args: &ScheduleArgs, out: &Console) -> Result<u8, u8> {
    let usage = |err: String| {
        out.error(err);
        exit::USAGE
    };
    let cron = Cron::parse(&args.cron).map_err(|err| usage(format!("--cron: {err}")))?;
    let runbook = load_runnable(&args.file, out)?;
    if let Some(plan) = &args.approved {
        let plan = crate::approval::load(plan).map_err(|e| usage(e.to_string()))?;
        if plan.valid_approvals().is_empty() {
            out.warning("the plan has no valid approval yet; the scheduled runs will refuse until it is approved");
        }
    }
    let stem = args
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = schedule::object_name(args.name.as_deref().unwrap_or(&stem));
    let runbook_abs = absolute(&args.file);
    let runs_dir = absolute(&transcript::runs_dir());
    let job = Job {
        name: name.clone(),
        title: runbook.title().to_owned(),
        cron,
        litops: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("litops")),
        runbook: runbook_abs.clone(),
        approved: args.approved.as_deref().map(absolute),
        runs_dir: runs_dir.clone(),
        working_dir: runbook_abs
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_owned),
        run_args: args.run_args.clone(),
        timeout: args.timeout,
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let next_steps = match args.emit {
        Emit::Systemd => {
            let (service, timer) = schedule::systemd(&job).map_err(usage)?;
            files.push((args.out.join(format!("litops-{name}.service")), service));
            files.push((args.out.join(format!("litops-{name}.timer")), timer));
            format!(
                "install: systemctl link {dir}/litops-{name}.service {dir}/litops-{name}.timer && systemctl enable --now litops-{name}.timer",
                dir = absolute(&args.out).display()
            )
        }
        Emit::Cron => {
            let log = runs_dir.join(&stem).join("cron.log");
            files.push((
                args.out.join(format!("litops-{name}.crontab")),
                schedule::crontab(&job, &log).map_err(usage)?,
            ));
            format!(
                "install: (crontab -l; cat {}) | crontab -",
                args.out.join(format!("litops-{name}.crontab")).display()
            )
        }
        Emit::K8sCronjob => {
            let runbook_name = args
                .file
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "runbook.md".to_owned());
            let plan_text = match &args.approved {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .map_err(|err| usage(format!("cannot read {}: {err}", p.display())))?,
                ),
                None => None,
            };
            let options = KubernetesOptions {
                namespace: args.namespace.clone(),
                image: args.image.clone(),
                transcripts_claim: args.transcripts_claim.clone(),
                time_zone: args.time_zone.clone(),
            };
            let objects = schedule::kubernetes(
                &job,
                &options,
                &runbook_name,
                runbook.file.text(),
                plan_text.as_deref(),
            )
            .map_err(usage)?;
            let mut yaml = String::from("# Written by `litops schedule --emit k8s-cronjob`.\n");
            yaml.push_str(&to_yaml(&objects.config_map).map_err(usage)?);
            if let Some(claim) = &objects.claim {
                yaml.push_str("---\n");
                yaml.push_str(&to_yaml(claim).map_err(usage)?);
            }
            yaml.push_str("---\n");
            yaml.push_str(&to_yaml(&objects.cron_job).map_err(usage)?);
            files.push((args.out.join(format!("litops-{name}.yaml")), yaml));
            files.push((args.out.join("Dockerfile"), schedule::DOCKERFILE.to_owned()));
            format!(
                "install: build the image (Dockerfile), then kubectl apply -f {}",
                args.out.join(format!("litops-{name}.yaml")).display()
            )
        }
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|err| usage(format!("cannot create {}: {err}", args.out.display())))?;
    // Every file is checked before any is written: a refusal leaves
    // nothing half done.
    if !args.force {
        for (path, _) in &files {
            if let Some(err) = schedule::write::existing(path) {
                return Err(usage(err));
            }
        }
    }
    for (path, text) in &files {
        let written = if args.force {
            schedule::write::replace(path, text)
        } else {
            schedule::write::create_new(path, text)
        };
        written.map_err(|err| usage(format!("cannot write {}: {err}", path.display())))?;
        out.stdout(&format!("wrote {}\n", path.display()));
    }
    register(&runs_dir, &runbook_abs, args, &name, out);
    out.stdout(&format!("{next_steps}\n"));
    Ok(exit::OK)
}

fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|err| format!("cannot write YAML: {err}"))
}

/// Remembers the schedule for `litops status`, which counts it from the
/// first unattended run after now (the files may never be installed).
fn register(runs_dir: &Path, runbook: &Path, args: &ScheduleArgs, name: &str, out: &Console) {
    use std::os::unix::fs::DirBuilderExt;
    let entry = Registered {
        cron: args.cron.trim().to_owned(),
        emit: args
            .emit
            .to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_owned()),
        name: name.to_owned(),
        runbook: runbook.display().to_string(),
        created_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    };
    let path = schedule::registry_path(runs_dir, runbook);
    let result = path
        .parent()
        .map_or(Ok(()), |dir| {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
        })
        .and_then(|()| serde_json::to_string_pretty(&entry).map_err(std::io::Error::other))
        .and_then(|text| schedule::write::replace(&path, &(text + "\n")));
    if let Err(err) = result {
        out.warning(format!(
            "cannot record the schedule for `litops status` in {}: {err}",
            path.display()
        ));
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Where runs are recorded (default: $LITOPS_RUNS_DIR, else .litops/runs).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// After its expected time, how long a scheduled run may take to start before it counts as missed.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration)]
    grace: Duration,
    /// One JSON object per runbook.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct RunbookStatus {
    /// The runbook's canonical path: runbooks with the same file name in
    /// two directories are two rows.
    runbook: String,
    runs: usize,
    last_run: Option<String>,
    last_started_at: Option<String>,
    last_outcome: Option<String>,
    last_duration_ms: Option<u64>,
    schedule: Option<String>,
    /// Whether an unattended run was seen since the schedule was written
    /// (`null` without a schedule); until then nothing counts as missed.
    confirmed: Option<bool>,
    /// The last time the schedule was due.
    last_due: Option<String>,
    missed: bool,
    /// Runs that started while an earlier one was still going.
    overlapping: usize,
}

/// What the runs directory holds for one runbook.
#[derive(Default)]
struct Runbook {
    /// (file name, run, whether it was unattended), in run-id order.
    runs: Vec<(std::ffi::OsString, RunView, bool)>,
    registered: Option<Registered>,
}

pub fn status(args: &StatusArgs, out: &Console) -> u8 {
    let runs_dir = args.dir.clone().unwrap_or_else(transcript::runs_dir);
    let Ok(entries) = std::fs::read_dir(&runs_dir) else {
        // A directory named on the command line must exist; the default may not yet.
        if args.dir.is_some() {
            out.error(format!("cannot read {}", runs_dir.display()));
            return exit::USAGE;
        }
        out.stderr(&format!("no runs recorded in {}\n", runs_dir.display()));
        return exit::OK;
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    // Transcripts go to a directory per file stem, shared by runbooks of
    // the same file name: each is keyed by the path in its header instead.
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut runbooks: std::collections::BTreeMap<PathBuf, Runbook> = Default::default();
    for dir in &dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
        for path in files {
            match Transcript::read(&path) {
                Ok(t) => {
                    let key = schedule::runbook_key(
                        Path::new(&t.header.runbook),
                        Path::new(&t.header.cwd),
                    );
                    let file = path.file_name().map(ToOwned::to_owned).unwrap_or_default();
                    runbooks.entry(key).or_default().runs.push((
                        file,
                        RunView::of(&t),
                        t.header.unattended,
                    ));
                }
                Err(err) => out.warning(err),
            }
        }
        for registered in schedule::registrations(dir) {
            let key = schedule::runbook_key(Path::new(&registered.runbook), &cwd);
            let slot = &mut runbooks.entry(key).or_default().registered;
            // The last `schedule` of a runbook wins.
            if slot
                .as_ref()
                .is_none_or(|old| old.created_at <= registered.created_at)
            {
                *slot = Some(registered);
            }
        }
    }
    // `LITOPS_NOW` (RFC 3339) fixes the clock, for tests and for asking
    // "was anything missed as of then".
    let now = std::env::var("LITOPS_NOW")
        .ok()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or_else(jiff::ZonedDateTime::now, |t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
        });
    let mut rows = Vec::new();
    for (path, mut runbook) in runbooks {
        // Run ids start with their UTC time: file names sort by time.
        runbook.runs.sort_by(|a, b| a.0.cmp(&b.0));
        rows.push(runbook_status(&path, runbook, &now, args.grace));
    }
    let unhealthy = rows
        .iter()
        .any(|r| r.missed || r.last_outcome.as_deref().is_some_and(|o| o != "success"));
    if args.json {
        let mut text = String::new();
        for r in &rows {
            text.push_str(&serde_json::to_string(r).unwrap_or_default());
            text.push('\n');
        }
        out.stdout(&text);
    } else {
        let width = rows
            .iter()
            .map(|r| r.runbook.chars().count())
            .max()
            .unwrap_or(0)
            .max(28);
        let mut text = format!(
            "{:<width$} {:<14} {:<21} {:>9}  {}\n",
            "RUNBOOK", "LAST OUTCOME", "LAST STARTED", "DURATION", "SCHEDULE"
        );
        for r in &rows {
            let schedule = match (&r.schedule, &r.last_due) {
                (Some(cron), _) if r.confirmed == Some(false) => format!("{cron}  unconfirmed"),
                (Some(cron), Some(due)) if r.missed => format!("{cron}  MISSED (due {due})"),
                (Some(cron), _) => format!("{cron}  ok"),
                (None, _) => "-".to_owned(),
            };
            let overlap = if r.overlapping > 0 {
                format!("  ({} overlapping)", r.overlapping)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "{:<width$} {:<14} {:<21} {:>9}  {schedule}{overlap}\n",
                r.runbook,
                r.last_outcome.as_deref().unwrap_or("-"),
                r.last_started_at.as_deref().unwrap_or("-"),
                r.last_duration_ms
                    .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0)),
            ));
        }
        out.stdout(&text);
    }
    if unhealthy { exit::LINT } else { exit::OK }
}

fn runbook_status(
    path: &Path,
    runbook: Runbook,
    now: &jiff::ZonedDateTime,
    grace: Duration,
) -> RunbookStatus {
    let views: Vec<&RunView> = runbook.runs.iter().map(|(_, v, _)| v).collect();
    let starts: Vec<Option<jiff::Timestamp>> = views
        .iter()
        .map(|v| v.started_at.parse::<jiff::Timestamp>().ok())
        .collect();
    let mut overlapping = 0;
    for i in 1..views.len() {
        if let (Some(prev), Some(start)) = (starts[i - 1], starts[i]) {
            let end = views[i - 1]
                .duration_ms
                .map(|ms| prev + jiff::SignedDuration::from_millis(ms as i64));
            // An earlier run that never finished, or finished after this began.
            if end.is_none_or(|end| end > start) {
                overlapping += 1;
            }
        }
    }
    let registered = runbook.registered;
    let last = views.last();
    let last_start = starts.last().copied().flatten();
    let registered_at = registered
        .as_ref()
        .and_then(|r| r.created_at.parse::<jiff::Timestamp>().ok());
    // Written is not installed: the schedule counts once an unattended run
    // (what every scheduled job is) started after it was written.
    let confirmed = registered.as_ref().map(|_| {
        runbook
            .runs
            .iter()
            .zip(&starts)
            .any(|((_, _, unattended), start)| {
                *unattended && start.is_some_and(|s| registered_at.is_none_or(|r| s >= r))
            })
    });
    let (last_due, missed) = match registered.as_ref().and_then(|r| Cron::parse(&r.cron).ok()) {
        Some(cron) => {
            let grace = jiff::SignedDuration::try_from(grace).unwrap_or_default();
            let due = cron
                .previous(now.datetime())
                .and_then(|d| d.to_zoned_datetime(now.time_zone().clone()).ok());
            let missed = confirmed == Some(true)
                && due.as_ref().is_some_and(|due| {
                    let late = now.timestamp() > due.timestamp() + grace;
                    let ran = last_start.is_some_and(|s| s >= due.timestamp());
                    // A schedule made after the due time could not have run then.
                    let existed = registered_at.is_none_or(|r| r <= due.timestamp());
                    late && !ran && existed
                });
            (
                due.map(|d| d.strftime("%Y-%m-%d %H:%M %Z").to_string()),
                missed,
            )
        }
        None => (None, false),
    };
    RunbookStatus {
        runbook: path.display().to_string(),
        runs: views.len(),
        last_run: last.map(|v| v.run_id.clone()),
        last_started_at: last.map(|v| v.started_at.clone()),
        last_outcome: last.map(|v| v.outcome.clone()),
        last_duration_ms: last.and_then(|v| v.duration_ms),
        schedule: registered.map(|r| r.cron),
        confirmed,
        last_due,
        missed,
        overlapping,
    }
}
