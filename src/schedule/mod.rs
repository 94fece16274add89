//! Scheduled unattended runs on schedulers that already exist: a systemd
//! service and timer, a crontab line, or a Kubernetes CronJob. litops
//! writes their configuration; it runs no server of its own.
//!
//! Every emitted job runs `litops run RUNBOOK --unattended` (with
//! `--approved PLAN` when given), so the lock, the transcript and the quiet
//! summary come from litops itself.

pub mod cron;
mod k8s;
pub mod write;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use cron::Cron;
pub use k8s::{DOCKERFILE, KubernetesObjects, KubernetesOptions, config_map_key, kubernetes};

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

    /// Refuses what a unit file or a crontab cannot hold as written: a
    /// control character (a newline would start a line of the attacker's
    /// choosing) or a path that is not UTF-8 (it would be written lossily,
    /// so the job would name another file).
    pub fn check(&self) -> Result<(), String> {
        let paths = [
            ("the litops binary's path", Some(&self.litops)),
            ("the runbook's path", Some(&self.runbook)),
            ("the plan's path", self.approved.as_ref()),
            ("the runs directory", Some(&self.runs_dir)),
            ("the working directory", Some(&self.working_dir)),
        ];
        for (what, path) in paths {
            if let Some(path) = path {
                check_text(what, path_text(what, path)?)?;
            }
        }
        check_text("the runbook's title", &self.title)?;
        check_text("the name", &self.name)?;
        check_text("--cron", &self.cron.text)?;
        check_args(&self.run_args)
    }
}

/// Arguments for `litops run`, written into every kind of job.
pub fn check_args(args: &[String]) -> Result<(), String> {
    for arg in args {
        check_text("a RUN ARG", arg)?;
    }
    Ok(())
}

/// Refuses C0 and C1 control characters and DEL, which could end a line
/// (or a field) in a scheduler's file.
pub fn check_text(what: &str, text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{what} {text:?} holds a control character ({:?}); scheduler files cannot hold it safely",
            c
        )),
        None => Ok(()),
    }
}

fn path_text<'a>(what: &str, path: &'a Path) -> Result<&'a str, String> {
    path.to_str().ok_or_else(|| {
        format!(
            "{what} {} is not valid UTF-8; scheduler files cannot name it exactly",
            path.display()
        )
    })
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
pub fn systemd(job: &Job) -> Result<(String, String), String> {
    job.check()?;
    let argv = job.command();
    let mut exec = Vec::with_capacity(argv.len());
    for (i, arg) in argv.iter().enumerate() {
        exec.push(if i == 0 {
            systemd_executable(arg)?
        } else {
            systemd_quote(arg)
        });
    }
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
        runbook = systemd_url_path(&job.runbook.display().to_string()),
        dir = systemd_path(&job.working_dir.display().to_string())?,
        env = systemd_environment(&format!("LITOPS_RUNS_DIR={}", job.runs_dir.display())),
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
    Ok((service, timer))
}

/// A crontab line. It runs litops as /bin/sh would run it, output to a log
/// file; litops's own lock keeps a slow run from overlapping the next (no
/// `flock` file in a directory other users can write).
pub fn crontab(job: &Job, log: &Path) -> Result<String, String> {
    job.check()?;
    check_text("the log's path", path_text("the log's path", log)?)?;
    let command: Vec<String> = job.command().iter().map(|a| shell_quote(a)).collect();
    let line = format!(
        "{cron} cd {dir} && LITOPS_RUNS_DIR={runs} {command} >> {log} 2>&1",
        // The expression as written (macros too: cron reads them).
        cron = job.cron.text,
        dir = shell_quote(&job.working_dir.display().to_string()),
        runs = shell_quote(&job.runs_dir.display().to_string()),
        command = command.join(" "),
        log = shell_quote(&log.display().to_string()),
    );
    // `%` ends a crontab command line unless escaped; cron drops the `\`.
    Ok(format!(
        "# litops: {} ({})\n{}\n",
        job.title,
        job.runbook.display(),
        line.replace('%', "\\%")
    ))
}

/// An argument of `ExecStart=` (systemd.service, "Command lines"): quoted
/// when needed, `\` and `"` escaped inside the quotes, `%` and `$` doubled
/// (systemd expands specifiers and variables in arguments).
fn systemd_quote(arg: &str) -> String {
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    if plain(&escaped) {
        escaped
    } else {
        format!("\"{escaped}\"")
    }
}

/// The executable of `ExecStart=`: systemd expands no variables in it (a
/// `$` stays as written) and refuses a path with `\`, `"` or `'` in it.
fn systemd_executable(path: &str) -> Result<String, String> {
    if path.contains(['\\', '"', '\'']) {
        return Err(format!(
            "systemd cannot start a program whose path holds \\, \" or ': {path}"
        ));
    }
    let escaped = path.replace('%', "%%");
    Ok(if escaped.contains(' ') {
        format!("\"{escaped}\"")
    } else {
        escaped
    })
}

