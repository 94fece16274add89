//! Transcripts end to end: written privately and synced, bounded, verified,
//! shown, diffed, resumed, redacted everywhere, and readable after a
//! SIGKILL at any moment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::invisible;
use crate::support::{Workspace, litops, stderr, stdout};

impl Workspace {
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.litops()
            .arg("run")
            .arg(self.runbook.path())
            .args(args)
            .output()
            .expect("runs")
    }

    fn transcripts(&self) -> Vec<PathBuf> {
        let mut all = litops::transcript::read_all(&self.runs());
        all.sort();
        all
    }

    fn records(&self, path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .expect("transcript")
            .lines()
            .map(|l| serde_json::from_str(l).expect("record"))
            .collect()
    }
}

const MAINTENANCE: &str = "---\ntitle: Nightly maintenance\n---\n# Nightly maintenance\n\n## Prepare\n\nSet up.\n\n```bash\nexport STAMP=prepared\necho \"preparing $TARGET\"\n```\n\n## Vacuum\n\n```bash\nfor i in $(seq 1 \"$ROWS\"); do echo \"row $i\"; done\n```\n\n```rhai\nlines(stdout).len() > 0\n```\n\n## Report\n\n```bash\necho \"done with $STAMP\"\ntest \"$ROWS\" -lt 3\n```\n";

#[test]
fn every_run_is_recorded_privately_with_its_provenance() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    // The default place: .litops/runs under the working directory.
    let output = litops()
        .current_dir(ws.dir())
        .env_remove("LITOPS_RUNS_DIR")
        .args(["run", "maint.md", "--set", "TARGET=db1", "--set", "ROWS=2"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let runs = ws.dir().join(".litops/runs/maint");
    let files: Vec<PathBuf> = std::fs::read_dir(&runs)
        .expect("runs dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    let path = &files[0];
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    assert!(
        name.len() == "20261124T231930Z-8c74de.jsonl".len() && name.ends_with(".jsonl"),
        "{name}"
    );
    assert!(stderr(&output).contains(&format!("transcript: .litops/runs/maint/{name}")));
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(path), 0o600);
    assert_eq!(mode(&runs), 0o700);
    let records = ws.records(path);
    let header = &records[0];
    assert_eq!(header["event"], "header");
    assert_eq!(header["schema_version"], 2);
    assert_eq!(header["runbook"], "maint.md");
    assert_eq!(header["title"], "Nightly maintenance");
    assert_eq!(
        header["content_hash"],
        format!(
            "sha256:{}",
            litops::transcript::sha256_hex(MAINTENANCE.as_bytes())
        )
    );
    assert_eq!(header["source"], MAINTENANCE);
    let ids: Vec<&Value> = header["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, ["prepare", "vacuum", "report"]);
    let vars: Vec<(String, String)> = header["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| (v["name"].to_string(), v["value"].to_string()))
        .collect();
    assert!(
        vars.contains(&("\"TARGET\"".into(), "\"db1\"".into())),
        "{vars:?}"
    );
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["seq"], i, "{record}");
        assert!(record["ts"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["event"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"header"));
    assert_eq!(kinds.last(), Some(&"run-finished"));
    assert!(kinds.contains(&"check-finished") && kinds.contains(&"session-saved"));
    let verify = litops()
        .current_dir(ws.dir())
        .env("LITOPS_RUNS_DIR", ".litops/runs")
        .args(["transcript", "verify", "last"])
        .output()
        .expect("runs");
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    assert!(stdout(&verify).starts_with("ok: "), "{}", stdout(&verify));
}

#[test]
fn tampering_is_detected_and_a_cut_last_line_is_incomplete_not_tampering() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    ws.run(&["--set", "TARGET=db1", "--set", "ROWS=2"]);
    let path = ws.transcripts().pop().expect("transcript");
    let original = std::fs::read_to_string(&path).expect("read");
    let verify = |ws: &Workspace| {
        ws.litops()
            .args(["transcript", "verify"])
            .arg(&path)
            .output()
            .expect("runs")
    };
    // A crash mid-write: half a record at the end. Not tampering, but the
    // run's end is not recorded (issue 16): incomplete, exit 8.
    let cut = &original[..original.len() - 20];
    std::fs::write(&path, cut).expect("write");
    let output = verify(&ws);
    assert_eq!(output.status.code(), Some(8), "{}", stdout(&output));
    assert!(
        stdout(&output).starts_with("INCOMPLETE: "),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("cut short"), "{}", stdout(&output));
    // Edited output: the chain breaks at the next record.
    let edited = original.replacen("preparing db1", "preparing db9", 1);
    assert_ne!(edited, original);
    std::fs::write(&path, &edited).expect("write");
    let output = verify(&ws);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("TAMPERED: "),
        "{}",
        stdout(&output)
    );
    // A record removed.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(3);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    assert_eq!(verify(&ws).status.code(), Some(1));
}

#[test]
fn chatty_steps_are_kept_to_head_and_tail() {
    let ws = Workspace::new(
        "maint.md",
        "## Chatty\n\n```bash\nset +o pipefail\nyes 0123456789 | head -c 4000000\necho THE-END\n```\n",
    );
    let output = ws.run(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = ws.transcripts().pop().expect("transcript");
    let size = std::fs::metadata(&path).expect("meta").len();
    assert!(size < 700_000, "{size} bytes");
    let records = ws.records(&path);
    let dropped: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "output-dropped")
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["bytes"], 4_000_000 + 8 - 2 * 256 * 1024);
    let kept: String = records
        .iter()
        .filter(|r| r["event"] == "output")
        .filter_map(|r| r["text"].as_str())
        .collect();
    assert_eq!(kept.len(), 2 * 256 * 1024);
    assert!(kept.starts_with("0123456789\n") && kept.ends_with("THE-END\n"));
}

