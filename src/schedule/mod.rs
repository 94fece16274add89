//! Scheduled unattended runs on schedulers that already exist: a systemd
//! service and timer, a crontab line, or a Kubernetes CronJob. litops
//! writes their configuration; it runs no server of its own.
//!
//! Every emitted job runs `litops run RUNBOOK --unattended` (with
//! `--approved PLAN` when given), so the lock, the transcript and the quiet
//! summary come from litops itself.

pub mod cron;
mod k8s;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use cron::Cron;
pub use k8s::{DOCKERFILE, KubernetesOptions, kubernetes};

/// What to schedule.
#[derive(Debug, Clone)]
pub struct Job {
    /// Unit and object names: `litops-<name>`.
    pub name: String,
    pub title: String,
    pub cron: Cron,
    /// Absolute paths.
    pub litops: PathBuf,
    pub runbook: PathBuf,
    pub approved: Option<PathBuf>,
    pub runs_dir: PathBuf,
    pub working_dir: PathBuf,
    /// More arguments for `litops run` (`--vars FILE`, `--report …`).
    pub run_args: Vec<String>,
    /// How long a run may take before the scheduler stops it.
    pub timeout: std::time::Duration,
}

impl Job {
    /// `litops run …` as an argument list.
    pub fn command(&self) -> Vec<String> {
        let mut argv = vec![
            self.litops.display().to_string(),
            "run".to_owned(),
            self.runbook.display().to_string(),
            "--unattended".to_owned(),
        ];
        if let Some(plan) = &self.approved {
            argv.push("--approved".to_owned());
            argv.push(plan.display().to_string());
        }
        argv.extend(self.run_args.iter().cloned());
        argv
    }
}

/// A name fit for units and Kubernetes objects (lowercase, digits, `-`).
pub fn object_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    let out: String = out.chars().take(40).collect();
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "runbook".to_owned()
    } else {
        out
    }
}

/// The service and timer units.
pub fn systemd(job: &Job) -> (String, String) {
    let exec: Vec<String> = job.command().iter().map(|a| systemd_quote(a)).collect();
    let service = format!(
        "# Written by `litops schedule`; see docs/scheduling.md.\n\
         [Unit]\n\
         Description=litops: {title}\n\
         Documentation=file://{runbook}\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         WorkingDirectory={dir}\n\
         Environment={env}\n\
         ExecStart={exec}\n\
         TimeoutStartSec={timeout}\n\
         # 7: another run holds the lock; not a failure of this one.\n\
         SuccessExitStatus=7\n",
        title = systemd_text(&job.title),
        runbook = systemd_text(&job.runbook.display().to_string()),
        dir = systemd_quote(&job.working_dir.display().to_string()),
        env = systemd_quote(&format!("LITOPS_RUNS_DIR={}", job.runs_dir.display())),
        exec = exec.join(" "),
        timeout = job.timeout.as_secs().max(1),
    );
    let mut calendars = String::new();
    for line in job.cron.on_calendar() {
        calendars.push_str(&format!("OnCalendar={line}\n"));
    }
    let timer = format!(
        "# Written by `litops schedule`: cron \"{cron}\".\n\
         [Unit]\n\
         Description=Schedule of litops-{name}.service ({title})\n\
         \n\
         [Timer]\n\
         {calendars}\
         # A run missed while the machine was off starts when it is back.\n\
         Persistent=true\n\
         Unit=litops-{name}.service\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        cron = job.cron.text,
        name = job.name,
        title = systemd_text(&job.title),
    );
    (service, timer)
}

/// A crontab line: `flock` keeps a slow run from overlapping the next, the
/// output goes to a log file.
pub fn crontab(job: &Job, log: &Path, lock: &Path) -> String {
    let command: Vec<String> = job.command().iter().map(|a| shell_quote(a)).collect();
    let line = format!(
        "{cron} cd {dir} && LITOPS_RUNS_DIR={runs} flock -n {lock} {command} >> {log} 2>&1",
        // The expression as written (macros too: cron reads them).
        cron = job.cron.text,
        dir = shell_quote(&job.working_dir.display().to_string()),
        runs = shell_quote(&job.runs_dir.display().to_string()),
        lock = shell_quote(&lock.display().to_string()),
        command = command.join(" "),
        log = shell_quote(&log.display().to_string()),
    );
    // `%` ends a crontab command line unless escaped.
    format!(
        "# litops: {} ({})\n{}\n",
        job.title.replace('\n', " "),
        job.runbook.display(),
        line.replace('%', "\\%")
    )
}

/// A value for an `ExecStart=`-style line: quoted when needed; `%` and `$`
/// escaped, which systemd would expand.
fn systemd_quote(arg: &str) -> String {
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    if !escaped.is_empty()
        && escaped
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c))
    {
        escaped
    } else {
        format!("\"{escaped}\"")
    }
}

/// Free text in a unit file (a description): one line, `%` escaped.
fn systemd_text(text: &str) -> String {
    text.replace('\n', " ").replace('%', "%%")
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// What `litops status` knows of a schedule: written next to the runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Registered {
    pub cron: String,
    pub emit: String,
    pub name: String,
    pub runbook: String,
    pub created_at: String,
}

pub const REGISTRY_FILE: &str = "schedule.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_for_units_and_shells() {
        assert_eq!(systemd_quote("/usr/bin/litops"), "/usr/bin/litops");
        assert_eq!(systemd_quote("a b"), "\"a b\"");
        assert_eq!(systemd_quote("100%"), "\"100%%\"");
        assert_eq!(systemd_quote("$HOME"), "\"$$HOME\"");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(
            object_name("Nightly DB maintenance!"),
            "nightly-db-maintenance"
        );
    }
}