/// A path setting (`WorkingDirectory=`): taken as written after specifier
/// expansion, with no unquoting, so only `%` is escaped. systemd drops
/// whitespace at the end of a line and joins a line ending in `\` with the
/// next, so a path ending so cannot be written.
fn systemd_path(path: &str) -> Result<String, String> {
    if path.ends_with(|c: char| c == '\\' || c.is_whitespace()) {
        return Err(format!(
            "a unit file cannot hold a path ending in a backslash or a space: {path:?}"
        ));
    }
    Ok(path.replace('%', "%%"))
}

/// One `Environment=` assignment: quoted when needed and C-escaped, `%`
/// doubled; `$` has no special meaning there (systemd.exec).
fn systemd_environment(assignment: &str) -> String {
    let escaped = assignment
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    if plain(&escaped) {
        escaped
    } else {
        format!("\"{escaped}\"")
    }
}

/// A path in a `file://` URL (`Documentation=`): percent-encoded, so that a
/// space does not split the list, then `%` doubled for systemd.
fn systemd_url_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%%{b:02X}"));
        }
    }
    out
}

/// Free text in a unit file (a description): one line, `%` escaped; a `\`
/// at the end would join the next line to it, so it is dropped.
fn systemd_text(text: &str) -> String {
    text.replace('\n', " ")
        .replace('%', "%%")
        .trim_end_matches(|c: char| c == '\\' || c.is_whitespace())
        .to_owned()
}

/// Text that neither sh nor systemd reads specially: written unquoted.
fn plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c))
}

fn shell_quote(arg: &str) -> String {
    if plain(arg) {
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
    /// The runbook's canonical path: what `status` keys runs by.
    pub runbook: String,
    /// When `schedule` wrote the files. Nothing says they were installed:
    /// `status` counts the schedule from its first unattended run after this.
    pub created_at: String,
}

/// The registry written by litops before it named files by runbook path.
pub const LEGACY_REGISTRY_FILE: &str = "schedule.json";

/// A runbook's identity for `status`: its canonical path, else (gone, or
/// unreadable) the path made absolute from `cwd`, `.` and `..` dropped.
pub fn runbook_key(path: &Path, cwd: &Path) -> PathBuf {
    let absolute = cwd.join(path);
    absolute.canonicalize().unwrap_or_else(|_| {
        let mut out = PathBuf::new();
        for part in absolute.components() {
            match part {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    })
}

/// `RUNS/<stem>/schedule-<16 hex digits>.json`: the stem's directory is
/// where the runbook's transcripts go; the digits, from the canonical path,
/// keep apart runbooks with the same file name.
pub fn registry_path(runs_dir: &Path, runbook: &Path) -> PathBuf {
    let stem = runbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "runbook".to_owned());
    let hash = crate::transcript::sha256_hex(runbook.as_os_str().as_encoded_bytes());
    runs_dir
        .join(stem)
        .join(format!("schedule-{}.json", &hash[..16]))
}

/// Every schedule registered in a runbook directory of the runs directory.
pub fn registrations(dir: &Path) -> Vec<Registered> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name == LEGACY_REGISTRY_FILE
            || (name.starts_with("schedule-") && name.ends_with(".json"));
        if !ours {
            continue;
        }
        let parsed = std::fs::read_to_string(entry.path())
            .ok()
            .and_then(|t| serde_json::from_str::<Registered>(&t).ok());
        out.extend(parsed);
    }
    out
}

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
        assert_eq!(systemd_quote("a\\b\"c"), "\"a\\\\b\\\"c\"");
        // `$` is literal in Environment= and in the executable's path.
        assert_eq!(systemd_environment("D=/a b/$x%\""), "\"D=/a b/$x%%\\\"\"");
        assert_eq!(
            systemd_executable("/opt/my tools/lit$ops%").as_deref(),
            Ok("\"/opt/my tools/lit$ops%%\"")
        );
        assert_eq!(systemd_environment("D=/srv/runs"), "D=/srv/runs");
        assert!(systemd_executable("/opt/it's/litops").is_err());
        assert_eq!(systemd_path("/srv/a b/%x").as_deref(), Ok("/srv/a b/%%x"));
        assert!(systemd_path("/srv/a\\").is_err());
        assert!(systemd_path("/srv/a ").is_err());
        assert_eq!(
            systemd_url_path("/srv/a b/100%.md"),
            "/srv/a%%20b/100%%25.md"
        );
        assert_eq!(systemd_text("50% on C:\\ "), "50%% on C:");
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "a\nb", "a\rb", "a\tb", "a\u{7f}b", "a\u{85}b", "a\u{9b}b", "\0",
        ] {
            assert!(check_text("x", bad).is_err(), "{bad:?}");
        }
        for good in ["a b", "100%", "é ü", "it's \"quoted\" $HOME \\"] {
            assert!(check_text("x", good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn registries_are_kept_apart_by_path() {
        let runs = Path::new("/runs");
        let a = registry_path(runs, Path::new("/srv/a/README.md"));
        let b = registry_path(runs, Path::new("/srv/b/README.md"));
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/runs/README")));
        assert_eq!(
            runbook_key(Path::new("../b/./x.md"), Path::new("/nonexistent-litops/a")),
            PathBuf::from("/nonexistent-litops/b/x.md")
        );
    }
}