#[test]
fn show_renders_the_executed_runbook() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    let output = ws.run(&["--set", "TARGET=db1", "--set", "ROWS=3"]);
    assert_eq!(output.status.code(), Some(1), "the report step fails");
    let show = ws
        .litops()
        .args(["transcript", "show", "last"])
        .output()
        .expect("runs");
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    stable().bind(|| insta::assert_snapshot!("transcript_show_markdown", stdout(&show)));
    let html = ws
        .litops()
        .args(["transcript", "show", "last", "--format", "html"])
        .output()
        .expect("runs");
    let html = stdout(&html);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<code class=\"language-bash\">"), "{html}");
    assert!(!html.contains("http"), "no network requests: {html}");
}

#[test]
fn diff_compares_two_runs_step_by_step() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    ws.run(&["--set", "TARGET=db1", "--set", "ROWS=2"]);
    std::thread::sleep(Duration::from_millis(1100));
    ws.run(&["--set", "TARGET=db1", "--set", "ROWS=4"]);
    let all = ws.transcripts();
    assert_eq!(all.len(), 2);
    let output = ws.litops().arg("diff").args(&all).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "the runs differ");
    stable().bind(|| insta::assert_snapshot!("diff_two_runs", stdout(&output)));
    let same = ws
        .litops()
        .arg("diff")
        .args([&all[0], &all[0]])
        .arg("--summary")
        .output()
        .expect("runs");
    assert_eq!(same.status.code(), Some(0));
    assert!(
        stdout(&same).contains("0 of 3 steps differ"),
        "{}",
        stdout(&same)
    );
}

#[test]
fn list_shows_each_run_with_its_outcome() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    ws.run(&["--set", "TARGET=db1", "--set", "ROWS=2"]);
    let output = ws
        .litops()
        .args(["transcript", "list", "--json"])
        .output()
        .expect("runs");
    let rows: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["outcome"], "success");
    assert_eq!(rows[0]["succeeded"], 3);
    let output = ws
        .litops()
        .args(["transcript", "list"])
        .output()
        .expect("runs");
    assert!(stdout(&output).starts_with("RUN "), "{}", stdout(&output));
    assert!(stdout(&output).contains(" success "), "{}", stdout(&output));
}

