//! Commands that never end by themselves (`logs -f`, `port-forward`,
//! `tail -f`): unattended runs refuse them up front, or follow them for
//! `stream=DURATION` and go on.

use crate::support::{TempRunbook, litops, stderr, stdout};

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
