//! Commands that never end by themselves (`logs -f`, `port-forward`,
//! `tail -f`): unattended runs refuse them up front, or follow them for
//! `stream=DURATION` and go on.

use crate::support::{TempRunbook, litops, stderr, stdout};
use crate::test::Test;

const LOGS: &str =
    "# Logs\n\n## Follow\n\n```bash\necho before\ntail -f \"$LOG\"\necho after\n```\n";

fn run(runbook: &TempRunbook, log: &std::path::Path) -> std::process::Output {
    litops()
        .current_dir(runbook.dir.path())
        .env("LOG", log)
        .env("NO_COLOR", "1")
        .arg("run")
        .arg(runbook.path())
        .args(["--unattended", "--no-transcript"])
        .output()
        .expect("runs")
}

#[test]
fn an_unattended_run_refuses_a_command_that_never_ends() {
    let runbook = TempRunbook::new("logs.md", LOGS);
    let log = runbook.dir.path().join("app.log");
    std::fs::write(&log, "line\n").expect("log");
    let output = run(&runbook, &log);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: 1 step never ends by itself; nothing was run:\n  follow: tail -f \"$LOG\" (follows the file until stopped)\nbound them with stream=DURATION on the step (followed that long, then ended as a success), or leave them out with --step/--section/--from/--to\n"
    );
}

#[test]
fn stream_follows_for_that_long_then_goes_on() {
    let runbook = TempRunbook::new(
        "logs.md",
        LOGS.replace("```bash\n", "<!-- litops: stream=1s -->\n```bash\n"),
    );
    let log = runbook.dir.path().join("app.log");
    std::fs::write(&log, "line one\n").expect("log");
    let output = run(&runbook, &log);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("\nbefore\nline one\nafter\n"), "{text}");
    // The plan shows what runs.
    let plan = litops()
        .args(["plan", "--color", "never"])
        .arg(runbook.path())
        .output()
        .expect("plans");
    assert!(
        stdout(&plan).contains("     │ __litops_stream 1 tail -f \"$LOG\"\n"),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn stream_cannot_bound_a_command_behind_a_pipe() {
    let runbook = TempRunbook::new(
        "logs.md",
        "# Logs\n\n## Follow\n\n<!-- litops: stream=1s -->\n```bash\ncat /dev/null | tail -f /dev/null\n```\n",
    );
    let output = run(&runbook, std::path::Path::new("/dev/null"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "error: step follow: stream= cannot bound `cat /dev/null | tail -f /dev/null`: the command that never ends must come first in its line, with no NAME=value before it\n"
    );
}

/// A fake `kubectl` that says whether it has a terminal.
fn tty_probe(dir: &std::path::Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let fake = bin.join("kubectl");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ -t 0 ] && [ -t 1 ]; then echo \"tty for $*\"; else echo \"no tty for $*\"; fi\n",
    )
    .expect("fake");
    let mut perms = std::fs::metadata(&fake).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).expect("chmod");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn a_command_that_asks_for_a_terminal_gets_one_unattended() {
    let runbook = TempRunbook::new(
        "debug.md",
        "# Debug\n\n## Probe\n\n```bash\nkubectl run -it --rm debug --image=curl --restart=Never -- curl -s http://api\n```\n",
    );
    let output = litops()
        .env("PATH", tty_probe(runbook.dir.path()))
        .arg("run")
        .arg(runbook.path())
        .args(["--unattended", "--no-transcript", "--color", "never"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(
            "\ntty for run -it --rm debug --image=curl --restart=Never -- curl -s http://api"
        ),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_shell_that_waits_for_a_person_is_refused_unattended() {
    let runbook = TempRunbook::new(
        "shell.md",
        "# Shell\n\n## Inside\n\n```bash\nkubectl exec -it deploy/api -- bash\n```\n",
    );
    let output = litops()
        .env("PATH", tty_probe(runbook.dir.path()))
        .arg("run")
        .arg(runbook.path())
        .args(["--unattended", "--no-transcript"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "error: 1 step waits for a person to type; nothing was run:\n  inside: kubectl exec -it deploy/api -- bash (opens a shell that waits for a person)\nrun them interactively, mark them `manual`, or leave them out with --step/--section/--from/--to\n"
    );
}

/// Issue 13, item 4: a step that prints nothing for a while is reported as
/// still running (on the terminal and in the transcript), never stopped for
/// being quiet; `--silence off` says nothing.
#[test]
fn i13_a_silent_step_is_reported_not_killed() {
    let runbook = "# S\n\n## Quiet\n\n```bash\necho start\nsleep 1.6\necho end\n```\n";
    Test::new()
        .runbook(runbook)
        .args([
            "run",
            "runbook.md",
            "--transcript",
            "t.jsonl",
            "--silence",
            "1s",
        ])
        .stdout_contains("start\n! quiet: no output for 1s; the step is still running\n")
        .stdout_contains("end\n✓ quiet (")
        .stderr("transcript: t.jsonl\n")
        .run()
        .then()
        .args(["transcript", "show", "t.jsonl", "--format", "json"])
        .stdout_contains("no output for 1s; the step is still running")
        .run()
        .then()
        .args(["run", "runbook.md", "--no-transcript", "--silence", "off"])
        .stdout_contains("start\nend\n✓ quiet (")
        .run();
}
