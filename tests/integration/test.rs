//! Tests that read like specifications: a runbook, the arguments and stdin
//! of one `litops` command, and the exact stdout, stderr and exit status it
//! must give.
//!
//! ```ignore
//! Test::new()
//!     .runbook("## A\n\n```bash\necho hi\n```\n")
//!     .args(["run", "runbook.md", "--no-transcript"])
//!     .stdout_contains("hi\n")
//!     .stderr("")
//!     .run();
//! ```
//!
//! Each test gets a fresh temporary directory: the runbook (`runbook.md`;
//! another name with [`Test::file`]) and other files are written there,
//! and litops runs in it with `LITOPS_RUNS_DIR=$DIR/runs`,
//! `LITOPS_LOCK_DIR=$DIR/locks` (created), `NO_COLOR=1`, `COLUMNS=100`,
//! `XDG_CONFIG_HOME=$DIR/config` (no approval policy unless a test gives one),
//! stdin empty (so the run is unattended) unless [`Test::stdin`] gives
//! text. Wherever the directory's path appears in stdout or stderr it is
//! replaced by `$DIR` before comparing, so expectations are written with
//! `$DIR`. Unless told otherwise, stdout and stderr must be empty and the
//! exit status 0. Transcripts add a run id and times to stderr: tests not
//! about transcripts pass `--no-transcript`.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::litops_std;

/// What a stream must hold.
enum Expect {
    /// Exactly this text.
    Exact(String),
    /// Each of these, in any order (output that is not deterministic).
    Contains(Vec<String>),
}

impl Expect {
    fn contains(&mut self, text: &str) {
        match self {
            Expect::Contains(parts) => parts.push(text.to_owned()),
            Expect::Exact(_) => *self = Expect::Contains(vec![text.to_owned()]),
        }
    }

    /// Why `actual` does not meet the expectation, if it does not.
    fn mismatch(&self, stream: &str, actual: &str) -> Option<String> {
        match self {
            Expect::Exact(want) if want != actual => Some(format!(
                "{stream} differs (-expected +actual):\n{}",
                similar::TextDiff::from_lines(want.as_str(), actual)
                    .unified_diff()
                    .header("expected", "actual")
            )),
            Expect::Exact(_) => None,
            Expect::Contains(parts) => {
                let missing: Vec<&String> = parts.iter().filter(|p| !actual.contains(*p)).collect();
                (!missing.is_empty())
                    .then(|| format!("{stream} lacks {missing:?}; it is:\n{actual}"))
            }
        }
    }
}

/// One `litops` command and what it must do.
#[must_use = "a Test does nothing until .run()"]
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    stdout: Expect,
    stderr: Expect,
    status: i32,
}

/// A finished command: its output (`$DIR` in place of the directory) and
/// the directory, for checks beyond stdout, stderr and status.
pub struct Ran {
    pub dir: tempfile::TempDir,
    env: Vec<(OsString, OsString)>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// A path inside the test's directory.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The next command, in the same directory: its files, runs, locks
    /// and `.env` variables are kept (`plan`, then `approve`, then `run`).
    pub fn then(self) -> Test {
        let mut next = Test::in_dir(self.dir);
        next.env = self.env;
        next
    }
}

impl Default for Test {
    fn default() -> Test {
        Test::new()
    }
}

impl Test {
    pub fn new() -> Test {
        let dir = tempfile::tempdir().expect("tempdir");
        // Made beforehand, as an administrator makes a shared one.
        std::fs::create_dir_all(dir.path().join("locks")).expect("lock directory");
        Test::in_dir(dir)
    }

    fn in_dir(dir: tempfile::TempDir) -> Test {
        Test {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
            status: 0,
        }
    }

    /// The test's directory (litops's working directory), for paths a test
    /// needs before it runs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The runbook's text, written as `runbook.md` (at once: a test can
    /// work out paths that depend on it before it runs).
    pub fn runbook(self, text: &str) -> Test {
        self.file("runbook.md", text)
    }

