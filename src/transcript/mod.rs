//! Transcripts: the record of a run, one JSON object per line
//! (`docs/transcripts.md`).
//!
//! The first record is a header (who ran which runbook, at which content
//! hash and git commit, with which values); the rest are the run's events,
//! output bounded per step. Every record carries `prev`, the SHA-256 of the
//! previous line, so an edited, dropped or reordered record breaks the chain
//! (`litops transcript verify`). Files are append-only and private (0600),
//! synced to disk at every step boundary; a run killed at any moment leaves
//! a file that reads back, its last line perhaps cut short (ignored).

pub mod diff;
mod read;
pub mod render;
mod steps;
mod writer;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use read::{
    ReadError, SealStatus, Transcript, Verification, all_transcripts as read_all, locate, trusted,
    trusted_runbook, verify,
};
pub use steps::{RunView, StepView};
pub use writer::{TranscriptWriter, WriterOptions};

/// 2: the events are those of `--json` schema 2 (`run-started` says its
/// version). Version 1 transcripts read the same way (see `read`).
pub const SCHEMA_VERSION: u32 = 2;

/// The SSH signature namespace of seals: a seal verifies as nothing else,
/// and no other signature verifies as a seal.
pub const SEAL_NAMESPACE: &str = "litops-transcript";

/// What a `seal` record's signature signs: the number of records before
/// it (the header included; the seal's own `seq`) and the SHA-256 of the
/// last of them (the seal's `prev`), which the chain ties to every record
/// before it:
///
/// ```text
/// litops-transcript-seal-v1
/// records: 25
/// chain: 62184efb9d56242c0ae7763d48f746a0f87305fcd91a73fb4599995cd63f79e4
/// ```
///
/// (each line ends in `\n`).
pub fn seal_message(records: u64, chain: &str) -> Vec<u8> {
    format!("litops-transcript-seal-v1\nrecords: {records}\nchain: {chain}\n").into_bytes()
}

/// `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Output kept per step in the transcript: this much from the start and
/// this much from the end; the count of bytes in between is recorded.
pub const OUTPUT_HEAD: usize = 256 * 1024;
pub const OUTPUT_TAIL: usize = 256 * 1024;

/// The header: everything about a run that is not an event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub schema_version: u32,
    pub run_id: String,
    pub litops_version: String,
    /// The runbook path as given on the command line.
    pub runbook: String,
    pub title: String,
    /// `sha256:<hex>` of the runbook's bytes.
    pub content_hash: String,
    /// The runbook as it was, secrets masked (for `show` and `resume`).
    pub source: String,
    pub git_commit: Option<String>,
    pub user: String,
    pub host: String,
    pub cwd: String,
    pub started_at: String,
    pub unattended: bool,
    /// The planned steps, in order, with what the plan said of them.
    pub steps: Vec<PlannedStep>,
    pub variables: Vec<BoundVariable>,
    /// `run --approved`: what was approved, and by whom.
    #[serde(default)]
    pub approved_plan: Option<ApprovedRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApprovedRef {
    pub steps_digest: String,
    /// `name at time` of each approval that covers the plan.
    pub approvers: Vec<String>,
    /// The principals whose signed approvals an approval policy counted;
    /// absent when no policy was in force (approvals not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlannedStep {
    pub id: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BoundVariable {
    pub name: String,
    /// Masked (`[REDACTED:NAME]`) when secret.
    pub value: String,
    pub source: String,
    pub secret: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `sha256:<hex>` of a runbook's bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// Where transcripts go unless `--transcript` says otherwise:
/// `$LITOPS_RUNS_DIR`, else `.litops/runs` in the current directory, unless
/// that is `/` or a system directory (a systemd service starts in `/`):
/// then `$XDG_STATE_HOME/litops/runs` (`~/.local/state/litops/runs`).
pub fn runs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LITOPS_RUNS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    if is_system_dir(&cwd) {
        let state = std::env::var_os("XDG_STATE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|d| !d.is_empty())
                    .map(|home| PathBuf::from(home).join(".local/state"))
            });
        if let Some(state) = state.filter(|s| s.is_absolute() && !is_system_dir(s)) {
            return state.join("litops/runs");
        }
    }
    PathBuf::from(".litops/runs")
}

/// `/` and the directories of the system itself, where no run's record belongs.
fn is_system_dir(dir: &Path) -> bool {
    const SYSTEM: &[&str] = &[
        "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys",
        "/usr", "/var", "/tmp", "/var/tmp", "/dev/shm",
    ];
    dir.as_os_str().is_empty() || SYSTEM.iter().any(|s| dir == Path::new(s))
}

/// `<runs>/<runbook stem>/<run id>.jsonl`.
pub fn default_path(runs: &Path, runbook: &Path, run_id: &str) -> PathBuf {
    let stem = runbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "runbook".to_owned());
    runs.join(stem).join(format!("{run_id}.jsonl"))
}

/// Makes the directory of a runbook's transcripts under the runs directory
/// (0700), and checks the one that was there already: a real directory of
/// this user that no one else can write, in a directory from which no one
/// else can move it (not writable by others, or sticky). In a shared
/// `LITOPS_RUNS_DIR`, someone else could have made that directory first,
/// or a symbolic link to one of theirs, and then take the transcripts out.
pub fn private_runs_subdir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let refuse = |what: &Path, why: String| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} {why}", what.display()),
        )
    };
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.file_type().is_dir() {
        return Err(refuse(dir, "is not a directory (a symbolic link?)".into()));
    }
    let me = nix::unistd::getuid().as_raw();
    if meta.uid() != me {
        return Err(refuse(
            dir,
            format!("belongs to uid {}, not to you", meta.uid()),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(refuse(
            dir,
            format!("can be written by others (mode {:o})", meta.mode() & 0o7777),
        ));
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        let parent_meta = std::fs::metadata(parent)?;
        let mode = parent_meta.mode();
        // Its owner can rename or remove what is in it, sticky or not.
        if parent_meta.uid() != me && parent_meta.uid() != 0 {
            return Err(refuse(
                parent,
                format!("belongs to uid {}, not to you or root", parent_meta.uid()),
            ));
        }
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Err(refuse(
                parent,
                format!(
                    "can be written by others and is not sticky (mode {:o})",
                    mode & 0o7777
                ),
            ));
        }
    }
    Ok(())
}

/// A run id: UTC time to the second, then 6 hex digits (sorts by time,
/// unique enough for runs started in the same second).
pub fn new_run_id(now: jiff::Timestamp) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.as_nanosecond().unsigned_abs());
    h.write_u32(std::process::id());
    let time = now.strftime("%Y%m%dT%H%M%SZ");
    format!("{time}-{:06x}", h.finish() & 0xff_ffff)
}

/// The commit of the repository holding `path`, if git knows one.
pub fn git_commit(path: &Path) -> Option<String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}
