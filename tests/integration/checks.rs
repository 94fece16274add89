//! Rhai checks end to end: the API from a real run, wait-until retries
//! against a recording fake, sandbox limits, `when` in plan and run,
//! preflight, and syntax errors reported by `check`.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::json_lines as events;
use crate::support::{TempRunbook, litops, repo, stderr, stdout};

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// A runbook in a temporary directory with a recording `kubectl` first on PATH.
struct Fakes {
    runbook: TempRunbook,
    bin: PathBuf,
    log: PathBuf,
}

impl Fakes {
    fn new(text: &str) -> Fakes {
        let runbook = TempRunbook::new("rb.md", text);
        let bin = runbook.dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin");
        std::os::unix::fs::symlink(repo().join("tests/fakes/recorder"), bin.join("kubectl"))
            .expect("link");
        let log = runbook.dir.path().join("calls.log");
        Fakes { runbook, bin, log }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = litops();
        cmd.current_dir(self.runbook.dir.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("FAKE_LOG", &self.log)
            .arg("run")
            .arg(self.runbook.path())
            .args(["--no-transcript"])
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

const ROLLOUT: &str = r#"# Wait for a rollout

## Wait for web

```bash {retry=5 interval=50ms}
kubectl get deployment web -n prod -o json
```

```rhai
let ready = json(stdout).status.readyReplicas;
if ready == 3 { pass() } else { fail("ready: " + ready) }
```
"#;

#[test]
fn wait_until_retries_until_the_fake_is_ready_on_the_third_call() {
    let fakes = Fakes::new(ROLLOUT);
    let not_ready = r#"{"status":{"readyReplicas":1}}"#;
    let output = fakes.run(
        &["--json"],
        &[
            ("FAKE_STDOUT_kubectl_1", not_ready),
            ("FAKE_STDOUT_kubectl_2", r#"{"status":{"readyReplicas":2}}"#),
            ("FAKE_STDOUT_kubectl", r#"{"status":{"readyReplicas":3}}"#),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        fakes.calls(),
        vec!["kubectl get deployment web -n prod -o json"; 3]
    );
    let events = events(&output);
    let retries = of_kind(&events, "step-retrying");
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0]["attempt"], 1);
    assert_eq!(retries[0]["attempts"], 5);
    assert_eq!(retries[0]["wait_ms"], 50);
    assert_eq!(retries[0]["reason"], "check-failed");
    let checks = of_kind(&events, "check-finished");
    let verdicts: Vec<&Value> = checks.iter().map(|c| &c["verdict"]).collect();
    assert_eq!(verdicts, ["fail", "fail", "pass"]);
    assert_eq!(checks[0]["message"], "ready: 1");
    assert_eq!(checks[1]["message"], "ready: 2");
    let started = of_kind(&events, "step-started");
    let attempts: Vec<&Value> = started.iter().map(|s| &s["attempt"]).collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(of_kind(&events, "run-finished")[0]["outcome"], "success");
}

#[test]
fn a_budget_that_runs_out_fails_the_run_with_exit_5_and_shows_progress() {
    let fakes = Fakes::new(
        "## Wait\n\n```bash {until=\"stdout.contains(\\\"Ready\\\")\" retry=3 interval=10ms}\nkubectl get certificate web-tls\n```\n",
    );
    let output = fakes.run(&[], &[("FAKE_STDOUT_kubectl", "Pending")]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert_eq!(fakes.calls().len(), 3);
    let out = stdout(&output);
    assert!(
        out.contains("↻ wait: attempt 1/3 check failed; next in 0.0s"),
        "{out}"
    );
    assert!(out.contains("↻ wait: attempt 2/3 check failed"), "{out}");
    assert!(
        out.contains("✗ until check failed: the check is false"),
        "{out}"
    );
    assert!(out.contains("Check failed: 0 succeeded, 1 failed"), "{out}");
}

#[test]
fn the_whole_api_from_a_real_run() {
    let runbook = TempRunbook::new(
        "api.md",
        r#"---
litops:
  vars:
    REGION:
      default: eu-west-1
    DB_PASSWORD:
      secret: true
---
# API

## Produce

```bash
echo '{"items": [{"name": "a"}, {"name": "b"}]}'
echo 'warning: disk 91% full' >&2
export NAMESPACE=prod
```

```rhai
print("items seen: " + json(stdout).items.len());
let doc = json(stdout);
exit_code == 0
    && doc.items.len() == 2
    && doc.items[1].name == "b"
    && lines(stdout).len() == 1
    && matches(stderr, "^warning: disk \\d+% full$")
    && duration_ms >= 0
```

## Look back

```bash
echo "$DB_PASSWORD" > /dev/null
```

```rhai
if step("produce").ok && step("produce").stdout.contains("items")
    && env("NAMESPACE") == "prod" && REGION == "eu-west-1"
    && vars.DB_PASSWORD == "[REDACTED:DB_PASSWORD]" {
    warn("all good, but a warning for the record")
} else {
    fail("the API did not see what it should")
}
```

## Expected failure

```bash
kubectl-not-installed get pods 2>/dev/null
```

```rhai
exit_code == 127
```

## Failing check

```bash {continue-on-error}
echo nope
```

```rhai
if !stdout.contains("yes") { fail("expected yes, got " + stdout) }
true
```
"#,
    );
    let output = litops()
        .current_dir(runbook.dir.path())
        .args([
            "run",
            "--json",
            "--no-transcript",
            "--set",
            "DB_PASSWORD=hunter22",
        ])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events = events(&output);
    let checks: Vec<(String, String, String)> = of_kind(&events, "check-finished")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("").to_owned(),
                c["verdict"].as_str().unwrap_or("").to_owned(),
                c["message"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| {
                        c["messages"]
                            .get(0)
                            .and_then(|m| m.as_str())
                            .map(str::to_owned)
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        vec![
            ("produce".into(), "pass".into(), String::new()),
            (
                "look-back".into(),
                "warn".into(),
                "all good, but a warning for the record".into()
            ),
            ("expected-failure".into(), "pass".into(), String::new()),
            (
                "failing-check".into(),
                "fail".into(),
                "expected yes, got nope\n".into()
            ),
        ]
    );
    // `print` is kept with the check, not written into the event stream.
    assert_eq!(
        of_kind(&events, "check-finished")[0]["printed"],
        serde_json::json!(["items seen: 2"])
    );
    let finished: Vec<(&str, &str)> = of_kind(&events, "step-finished")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        finished,
        [
            ("produce", "success"),
            ("look-back", "success"),
            // exit 127, but the check reads exit_code and expects it.
            ("expected-failure", "success"),
            ("failing-check", "check-failed"),
        ]
    );
}

#[test]
fn a_failed_exit_is_not_excused_by_a_check_that_ignores_it() {
    let runbook = TempRunbook::new(
        "x.md",
        "## A\n\n```bash\necho ready; exit 1\n```\n\n```rhai\nstdout.contains(\"ready\")\n```\n",
    );
    let output = litops()
        .args(["run", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn runaway_checks_are_stopped_with_their_place_in_the_file() {
    let runbook = TempRunbook::new(
        "runaway.md",
        "# Runaway\n\n## Loop\n\n```bash {continue-on-error}\ntrue\n```\n\n```rhai\nlet n = 0;\nloop { n += 1; }\n```\n\n## Big string\n\n```bash {continue-on-error}\ntrue\n```\n\n```rhai\nlet s = \"0123456789abcdef\";\nloop { s += s; }\n```\n\n## Recursion\n\n```bash {continue-on-error}\ntrue\n```\n\n```rhai\nfn down(n) { down(n + 1) }\ndown(0)\n```\n",
    );
    let output = litops()
        .args(["run", "--json", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    let events = events(&output);
    let checks = of_kind(&events, "check-finished");
    assert_eq!(checks.len(), 3, "{}", stdout(&output));
    let name = runbook.path().display().to_string();
    for (check, (limit, line)) in
        checks
            .iter()
            .zip([("operations", 11), ("string", 22), ("deep", 33)])
    {
        assert_eq!(check["verdict"], "error", "{check}");
        let message = check["message"].as_str().unwrap_or("");
        assert!(message.contains(limit), "{message}");
        assert!(
            message.contains(&format!("{name}:{line}:")),
            "{message} should point at line {line}"
        );
    }
}

#[test]
fn check_reports_rhai_syntax_errors_before_any_run() {
    let runbook = TempRunbook::new(
        "bad.md",
        "## A\n\n```bash {when=\"CLOUD = = 1\"}\necho a\n```\n\n```rhai\nlet x = ;\n```\n",
    );
    let output = litops()
        .args(["check", "--format", "short"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let name = runbook.path().display().to_string();
    assert!(out.contains(&format!("{name}:3:")), "{out}");
    assert!(
        out.contains(&format!("{name}:8:9: error[check-syntax]")),
        "{out}"
    );
    let output = litops()
        .args(["run", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(!stdout(&output).contains("▶"), "nothing runs");
}

const CLOUDS: &str = r#"# Clouds

## Check

```bash
echo checked
```

## GKE

```bash {when="CLOUD == \"gke\""}
echo on-gke
```

## EKS

```bash {when="CLOUD == \"eks\""}
echo on-eks
```

## After a success

```bash {when="step(\"check\").ok"}
echo after
```
"#;

#[test]
fn when_is_shown_by_plan_and_decided_by_run() {
    let runbook = TempRunbook::new("clouds.md", CLOUDS);
    let plan = litops()
        .args(["plan", "--format", "json", "--set", "CLOUD=eks"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("json");
    let steps = plan["steps"].as_array().expect("steps");
    let conditions: Vec<(&str, &Value, &Value)> = steps
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or(""),
                &s["status"],
                &s["condition"]["value"],
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            ("check", &Value::from("run"), &Value::Null),
            ("gke", &Value::from("skip"), &Value::from("false")),
            ("eks", &Value::from("run"), &Value::from("true")),
            (
                "after-a-success",
                &Value::from("run"),
                &Value::from("undecided")
            ),
        ]
    );
    // Unbound: the run cannot decide, so it asks (or, unattended, stops).
    let output = litops()
        .args(["run", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("CLOUD"), "{}", stderr(&output));
    let output = litops()
        .args(["run", "--no-transcript", "--set", "CLOUD=gke"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("on-gke") && out.contains("\nafter\n"), "{out}");
    assert!(!out.contains("on-eks"), "{out}");
    assert!(
        out.contains("↷ eks skipped: `when` is false: CLOUD == \"eks\""),
        "{out}"
    );
}

#[test]
fn a_failed_preflight_runs_nothing() {
    let runbook = TempRunbook::new(
        "pre.md",
        "---\nlitops:\n  preflight:\n    - 'env(\"KUBECONFIG\") != \"\"'\n---\n## A\n\n```bash\ntouch ran\n```\n",
    );
    let output = litops()
        .current_dir(runbook.dir.path())
        .args(["run", "--json", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let events = events(&output);
    assert_eq!(of_kind(&events, "check-finished")[0]["id"], "preflight");
    assert!(of_kind(&events, "step-started").is_empty());
    assert!(!runbook.dir.path().join("ran").exists());
    let output = litops()
        .current_dir(runbook.dir.path())
        .env("KUBECONFIG", "/tmp/kubeconfig")
        .args(["run", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(runbook.dir.path().join("ran").exists());
}

/// Runs litops with its address space capped, so that a check allocating
/// gigabytes aborts it here instead of filling the machine's memory.
fn run_capped(runbook: &TempRunbook, args: &[&str]) -> std::process::Output {
    std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("litops"))
        .arg("run")
        .arg(runbook.path())
        .args(args)
        .current_dir(runbook.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs")
}

#[test]
fn m8_sleep_in_a_check_does_not_hold_up_the_run() {
    let runbook = TempRunbook::new(
        "sleepy.md",
        "# Sleepy\n\n```bash\ntrue\n```\n\n```rhai\nsleep(20);\ntrue\n```\n",
    );
    let started = std::time::Instant::now();
    let output = litops()
        .args(["run", "--json", "--no-transcript"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the check slept"
    );
    assert_eq!(output.status.code(), Some(5), "{}", stdout(&output));
    let events = events(&output);
    let check = of_kind(&events, "check-finished")[0];
    assert_eq!(check["verdict"], "error", "{check}");
    let message = check["message"].as_str().unwrap_or("");
    assert!(message.contains("sleep"), "{message}");
    assert!(message.contains("sleepy.md:8:"), "{message}");
}

#[test]
fn m9_sigterm_during_a_check_ends_the_run_before_the_next_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mark = dir.path().join("step-done");
    // One `contains` on 1 MiB is one operation: the loop stays far under
    // the operation limit and runs for seconds.
    let text = format!(
        "# Slow check\n\n## Mark\n\n```bash\ntouch '{}'\n```\n\n```rhai\nlet s = \"a\";\nfor i in 0..20 {{ s += s; }}\nlet n = 0;\nwhile n < 300000 {{ s.contains(\"b\"); n += 1; }}\ntrue\n```\n\n## Next\n\n```bash\necho next-step-ran\n```\n",
        mark.display()
    );
    let runbook = TempRunbook::new("slow.md", text);
    let runs = runbook.dir.path().join("runs");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("litops"))
        .current_dir(runbook.dir.path())
        .env("LITOPS_RUNS_DIR", &runs)
        .args(["run", "slow.md", "--grace", "1s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !mark.exists() {
        assert!(std::time::Instant::now() < deadline, "the step never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Well into the check.
    std::thread::sleep(std::time::Duration::from_millis(500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    let status = child.wait().expect("wait");
    let path = litops::transcript::read_all(&runs)
        .pop()
        .expect("a transcript");
    let records: Vec<Value> = std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let started = of_kind(&records, "step-started");
    assert_eq!(started.len(), 1, "the next step started: {records:?}");
    assert_eq!(status.code(), Some(130));
    assert_eq!(of_kind(&records, "run-interrupted").len(), 1, "{records:?}");
    let finished = of_kind(&records, "step-finished");
    assert_eq!(finished[0]["outcome"], "interrupted", "{records:?}");
    let check = of_kind(&records, "check-finished");
    assert!(
        check[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("interrupted")),
        "{check:?}"
    );
    let last = records.last().expect("records");
    assert_eq!(last["event"], "run-finished");
    assert_eq!(last["exit_code"], 130);
}

#[test]
fn m10_checks_that_would_allocate_gigabytes_are_broken_not_fatal() {
    // Each check stays within every limit on its way to one call that
    // would build far more than the limits allow.
    let checks = [
        // 128 KiB of `a`, each replaced by all of it: 16 GiB.
        (
            "let s = \"a\";\nfor i in 0..17 { s += s; }\ns.replace(\"a\", s);\ntrue",
            Some(3),
        ),
        // 16 MiB split between every character: 16 M strings.
        (
            "let s = \"a\";\nfor i in 0..24 { s += s; }\nlet parts = s.split(\"\");\ntrue",
            Some(3),
        ),
        // 16 M empty lines.
        (
            "let s = \"\\n\";\nfor i in 0..24 { s += s; }\nlet all = lines(s);\ntrue",
            Some(3),
        ),
        // A 12 MiB JSON array of 6 M zeros.
        (
            "let s = \"0,\";\nfor i in 0..22 { s += s; }\nlet v = json(\"[\" + s + \"0]\");\ntrue",
            Some(3),
        ),
        // 1 MiB printed 2000 times: kept bounded, the check passes.
        (
            "let s = \"a\";\nfor i in 0..20 { s += s; }\nfor i in 0..2000 { print(s); warn(s + i); }\ntrue",
            None,
        ),
    ];
    let mut text = String::from("# Amplify\n");
    let mut lines = Vec::new();
    for (i, (check, _)) in checks.iter().enumerate() {
        text.push_str(&format!(
            "\n## Check {i}\n\n```bash {{continue-on-error}}\ntrue\n```\n\n```rhai\n"
        ));
        lines.push(text.lines().count());
        text.push_str(check);
        text.push_str("\n```\n");
    }
    let runbook = TempRunbook::new("amplify.md", text);
    let runs = runbook.dir.path().join("runs");
    let output = run_capped(
        &runbook,
        &[
            "--json",
            "--transcript",
            &runs.join("t.jsonl").display().to_string(),
        ],
    );
    assert!(
        output.status.code().is_some(),
        "litops was killed: {:?}\n{}",
        output.status,
        stderr(&output)
    );
    let events = events(&output);
    let found = of_kind(&events, "check-finished");
    assert_eq!(found.len(), checks.len(), "{}", stdout(&output));
    for ((check, (_, line)), first) in found.iter().zip(&checks).zip(&lines) {
        let message = check["message"].as_str().unwrap_or("");
        match line {
            Some(line) => {
                assert_eq!(check["verdict"], "error", "{check}");
                assert!(message.contains("limit"), "{message}");
                assert!(
                    message.contains(&format!("amplify.md:{}:", first + line)),
                    "{message} should point at line {}",
                    first + line
                );
            }
            None => {
                assert_eq!(check["verdict"], "warn", "{check}");
                let printed: usize = check["printed"].as_array().map_or(0, |p| {
                    p.iter().filter_map(Value::as_str).map(str::len).sum()
                });
                assert!(printed <= 64 * 1024 + 100, "{printed} bytes printed");
                assert!(
                    message.len() <= 64 * 1024 + 200,
                    "{} bytes of warnings",
                    message.len()
                );
            }
        }
    }
    let records: Vec<Value> = std::fs::read_to_string(runs.join("t.jsonl"))
        .expect("transcript")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        records.last().map(|r| r["event"].clone()),
        Some(Value::from("run-finished"))
    );
}
