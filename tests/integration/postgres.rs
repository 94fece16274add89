//! `runbooks/postgres-maintenance.md` against a real PostgreSQL server: a
//! throwaway cluster (initdb) on a Unix socket in a temporary directory,
//! started for the test and stopped after it. `scripts/test-deps` installs
//! the server on a fresh machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{litops, repo, stderr, stdout};

struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

/// PostgreSQL refuses to run as root; as root, run its tools as `postgres`.
fn as_server_user(program: &Path) -> Command {
    if nix::unistd::getuid().is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn find_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    found.retain(|b| b.join("initdb").exists());
    found.sort();
    found
        .pop()
        .expect("PostgreSQL server not found under /usr/lib/postgresql: run scripts/test-deps")
}

impl PgServer {
    /// `slot` keeps servers of tests running in parallel on different ports.
    fn start_on(slot: u16) -> PgServer {
        let bin = find_bin();
        let dir = tempfile::Builder::new()
            .prefix("litops-pg-")
            .tempdir()
            .expect("tempdir");
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("chmod");
        // A port derived from the process id keeps parallel test runs apart.
        let port = 20_000 + (std::process::id() % 10_000) as u16 * 2 + slot;
        let data = dir.path().join("data");
        let out = as_server_user(&bin.join("initdb"))
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", stderr(&out));
        let options = format!(
            "-k {} -p {port} -c listen_addresses='' -c fsync=off",
            dir.path().display()
        );
        let out = as_server_user(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(dir.path().join("server.log"))
            .args(["-w", "start"])
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        PgServer { dir, bin, port }
    }
}

impl PgServer {
    /// `--set` arguments pointing a run at this server.
    fn connection(&self) -> [String; 4] {
        [
            "--set".to_owned(),
            format!("PGHOST={}", self.dir.path().display()),
            "--set".to_owned(),
            format!("PGPORT={}", self.port),
        ]
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

#[test]
fn backup_and_restore_runbook_against_a_real_server() {
    let server = PgServer::start_on(0);
    let backup = server.dir.path().join("backup");
    let output = litops()
        .args([
            "run",
            "runbooks/postgres-maintenance.md",
            "--yes",
            "--no-env",
            "--json",
        ])
        .args(server.connection())
        .arg("--set")
        .arg(format!("BACKUP_DIR={}", backup.display()))
        .args(["--set", "ROWS=1234"])
        .current_dir(repo())
        .output()
        .expect("runs");
    let events: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let text: String = events
        .iter()
        .filter(|e| e["event"] == "output")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(output.status.code(), Some(0), "{text}\n{}", stderr(&output));
    assert!(text.contains("source=1234 restored=1234\n"), "{text}");
    let finished: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step-finished")
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(
        finished,
        vec![
            "connect",
            "create-scratch",
            "fill",
            "dump",
            "restore",
            "compare",
            "cleanup"
        ]
    );
    assert!(
        !backup.exists(),
        "the cleanup step removed the backup directory"
    );
    // The databases are gone too.
    let out = Command::new(server.bin.join("psql"))
        .args([
            "-X",
            "-tA",
            "-d",
            "postgres",
            "-c",
            "select count(*) from pg_database where datname like 'litops_%'",
        ])
        .env("PGHOST", server.dir.path())
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "postgres")
        .output()
        .expect("psql runs");
    assert_eq!(stdout(&out).trim(), "0", "{}", stderr(&out));
}

#[test]
fn a_failed_comparison_fails_the_run() {
    let server = PgServer::start_on(1);
    let backup = server.dir.path().join("backup");
    // Fill the scratch database but never restore it: the comparison must fail.
    let output = litops()
        .args([
            "run",
            "runbooks/postgres-maintenance.md",
            "--yes",
            "--no-env",
            "--json",
            "--to",
            "fill",
        ])
        .args(server.connection())
        .arg("--set")
        .arg(format!("BACKUP_DIR={}", backup.display()))
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = litops()
        .args([
            "run",
            "runbooks/postgres-maintenance.md",
            "--no-env",
            "--step",
            "compare",
        ])
        .args(server.connection())
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "no restore database: the comparison step fails"
    );
    assert!(
        stdout(&output).contains("✗ compare: exit"),
        "{}",
        stdout(&output)
    );
}

/// The maintenance runbook as a scheduled job runs it: planned, approved,
/// scheduled as a systemd service, and that service's `ExecStart=` run
/// unattended; its transcript and JUnit report checked.
#[test]
fn the_scheduled_job_runs_the_approved_plan() {
    let server = PgServer::start_on(2);
    let work = tempfile::tempdir().expect("tempdir");
    let runs = work.path().join("runs");
    let plan = work.path().join("plan.json");
    let junit = work.path().join("junit.xml");
    let mut values: Vec<String> = server.connection().to_vec();
    values.push("--set".to_owned());
    values.push(format!(
        "BACKUP_DIR={}",
        server.dir.path().join("backup").display()
    ));
    let output = litops()
        .args([
            "plan",
            "runbooks/postgres-maintenance.md",
            "--no-env",
            "--out",
        ])
        .arg(&plan)
        .args(&values)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = litops()
        .arg("approve")
        .arg(&plan)
        .args(["--by", "dba-on-call", "--comment", "CHG-1042"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let units = work.path().join("units");
    let output = litops()
        .env("LITOPS_RUNS_DIR", &runs)
        .args([
            "schedule",
            "runbooks/postgres-maintenance.md",
            "--cron",
            "0 3 * * 0",
            "--emit",
            "systemd",
            "--approved",
        ])
        .arg(&plan)
        .arg("--out")
        .arg(&units)
        .arg("--")
        .arg("--no-env")
        .args(&values)
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let service =
        std::fs::read_to_string(units.join("litops-postgres-maintenance.service")).expect("unit");
    let field = |name: &str| {
        service
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in\n{service}"))
            .to_owned()
    };
    // systemd's quoting of these arguments (no `$` or `%`) is read the same by sh.
    let script = format!(
        "cd {} && env {} {}",
        field("WorkingDirectory"),
        field("Environment"),
        field("ExecStart")
    );
    let output = Command::new("sh")
        .args(["-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LITOPS_LOCK_DIR", {
            let dir = work.path().join("locks");
            let _ = std::fs::create_dir_all(&dir);
            dir
        })
        .stdin(std::process::Stdio::null())
        .output()
        .expect("sh");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    // Quiet: the summary line, nothing else on stdout.
    assert!(
        stdout(&output).starts_with(
            "✓ PostgreSQL backup and restore check: success; 7 succeeded, 0 failed, 0 skipped in "
        ),
        "{}",
        stdout(&output)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("tests=\"7\" failures=\"0\""), "{xml}");
    assert!(xml.contains("source=1000 restored=1000"), "{xml}");
    let transcripts = litops::transcript::read_all(&runs);
    assert_eq!(transcripts.len(), 1);
    let t = litops::transcript::Transcript::read(&transcripts[0]).expect("transcript");
    assert!(t.broken_links.is_empty() && !t.truncated);
    let view = litops::transcript::RunView::of(&t);
    assert_eq!(view.outcome, "success");
    let gated: Vec<&str> = view
        .steps
        .iter()
        .filter_map(|s| s.gate.as_ref().map(|g| g.how.as_str()))
        .collect();
    assert!(
        !gated.is_empty() && gated.iter().all(|h| *h == "approved plan"),
        "{gated:?}"
    );
    assert!(
        view.steps
            .iter()
            .any(|s| s.gate.as_ref().is_some_and(|g| g.by == "dba-on-call")),
        "the approver is recorded"
    );
    let approved = t
        .header
        .approved_plan
        .as_ref()
        .expect("the approved plan is in the header");
    assert_eq!(approved.approvers.len(), 1);
    assert!(approved.approvers[0].starts_with("dba-on-call at "));
}

/// Issue 13, item 3: lines after `psql` are typed at psql's prompt; they go
/// to a real psql as its input, never to bash, and the step goes on after
/// `\q`.
#[test]
fn i13_lines_after_psql_are_its_input() {
    let server = PgServer::start_on(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let runbook = dir.path().join("repl.md");
    std::fs::write(
        &runbook,
        "# T\n\n## Ask\n\n```bash\npsql -X -q -A -t -h \"$PGHOST\" -p \"$PGPORT\" -U postgres -d postgres\nCREATE TEMP TABLE litops_repl (n int);\nINSERT INTO litops_repl VALUES (40), (2);\nSELECT 'total=' || sum(n) FROM litops_repl;\n\\q\necho after-psql\n```\n",
    )
    .expect("runbook");
    let output = litops()
        .arg("run")
        .arg(&runbook)
        .args([
            "--unattended",
            "--accept-inferred",
            "--no-transcript",
            "--no-env",
        ])
        .args(server.connection())
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    assert!(out.contains("\ntotal=42\n"), "{out}");
    assert!(out.contains("\nafter-psql\n"), "{out}");
    assert!(!out.contains("command not found"), "{out}");
}