#[test]
fn resume_continues_with_the_session_and_refuses_a_changed_runbook() {
    let ws = Workspace::new("maint.md", MAINTENANCE);
    let output = ws.run(&["--set", "TARGET=db1", "--set", "ROWS=3"]);
    assert_eq!(output.status.code(), Some(1));
    // The same values, and the session (STAMP) the first steps left.
    let edited = MAINTENANCE.replace("test \"$ROWS\" -lt 3", "test \"$ROWS\" -lt 9");
    std::fs::write(ws.runbook.path(), &edited).expect("edit");
    let refused = ws.litops().args(["resume", "last"]).output().expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert!(err.contains("changed steps:\n  ~ report\n"), "{err}");
    assert!(
        err.contains("-test \"$ROWS\" -lt 3") && err.contains("+test \"$ROWS\" -lt 9"),
        "{err}"
    );
    let output = ws
        .litops()
        .args(["resume", "last", "--force"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("done with prepared"), "{out}");
    assert!(
        !out.contains("preparing"),
        "completed steps do not run again: {out}"
    );
    assert!(
        stderr(&output).contains("resuming run "),
        "{}",
        stderr(&output)
    );
    let all = ws.transcripts();
    assert_eq!(all.len(), 1, "a resumed run adds to its transcript");
    let verify = ws
        .litops()
        .args(["transcript", "verify"])
        .arg(&all[0])
        .output()
        .expect("runs");
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    let again = ws.litops().args(["resume", "last"]).output().expect("runs");
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("nothing to resume"),
        "{}",
        stderr(&again)
    );
}

/// A session value is restored byte for byte (control characters come back
/// from `declare -p`'s `$'…'` escapes), or, when it is not UTF-8, not at
/// all and named: never with its bytes replaced.
#[test]
fn resume_restores_session_values_exactly_or_names_them() {
    let ws = Workspace::new(
        "bytes.md",
        "## Set\n\n```bash\nV=$(printf 'a\\377z'); W=$(printf 'a\\001\\033\\177\\x1d7z')\n```\n\n\
## Use\n\n```bash\ntest -e go\nprintf '%s' \"${V-unset}\" | od -An -tx1\nprintf '%s' \"$W\" | od -An -tx1\n```\n",
    );
    let output = ws.run(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    std::fs::write(ws.dir().join("go"), "").expect("write");
    let output = ws.litops().args(["resume", "last"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let lost: Vec<&str> = err
        .lines()
        .find_map(|l| l.strip_prefix("warning: not restored from the saved session"))
        .and_then(|l| l.split_once("): "))
        .map(|(_, names)| names.split(", ").collect())
        .unwrap_or_default();
    assert!(lost.contains(&"V") && !lost.contains(&"W"), "{err}");
    let out = stdout(&output);
    assert!(out.contains(" 75 6e 73 65 74"), "V is unset: {out}");
    assert!(
        out.contains(" 61 01 1b 7f 1d 37 7a"),
        "W byte for byte: {out}"
    );
}

#[test]
fn a_transcript_that_cannot_be_written_stops_the_run_before_it_starts() {
    // Places no one can create a transcript in, root included: under a
    // file, and in /proc (where directories cannot be made).
    let ws = Workspace::new("maint.md", "## A\n\n```bash\ntouch ran\n```\n");
    std::fs::write(ws.dir().join("not-a-dir"), "").expect("file");
    for runs in [
        ws.dir().join("not-a-dir/runs"),
        PathBuf::from("/proc/litops-runs"),
    ] {
        let output = ws
            .litops()
            .env("LITOPS_RUNS_DIR", &runs)
            .arg("run")
            .arg(ws.runbook.path())
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("nothing was run"),
            "{}",
            stderr(&output)
        );
        assert!(!ws.dir().join("ran").exists());
    }
}

#[test]
fn a_transcript_on_a_full_disk_stops_the_run_before_the_next_step() {
    // /dev/full accepts the open and fails every write with ENOSPC.
    let ws = Workspace::new("maint.md", "## A\n\n```bash\ntouch ran\n```\n");
    let output = ws.run(&["--transcript", "/dev/full"]);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(!ws.dir().join("ran").exists());
}

/// Snapshot settings that hide what changes between runs: times,
/// durations, run ids, hashes, the user and host.
fn stable() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (pattern, with) in [
        (r"\d{8}T\d{6}Z-[0-9a-f]{6}", "[RUN]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (r"\b\d+\.\ds\b", "[DURATION]"),
        (r"sha256:[0-9a-f]{64}", "sha256:[HASH]"),
        (r"\| By \| [^|]+ \|", "| By | [USER] |"),
        (r"/[^ `]*/\.tmp[A-Za-z0-9]{6}", "[TMP]"),
    ] {
        settings.add_filter(pattern, with);
    }
    settings
}

#[test]
fn secrets_reach_no_artefact() {
    let ws = Workspace::new(
        "maint.md",
        "---\nlitops:\n  vars:\n    DB_PASSWORD:\n      secret: true\n---\n# Secrets\n\n## Use them\n\n```bash\necho \"password=$DB_PASSWORD\"\nprintf 'cert=%s\\n' \"$TLS_CERT\"\n# split across two writes\nprintf '%s' \"${API_TOKEN:0:5}\"; sleep 0.1; printf '%s\\n' \"${API_TOKEN:5}\"\necho \"$DB_PASSWORD\" >&2\n```\n\n```rhai\nfail(\"saw \" + stdout)\n```\n",
    );
    let secret_file = ws.dir().join("cert.pem");
    std::fs::write(&secret_file, "cert-XYZ-987654\n").expect("write");
    let secrets = ["hunter2-pw", "cert-XYZ-987654", "tok-ABCDEFGHIJKL"];
    let args = [
        "--set".to_owned(),
        "DB_PASSWORD=hunter2-pw".to_owned(),
        "--secret-file".to_owned(),
        format!("TLS_CERT={}", secret_file.display()),
    ];
    let mut artefacts = Vec::new();
    for json in [false, true] {
        let mut cmd = ws.litops();
        cmd.env("API_TOKEN", "tok-ABCDEFGHIJKL")
            .env("LITOPS_LOG", "trace")
            .arg("run")
            .arg(ws.runbook.path())
            .args(&args);
        if json {
            cmd.arg("--json");
        }
        let output = cmd.output().expect("runs");
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        artefacts.push(("stdout", stdout(&output)));
        artefacts.push(("stderr (terminal and logs)", stderr(&output)));
    }
    for path in ws.transcripts() {
        artefacts.push(("transcript", std::fs::read_to_string(&path).expect("read")));
        let show = ws
            .litops()
            .args(["transcript", "show"])
            .arg(&path)
            .output()
            .expect("runs");
        artefacts.push(("transcript show", stdout(&show)));
    }
    assert_eq!(artefacts.len(), 8);
    for (what, text) in &artefacts {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} holds {secret}:\n{text}");
        }
    }
    let all: String = artefacts.iter().map(|(_, t)| t.as_str()).collect();
    for mask in [
        "[REDACTED:DB_PASSWORD]",
        "[REDACTED:TLS_CERT]",
        "[REDACTED:API_TOKEN]",
    ] {
        assert!(all.contains(mask), "{mask} never shown");
    }
    // The logs are there, and masked too.
    assert!(all.contains("DEBUG litops::exec: bound"), "{all}");
}

