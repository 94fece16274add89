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
        err.contains("~ prepare: the value of TARGET changed since it was approved"),
        "{err}"
    );
    assert!(
        err.contains("~ purge-old-rows: the value of TARGET changed since it was approved"),
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
    assert!(err.contains("~ purge-old-rows: script changed"), "{err}");
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

/// A step's output in the JUnit report: tabs and line ends kept as printed,
/// and only what XML 1.0 cannot hold left out (C0 controls but tab, line
/// feed and carriage return; U+FFFE and U+FFFF), so the report always
/// parses.
#[test]
fn junit_keeps_output_as_printed_and_stays_valid_xml() {
    let site = Site::new(
        "# Bytes\n\n## Print\n\n```bash\nprintf 'name\\tstate\\r\\nbell\\a esc\\033 del\\177 nonchar\\357\\277\\277 end\\n'\nexit 3\n```\n",
    );
    let junit = site.dir().join("junit.xml");
    let output = site
        .litops()
        .args(["run", "cleanup.md", "--report"])
        .arg(format!("junit={}", junit.display()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    let not_xml: Vec<char> = xml
        .chars()
        .filter(|&c| {
            !matches!(c, '\t' | '\n' | '\r') && (c < ' ' || c == '\u{fffe}' || c == '\u{ffff}')
        })
        .collect();
    assert!(not_xml.is_empty(), "{not_xml:?} in {xml}");
    let cases = parse_junit(&xml);
    assert_eq!(
        cases,
        vec![(
            "print".to_owned(),
            "Print".to_owned(),
            Some("exit 3".to_owned())
        )]
    );
    // Both the failure's body and <system-out> hold the output.
    let printed = "name\tstate\r\nbell esc del\u{7f} nonchar end\n";
    assert_eq!(xml.matches(printed).count(), 2, "{xml}");
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
    // litops's own lock keeps runs apart: no lock file in a shared directory.
    assert!(!line.contains("flock"), "{line}");
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
    // No approval policy here: the log says the approval was not checked.
    assert!(
        log.starts_with(
            "warning: the plan's approvals are not signed or not checked: no approval policy"
        ) && log.contains("\n✓ Nightly cleanup: success"),
        "{log}"
    );
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

/// `litops schedule ARGS` from `dir`, with its runs directory and locks there.
fn schedule_in(dir: &Path, args: &[&str]) -> std::process::Output {
    crate::support::litops()
        .current_dir(dir)
        .env("LITOPS_RUNS_DIR", dir.join("runs"))
        .env("LITOPS_LOCK_DIR", lock_dir(dir))
        .arg("schedule")
        .args(args)
        .output()
        .expect("runs")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|e| {
            e.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

const SIMPLE: &str = "# Simple\n\n## Say\n\n```bash\necho said\n```\n";

#[test]
fn m12_newline_in_runbook_name_is_refused() {
    let name = "evil\n[Service]\nExecStartPre=touch pwned\n#.md";
    let site = TempRunbook::new(name, SIMPLE);
    for emit in ["systemd", "cron"] {
        let out = site.dir.path().join(format!("out-{emit}"));
        let output = schedule_in(
            site.dir.path(),
            &[
                name,
                "--cron",
                "@daily",
                "--emit",
                emit,
                "--name",
                "evil",
                "--out",
                out.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(output.status.code(), Some(2), "{emit}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("control character"),
            "{emit}: {}",
            stderr(&output)
        );
        assert_eq!(files_in(&out), Vec::<String>::new(), "{emit}");
    }
}

#[test]
fn m12_newline_in_run_args_or_cron_is_refused() {
    let site = TempRunbook::new("simple.md", SIMPLE);
    let dir = site.dir.path();
    for emit in ["systemd", "cron", "k8s-cronjob"] {
        let out = dir.join(format!("out-{emit}"));
        let out = out.to_str().expect("utf-8");
        for (cron, arg) in [
            ("@daily", "X=1\nExecStartPre=/bin/touch /tmp/pwned"),
            ("@daily", "X=1\r* * * * * touch /tmp/pwned"),
            ("@daily", "X=\u{85}1"),
            ("0\n3 * * *", "X=1"),
        ] {
            let output = schedule_in(
                dir,
                &[
                    "simple.md",
                    "--cron",
                    cron,
                    "--emit",
                    emit,
                    "--out",
                    out,
                    "--",
                    "--set",
                    arg,
                ],
            );
            assert_eq!(
                output.status.code(),
                Some(2),
                "{emit} {arg:?}: {}",
                stderr(&output)
            );
            assert!(
                stderr(&output).contains("control character"),
                "{emit} {arg:?}: {}",
                stderr(&output)
            );
            assert_eq!(files_in(Path::new(out)), Vec::<String>::new(), "{emit}");
        }
    }
}

/// A directory name with what systemd and sh treat specially.
const HOSTILE_DIR: &str = "ops 100% $HOME \"q\" it's \\ ;x";

#[test]
fn m12_paths_with_spaces_and_specials_give_units_systemd_accepts() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join(HOSTILE_DIR);
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("my runbook.md"), SIMPLE).expect("write");
    let out = dir.join("units");
    let output = schedule_in(
        &dir,
        &[
            "my runbook.md",
            "--cron",
            "@daily",
            "--emit",
            "systemd",
            "--out",
            out.to_str().expect("utf-8"),
            "--",
            "--set",
            "X=a b $y %z \"w\" \\",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let service = out.join("litops-my-runbook.service");
    let unit = std::fs::read_to_string(&service).expect("service");
    let canonical = dir.canonicalize().expect("canonical").display().to_string();
    // Taken as written, only specifiers expanded: no quotes.
    let working = format!("WorkingDirectory={}\n", canonical.replace('%', "%%"));
    assert!(unit.contains(&working), "{unit}");
    // Unquoted and C-unescaped; `$` is literal in Environment=.
    let env = format!(
        "Environment=\"LITOPS_RUNS_DIR={}/runs\"\n",
        canonical
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('%', "%%")
    );
    assert!(unit.contains(&env), "{unit}");
    assert!(
        unit.contains(r#" "X=a b $$y %%z \"w\" \\""#),
        "the argument, escaped: {unit}"
    );
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&service)
        .arg(out.join("litops-my-runbook.timer"))
        .output()
        .expect("systemd-analyze (scripts/test-deps installs systemd)");
    assert!(
        verify.status.success(),
        "{}{}",
        stdout(&verify),
        stderr(&verify)
    );
    // Warnings (an invalid Documentation= URL, say) fail too.
    assert_eq!(stderr(&verify), "", "{unit}");
}

#[test]
fn h2_the_crontab_line_uses_no_lock_file_in_a_shared_directory() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join(HOSTILE_DIR);
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("cleanup.md"), SIMPLE).expect("write");
    // Another user's world-writable directory: what `schedule` saw as $TMPDIR.
    let shared = root.path().join("shared-tmp");
    std::fs::create_dir(&shared).expect("mkdir");
    let out = dir.join("cron");
    let output = crate::support::litops()
        .current_dir(&dir)
        .env("LITOPS_RUNS_DIR", dir.join("runs"))
        .env("TMPDIR", &shared)
        .args([
            "schedule",
            "cleanup.md",
            "--cron",
            "@daily",
            "--emit",
            "cron",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The other user holds every lock file they could have guessed.
    let held = shared.join("litops-cleanup.cron.lock");
    let mut holder = std::process::Command::new("flock")
        .arg(&held)
        .args(["sleep", "60"])
        .spawn()
        .expect("flock (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::process::Command::new("flock")
        .args(["-n"])
        .arg(&held)
        .arg("true")
        .status()
        .expect("flock")
        .success()
    {
        assert!(Instant::now() < deadline, "the lock was never taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(out.join("litops-cleanup.crontab")).expect("crontab");
    let line = text
        .lines()
        .find(|l| l.starts_with("@daily "))
        .expect("the job line");
    assert!(!line.contains(&shared.display().to_string()), "{line}");
    // What cron runs: `\%` becomes `%`, then /bin/sh runs the command.
    let command = line.trim_start_matches("@daily ").replace("\\%", "%");
    let ran = std::process::Command::new("sh")
        .args(["-c", &command])
        .env("LITOPS_LOCK_DIR", lock_dir(root.path()))
        .stdin(Stdio::null())
        .output()
        .expect("sh");
    holder.kill().expect("kill the holder");
    let _ = holder.wait();
    assert!(ran.status.success(), "{line}\n{}", stderr(&ran));
    let log = std::fs::read_to_string(dir.join("runs/cleanup/cron.log")).expect("log");
    assert!(log.contains("Done: 1 succeeded, 0 failed"), "{log}");
}

#[test]
fn m13_schedule_never_overwrites_without_force() {
    use std::os::unix::fs::PermissionsExt;
    let site = TempRunbook::new("cleanup.md", SIMPLE);
    let dir = site.dir.path();
    // k8s-cronjob and somebody's own Dockerfile.
    std::fs::write(dir.join("Dockerfile"), "FROM mine\n").expect("write");
    let k8s = ["cleanup.md", "--cron", "@daily", "--emit", "k8s-cronjob"];
    let output = schedule_in(dir, &k8s);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Dockerfile exists") && stderr(&output).contains("--force"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("read"),
        "FROM mine\n"
    );
    assert!(!dir.join("litops-cleanup.yaml").exists(), "nothing written");
    let output = schedule_in(dir, &[&k8s[..], &["--force"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        std::fs::read_to_string(dir.join("Dockerfile"))
            .expect("read")
            .contains("litops schedule")
    );
    // A unit path planted as a symlink to a file of somebody else's.
    let victim = dir.join("victim");
    std::fs::write(&victim, "keep\n").expect("write");
    let units = dir.join("units");
    std::fs::create_dir(&units).expect("mkdir");
    let service = units.join("litops-cleanup.service");
    std::os::unix::fs::symlink(&victim, &service).expect("symlink");
    let systemd = [
        "cleanup.md",
        "--cron",
        "@daily",
        "--emit",
        "systemd",
        "--out",
        "units",
    ];
    let output = schedule_in(dir, &systemd);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("litops-cleanup.service exists (a symlink)"),
        "{}",
        stderr(&output)
    );
    assert!(
        !units.join("litops-cleanup.timer").exists(),
        "nothing written"
    );
    // --force replaces the link itself, never what it points to.
    let output = schedule_in(dir, &[&systemd[..], &["--force"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep\n");
    let meta = std::fs::symlink_metadata(&service).expect("meta");
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // A second run without --force: the units it wrote are not replaced.
    let output = schedule_in(dir, &systemd);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn the_kubernetes_cronjob_keeps_transcripts_on_a_claim_by_default() {
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim};
    // A file name Kubernetes does not take as a ConfigMap key.
    let site = TempRunbook::new("my runbook (v2).md", SIMPLE);
    let dir = site.dir.path();
    let output = schedule_in(
        dir,
        &[
            "my runbook (v2).md",
            "--cron",
            "@daily",
            "--emit",
            "k8s-cronjob",
            "--name",
            "weekly",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let yaml = std::fs::read_to_string(dir.join("litops-weekly.yaml")).expect("yaml");
    let documents: Vec<&str> = yaml.split("\n---\n").collect();
    assert_eq!(documents.len(), 3, "{yaml}");
    let config_map: ConfigMap = serde_saphyr::from_str(documents[0]).expect("a ConfigMap");
    let claim: PersistentVolumeClaim =
        serde_saphyr::from_str(documents[1]).expect("a PersistentVolumeClaim");
    let cron_job: CronJob = serde_saphyr::from_str(documents[2]).expect("a CronJob");
    let keys: Vec<String> = config_map.data.expect("data").into_keys().collect();
    assert_eq!(keys, vec!["my-runbook--v2-.md".to_owned()]);
    assert_eq!(claim.metadata.name.as_deref(), Some("litops-weekly-runs"));
    let pod = cron_job
        .spec
        .as_ref()
        .and_then(|s| s.job_template.spec.as_ref())
        .and_then(|j| j.template.spec.as_ref())
        .expect("pod");
    let args = pod.containers[0].args.as_deref().expect("args");
    assert_eq!(args[1], "/etc/litops/runbook/my-runbook--v2-.md");
    let transcripts = pod
        .volumes
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|v| v.name == "transcripts")
        .expect("a transcripts volume");
    assert!(transcripts.empty_dir.is_none());
    assert_eq!(
        transcripts
            .persistent_volume_claim
            .as_ref()
            .map(|c| c.claim_name.as_str()),
        Some("litops-weekly-runs")
    );
}

/// `litops status --json` from `dir`, as of `now`, one row per runbook.
fn status_rows(dir: &Path, now: &str) -> (Option<i32>, Vec<Value>) {
    let output = crate::support::litops()
        .current_dir(dir)
        .env("LITOPS_RUNS_DIR", dir.join("runs"))
        .env("LITOPS_NOW", now)
        .env("TZ", "UTC")
        .args(["status", "--json"])
        .output()
        .expect("runs");
    let rows = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    (output.status.code(), rows)
}

#[test]
fn status_keeps_runbooks_with_the_same_file_name_apart() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    for (sub, step) in [("a", "true"), ("b", "false")] {
        std::fs::create_dir(dir.join(sub)).expect("mkdir");
        std::fs::write(
            dir.join(sub).join("README.md"),
            format!("# {sub}\n\n## Step\n\n```bash\n{step}\n```\n"),
        )
        .expect("write");
        let output = crate::support::litops()
            .current_dir(dir)
            .env("LITOPS_RUNS_DIR", dir.join("runs"))
            .env("LITOPS_LOCK_DIR", lock_dir(dir))
            .args(["run", &format!("{sub}/README.md")])
            .output()
            .expect("runs");
        assert!(output.status.code().is_some(), "{}", stderr(&output));
    }
    // Scheduled from another directory: the same runbook all the same.
    let output = schedule_in(
        dir,
        &[
            "a/README.md",
            "--cron",
            "@daily",
            "--emit",
            "cron",
            "--out",
            "cron",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, rows) = status_rows(dir, "2030-01-01T12:00:00Z");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let canonical = dir.canonicalize().expect("canonical");
    let path = |sub: &str| canonical.join(sub).join("README.md").display().to_string();
    assert_eq!(rows[0]["runbook"], path("a"));
    assert_eq!(rows[0]["last_outcome"], "success");
    assert_eq!(rows[0]["schedule"], "@daily");
    assert_eq!(rows[1]["runbook"], path("b"));
    assert_eq!(rows[1]["last_outcome"], "step-failed");
    assert_eq!(rows[1]["schedule"], Value::Null);
    assert_eq!(code, Some(1));
}

#[test]
fn a_generated_schedule_is_not_missed_until_its_first_run() {
    let site = TempRunbook::new("cleanup.md", SIMPLE);
    let dir = site.dir.path();
    let output = schedule_in(
        dir,
        &[
            "cleanup.md",
            "--cron",
            "0 3 * * *",
            "--emit",
            "systemd",
            "--out",
            "units",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Written, never installed: two days on, nothing ran and that is no miss.
    // (Noon UTC then: its 03:00 is after now and long past.)
    let in_two_days = jiff::Timestamp::now().as_second() + 48 * 3600;
    let later =
        jiff::Timestamp::from_second(in_two_days - in_two_days.rem_euclid(86_400) + 12 * 3600)
            .expect("noon");
    let (code, rows) = status_rows(dir, &later.to_string());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["missed"], false, "{rows:?}");
    assert_eq!(rows[0]["confirmed"], false, "{rows:?}");
    assert_eq!(code, Some(0));
    let table = crate::support::litops()
        .current_dir(dir)
        .env("LITOPS_RUNS_DIR", dir.join("runs"))
        .env("LITOPS_NOW", later.to_string())
        .env("TZ", "UTC")
        .arg("status")
        .output()
        .expect("runs");
    assert!(
        stdout(&table).contains("0 3 * * *  unconfirmed"),
        "{}",
        stdout(&table)
    );
    // The first run, as the timer would start it.
    let output = crate::support::litops()
        .current_dir(dir)
        .env("LITOPS_RUNS_DIR", dir.join("runs"))
        .env("LITOPS_LOCK_DIR", lock_dir(dir))
        .args(["run", "cleanup.md", "--unattended"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, rows) = status_rows(dir, &later.to_string());
    assert_eq!(rows[0]["confirmed"], true, "{rows:?}");
    assert_eq!(rows[0]["missed"], true, "{rows:?}");
    assert_eq!(code, Some(1));
}

/// A shared lock directory under `dir`, made beforehand as an administrator
/// makes one (litops never creates a shared one).
fn lock_dir(dir: &Path) -> PathBuf {
    let locks = dir.join("locks");
    std::fs::create_dir_all(&locks).expect("lock directory");
    locks
}
