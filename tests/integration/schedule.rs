//! Scheduled unattended maintenance: approved plans, locks, reports and
//! hooks, the scheduler configurations, and `status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};

const MAINT: &str = "---\ntitle: Nightly cleanup\nlitops:\n  lock_key: [TARGET]\n  vars:\n    API_TOKEN:\n      secret: true\n---\n# Nightly cleanup\n\n## Prepare\n\n```bash\necho \"preparing $TARGET\"\n```\n\n## Purge old rows\n\n```bash {confirm=\"deletes rows\"}\necho \"purging on $TARGET with ${#API_TOKEN}-char token\"\n```\n\n```rhai\nstdout.contains(\"purging\")\n```\n";

struct Site {
    runbook: TempRunbook,
}

impl Site {
    fn new(text: &str) -> Site {
        Site {
            runbook: TempRunbook::new("cleanup.md", text),
        }
    }

    fn dir(&self) -> &Path {
        self.runbook.dir.path()
    }

    fn locks(&self) -> PathBuf {
        // Made beforehand, as an administrator makes a shared one.
        let dir = self.dir().join("locks");
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    fn litops(&self) -> assert_cmd::Command {
        let mut cmd = litops();
        cmd.current_dir(self.dir())
            .env("LITOPS_RUNS_DIR", self.dir().join("runs"))
            .env("LITOPS_LOCK_DIR", self.locks());
        cmd
    }

    fn plan(&self, values: &[&str]) -> PathBuf {
        let path = self.dir().join("plan.json");
        let mut cmd = self.litops();
        cmd.args(["plan", "cleanup.md", "--out"]).arg(&path);
        for v in values {
            cmd.args(["--set", v]);
        }
        let output = cmd.output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        path
    }

    fn approve(&self, plan: &Path, by: &str) {
        let output = self
            .litops()
            .arg("approve")
            .arg(plan)
            .args(["--by", by])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }

    /// `litops schedule cleanup.md OPTIONS --approved PLAN --out DIR -- RUN ARGS`, which must succeed.
    fn schedule(&self, options: &[&str], plan: &Path, out: &Path, run_args: &[&str]) {
        let output = self
            .litops()
            .args(["schedule", "cleanup.md"])
            .args(options)
            .arg("--approved")
            .arg(plan)
            .arg("--out")
            .arg(out)
            .arg("--")
            .args(run_args)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }

    fn run(&self, plan: &Path, values: &[&str], extra: &[&str]) -> std::process::Output {
        let mut cmd = self.litops();
        cmd.args(["run", "cleanup.md", "--approved"]).arg(plan);
        for v in values {
            cmd.args(["--set", v]);
        }
        cmd.args(extra).env("API_TOKEN", "tok-1234567890");
        cmd.output().expect("runs")
    }
}

#[test]
fn an_approved_plan_runs_quietly_and_its_gates_count_as_approved() {
    let site = Site::new(MAINT);
    let plan = site.plan(&["TARGET=db1"]);
    let text = std::fs::read_to_string(&plan).expect("plan");
    assert!(!text.contains("tok-1234567890"));
    // Not approved yet.
    let output = site.run(&plan, &["TARGET=db1"], &[]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("no approval yet"),
        "{}",
        stderr(&output)
    );
    site.approve(&plan, "alice");
    let output = site.run(&plan, &["TARGET=db1"], &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let gate: Vec<Value> = stdout(&output)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "gate-answered")
        .collect();
    assert_eq!(gate.len(), 1);
    assert_eq!(gate[0]["by"], "alice");
    assert_eq!(gate[0]["how"], "approved plan");
    // Unattended with an approved plan: one line, no step output.
    let output = site.run(&plan, &["TARGET=db1"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.starts_with("✓ Nightly cleanup: success; 2 succeeded, 0 failed, 0 skipped in "),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    // A rotated secret does not void the approval.
    let mut cmd = site.litops();
    let output = cmd
        .args(["run", "cleanup.md", "--approved"])
        .arg(&plan)
        .args(["--set", "TARGET=db1"])
        .env("API_TOKEN", "another-token-value")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn an_edited_runbook_or_a_changed_value_is_refused_with_the_step_named() {
    let site = Site::new(MAINT);
    let plan = site.plan(&["TARGET=db1"]);
    site.approve(&plan, "alice");
    let hook = site.dir().join("refused.json");
    let page = format!("cat > '{}'", hook.display());
    let output = site.run(&plan, &["TARGET=db2"], &["--on-failure", &page]);
    assert_eq!(output.status.code(), Some(4));
    // A refused scheduled run still pages.
    let paged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&hook).expect("the hook ran")).expect("json");
    assert_eq!(paged["outcome"], "refused");
    assert_eq!(paged["exit_code"], 4);
    let err = stderr(&output);
    assert!(
        err.contains("~ prepare: changed since it was approved"),
        "{err}"
    );
    assert!(
        err.contains("~ purge-old-rows: changed since it was approved"),
        "{err}"
    );
    assert!(err.contains("nothing was run"), "{err}");
    std::fs::write(
        site.runbook.path(),
        MAINT.replace("purging on", "PURGING ALL on"),
    )
    .expect("edit");
    let output = site.run(&plan, &["TARGET=db1"], &[]);
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(err.contains("~ purge-old-rows: changed"), "{err}");
    assert!(!err.contains("~ prepare"), "{err}");
    std::fs::write(
        site.runbook.path(),
        format!("{MAINT}\n## Extra\n\n```bash\necho extra\n```\n"),
    )
    .expect("edit");
    // A step added where the plan selected: not approved, so nothing runs.
    let output = site.run(&plan, &["TARGET=db1"], &["--verbose"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("+ extra: not in the approved plan"),
        "{}",
        stderr(&output)
    );
    assert!(!stdout(&output).contains("extra"), "{}", stdout(&output));
    // The plan edited after its approval: the approval no longer covers it.
    std::fs::write(site.runbook.path(), MAINT).expect("restore");
    let text = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(
        &plan,
        text.replace("\"gated\": true", "\"gated\": false")
            .replacen("sha256:", "sha256:0", 1),
    )
    .expect("edit plan");
    let output = site.run(&plan, &["TARGET=db1"], &[]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("edited after approval"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn one_run_per_lock_key_and_a_stale_lock_is_taken_over() {
    let site = Site::new(
        "---\nlitops:\n  lock_key: [TARGET]\n---\n## Slow\n\n```bash\ntouch started-$TARGET\nsleep 2\n```\n",
    );
    let bin = assert_cmd::cargo::cargo_bin!("litops");
    let mut first = std::process::Command::new(bin)
        .current_dir(site.dir())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LITOPS_RUNS_DIR", site.dir().join("runs"))
        .env("LITOPS_LOCK_DIR", site.locks())
        .args([
            "run",
            "cleanup.md",
            "--set",
            "TARGET=db1",
            "--no-transcript",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !site.dir().join("started-db1").exists() {
        assert!(Instant::now() < deadline, "the first run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = site
        .litops()
        .args([
            "run",
            "cleanup.md",
            "--set",
            "TARGET=db1",
            "--no-transcript",
        ])
        .output()
        .expect("runs");
    assert_eq!(second.status.code(), Some(7), "{}", stderr(&second));
    let err = stderr(&second);
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(err.contains("for TARGET=db1"), "{err}");
    assert!(
        !site.dir().join("runs").exists(),
        "the refused run records nothing"
    );
    // Another target is another lock.
    let other = site
        .litops()
        .args([
            "run",
            "cleanup.md",
            "--set",
            "TARGET=db2",
            "--no-transcript",
        ])
        .output()
        .expect("runs");
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    assert_eq!(first.wait().expect("wait").code(), Some(0));
    // A holder that died without releasing: its record is there, its lock is not.
    let lock = litops::lock::lock_path(&site.locks(), &site.runbook.path, "TARGET=db1");
    let dead = litops::lock::Holder {
        pid: 999_999,
        host: "gone".into(),
        user: "ops".into(),
        started_at: "2026-11-01T03:00:00Z".into(),
        runbook: "cleanup.md".into(),
        key: "TARGET=db1".into(),
    };
    std::fs::write(&lock, serde_json::to_string(&dead).expect("json")).expect("write");
    let output = site
        .litops()
        .args([
            "run",
            "cleanup.md",
            "--set",
            "TARGET=db1",
            "--no-transcript",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("took over a stale lock: pid 999999 on gone"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn junit_and_json_reports_and_hooks() {
    let site = Site::new(
        MAINT
            .replace("stdout.contains(\"purging\")", "stdout.contains(\"nope\")")
            .as_str(),
    );
    let junit = site.dir().join("junit.xml");
    let summary = site.dir().join("summary.json");
    let hook_input = site.dir().join("hook.json");
    let output = site
        .litops()
        .args(["run", "cleanup.md", "--yes", "--set", "TARGET=db1"])
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .arg("--report")
        .arg(format!("json={}", summary.display()))
        .arg("--on-failure")
        .arg(format!(
            "cat > '{}'; echo \"paged: $LITOPS_OUTCOME $LITOPS_EXIT_CODE\"",
            hook_input.display()
        ))
        .args(["--on-success", "echo never"])
        .env("API_TOKEN", "tok-1234567890")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("paged: check-failed 5"),
        "{}",
        stdout(&output)
    );
    assert!(!stdout(&output).contains("never"));
    let hook: Value =
        serde_json::from_str(&std::fs::read_to_string(&hook_input).expect("hook input"))
            .expect("json on stdin");
    assert_eq!(hook["outcome"], "check-failed");
    let from_file: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("json");
    assert_eq!(hook, from_file);
    assert_eq!(from_file["steps"][1]["checks"][0]["verdict"], "fail");
    // The JUnit report, parsed back.
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(!xml.contains("tok-1234567890"));
    let cases = parse_junit(&xml);
    assert_eq!(
        cases,
        vec![
            ("prepare".to_owned(), "Prepare".to_owned(), None),
            (
                "purge-old-rows".to_owned(),
                "Purge old rows".to_owned(),
                Some("block check fail: the check is false".to_owned())
            ),
        ]
    );
}

/// (name, classname, failure message prefix) of each testcase, checking the
/// document is well-formed and the counts agree.
fn parse_junit(xml: &str) -> Vec<(String, String, Option<String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<(String, String, Option<String>)> = Vec::new();
    let mut suite_tests = None;
    let mut suite_failures = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .expect("attribute")
                                .into_owned()
                        })
                };
                match e.name().as_ref() {
                    "testsuite" => {
                        suite_tests = attr("tests");
                        suite_failures = attr("failures");
                    }
                    "testcase" => cases.push((
                        attr("name").expect("name"),
                        attr("classname").expect("classname"),
                        None,
                    )),
                    "failure" => {
                        let message = attr("message").expect("message");
                        let short = message.split(" (").next().unwrap_or("").to_owned();
                        if let Some(last) = cases.last_mut() {
                            last.2 = Some(short);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(suite_tests, Some(cases.len().to_string()));
    let failed = cases.iter().filter(|c| c.2.is_some()).count();
    assert_eq!(suite_failures, Some(failed.to_string()));
    cases
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    let site = Site::new(MAINT);
    let plan = site.plan(&["TARGET=db1"]);
    site.approve(&plan, "alice");
    let out = site.dir().join("units");
    site.schedule(
        &["--cron", "30 2 * * 1-5", "--emit", "systemd"],
        &plan,
        &out,
        &["--set", "TARGET=db 1 %x"],
    );
    let service = out.join("litops-cleanup.service");
    let timer = out.join("litops-cleanup.timer");
    let unit = std::fs::read_to_string(&service).expect("service");
    assert!(unit.contains("\"TARGET=db 1 %%x\""), "{unit}");
    let timer_text = std::fs::read_to_string(&timer).expect("timer");
    assert!(
        timer_text.contains("OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 02:30:00\n"),
        "{timer_text}"
    );
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&service)
        .arg(&timer)
        .output()
        .expect("systemd-analyze (scripts/test-deps installs systemd)");
    assert!(
        verify.status.success(),
        "{}{}",
        stdout(&verify),
        stderr(&verify)
    );
    let calendar = std::process::Command::new("systemd-analyze")
        .args(["calendar", "Mon,Tue,Wed,Thu,Fri *-*-* 02:30:00"])
        .output()
        .expect("systemd-analyze");
    assert!(calendar.status.success(), "{}", stderr(&calendar));
}

#[test]
fn the_crontab_line_runs_as_written() {
    let site = Site::new(MAINT);
    let plan = site.plan(&["TARGET=db1"]);
    site.approve(&plan, "alice");
    let out = site.dir().join("cron");
    site.schedule(
        &["--cron", "@daily", "--emit", "cron"],
        &plan,
        &out,
        &["--set", "TARGET=db1"],
    );
    let text = std::fs::read_to_string(out.join("litops-cleanup.crontab")).expect("crontab");
    let line = text
        .lines()
        .find(|l| l.starts_with("@daily "))
        .expect("the job line");
    assert!(line.contains(" flock -n "), "{line}");
    // What cron would run (no `%` here, so nothing to unescape).
    let command = line.trim_start_matches("@daily ");
    let ran = std::process::Command::new("sh")
        .args(["-c", command])
        .env("API_TOKEN", "tok-1234567890")
        .env("LITOPS_LOCK_DIR", site.locks())
        .stdin(Stdio::null())
        .output()
        .expect("sh");
    assert!(ran.status.success(), "{}", stderr(&ran));
    let log = std::fs::read_to_string(site.dir().join("runs/cleanup/cron.log")).expect("log");
    assert!(log.starts_with("✓ Nightly cleanup: success"), "{log}");
}

#[test]
fn the_kubernetes_cronjob_reads_back_as_typed_objects() {
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::ConfigMap;
    let site = Site::new(MAINT);
    let plan = site.plan(&["TARGET=db1"]);
    site.approve(&plan, "alice");
    let out = site.dir().join("k8s");
    site.schedule(
        &[
            "--cron",
            "0 3 * * 0",
            "--emit",
            "k8s-cronjob",
            "--namespace",
            "ops",
            "--image",
            "registry.example/litops:0.1.0",
            "--transcripts-claim",
            "litops-runs",
        ],
        &plan,
        &out,
        &["--set", "TARGET=db1"],
    );
    let yaml = std::fs::read_to_string(out.join("litops-cleanup.yaml")).expect("yaml");
    let mut documents = yaml.split("\n---\n");
    let config_map: ConfigMap =
        serde_saphyr::from_str(documents.next().expect("config map")).expect("a ConfigMap");
    let cron_job: CronJob =
        serde_saphyr::from_str(documents.next().expect("cron job")).expect("a CronJob");
    let data = config_map.data.expect("data");
    assert_eq!(data["cleanup.md"], MAINT);
    assert_eq!(
        data["plan.json"],
        std::fs::read_to_string(&plan).expect("plan")
    );
    let spec = cron_job.spec.as_ref().expect("spec");
    assert_eq!(spec.schedule, "0 3 * * 0");
    assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
    assert_eq!(spec.starting_deadline_seconds, Some(600));
    let pod = spec
        .job_template
        .spec
        .as_ref()
        .and_then(|j| j.template.spec.as_ref())
        .expect("pod");
    let container = &pod.containers[0];
    assert_eq!(
        container.args.as_deref(),
        Some(
            &[
                "run",
                "/etc/litops/runbook/cleanup.md",
                "--unattended",
                "--approved",
                "/etc/litops/runbook/plan.json",
                "--set",
                "TARGET=db1"
            ]
            .map(str::to_owned)[..]
        )
    );
    assert!(
        container
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .is_some()
    );
    assert!(out.join("Dockerfile").exists());
    // Everything but the plan (its dates and digests) is stable.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"(?s)  plan\.json: \|.*?\n(\S)", "  plan.json: [PLAN]\n$1");
    settings.bind(|| insta::assert_snapshot!("k8s_cronjob", yaml));
}

#[test]
fn status_reports_last_runs_and_missed_schedules() {
    let site = Site::new(MAINT);
    let output = site
        .litops()
        .args(["run", "cleanup.md", "--yes", "--set", "TARGET=db1"])
        .env("API_TOKEN", "tok-1234567890")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let registry = site.dir().join("runs/cleanup/schedule.json");
    std::fs::write(
        &registry,
        r#"{"cron": "0 3 * * *", "emit": "systemd", "name": "cleanup", "runbook": "cleanup.md", "created_at": "2020-01-01T00:00:00Z"}"#,
    )
    .expect("registry");
    let status = |now: &str| {
        let output = site
            .litops()
            .args(["status", "--json"])
            .env("LITOPS_NOW", now)
            .env("TZ", "UTC")
            .output()
            .expect("runs");
        let row: Value = serde_json::from_str(stdout(&output).trim()).expect("json");
        (output.status.code(), row)
    };
    // Just after the run: the last 03:00 was before it, nothing missed.
    let started: jiff::Timestamp = std::fs::read_dir(site.dir().join("runs/cleanup"))
        .expect("runs")
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("read");
            let header: Value =
                serde_json::from_str(text.lines().next().expect("header")).expect("json");
            header["started_at"]
                .as_str()
                .expect("started")
                .parse()
                .expect("time")
        })
        .expect("a transcript");
    let soon = started + jiff::SignedDuration::from_secs(60);
    let (code, row) = status(&soon.to_string());
    assert_eq!(row["last_outcome"], "success");
    assert_eq!(row["runs"], 1);
    // The run may have started between 03:00 and 03:15 UTC: then it is the
    // scheduled one; otherwise the last 03:00 was before it either way.
    assert_eq!(row["missed"], false, "{row}");
    assert_eq!(code, Some(0));
    // Two days later, no run since: the schedule was missed.
    let later = started + jiff::SignedDuration::from_hours(48);
    let (code, row) = status(&later.to_string());
    assert_eq!(row["missed"], true, "{row}");
    assert_eq!(code, Some(1));
}

#[test]
fn a_resumed_run_keeps_to_its_approved_plan() {
    let site = Site::new(
        "---\nlitops:\n  lock_key: [TARGET]\n---\n# Cleanup\n\n## Prepare\n\n```bash\necho \"preparing $TARGET\"\n```\n\n## Purge\n\n```bash {confirm=\"deletes rows\"}\ntest -f go-ahead\necho purged\n```\n",
    );
    let plan = site.plan(&["TARGET=db1"]);
    site.approve(&plan, "alice");
    let output = site.run(&plan, &["TARGET=db1"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    std::fs::write(site.dir().join("go-ahead"), "").expect("write");
    // Without the plan, the gated step left is not approved.
    let output = site
        .litops()
        .args(["resume", "last"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let output = site
        .litops()
        .args(["resume", "last", "--approved"])
        .arg(&plan)
        .args(["--json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains(r#""how":"approved plan""#) && out.contains(r#""by":"alice""#),
        "{out}"
    );
    assert!(
        !out.contains("preparing"),
        "the completed step is not run again: {out}"
    );
}

#[test]
fn quiet_output_leaves_out_attempts_that_were_retried() {
    let site = Site::new(
        "## Wait\n\n```bash {retry=3 interval=10ms}\nn=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) > count\necho \"attempt $((n + 1))\"\ntest $((n + 1)) -ge 2\n```\n",
    );
    let output = site
        .litops()
        .args(["run", "cleanup.md", "--quiet", "--no-transcript"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("1 succeeded, 0 failed"), "{out}");
    // A step that fails for good is shown whole.
    std::fs::write(site.dir().join("count"), "-5").expect("reset");
    let output = site
        .litops()
        .args(["run", "cleanup.md", "--quiet", "--no-transcript"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(
        out.contains("attempt -2") && out.contains("✗ wait"),
        "{out}"
    );
    assert!(
        !out.contains("attempt -4"),
        "earlier attempts stay hidden: {out}"
    );
}