#[test]
fn sigkill_at_random_moments_then_resume_loses_and_repeats_nothing() {
    let mut text = String::from("# Ten steps\n");
    for i in 1..=10 {
        text.push_str(&format!(
            "\n## Step {i}\n\n```bash\nsleep 0.02\necho {i} >> \"$LOG\"\n```\n"
        ));
    }
    // A fixed-seed generator: the same 20 moments on every run of the test.
    let mut seed: u64 = 0x5eed_1e55;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % 450
    };
    for trial in 0..20 {
        let ws = Workspace::new("maint.md", &text);
        let log = ws.dir().join("log");
        let marker = format!("litops-crash-{}-{trial}", std::process::id());
        let delay = Duration::from_millis(5 + next());
        let bin = assert_cmd::cargo::cargo_bin!("litops");
        let mut child = std::process::Command::new(bin)
            .current_dir(ws.dir())
            .env("LITOPS_RUNS_DIR", ws.runs())
            .env("LOG", &log)
            .env("CRASH_MARKER", &marker)
            .args(["run", "maint.md", "--unattended"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let sessions = session_dirs(&marker);
        let _ = child.kill();
        let _ = child.wait();
        // The step in flight is terminated through the zygote; wait for it.
        wait_until_gone(&marker);

        let before: Vec<u32> = read_log(&log);
        let transcript = ws.transcripts().pop();
        let completed_before = match &transcript {
            Some(path) => {
                let verify = ws
                    .litops()
                    .args(["transcript", "verify"])
                    .arg(path)
                    .output()
                    .expect("runs");
                // Killed: the chain holds, and the run's end is missing
                // (exit 8) unless the kill came after it was written.
                assert!(
                    matches!(verify.status.code(), Some(0 | 8))
                        && stdout(&verify).contains("chain intact"),
                    "trial {trial} ({delay:?}): {}",
                    stdout(&verify)
                );
                finished_steps(&ws.records(path))
            }
            None => Vec::new(),
        };
        let resumed = match &transcript {
            Some(_) => ws
                .litops()
                .env("LOG", &log)
                .args(["resume", "last"])
                .output()
                .expect("runs"),
            None => ws
                .litops()
                .env("LOG", &log)
                .args(["run", "maint.md"])
                .output()
                .expect("runs"),
        };
        let log_now = read_log(&log);
        // The killed run's session files (they hold bound values) are gone:
        // removed by its step shell, or by the next run.
        for dir in &sessions {
            assert!(
                !dir.exists(),
                "trial {trial}: {} left behind",
                dir.display()
            );
        }
        let all_done = completed_before.len() == 10;
        if all_done {
            assert_eq!(resumed.status.code(), Some(2), "nothing to resume");
        } else {
            assert_eq!(
                resumed.status.code(),
                Some(0),
                "trial {trial} ({delay:?}): {}",
                stderr(&resumed)
            );
        }
        // Every step ran, in order; a step recorded as finished ran once;
        // only the one in flight at the kill may have run twice.
        let mut distinct = log_now.clone();
        distinct.dedup();
        assert_eq!(
            distinct,
            (1..=10).collect::<Vec<u32>>(),
            "trial {trial}: {log_now:?}"
        );
        for step in &completed_before {
            let n: u32 = step
                .trim_start_matches("step-")
                .parse()
                .expect("step number");
            let count = log_now.iter().filter(|&&x| x == n).count();
            assert_eq!(
                count, 1,
                "trial {trial}: completed step {n} ran {count} times"
            );
        }
        assert!(
            log_now.len() <= 11,
            "trial {trial}: {log_now:?} (before the kill: {before:?})"
        );
        let path = ws
            .transcripts()
            .pop()
            .expect("a transcript after the resume");
        let view = litops::transcript::RunView::of(
            &litops::transcript::Transcript::read(&path).expect("reads back"),
        );
        assert!(
            view.steps.iter().all(|s| s.state == "success"),
            "trial {trial}: {:?}",
            view.steps.iter().map(|s| &s.state).collect::<Vec<_>>()
        );
    }
}

fn read_log(path: &Path) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect()
}

