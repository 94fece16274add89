//! `litops run`, end to end: the seed's sections against recording fakes of
//! the cloud CLIs, session semantics through a real bash, gates and missing
//! values refused before anything runs, timeouts and signals that leave no
//! process behind.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::json_lines as events;
use crate::support::{GETTING_STARTED, TempRunbook, fake_bin, litops, repo, stderr, stdout};
use crate::test::{Ran, Test};

const TOOLS: &[&str] = &["kubectl", "helm", "aws", "gcloud", "az", "eksctl", "date"];

/// A test with recording fakes of the cloud CLIs first on PATH; each call
/// is a line of `$DIR/calls.log`.
pub(crate) fn sandbox() -> Test {
    let test = Test::new();
    let path = fake_bin(test.dir(), TOOLS);
    let log = test.dir().join("calls.log");
    test.env("PATH", path)
        .env("FAKE_LOG", log)
        .env("FAKE_STDOUT_date", "1700000000")
}

/// A fake at a path relative to the test's directory (e.g. a provisioning script).
pub(crate) fn fake_at(test: Test, relative: &str) -> Test {
    let path = test.dir().join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    std::os::unix::fs::symlink(repo().join("tests/fakes/recorder"), path).expect("link fake");
    test
}

/// The fakes' calls, in order.
pub(crate) fn calls(ran: &Ran) -> Vec<String> {
    std::fs::read_to_string(ran.path("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn seed() -> PathBuf {
    repo().join(crate::support::SEED)
}

/// JSON lines of `--json` output.
fn events_of(ran: &Ran) -> Vec<serde_json::Value> {
    ran.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn deploy_to_staging_calls_kubectl_exactly() {
    let ran = sandbox()
        .arg("run")
        .arg(seed())
        .args(["--section", "Deploy to Staging", "--no-transcript"])
        .stdout_contains("✓ deployment-procedures/deploy-to-staging")
        .run();
    assert_eq!(
        calls(&ran),
        vec![
            "kubectl apply -k infrastructure/k8s/overlays/staging/",
            "kubectl rollout status deployment/clipper-backend -n clipper-staging",
        ]
    );
}

#[test]
fn rollback_is_gated_until_approved() {
    let ran = sandbox()
        .arg("run")
        .arg(seed())
        .args(["--step", "rollback-deployment", "--no-transcript"])
        .args(["--choose", "rollback-deployment=2", "--accept-inferred"])
        .stderr("error: 1 gated step is not approved; nothing was run:\n  deployment-procedures/rollback-deployment  (rolls a workload back to an earlier revision; changes production (a production namespace, context or overlay))\napprove them with --approve ID (repeatable) or all with --yes\n")
        .status(4)
        .run();
    assert!(calls(&ran).is_empty(), "nothing may run before approval");
    let ran = ran
        .then()
        .arg("run")
        .arg(seed())
        .args([
            "--step",
            "rollback-deployment",
            "--approve",
            "rollback-deployment",
            "--json",
            "--no-transcript",
        ])
        // The block is a menu of two rollbacks: the one chosen runs, with
        // the history both share.
        .args([
            "--choose",
            "rollback-deployment=specific revision",
            "--accept-inferred",
        ])
        .stdout_contains(r#""event":"run-finished""#)
        .run();
    assert_eq!(
        calls(&ran),
        vec![
            "kubectl rollout history deployment/clipper-backend -n clipper-production",
            "kubectl rollout undo deployment/clipper-backend -n clipper-production --to-revision=3",
        ]
    );
    let events = events_of(&ran);
    let gate = events
        .iter()
        .find(|e| e["event"] == "gate-answered")
        .expect("gate event");
    assert_eq!(gate["approved"], true);
    assert_eq!(gate["how"], "--approve");
}

#[test]
fn rotate_secrets_with_yes() {
    let ran = sandbox()
        .arg("run")
        .arg(seed())
        .args(["--section", "Rotate Secrets", "--yes", "--no-transcript"])
        // Its `aws` line is for EKS: the step is read for a choice of cloud.
        .args(["--choose", "cloud=eks", "--accept-inferred"])
        // The operator's environment reaches the tools; nothing else is added.
        .env("AWS_PROFILE", "ops-rotation")
        .env("FAKE_ENV", "AWS_PROFILE KUBECONFIG CLUSTER_NAME")
        .stdout_contains("✓ maintenance/rotate-secrets")
        .run();
    let env = " | AWS_PROFILE=ops-rotation | KUBECONFIG=<unset> | CLUSTER_NAME=<unset>";
    assert_eq!(
        calls(&ran),
        vec![
            format!(
                r#"aws secretsmanager update-secret --secret-id clipper/production/database --secret-string \{{\"password\":\"new-secure-password\"\}}{env}"#
            ),
            format!("date +%s{env}"),
            format!(
                "kubectl annotate externalsecret backend-secrets -n clipper-production force-sync=1700000000 --overwrite{env}"
            ),
            format!(
                "kubectl rollout restart deployment/clipper-backend -n clipper-production{env}"
            ),
        ]
    );
}

#[test]
fn provision_eks_gets_the_documented_environment() {
    let env = "CLOUD_PROVIDER CLUSTER_NAME ENVIRONMENT REGION NODE_COUNT NODE_TYPE GCP_PROJECT_ID AZURE_RESOURCE_GROUP";
    let ran = fake_at(sandbox(), "infrastructure/k8s/bootstrap/provision-cluster.sh")
        .arg("run")
        .arg(seed())
        .args([
            "--section",
            "Provision New Cluster",
            "--set",
            "CLOUD_PROVIDER=eks",
            "--set",
            "CLUSTER_NAME=clipper-test",
            "--no-transcript",
        ])
        .env("FAKE_ENV", env)
        .stdout_contains("↷ cluster-provisioning/provision-new-cluster/google-kubernetes-engine-gke skipped: alternative for CLOUD_PROVIDER=gke; CLOUD_PROVIDER is eks")
        .run();
    assert_eq!(
        calls(&ran),
        vec![
            "provision-cluster.sh | CLOUD_PROVIDER=eks | CLUSTER_NAME=clipper-test | ENVIRONMENT=production | REGION=us-east-1 | NODE_COUNT=3 | NODE_TYPE=t3.large | GCP_PROJECT_ID=<unset> | AZURE_RESOURCE_GROUP=<unset>"
        ]
    );
}

#[test]
fn missing_values_stop_before_the_first_step() {
    let ran = sandbox()
        .arg("run")
        .arg(seed())
        .args(["--section", "Pods Not Starting", "--no-transcript"])
        .stderr("error: 1 variable without a value (unattended runs never prompt):\n  POD_NAME  (placeholder <pod-name>)  used by: troubleshooting/pods-not-starting\ngive them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment\n")
        .status(3)
        .run();
    assert!(calls(&ran).is_empty());
    let ran = ran
        .then()
        .arg("run")
        .arg(seed())
        .args([
            "--section",
            "Pods Not Starting",
            "--set",
            "POD_NAME=web-1; touch pwned",
            "--no-transcript",
        ])
        .stdout_contains("✓ troubleshooting/pods-not-starting")
        .run();
    assert_eq!(
        calls(&ran),
        vec![
            "kubectl get pods -n clipper-production",
            r"kubectl describe pod web-1\;\ touch\ pwned -n clipper-production",
            r"kubectl logs web-1\;\ touch\ pwned -n clipper-production",
        ]
    );
    assert!(!ran.path("pwned").exists());
}

const SESSION: &str = r#"# Session

## One

```bash
cd "$WORK"
export EXPORTED=yes
PLAIN=plain-value
greet() { echo "hello $1"; }
```

The next block, under the same heading, goes on where this one left off.

```bash
pwd
echo "exported=$EXPORTED plain=$PLAIN"
bash -c 'echo "child sees exported=$EXPORTED plain=${PLAIN:-unset}"'
greet world
```

## Three

```bash
echo before
false
echo after
```

## Four

```bash
echo never
```
"#;

#[test]
fn steps_share_a_session_like_a_terminal() {
    let test = Test::new().runbook(SESSION);
    let work = test.dir().join("work");
    std::fs::create_dir(&work).expect("work dir");
    // A failing command fails the run.
    let ran = test
        .args(["run", "runbook.md", "--no-transcript", "--set"])
        .arg(format!("WORK={}", work.display()))
        .stdout_contains("✗ three: exit 1 after ")
        .status(1)
        .run();
    let lines: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| !l.starts_with("  $ ") && !l.is_empty())
        .collect();
    for want in [
        "$DIR/work",
        "exported=yes plain=plain-value",
        "child sees exported=yes plain=unset",
        "hello world",
        "before",
        "✗ three: exit 1 after ",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{}",
            ran.stdout
        );
    }
    assert!(
        !ran.stdout.contains("\nafter\n"),
        "errexit stops the step at the failing command:\n{}",
        ran.stdout
    );
    assert!(
        !ran.stdout.contains("never"),
        "the run stops at the failed step:\n{}",
        ran.stdout
    );
}

#[test]
fn pipefail_and_continue_on_error() {
    let ran = Test::new()
        .runbook("## A\n\n```bash {continue-on-error}\nfalse | true\necho not-reached\n```\n\n## B\n\n```bash\necho reached\n```\n")
        .args(["run", "runbook.md", "--json", "--no-transcript"])
        .stdout_contains(r#""event":"run-finished""#)
        .run();
    let events = events_of(&ran);
    let finished: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "step-finished")
        .map(|e| {
            (
                e["id"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(finished, vec![("a", "failed"), ("b", "success")]);
    let text: String = events
        .iter()
        .filter(|e| e["event"] == "output")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(text, "reached\n");
}

/// `litops run FILE ARGS…` with the test environment, finished.
fn run_file(runbook: &TempRunbook, args: &[&str]) -> std::process::Output {
    litops()
        .arg("run")
        .arg(runbook.path())
        .args(args)
        .output()
        .expect("runs")
}

fn no_process_with(marker: &str) -> bool {
    let out = std::process::Command::new("pgrep")
        .args(["-f", marker])
        .output()
        .expect("pgrep runs");
    out.stdout.is_empty()
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let marker = "1017.25";
    let runbook = TempRunbook::new(
        "slow.md",
        format!(
            "## Slow\n\n```bash {{timeout=1s}}\nsleep {marker} &\nsleep {marker}\necho unreachable\n```\n"
        ),
    );
    let started = Instant::now();
    let output = run_file(&runbook, &["--grace", "1s", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let events = events(&output);
    let finished = events
        .iter()
        .find(|e| e["event"] == "step-finished")
        .expect("finished");
    assert_eq!(finished["outcome"], "timed-out");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        no_process_with(&format!("sleep {marker}")),
        "a sleep survived the timeout"
    );
}

#[test]
fn background_children_do_not_hold_the_step_open() {
    let marker = "1018.5";
    let runbook = TempRunbook::new(
        "bg.md",
        format!("## Bg\n\n```bash\n(sleep {marker} &)\necho done\n```\n"),
    );
    let started = Instant::now();
    let output = run_file(&runbook, &["--grace", "1s"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        no_process_with(&format!("sleep {marker}")),
        "an orphan survived the step"
    );
}

#[test]
fn sigint_interrupts_the_step_and_an_unattended_run_ends_130() {
    let marker = "1019.75";
    let runbook = TempRunbook::new(
        "int.md",
        format!(
            "## Wait\n\n```bash\nsleep {marker}\n```\n\n## After\n\n```bash\necho after\n```\n"
        ),
    );
    let (status, out) = signal_mid_step(&runbook, marker, nix::sys::signal::Signal::SIGINT);
    assert_eq!(status.code(), Some(130));
    assert!(out.contains(r#""outcome":"interrupted""#), "{out}");
    assert!(!out.contains("after\\n"), "{out}");
    assert!(no_process_with(&format!("sleep {marker}")));
}

/// Runs litops unattended (`--json`), sends it `signal` once the step's
/// `sleep MARKER` runs, and returns how it exited and what it printed.
fn signal_mid_step(
    runbook: &TempRunbook,
    marker: &str,
    signal: nix::sys::signal::Signal,
) -> (std::process::ExitStatus, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("litops"))
        .arg("run")
        .arg(runbook.path())
        .args(["--json", "--grace", "1s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_process(&format!("sleep {marker}"));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).expect("signal");
    let status = child.wait().expect("wait");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out)
        .expect("read");
    (status, out)
}

fn wait_for_process(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while no_process_with(marker) {
        assert!(Instant::now() < deadline, "{marker} never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn json_events_tell_the_whole_run() {
    let test = Test::new();
    let work = test.dir().join("gs");
    let ran = test
        .arg("run")
        .arg(repo().join(GETTING_STARTED))
        .args(["--yes", "--json", "--no-transcript", "--set"])
        .arg(format!("WORKDIR={}", work.display()))
        .stdout_contains(r#""event":"run-finished""#)
        .run();
    let names: Vec<String> = events_of(&ran)
        .iter()
        .filter(|e| e["event"] != "output")
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap_or(""),
                e["id"].as_str().unwrap_or("")
            )
            .trim()
            .to_owned()
        })
        .collect();
    let want: Vec<String> = [
        "run-started",
        "step-started check-tools",
        "step-finished check-tools",
        "step-started prepare",
        "step-finished prepare",
        "step-started write-config",
        "step-finished write-config",
        "step-started show-config",
        "step-finished show-config",
        "step-started package",
        "step-finished package",
        "gate-asked cleanup",
        "gate-answered cleanup",
        "step-started cleanup",
        "step-finished cleanup",
        "run-finished",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names, want);
    assert!(
        !work.exists(),
        "the cleanup step removed the work directory"
    );
    assert!(
        !ran.stdout.contains("demo-token-not-secret"),
        "the secret default must not be echoed"
    );
}

#[test]
fn a_missing_shell_is_a_usage_error() {
    let ran = Test::new()
        .runbook("## A\n\n```bash\necho hi\n```\n")
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--shell",
            "no-such-shell-anywhere",
        ])
        .stderr("error: cannot find the shell `no-such-shell-anywhere` (--shell)\n")
        .status(2)
        .run()
        .then()
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--shell",
            "/no/such/bash",
        ])
        // The run starts; why the shell did not is the system's to say.
        .stdout_contains("  $ echo hi\n")
        .stderr_contains("cannot run steps: ")
        .status(2)
        .run();
    assert!(
        ran.stderr.starts_with("error: cannot run steps: ") && ran.stderr.lines().count() == 1,
        "{}",
        ran.stderr
    );
}

#[test]
fn awkward_output_is_passed_through_untouched() {
    // Invalid UTF-8, a 10 MB line without a newline, then a step that closes its stdout.
    let runbook = TempRunbook::new(
        "odd.md",
        "## Bytes\n\n```bash\nprintf '\\xff\\xfe\\n'\nhead -c 10485760 /dev/zero | tr '\\0' a\n```\n\n## Closed\n\n```bash\nexec >&-\necho to-stderr >&2\n```\n\n## After\n\n```bash\necho after\n```\n",
    );
    let output = run_file(&runbook, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = &output.stdout;
    let start = out
        .windows(3)
        .position(|w| w == b"\xff\xfe\n")
        .expect("raw bytes kept");
    let line = &out[start + 3..];
    assert!(
        line.iter().take(10_485_760).all(|b| *b == b'a'),
        "the long line is intact"
    );
    assert_eq!(
        line.get(10_485_760),
        Some(&b'\n'),
        "the reporter ends the unfinished line"
    );
    assert!(stderr(&output).contains("to-stderr"));
    assert!(stdout(&output).contains("\nafter\n"));
}

#[test]
fn a_daemon_holding_the_output_does_not_hang_the_run() {
    let marker = "1023.5";
    let runbook = TempRunbook::new(
        "daemon.md",
        format!(
            "## Daemon\n\n```bash\nsetsid sleep {marker} &\nsleep 0.3\necho started\n```\n\n## Next\n\n```bash\necho next\n```\n"
        ),
    );
    let started = Instant::now();
    let output = run_file(&runbook, &["--grace", "1s"]);
    let _ = std::process::Command::new("pkill")
        .args(["-f", &format!("sleep {marker}")])
        .status();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run waited for the daemon"
    );
    let out = stdout(&output);
    assert!(out.contains("✓ daemon"), "{out}");
    assert!(out.contains("\nnext\n"), "{out}");
}

#[test]
fn sigterm_ends_the_run_and_the_step() {
    let marker = "1024.25";
    let runbook = TempRunbook::new(
        "term.md",
        format!("## Wait\n\n```bash\nsleep {marker}\n```\n"),
    );
    let (status, out) = signal_mid_step(&runbook, marker, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(status.code(), Some(130));
    assert!(out.contains(r#""event":"run-interrupted""#), "{out}");
    assert!(no_process_with(&format!("sleep {marker}")));
}

#[test]
fn interactive_steps_get_a_pty_in_unattended_runs() {
    let runbook = TempRunbook::new(
        "tty.md",
        "## Exec\n\n```bash {interactive}\ntest -t 0 && test -t 1 && echo \"tty: $(tty)\"\n```\n\n## Piped\n\n```bash\ntest -t 1 || echo not-a-tty\n```\n",
    );
    let output = run_file(&runbook, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text: String = events(&output)
        .iter()
        .filter(|e| e["event"] == "output")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(text.starts_with("tty: /dev/pts/"), "{text:?}");
    assert!(text.ends_with("not-a-tty\n"), "{text:?}");
}

/// The same semantics without the fork server (a bash process per step).
#[test]
fn process_per_step_mode_keeps_the_same_semantics() {
    let runbook = TempRunbook::new("session.md", SESSION);
    let work = runbook.dir.path().join("work");
    std::fs::create_dir(&work).expect("work dir");
    let output = litops()
        .arg("run")
        .arg(runbook.path())
        .arg("--set")
        .arg(format!("WORK={}", work.display()))
        .env("LITOPS_FORK_SERVER", "0")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    for want in [
        "exported=yes plain=plain-value",
        "child sees exported=yes plain=unset",
        "hello world",
        "before",
    ] {
        assert!(
            out.contains(&format!("\n{want}\n")),
            "missing {want:?} in:\n{out}"
        );
    }
    assert!(
        !out.contains("\nafter\n") && !out.contains("never"),
        "{out}"
    );

    let marker = "1025.5";
    let daemon = TempRunbook::new(
        "daemon.md",
        format!("## Daemon\n\n```bash\nsetsid sleep {marker} &\nsleep 0.3\necho started\n```\n"),
    );
    let output = litops()
        .arg("run")
        .arg(daemon.path())
        .args(["--grace", "1s"])
        .env("LITOPS_FORK_SERVER", "0")
        .output()
        .expect("runs");
    let _ = std::process::Command::new("pkill")
        .args(["-f", &format!("sleep {marker}")])
        .status();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("! daemon: a process the step started left its process group"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_step_that_execs_keeps_the_session() {
    let ran = Test::new()
        .runbook("## Set\n\n```bash\nexport KEPT=yes\n```\n\n## Replace\n\n```bash\nexport LOST=1\nexec true\n```\n\n## Read\n\n```bash\necho \"kept=$KEPT lost=${LOST:-unset}\"\n```\n")
        .args(["run", "runbook.md", "--no-env", "--no-transcript"])
        .stdout_contains("\nkept=yes lost=unset\n")
        .run();
    assert!(!ran.stdout.contains("lost=1"), "{}", ran.stdout);
}

/// Both provisioning and setup are written from the repository's root,
/// each with its own `cd infrastructure/k8s/bootstrap`: the second section
/// starts where the run started, not where the first one left off.
#[test]
fn each_section_starts_where_the_run_started() {
    let mut test = sandbox();
    for script in ["provision-cluster.sh", "setup-cluster.sh"] {
        test = fake_at(test, &format!("infrastructure/k8s/bootstrap/{script}"));
    }
    let ran = test
        .env("FAKE_ENV", "PWD CLOUD_PROVIDER")
        .arg("run")
        .arg(seed())
        .args(["--section", "Provision New Cluster"])
        .args(["--section", "Configure Cluster Components"])
        .args([
            "--set",
            "CLOUD_PROVIDER=eks",
            "--unattended",
            "--yes",
            "--no-transcript",
        ])
        .stdout_contains("Done: 2 succeeded, 0 failed, 2 skipped")
        .run();
    let bootstrap = ran.path("infrastructure/k8s/bootstrap");
    assert_eq!(
        calls(&ran),
        [
            format!(
                "provision-cluster.sh | PWD={} | CLOUD_PROVIDER=eks",
                bootstrap.display()
            ),
            // The prefix was the provisioning command's only.
            format!(
                "setup-cluster.sh | PWD={} | CLOUD_PROVIDER=<unset>",
                bootstrap.display()
            ),
        ]
    );
}

/// Deploy to Production moves through three directories; Deploy to
/// Staging, right after it, applies a path relative to the root.
#[test]
fn a_section_after_one_that_changed_directory_starts_at_the_root() {
    let test = sandbox();
    for dir in [
        "backend",
        "frontend",
        "infrastructure/k8s/overlays/production",
    ] {
        std::fs::create_dir_all(test.dir().join(dir)).expect("dir");
    }
    std::os::unix::fs::symlink(
        repo().join("tests/fakes/recorder"),
        test.dir().join("fake-bin/docker"),
    )
    .expect("link fake");
    let sections = [
        "--section",
        "Deploy to Production",
        "--section",
        "Deploy to Staging",
        "--choose",
        "deploy-to-production=kustomize",
    ];
    // The block asks for an edit by hand before `kubectl apply -k .`:
    // unattended, nobody makes it, so nothing runs...
    let ran = test
        .env("FAKE_ENV", "PWD")
        .arg("run")
        .arg(seed())
        .args(sections)
        .args([
            "--accept-inferred",
            "--unattended",
            "--yes",
            "--no-transcript",
        ])
        .stderr(DEPLOY_EDIT_REFUSED)
        .status(4)
        .run();
    assert!(calls(&ran).is_empty());
    // ... until a reviewer approved the plan.
    let ran = ran
        .then()
        .args(["plan", "--out", "plan.json"])
        .arg(seed())
        .args(sections)
        .stdout_contains("     by hand first: line 346: Edit kustomization.yaml to set newTag: v1.2.3 (before `kubectl apply -k .`)\n")
        .stderr_contains("wrote plan.json")
        .run()
        .then()
        .args(["approve", "plan.json", "--by", "alice"])
        .stdout_contains("approved by alice")
        .run()
        .then()
        .arg("run")
        .arg(seed())
        .args(["--choose", "deploy-to-production=kustomize"])
        .args(["--approved", "plan.json", "--unattended", "--no-transcript"])
        .stdout_contains("2 succeeded")
        .stderr_contains("no approval policy")
        .run();
    let root = ran.path("").display().to_string();
    let root = root.trim_end_matches('/');
    let staging: Vec<String> = calls(&ran)
        .into_iter()
        .filter(|c| c.contains("staging"))
        .collect();
    assert_eq!(
        staging,
        [
            format!("kubectl apply -k infrastructure/k8s/overlays/staging/ | PWD={root}"),
            format!(
                "kubectl rollout status deployment/clipper-backend -n clipper-staging | PWD={root}"
            ),
        ]
    );
    let plan = litops()
        .args(["plan", "--color", "never"])
        .arg(seed())
        .args([
            "--section",
            "Deploy to Production",
            "--section",
            "Deploy to Staging",
        ])
        .output()
        .expect("plans");
    let text = stdout(&plan);
    let staging_step = text
        .split("\n\n")
        .find(|s| s.contains("deployment-procedures/deploy-to-staging"))
        .unwrap_or_default();
    assert!(
        staging_step.contains("starts in the run's directory: its paths are written from there"),
        "{text}"
    );
}

/// A read-only step that fails with exit 1 says that grep returns 1 when it
/// finds nothing; other failures do not get the hint.
#[test]
fn a_grep_that_finds_nothing_is_told_as_such() {
    let runbook = TempRunbook::new(
        "g.md",
        "# G\n\n## Look\n\n```bash\nprintf 'a\\nb\\n' | grep -i crashloop\n```\n",
    );
    let output = run_file(&runbook, &["--no-transcript", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains(
            "\n! look: exit 1 is also what grep returns when it finds no match: printf 'a\\nb\\n' | grep -i crashloop\n✗ look: exit 1 after "
        ),
        "{}",
        stdout(&output)
    );
    for body in ["false", "printf 'a\\n' | grep a && exit 2"] {
        let runbook = TempRunbook::new("g.md", format!("# G\n\n## Look\n\n```bash\n{body}\n```\n"));
        let output = run_file(&runbook, &["--no-transcript", "--color", "never"]);
        assert_ne!(output.status.code(), Some(0));
        assert!(!stdout(&output).contains("no match"), "{}", stdout(&output));
    }
}

/// Steps that cannot change the session do not save it, and the step shell
/// inherits the session instead of loading it where it can: neither may
/// change what a step sees. Bound values a step was given stay exported
/// after it; the session's own values win over a later step's bound ones;
/// read-only, array and integer variables, `unset`, a changed `IFS` and
/// functions that replace builtins (the step shells then load the session
/// themselves) all carry over as in one terminal.
#[test]
fn the_session_carries_over_the_same_whether_steps_change_it_or_not() {
    let runbook = r#"# Session

## One

```bash
echo "one $REGION"
```

## Two

```bash
bash -c 'echo "two $REGION"'
```

## Three

```bash
eval "export REGION=custom"
readonly LOCKED=yes
declare -a ARR=(x "y z")
declare -i NUM=5
export GONE=soon
```

## Four

```bash
echo "four $REGION $LOCKED ${ARR[1]} $((NUM + 1))"
bash -c 'echo "four-child $REGION $LOCKED $GONE"'
unset GONE
```

## Five

```bash
cd() { builtin cd "$@" && echo "moved to $PWD"; }
read() { echo "my read"; }
```

## Six

```bash
cd "$WORK"
read
echo "six $REGION ${GONE-gone}"
```

## Seven

```bash
echo "seven $PWD ${ARR[0]}"
unset -f cd read
IFS=,
```

## Eight

```bash
set -- a,b
for part in $1; do echo "eight $part"; done
echo "eight $PWD"
```
"#;
    let test = Test::new().runbook(runbook);
    let work = test.dir().join("work");
    std::fs::create_dir(&work).expect("work dir");
    let ran = test
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--set",
            "REGION=cli",
            "--set",
        ])
        .arg(format!("WORK={}", work.display()))
        .stdout_contains("Done: 8 succeeded")
        .run();
    let shown: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| {
            !(l.is_empty()
                || l.starts_with("  $ ")
                || l.starts_with("▶ ")
                || l.starts_with("✓ ")
                || l.starts_with("Done: "))
        })
        .collect();
    assert_eq!(
        shown,
        [
            "Session (runbook.md): 8 steps",
            "one cli",
            "two cli",
            "four custom yes y z 6",
            "four-child custom  soon",
            "moved to $DIR/work",
            "my read",
            "six custom gone",
            "seven $DIR/work x",
            "eight a",
            "eight b",
            "eight $DIR/work",
        ]
    );
}

/// Issue 13, item 7: the step display shows commands as they are typed: a
/// heredoc or a continued line is one command, not a column of `$ EOF`
/// and `$ --flag` lines.
#[test]
fn i13_a_heredoc_and_a_continued_line_show_as_one_command_each() {
    Test::new()
        .runbook("# H\n\n## Apply\n\n```bash\ncat <<EOF\nkind: ConfigMap\nEOF\necho one \\\n  two\n```\n")
        .args(["run", "runbook.md", "--no-transcript"])
        .stdout_contains("▶ [1/1] apply  Apply\n  $ cat <<EOF\n    kind: ConfigMap\n    EOF\n  $ echo one \\\n      two\nkind: ConfigMap\none two\n")
        .run();
}

/// An unattended run of the seed's Deploy to Production: nobody makes the
/// edit it asks for.
pub(crate) const DEPLOY_EDIT_REFUSED: &str = concat!(
    "error: 1 step asks for work by hand that nobody does in an unattended run; nothing was run:\n",
    "  deployment-procedures/deploy-to-production: line 346: Edit kustomization.yaml to set newTag: v1.2.3 (before `kubectl apply -k .`)\n",
    "run it interactively, run an approved plan (--approved) once the work is done, or mark the block `no-checkpoint` if the comment is not work for the person running it\n",
);

/// The seed, copied into the test's directory (paths in messages are short).
pub(crate) fn seed_here(test: Test) -> Test {
    let text = std::fs::read_to_string(seed()).expect("seed");
    test.file("runbook.md", text)
}

const CREDENTIALS_AND_SECRETS: &[&str] = &[
    "--section",
    "Configure External Secrets",
    "--section",
    "Get Cluster Credentials",
    "--section",
    "Update Kubernetes Version",
];

/// An operator with EKS in mind runs the EKS one of each group: the
/// section named after AWS's secret store, the `# EKS` lines of the
/// credentials block and of the upgrade block, nothing of GKE or AKS.
#[test]
fn i13_one_choice_of_cloud_runs_that_cloud_everywhere() {
    let ran = seed_here(sandbox())
        .args(["run", "runbook.md"])
        .args(CREDENTIALS_AND_SECRETS)
        .args([
            "--set",
            "CLOUD_PROVIDER=eks",
            "--set",
            "SECURE_PASSWORD=pw-123456",
        ])
        .args([
            "--unattended",
            "--yes",
            "--accept-inferred",
            "--no-transcript",
        ])
        .stdout_contains("Done: 3 succeeded, 0 failed, 2 skipped")
        .run();
    assert_eq!(
        calls(&ran),
        [
            "eksctl create iamserviceaccount --name clipper-backend --namespace clipper-production --cluster clipper-prod --region us-east-1 --attach-policy-arn arn:aws:iam::aws:policy/SecretsManagerReadWrite --approve",
            r#"aws secretsmanager create-secret --name clipper/production/database --description Database\ credentials\ for\ production --secret-string \{\"password\":\"pw-123456\"\}"#,
            "kubectl apply -f infrastructure/k8s/external-secrets/secret-stores.yaml",
            "kubectl apply -f infrastructure/k8s/external-secrets/external-secrets.yaml",
            "kubectl get externalsecret -n clipper-production",
            "kubectl get secret backend-secrets -n clipper-production",
            "aws eks update-kubeconfig --region us-east-1 --name clipper-prod",
            "eksctl upgrade cluster --name=clipper-prod --version=1.32 --approve",
        ]
    );
}

/// The same choice by any of its names: the axis (`cloud`) or the variable
/// that pins it, and any word for the option (`google`, `azure`).
#[test]
fn i13_choose_names_the_axis_and_the_option_in_any_of_their_words() {
    for (choice, tools) in [
        ("cloud=google", ["gcloud", "kubectl"]),
        ("CLOUD_PROVIDER=azure", ["az", "kubectl"]),
    ] {
        let ran = seed_here(sandbox())
            .args(["run", "runbook.md"])
            .args(CREDENTIALS_AND_SECRETS)
            .args(["--choose", choice])
            .args([
                "--set",
                "SECURE_PASSWORD=pw-123456",
                "--set",
                "GCP_PROJECT_ID=proj-1",
            ])
            .args([
                "--unattended",
                "--yes",
                "--accept-inferred",
                "--no-transcript",
            ])
            .stdout_contains("Done: 3 succeeded, 0 failed, 2 skipped")
            .run();
        let calls = calls(&ran);
        let mut used: Vec<&str> = calls.iter().filter_map(|c| c.split(' ').next()).collect();
        used.sort_unstable();
        used.dedup();
        let mut expected = tools.to_vec();
        expected.sort_unstable();
        assert_eq!(used, expected, "{choice}: {calls:#?}");
    }
}

/// Unattended, an unchosen group stops the run before its first step,
/// naming the choice and the flag that makes it.
#[test]
fn i13_an_unattended_run_with_an_unchosen_group_refuses_up_front() {
    let ran = seed_here(sandbox())
        .args(["run", "runbook.md"])
        .args(CREDENTIALS_AND_SECRETS)
        .args(["--set", "SECURE_PASSWORD=pw-123456", "--unattended", "--yes", "--no-transcript"])
        .stderr(concat!(
            "error: 1 variable without a value (unattended runs never prompt):\n",
            "  CLOUD_PROVIDER  chooses between: gke, eks, aks  used by: initial-setup/configure-external-secrets/aws-secrets-manager, initial-setup/configure-external-secrets/gcp-secret-manager, initial-setup/configure-external-secrets/azure-key-vault, access-control/get-cluster-credentials, maintenance/update-kubernetes-version\n",
            "choose with --choose cloud=gke (the alternative you choose may need more values)\n",
            "give them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment\n",
        ))
        .status(3)
        .run();
    assert!(calls(&ran).is_empty());
}

/// Alternatives read from titles or comments are a heuristic: unattended,
/// they run only when accepted (or approved).
#[test]
fn i13_alternatives_read_from_comments_are_shown_before_they_run_unattended() {
    let ran = seed_here(sandbox())
        .args(["run", "runbook.md", "--section", "Get Cluster Credentials"])
        .args(["--choose", "cloud=eks", "--unattended", "--no-transcript"])
        .stderr(concat!(
            "error: 1 step is inferred, not written as a step; nothing was run:\n",
            "  access-control/get-cluster-credentials  (runbook.md:260:1)\n",
            "    its lines are alternatives, read from the comments `# GKE`, `# EKS`, `# AKS`\n",
            "run them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text; alt=\"VAR=value\" for an alternative)\n",
        ))
        .status(4)
        .run();
    assert!(calls(&ran).is_empty());
}

/// `plan` shows what of a labelled block runs and what is left out.
#[test]
fn i13_plan_shows_the_lines_left_out() {
    seed_here(sandbox())
        .args(["plan", "runbook.md", "--section", "Get Cluster Credentials"])
        .args(["--choose", "cloud=aws", "--no-env"])
        .stdout(concat!(
            "Plan: Kubernetes Operations Runbook (runbook.md)\n",
            "1 step selected: 1 to run, 0 gated\n",
            "\n",
            "Variables:\n",
            "  CLOUD_PROVIDER  = eks  (--choose)  selects alternatives\n",
            "\n",
            "Alternatives by CLOUD_PROVIDER: gke, eks, aks (selected: eks)\n",
            "\n",
            "Steps:\n",
            "\n",
            "  1. access-control/get-cluster-credentials [inferred]\n",
            "     Access Control › Get Cluster Credentials  (runbook.md:260:1)\n",
            "     starts in the run's directory: another part of the runbook starts where it began\n",
            "     │ # EKS\n",
            "     │ aws eks update-kubeconfig \\\n",
            "     │   --region us-east-1 \\\n",
            "     │   --name clipper-prod\n",
            "     left out: lines 261-264 (`# GKE`): for CLOUD_PROVIDER=gke\n",
            "     left out: lines 271-274 (`# AKS`): for CLOUD_PROVIDER=aks\n",
            "     inferred: its lines are alternatives, read from the comments `# GKE`, `# EKS`, `# AKS`\n",
        ))
        .run();
}

#[test]
fn i13_a_choice_that_names_nothing_is_refused() {
    seed_here(Test::new())
        .args(["plan", "runbook.md", "--choose", "cloud=ibm"])
        .stderr("error: --choose cloud=ibm: not one of its options (gke, eks, aks)\n")
        .status(2)
        .run();
    seed_here(Test::new())
        .args(["plan", "runbook.md", "--choose", "os=ubuntu"])
        .stderr("error: --choose os: this runbook has no such group of alternatives (it has: CLOUD_PROVIDER, cloud, access-control/generate-service-account-token-cicd, deployment-procedures/deploy-to-production, deployment-procedures/rollback-deployment, deployment-procedures/run-database-migrations)\n")
        .status(2)
        .run();
}

/// A block offering two rollbacks is a menu: unattended, nothing runs
/// until one is chosen, and the refusal names the entries and the flag.
#[test]
fn i13_an_unchosen_menu_refuses_up_front_naming_its_entries() {
    let ran = seed_here(sandbox())
        .args(["run", "runbook.md", "--step", "rollback-deployment"])
        .args(["--unattended", "--yes", "--accept-inferred", "--no-transcript"])
        .stderr(concat!(
            "error: 1 menu without a choice (unattended runs never prompt):\n",
            "  deployment-procedures/rollback-deployment  a menu, one entry to run: 1 `# Rollback to previous version`, 2 `# Rollback to specific revision`\n",
            "choose with --choose deployment-procedures/rollback-deployment=N (the alternative you choose may need more values)\n",
            "give them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment\n",
        ))
        .status(3)
        .run();
    assert!(calls(&ran).is_empty());
    let ran = ran
        .then()
        .args(["run", "runbook.md", "--step", "rollback-deployment"])
        .args(["--choose", "rollback-deployment=previous"])
        .args([
            "--unattended",
            "--yes",
            "--accept-inferred",
            "--no-transcript",
        ])
        .stdout_contains("Done: 1 succeeded")
        .run();
    assert_eq!(
        calls(&ran),
        [
            "kubectl rollout history deployment/clipper-backend -n clipper-production",
            "kubectl rollout undo deployment/clipper-backend -n clipper-production",
        ]
    );
}

/// The gate is the risk of the lines that run: the other cloud's delete,
/// left out, asks for no approval; chosen, it does.
#[test]
fn i13_a_line_left_out_gates_nothing() {
    const TEXT: &str = "# T\n\n## Clusters\n\n```bash\n# GKE\ngcloud container clusters list\n\n# EKS\neksctl delete cluster --name old\n```\n";
    Test::new()
        .runbook(TEXT)
        .args(["plan", "runbook.md", "--choose", "cloud=gke", "--no-env"])
        .stdout_contains("1 step selected: 1 to run, 0 gated\n")
        .run();
    Test::new()
        .runbook(TEXT)
        .args(["plan", "runbook.md", "--choose", "cloud=eks", "--no-env"])
        .stdout_contains("1 step selected: 1 to run, 1 gated\n")
        .stdout_contains("     gate: deletes cloud resources\n")
        .run();
}

/// Choices inside a choice: Linux, then a package format, then (for .rpm)
/// a distribution. An operator on Fedora runs the requirements and the
/// .rpm install for Fedora, nothing else.
#[test]
fn i13_choices_inside_a_choice_run_one_path() {
    const TEXT: &str = concat!(
        "# Install\n\n## macOS\n\n```bash\necho brew\n```\n\n",
        "## Linux\n\n### Requirements\n\n```bash\necho kvm\n```\n\n",
        "### Installation via .deb Package\n\n```bash\necho deb\n```\n\n",
        "### Installing via .rpm Package\n\n#### openSUSE\n\n```bash\necho zypper\n```\n\n",
        "#### Fedora\n\n```bash\necho dnf\n```\n\n",
    );
    Test::new()
        .runbook(TEXT)
        .args(["run", "runbook.md", "--choose", "os=linux", "--no-env", "--no-transcript"])
        .args(["--unattended", "--accept-inferred"])
        .stderr(concat!(
            "error: 1 variable without a value (unattended runs never prompt):\n",
            "  package-format  chooses between: deb, rpm  used by: linux/installation-via-deb-package, linux/installing-via-rpm-package/opensuse, linux/installing-via-rpm-package/fedora\n",
            "choose with --choose package-format=deb (the alternative you choose may need more values)\n",
            "give them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment\n",
        ))
        .status(3)
        .run();
    Test::new()
        .runbook(TEXT)
        .args([
            "run",
            "runbook.md",
            "--choose",
            "os=linux",
            "--choose",
            "package-format=rpm",
        ])
        .args(["--choose", "os/linux=fedora", "--no-env", "--no-transcript"])
        .args(["--unattended", "--accept-inferred"])
        .stdout_contains("kvm\n")
        .stdout_contains("dnf\n")
        .stdout_contains("Done: 2 succeeded, 0 failed, 3 skipped")
        .run();
}

/// A menu's choice names an entry, not a secret, whatever the step is
/// called: `…-service-account-token-cicd=1` is neither masked nor warned
/// about as a secret too short to mask.
#[test]
fn i13_a_choice_is_never_a_secret() {
    let ran = seed_here(sandbox())
        .args([
            "run",
            "runbook.md",
            "--step",
            "generate-service-account-token-cicd",
        ])
        .args(["--choose", "generate-service-account-token-cicd=1"])
        .args([
            "--unattended",
            "--yes",
            "--accept-inferred",
            "--no-transcript",
        ])
        .stdout_contains("Done: 1 succeeded")
        .stderr("")
        .run();
    assert_eq!(
        calls(&ran),
        ["kubectl create token clipper-deployer -n clipper-production --duration=87600h"]
    );
}

/// Lines after `kubectl exec -it pod -- bash` are typed inside the pod:
/// they go to that shell as its input (`-i`, no terminal), up to `exit`;
/// nothing of them runs here, and what follows `exit` runs here again.
#[test]
fn i13_lines_after_a_shell_into_a_pod_are_its_input() {
    let ran = sandbox()
        .runbook("# T\n\n## Restore\n\n```bash\nkubectl exec -it db-0 -n data -- bash\npg_restore -c /backup/<dump-file>\nrm -f /backup/$OLD\nexit\nkubectl get pods -n data\n```\n")
        .env("FAKE_STDIN", "1")
        .args(["run", "runbook.md", "--set", "DUMP_FILE=x'y.dump"])
        .args(["--unattended", "--yes", "--accept-inferred", "--no-transcript"])
        .stdout_contains("Done: 1 succeeded")
        .run();
    assert_eq!(
        calls(&ran),
        [
            "kubectl exec -i db-0 -n data -- bash",
            r"< pg_restore -c /backup/'x'\''y.dump'",
            "< rm -f /backup/$OLD",
            "< exit",
            "kubectl get pods -n data",
        ]
    );
}

/// Unattended, the reading is shown before it runs: inferred.
#[test]
fn i13_input_to_a_remote_shell_is_inferred() {
    sandbox()
        .runbook("# T\n\n## Restore\n\n```bash\nkubectl exec -it db-0 -- sh\nrm -rf /tmp/cache\n```\n")
        .args(["run", "runbook.md", "--unattended", "--no-transcript"])
        .stderr(concat!(
            "error: 1 step is inferred, not written as a step; nothing was run:\n",
            "  restore  (runbook.md:5:1)\n",
            "    line 7 is input to the shell `kubectl exec -it db-0 -- sh` opens, not run here\n",
            "run them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text; a heredoc for a shell's input (`exec -i pod -- sh <<'EOF'`))\n",
        ))
        .status(4)
        .run();
}

/// A value that would end the shell's input early (and run the rest as
/// commands of that shell) is refused before anything runs.
#[test]
fn i13_a_value_cannot_end_the_input_to_a_remote_shell() {
    let ran = sandbox()
        .runbook("# T\n\n## Restore\n\n```bash\nkubectl exec -it db-0 -- bash\npg_restore -c /backup/<dump-file>\n```\n")
        .args(["run", "runbook.md", "--set", "DUMP_FILE=a\nLITOPS_INPUT\ntouch /tmp/pwned"])
        .args(["--unattended", "--yes", "--accept-inferred", "--no-transcript"])
        .stderr("error: step restore: a value would end the input to the shell at a line `LITOPS_INPUT`\n")
        .status(2)
        .run();
    assert!(calls(&ran).is_empty());
}

/// Sections "Method 1: …", "Method 2: …" are one choice, by number or by
/// words of their titles; what follows them runs whichever is chosen.
#[test]
fn i13_numbered_sections_are_chosen_by_their_titles() {
    let ran = Test::new()
        .runbook("# T\n\n## Install\n\n### Method 1: Kustomize\n\n```bash\necho kustomize >> ran.txt\n```\n\n### Method 2: Helm\n\n```bash\necho helm >> ran.txt\n```\n\n## Verify\n\n```bash\necho verify >> ran.txt\n```\n")
        .args(["run", "runbook.md", "--choose", "install=helm"])
        .args(["--unattended", "--accept-inferred", "--no-transcript"])
        .stdout_contains("Done: 2 succeeded, 0 failed, 1 skipped")
        .run();
    assert_eq!(
        std::fs::read_to_string(ran.path("ran.txt")).expect("ran"),
        "helm\nverify\n"
    );
}

/// Issue 13, item 4: `background` (Runme's key) starts a helper the next
/// steps of its section use, is not waited for, and is stopped when the
/// section ends; an unattended run accepts its command that never ends.
#[test]
fn i13_a_background_helper_lives_for_its_section() {
    let marker = "0.0517";
    let ran = Test::new()
        .runbook(&format!("# T\n\n## Forward\n\n```bash {{background}}\necho serving > served.txt\nwhile true; do sleep {marker}; done\n```\n\n```bash\nwhile [ ! -s served.txt ]; do sleep 0.05; done\necho used-the-helper\n```\n\n## After\n\n```bash\npgrep -f 'sleep {marker}' >/dev/null && echo helper-alive || echo helper-gone\n```\n"))
        .args(["run", "runbook.md", "--unattended", "--no-transcript"])
        .stdout_contains("! forward: runs in the background (process group ")
        .stdout_contains("\nused-the-helper\n")
        .stdout_contains("! forward: the background helper was stopped: its section ended\n")
        .stdout_contains("\nhelper-gone\n")
        .stdout_contains("Done: 3 succeeded, 0 failed, 0 skipped")
        .run();
    assert!(!ran.stdout.contains("\nhelper-alive\n"), "{}", ran.stdout);
    let left = std::process::Command::new("pgrep")
        .args(["-f", &format!("sleep {marker}")])
        .output()
        .expect("pgrep");
    assert!(left.stdout.is_empty(), "the helper outlived the run");
}

/// `gcloud compute ssh VM` followed by lines: the lines go to the VM's
/// shell (`--ssh-flag=-T`, a quoted heredoc), not to this machine.
#[test]
fn i13_lines_after_gcloud_compute_ssh_go_to_the_vm() {
    let ran = sandbox()
        .runbook("# T\n\n## Restart\n\n```bash\ngcloud compute ssh vm-1 --zone us-east1-b\nsudo systemctl restart app\nexit\n```\n")
        .env("FAKE_STDIN", "1")
        // What runs on the VM is still read for risks: the restart is gated.
        .args(["run", "runbook.md", "--unattended", "--accept-inferred", "--yes"])
        .args(["--no-transcript"])
        .stdout_contains("Done: 1 succeeded")
        .run();
    assert_eq!(
        calls(&ran),
        [
            "gcloud compute ssh --ssh-flag=-T vm-1 --zone us-east1-b",
            "< sudo systemctl restart app",
            "< exit",
        ]
    );
}

/// A value is never quoted into a REPL's input (SQL is not shell): a
/// placeholder there makes the step manual, and an unattended run refuses
/// it before anything runs.
#[test]
fn i13_no_value_goes_into_a_repl_input() {
    let ran = sandbox()
        .runbook("# T\n\n## Drop\n\n```bash\npsql -h db app\nDELETE FROM users WHERE name = '<user-name>';\n\\q\n```\n")
        .args(["plan", "runbook.md", "--no-env", "--set", "USER_NAME=x'; DROP TABLE users; --"])
        .stdout_contains("  1. drop [manual] [inferred]\n")
        .stdout_contains("     values would go into psql's input, which litops does not quote for: done by a person, confirmed in the run\n")
        .run();
    assert!(calls(&ran).is_empty());
}