    /// Any file in the test's directory (parents are created), written at
    /// once; a runbook of another name is one.
    pub fn file(self, path: impl AsRef<Path>, text: impl AsRef<[u8]>) -> Test {
        write(&self.dir().join(path), text.as_ref());
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An environment variable, over the defaults.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Text on stdin (a pipe: the run is still unattended).
    pub fn stdin(mut self, text: impl AsRef<[u8]>) -> Test {
        self.stdin = Some(text.as_ref().to_vec());
        self
    }

    pub fn stdout(mut self, text: impl Into<String>) -> Test {
        self.stdout = Expect::Exact(text.into());
        self
    }

    pub fn stderr(mut self, text: impl Into<String>) -> Test {
        self.stderr = Expect::Exact(text.into());
        self
    }

    /// Only where stdout is not deterministic: it must contain `text`
    /// (repeatable; replaces an exact expectation).
    pub fn stdout_contains(mut self, text: &str) -> Test {
        self.stdout.contains(text);
        self
    }

    /// Only where stderr is not deterministic, as [`Test::stdout_contains`].
    pub fn stderr_contains(mut self, text: &str) -> Test {
        self.stderr.contains(text);
        self
    }

    /// The exit status (default 0).
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// Runs the command; panics with every expectation it missed (a
    /// unified diff for exact text).
    pub fn run(self) -> Ran {
        let dir = self.dir.path();
        let mut cmd = litops_std();
        cmd.current_dir(dir)
            .env("LITOPS_RUNS_DIR", dir.join("runs"))
            .env("LITOPS_LOCK_DIR", dir.join("locks"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            // The machine's approval policy (a user's or /etc's) stays out:
            // tests give theirs with flags.
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env_remove("LITOPS_APPROVAL_POLICY")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("litops starts");
        // Written while the output is read, so that neither side waits on a
        // full pipe.
        let feeder = match (child.stdin.take(), self.stdin.clone()) {
            (Some(mut pipe), Some(input)) => Some(std::thread::spawn(move || {
                // A command that exits without reading closes the pipe: not a failure here.
                let _ = pipe.write_all(&input);
            })),
            _ => None,
        };
        let output = child.wait_with_output().expect("litops finishes");
        if let Some(feeder) = feeder {
            feeder.join().expect("stdin written");
        }
        let stdout = redact(&String::from_utf8_lossy(&output.stdout), dir);
        let stderr = redact(&String::from_utf8_lossy(&output.stderr), dir);
        let mut failures: Vec<String> = Vec::new();
        if output.status.code() != Some(self.status) {
            failures.push(format!(
                "exit status {:?}, expected {}",
                output.status.code(),
                self.status
            ));
        }
        failures.extend(self.stdout.mismatch("stdout", &stdout));
        failures.extend(self.stderr.mismatch("stderr", &stderr));
        if !failures.is_empty() {
            panic!(
                "litops {:?} in $DIR={}:\n{}\n--- stdout:\n{stdout}--- stderr:\n{stderr}",
                self.args,
                dir.display(),
                failures.join("\n")
            );
        }
        Ran {
            dir: self.dir,
            env: self.env,
            stdout,
            stderr,
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent directory");
    }
    std::fs::write(path, bytes).expect("write file");
}

/// The directory's path, and its canonical form (they differ where the
/// temporary directory is reached through a symbolic link), become `$DIR`.
fn redact(text: &str, dir: &Path) -> String {
    let mut text = text.to_owned();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut paths = vec![dir.display().to_string(), canonical.display().to_string()];
    // The longer first, so that neither leaves a piece of the other.
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in paths {
        text = text.replace(&path, "$DIR");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_text_that_differs_is_shown_as_a_unified_diff() {
        let want = Expect::Exact("a\nb\nc\n".to_owned());
        assert_eq!(want.mismatch("stdout", "a\nb\nc\n"), None);
        assert_eq!(
            want.mismatch("stdout", "a\nB\nc\n").as_deref(),
            Some(
                "stdout differs (-expected +actual):\n--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
            )
        );
    }

    #[test]
    fn contains_names_what_is_missing() {
        let mut want = Expect::Exact(String::new());
        want.contains("one");
        want.contains("two");
        assert_eq!(want.mismatch("stderr", "one two"), None);
        assert_eq!(
            want.mismatch("stderr", "one").as_deref(),
            Some("stderr lacks [\"two\"]; it is:\none")
        );
    }

    #[test]
    fn the_directory_becomes_dollar_dir() {
        assert_eq!(
            redact("/tmp/x/runbook.md and /tmp/x\n", Path::new("/tmp/x")),
            "$DIR/runbook.md and $DIR\n"
        );
    }

    /// Answers on a pipe approve nothing: the run is unattended.
    #[test]
    fn stdin_is_a_pipe_so_the_run_is_unattended() {
        let ran = Test::new()
            .runbook("# T\n\n## A\n\n```bash {confirm}\ntouch ran\n```\n")
            .args(["run", "runbook.md", "--no-transcript"])
            .stdin("y\n")
            .stderr("error: 1 gated step is not approved; nothing was run:\n  a  (marked `confirm`)\napprove them with --approve ID (repeatable) or all with --yes\n")
            .status(4)
            .run();
        assert!(!ran.path("ran").exists());
    }

    #[test]
    #[should_panic(expected = "exit status Some(0), expected 3")]
    fn a_wrong_status_fails_the_test() {
        Test::new()
            .args(["--version"])
            .stdout_contains("litops")
            .status(3)
            .run();
    }
}