fn finished_steps(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["event"] == "step-finished" && r["outcome"] == "success")
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until no process carries `marker` in its environment.
fn wait_until_gone(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let alive = processes_with(marker);
        if alive.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("processes of {marker} still running after 20 s: {alive:#?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The session directories of the step shells of a run (from their command lines).
fn session_dirs(marker: &str) -> Vec<PathBuf> {
    processes_with(marker)
        .iter()
        .flat_map(|p| p.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|word| word.contains("/litops-session-"))
        .map(PathBuf::from)
        .collect()
}

/// `pid: command line [state]` of each process with `marker` in its environment.
fn processes_with(marker: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
        .map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            format!(
                "{}: {} [{}]",
                e.file_name().to_string_lossy(),
                String::from_utf8_lossy(&cmd).replace('\0', " "),
                stat.split_whitespace().nth(2).unwrap_or("?")
            )
        })
        .collect()
}

/// `transcript show --format html` shows the runbook's raw HTML and links to
/// script as text; its comments (annotations, notes) are not in the page.
#[test]
fn raw_html_and_script_links_in_a_transcript_page_are_shown_not_run() {
    let ws = Workspace::new(
        "maint.md",
        "---\ntitle: Page\n---\n# Page\n\n<script>alert('block')</script>\n\nSee <img src=x onerror=alert(1)> and [this](javascript:alert('link')).\n\n<!-- internal-note: ask ops -->\n\n<!-- litops: name=greet -->\n```bash\necho '<iframe src=x>'\n```\n",
    );
    let output = ws.run(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let show = ws
        .litops()
        .args(["transcript", "show", "last", "--format", "html"])
        .output()
        .expect("runs");
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let html = stdout(&show);
    for active in [
        "<script",
        "<img src=x",
        "href=\"javascript:",
        "<iframe",
        "internal-note",
        "litops:",
        "<!--",
    ] {
        assert!(!html.contains(active), "{active} reached the page:\n{html}");
    }
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(
        html.contains("&lt;iframe src=x&gt;"),
        "the output, as text: {html}"
    );
}

/// Escape sequences a step printed (clipboard write, screen clear, title,
/// cursor moves, links) or the runbook holds are shown by `transcript
/// show`, `transcript list` and `diff`, never sent raw to the terminal.
#[test]
fn recorded_terminal_escapes_are_shown_not_replayed() {
    let ws = Workspace::new(
        "maint.md",
        "---\ntitle: Escapes\n---\n# Escapes \u{1b}]0;pwned-title\u{7}\n\nProse \u{1b}[2J\u{1b}[H with a \u{202e}reversal.\n\n```bash\nprintf '\\033]52;c;cm0gLXJmIH4=\\007\\033[2J\\033[1A\\033]8;;https://evil.example\\033\\\\link\\033]8;;\\033\\\\ \\233\\r\\n'\nprintf 'progress\\rdone\\n'\n```\n",
    );
    for _ in 0..2 {
        let output = ws.run(&[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let show = ws
        .litops()
        .args(["transcript", "show", "last"])
        .output()
        .expect("runs");
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let runs: Vec<String> = ws
        .transcripts()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let diff = ws
        .litops()
        .args(["diff", &runs[0], &runs[1]])
        .output()
        .expect("runs");
    let list = ws
        .litops()
        .args(["transcript", "list"])
        .output()
        .expect("runs");
    for (what, output) in [("show", &show), ("diff", &diff), ("list", &list)] {
        // A carriage return before a newline hides nothing.
        let text = stdout(output).replace("\r\n", "\n");
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || invisible(c))
            .collect();
        assert!(raw.is_empty(), "{what} printed {raw:?}:\n{text}");
    }
    let text = stdout(&show);
    assert!(text.contains("␛]52;c;cm0gLXJmIH4=␇␛[2J␛[1A"), "{text}");
    assert!(text.contains("# Escapes ␛]0;pwned-title␇"), "{text}");
    assert!(text.contains("\\u{202e}reversal"), "{text}");
    assert!(text.contains("progress␍done"), "{text}");
}

#[test]
fn i15_json_events_and_transcript_records_are_one_format() {
    let ws = Workspace::new(
        "bytes.md",
        "# Bytes\n\n```bash {#bytes}\nprintf 'caf\\xe9\\n'\necho text\n```\n",
    );
    let output = ws.run(&["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events = crate::support::json_lines(&output);
    assert_eq!(events[0]["event"], "run-started");
    assert_eq!(events[0]["schema_version"], 2);
    // Output that is not UTF-8 is base64, not lossy text: nothing is lost.
    let chunks: Vec<&Value> = events.iter().filter(|e| e["event"] == "output").collect();
    assert!(chunks.iter().any(|e| e["base64"].is_string()), "{chunks:?}");
    assert!(chunks.iter().all(|e| e.get("data").is_none()), "{chunks:?}");
    // The transcript's records are the same objects in their envelope.
    let all = ws.transcripts();
    let mut records: Vec<Value> = ws.records(&all[0]);
    assert_eq!(records[0]["schema_version"], 2);
    for r in &mut records {
        if let Value::Object(map) = r {
            for envelope in ["seq", "ts", "prev", "printed_at"] {
                map.remove(envelope);
            }
        }
    }
    let recorded: Vec<&Value> = records[1..]
        .iter()
        .filter(|r| r["event"] != "session-saved")
        .collect();
    assert_eq!(recorded, events.iter().collect::<Vec<_>>());
}

/// A transcript written by the previous release (schema 1, made by that
/// release's binary, see tests/fixtures/transcripts/README.md) reads as it
/// did: `show`, `show --format json` and `verify` print what that release
/// printed (`verify` adds that it is not sealed).
#[test]
fn i15_a_transcript_of_schema_1_reads_as_it_did() {
    let dir = crate::support::repo().join("tests/fixtures/transcripts");
    for (args, expected) in [
        (&["show"][..], "v1-demo.show.md"),
        (&["show", "--format", "json"][..], "v1-demo.show.json"),
        (&["verify"][..], "v1-demo.verify.txt"),
    ] {
        let output = litops()
            .current_dir(crate::support::repo())
            .env("NO_COLOR", "1")
            .arg("transcript")
            .arg(args[0])
            .arg("tests/fixtures/transcripts/v1-demo.jsonl")
            .args(&args[1..])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let mut expected = std::fs::read_to_string(dir.join(expected)).expect("fixture");
        if args[0] == "verify" {
            // What that release said, and that it is not sealed (issue 16).
            expected = expected.replace('\n', "; not sealed\n");
        }
        assert_eq!(stdout(&output), expected, "transcript {args:?}");
    }
}
