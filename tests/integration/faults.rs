//! Fault injection: what litops does when its surroundings misbehave. A
//! home it cannot write, no bash, a step that closes its stdout, output
//! that is not UTF-8 or is one 10 MB line, SIGTERM in the middle of a step
//! (its transcript must say so). Disk-full and read-only transcript
//! directories are in `transcripts.rs`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};

fn records(dir: &std::path::Path) -> Vec<Value> {
    let path = litops::transcript::read_all(dir)
        .pop()
        .expect("a transcript");
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn an_unwritable_home_changes_nothing() {
    let runbook = TempRunbook::new("h.md", "## A\n\n```bash\necho fine\n```\n");
    let output = litops()
        .current_dir(runbook.dir.path())
        .env("HOME", "/proc/no-such-home")
        .env("LITOPS_RUNS_DIR", runbook.dir.path().join("runs"))
        .args(["run", "h.md"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("fine"));
}

#[test]
fn no_bash_on_path_is_a_clear_usage_error() {
    let runbook = TempRunbook::new("b.md", "## A\n\n```bash\ntrue\n```\n");
    let empty = tempfile::tempdir().expect("tempdir");
    let output = litops()
        .current_dir(runbook.dir.path())
        .env("PATH", empty.path())
        .args(["run", "b.md", "--no-transcript"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot find the shell `bash` (--shell)\n"
    );
}

#[test]
fn a_step_that_closes_its_stdout_does_not_hang_the_run() {
    let runbook = TempRunbook::new(
        "c.md",
        "## Close\n\n```bash\necho before\nexec >&-\necho after-on-stderr >&2\n```\n\n## Next\n\n```bash\necho next-ran\n```\n",
    );
    let started = Instant::now();
    let output = litops()
        .current_dir(runbook.dir.path())
        .args(["run", "c.md", "--no-transcript"])
        .output()
        .expect("runs");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("before\n"));
    assert!(stderr(&output).contains("after-on-stderr"));
    assert!(stdout(&output).contains("next-ran"));
}

#[test]
fn invalid_utf8_and_a_ten_megabyte_line_are_kept_exactly_and_bounded() {
    let runbook = TempRunbook::new(
        "u.md",
        "## Bytes\n\n```bash\nprintf 'caf\\xe9 \\xff\\xfe\\n'\nhead -c 10000000 /dev/zero | tr '\\0' x\necho\n```\n",
    );
    let runs = runbook.dir.path().join("runs");
    let output = litops()
        .current_dir(runbook.dir.path())
        .env("LITOPS_RUNS_DIR", &runs)
        .args(["run", "u.md"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The terminal gets the bytes as written.
    let out = &output.stdout;
    let start = out
        .windows(4)
        .position(|w| w == b"caf\xe9")
        .expect("the invalid bytes are passed through");
    assert_eq!(&out[start..start + 8], b"caf\xe9 \xff\xfe\n");
    let xs = out.iter().filter(|&&b| b == b'x').count();
    assert!(xs >= 10_000_000, "{xs}");
    // The transcript keeps head and tail, the rest counted; bytes that are
    // not UTF-8 are base64, so nothing is lost in what is kept.
    let records = records(&runs);
    let dropped: u64 = records
        .iter()
        .filter(|r| r["event"] == "output-dropped")
        .filter_map(|r| r["bytes"].as_u64())
        .sum();
    assert!(dropped > 9_000_000, "{dropped}");
    let first = records
        .iter()
        .find(|r| r["event"] == "output")
        .expect("output");
    assert!(first["base64"].is_string(), "{first}");
    let path = litops::transcript::read_all(&runs)
        .pop()
        .expect("transcript");
    assert!(std::fs::metadata(path).expect("meta").len() < 1_000_000);
}

#[test]
fn sigterm_mid_step_is_recorded_in_the_transcript() {
    let marker = "1025.75";
    let runbook = TempRunbook::new(
        "t.md",
        format!(
            "## Wait\n\n```bash\nsleep {marker}\n```\n\n## Never\n\n```bash\necho never\n```\n"
        ),
    );
    let runs = runbook.dir.path().join("runs");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("litops"))
        .current_dir(runbook.dir.path())
        .env("LITOPS_RUNS_DIR", &runs)
        .args(["run", "t.md", "--grace", "1s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten().any(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
            })
        })
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    assert_eq!(child.wait().expect("wait").code(), Some(130));
    let records = records(&runs);
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["event"].as_str()).collect();
    assert!(kinds.contains(&"run-interrupted"), "{kinds:?}");
    let finished = records
        .iter()
        .find(|r| r["event"] == "step-finished")
        .expect("the step's end is recorded");
    assert_eq!(finished["outcome"], "interrupted");
    let last = records.last().expect("records");
    assert_eq!(last["event"], "run-finished");
    assert_eq!(last["exit_code"], 130);
    let started: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "step-started")
        .collect();
    assert_eq!(started.len(), 1, "the second step never started");
}
