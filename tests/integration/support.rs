//! Helpers for driving the real binary.

use std::path::{Path, PathBuf};

/// `litops` with a clean, reproducible environment, run from the repo root.
pub fn litops() -> assert_cmd::Command {
    assert_cmd::Command::from_std(litops_std())
}

/// [`litops`] as a plain `std::process::Command` (for [`crate::test::Test`],
/// which manages stdin and the output itself).
pub fn litops_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("litops"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LITOPS_TODAY", "2026-11-24")
        .env("COLUMNS", "100")
        // Transcripts of ordinary tests stay out of the repository.
        .env(
            "LITOPS_RUNS_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("runs"),
        )
        // Tests run the same runbooks at once; each command locks alone
        // unless a test says otherwise.
        .env("LITOPS_LOCK_DIR", unique_lock_dir())
        .current_dir(repo());
    cmd
}

fn unique_lock_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "locks/{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    // A shared lock directory is one an administrator made: litops never
    // creates it.
    std::fs::create_dir_all(&dir).expect("lock directory");
    dir
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub const SEED: &str = "runbooks/kubernetes-operations.md";

/// Recording fakes of `tools` in `dir/fake-bin` (`tests/fakes/recorder`
/// under each name): the PATH that finds them first.
pub fn fake_bin(dir: &Path, tools: &[&str]) -> String {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    for tool in tools {
        std::os::unix::fs::symlink(repo().join("tests/fakes/recorder"), bin.join(tool))
            .expect("link fake");
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
pub const GETTING_STARTED: &str = "runbooks/getting-started.md";

/// Writes `text` as a runbook in a fresh temporary directory.
pub struct TempRunbook {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempRunbook {
    pub fn new(name: &str, text: impl AsRef<[u8]>) -> TempRunbook {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("runbook's directory");
        }
        std::fs::write(&path, text).expect("write runbook");
        TempRunbook { dir, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A runbook in a directory of its own, with runs recorded under
/// `<dir>/runs` (`LITOPS_RUNS_DIR`) and litops started in that directory.
pub struct Workspace {
    pub runbook: TempRunbook,
}

impl Workspace {
    pub fn new(name: &str, text: &str) -> Workspace {
        Workspace {
            runbook: TempRunbook::new(name, text),
        }
    }

    pub fn dir(&self) -> &Path {
        self.runbook.dir.path()
    }

    pub fn runs(&self) -> PathBuf {
        self.dir().join("runs")
    }

    pub fn litops(&self) -> assert_cmd::Command {
        let mut cmd = litops();
        cmd.current_dir(self.dir())
            .env("LITOPS_RUNS_DIR", self.runs());
        cmd
    }
}

/// stdout of a finished command as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Replaces a temporary directory's path in output, for snapshots.
pub fn redact_dir(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[TMP]")
}

/// stdout of a `--json` run (or any JSON-lines output) as values, one per line.
pub fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
