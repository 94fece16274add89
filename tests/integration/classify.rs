//! Issue 12, items 3, 4, 6 and 8: which blocks are commands, output and REPL
//! input inside shell blocks, nothing inferred runs unattended, and `check
//! --explain` accounts for every block. Fixtures are written here, one per
//! pattern, with the exact steps, scripts, output lines and diagnostics.

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};
use crate::test::Test;

/// `plan --format json` of a one-block runbook: (id, status, script, inferred) per step.
fn plan_steps(body: &str) -> Vec<(String, String, String, Vec<String>)> {
    let rb = TempRunbook::new("rb.md", format!("# T\n\n## S\n\n{body}"));
    let output = litops()
        .arg("plan")
        .arg(rb.path())
        .args(["--format", "json", "--no-env"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("json");
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let inferred = s["inferred"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (
                s["id"].as_str().unwrap_or("").to_owned(),
                s["status"].as_str().unwrap_or("").to_owned(),
                s["script"].as_str().unwrap_or("").to_owned(),
                inferred,
            )
        })
        .collect()
}

/// `check --format short` of a one-block runbook: the diagnostic lines
/// (help lines and the total left out), with the path as `rb.md`.
fn check_lines(body: &str) -> Vec<String> {
    let rb = TempRunbook::new("rb.md", format!("# T\n\n## S\n\n{body}"));
    let output = litops()
        .arg("check")
        .arg(rb.path())
        .args(["--format", "short"])
        .output()
        .expect("runs");
    stdout(&output)
        .replace(&rb.path().display().to_string(), "rb.md")
        .lines()
        .filter(|l| l.starts_with("rb.md:"))
        .map(str::to_owned)
        .collect()
}

fn one(
    id: &str,
    status: &str,
    script: &str,
    inferred: &[&str],
) -> Vec<(String, String, String, Vec<String>)> {
    vec![(
        id.to_owned(),
        status.to_owned(),
        script.to_owned(),
        inferred.iter().map(|s| s.to_string()).collect(),
    )]
}

#[test]
fn i3_blocks_that_read_as_commands_are_inferred_steps_and_others_never_run() {
    let untagged = "a block without a language whose lines read as shell commands";
    let console = "a `console` block without prompts whose lines read as shell commands";
    // (name, block, the step's script and what is inferred, or no step)
    type Case<'a> = (&'a str, &'a str, Option<(&'a str, &'a [&'a str])>);
    let cases: &[Case] = &[
        (
            "untagged command",
            "```\nkubectl get pods -n web\n```\n",
            Some(("kubectl get pods -n web\n", &[untagged])),
        ),
        (
            "untagged loop and assignment",
            "```\nexport NS=web\nfor p in a b; do\n  kubectl delete pod \"$p\" -n \"$NS\"\ndone\n```\n",
            Some((
                "export NS=web\nfor p in a b; do\n  kubectl delete pod \"$p\" -n \"$NS\"\ndone\n",
                &[untagged],
            )),
        ),
        (
            "untagged script path",
            "```\n./scripts/rotate.sh --dry-run\n```\n",
            Some(("./scripts/rotate.sh --dry-run\n", &[untagged])),
        ),
        (
            "untagged prose",
            "```\nThis is just a sentence.\n```\n",
            None,
        ),
        (
            "untagged yaml",
            "```\napiVersion: v1\nkind: Namespace\n```\n",
            None,
        ),
        (
            "untagged broken quote",
            "```\necho 'never closed\n```\n",
            None,
        ),
        (
            "untagged with other attributes",
            "```{sql data-prompt=\"mysql> \"}\nmysql> SELECT 1;\n```\n",
            None,
        ),
        (
            "console without prompts",
            "```console\nhelm list -A\n```\n",
            Some(("helm list -A\n", &[console])),
        ),
        (
            "console of output only",
            "```console\nNAME    READY\nweb-1   1/1\n```\n",
            None,
        ),
        ("cmd", "```cmd\ndir\n```\n", None),
        ("none", "```none\nkubectl get pods\n```\n", None),
        ("text", "```text\nkubectl get pods\n```\n", None),
        ("output", "```output\nkubectl get pods\n```\n", None),
        ("plaintext", "```plaintext\nkubectl get pods\n```\n", None),
        (
            "bash .no-copy",
            "```bash {.no-copy}\nkubectl delete ns prod\n```\n",
            None,
        ),
        (
            "pandoc .bash .no-copy",
            "```{.bash .no-copy}\nkubectl delete ns prod\n```\n",
            None,
        ),
        (
            "mkdocs .bash .no-copy",
            "``` { .bash .no-copy }\nkubectl delete ns prod\n```\n",
            None,
        ),
        (
            "explicit bash stays a step",
            "```bash\nmy-own-tool --flag\n```\n",
            Some(("my-own-tool --flag\n", &[])),
        ),
    ];
    for (name, body, expected) in cases {
        let got = plan_steps(body);
        let want = match expected {
            Some((script, inferred)) => one("s", "run", script, inferred),
            None => Vec::new(),
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn i3_prompts_in_sessions_run_only_the_prompted_lines() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "user@host:path$",
            "```console\nops@bastion:~/deploy$ kubectl get nodes\nNAME     STATUS\nnode-1   Ready\n```\n",
            "kubectl get nodes\n",
        ),
        (
            "[user@host dir]#",
            "```console\n[root@node-1 ~]# systemctl restart kubelet\n[root@node-1 ~]# journalctl -u kubelet -n 5\n-- Logs begin --\n```\n",
            "systemctl restart kubelet\njournalctl -u kubelet -n 5\n",
        ),
        (
            "PS>",
            "```terminal\nPS> kubectl version --client\nClient Version: v1.30.0\nPS C:\\Users\\ops> helm version\n```\n",
            "kubectl version --client\nhelm version\n",
        ),
        (
            "> continuation",
            "```console\n$ kubectl get pods \\\n>   -n web\nNAME READY\n# whoami\nroot\n```\n",
            "kubectl get pods \\\n  -n web\nwhoami\n",
        ),
        (
            "bash with user@host prompt",
            "```bash\nops@bastion:~$ uptime\n 10:00:00 up 3 days\n```\n",
            "uptime\n",
        ),
    ];
    for (name, body, script) in cases {
        assert_eq!(plan_steps(body), one("s", "run", script, &[]), "{name}");
    }
    // An untagged block with prompts is a step too, marked inferred.
    assert_eq!(
        plan_steps("```\n$ kubectl get ns\nNAME STATUS\n```\n"),
        one(
            "s",
            "run",
            "kubectl get ns\n",
            &["a block without a language, with shell prompts"]
        )
    );
}

#[test]
fn i4_output_pasted_in_shell_blocks_is_never_run() {
    // (name, block, script, what is inferred, check's diagnostics)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            "table after get",
            "```bash\nkubectl get pods -n web\nNAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          5m\n\nkubectl get svc\n```\n",
            "kubectl get pods -n web\n\nkubectl get svc\n",
            &[
                "line 7 is output, not run (a table of output (column headers and rows)): NAME    READY   STATUS    RESTARTS   AGE",
                "line 8 is output, not run (a table of output (column headers and rows)): web-1   1/1     Running   0          5m",
            ],
            &[
                "rb.md:7:1: warning[output-in-block]: this line of step `s` is read as output and not run (and the line after it): a table of output (column headers and rows)",
            ],
        ),
        (
            "kind/name verb",
            "```sh\nkubectl apply -f web.yaml\ndeployment.apps/web created\nservice/web unchanged\n```\n",
            "kubectl apply -f web.yaml\n",
            &[
                "line 7 is output, not run (a result line (`kind/name verb`)): deployment.apps/web created",
                "line 8 is output, not run (a result line (`kind/name verb`)): service/web unchanged",
            ],
            &[
                "rb.md:7:1: warning[output-in-block]: this line of step `s` is read as output and not run (and the line after it): a result line (`kind/name verb`)",
            ],
        ),
        (
            "Error from server",
            "```bash\nkubectl get pod ghost\nError from server (NotFound): pods \"ghost\" not found\n```\n",
            "kubectl get pod ghost\n",
            &[
                "line 7 is output, not run (an error message (`Error from server`)): Error from server (NotFound): pods \"ghost\" not found",
            ],
            &[
                "rb.md:7:1: warning[output-in-block]: this line of step `s` is read as output and not run: an error message (`Error from server`)",
            ],
        ),
        (
            "JSON after a command",
            "```bash\nkubectl get cm app -o json\n{\n  \"data\": {\n    \"k\": \"v\"\n  }\n}\necho done\n```\n",
            "kubectl get cm app -o json\necho done\n",
            &[
                "line 7 is output, not run (JSON output): {",
                "line 8 is output, not run (JSON output): \"data\": {",
                "line 9 is output, not run (JSON output): \"k\": \"v\"",
                "line 10 is output, not run (JSON output): }",
                "line 11 is output, not run (JSON output): }",
            ],
            &[
                "rb.md:7:1: warning[output-in-block]: this line of step `s` is read as output and not run (and the 4 lines after it): JSON output",
            ],
        ),
        (
            "YAML after a command",
            "```bash\nkubectl get ns web -o yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n```\n",
            "kubectl get ns web -o yaml\n",
            &[
                "line 7 is output, not run (`key: value` output (YAML, a description)): apiVersion: v1",
                "line 8 is output, not run (`key: value` output (YAML, a description)): kind: Namespace",
                "line 9 is output, not run (`key: value` output (YAML, a description)): metadata:",
                "line 10 is output, not run (`key: value` output (YAML, a description)): name: web",
            ],
            &[
                "rb.md:7:1: warning[output-in-block]: this line of step `s` is read as output and not run (and the 3 lines after it): `key: value` output (YAML, a description)",
            ],
        ),
    ];
    for (name, body, script, inferred, diagnostics) in cases {
        assert_eq!(
            plan_steps(body),
            one("s", "run", script, inferred),
            "{name}"
        );
        assert_eq!(check_lines(body), *diagnostics, "{name}");
    }
    // What bash reads as one command is never split: a heredoc of YAML, a group.
    let heredoc = "```bash\nkubectl apply -f - <<EOF\napiVersion: v1\nkind: Namespace\nEOF\n{\n  echo a\n}\n```\n";
    assert_eq!(
        plan_steps(heredoc),
        one(
            "s",
            "run",
            "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Namespace\nEOF\n{\n  echo a\n}\n",
            &[]
        )
    );
    assert_eq!(check_lines(heredoc), Vec::<String>::new());
    // A shell block of output only is not a step.
    assert_eq!(
        plan_steps("```sh\nNAME            AGE\nhelloworld-go   10h\n```\n"),
        Vec::new()
    );
}

#[test]
fn i4_repl_input_is_never_bash_and_makes_the_step_manual() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "psql",
            "```console\n$ psql -U app\napp=# select 1;\n```\n",
            "psql -U app\n",
            "psql",
            "app=# select 1;",
        ),
        (
            "psql in bash",
            "```bash\npgbouncer=# show databases;\n```\n",
            "",
            "psql",
            "pgbouncer=# show databases;",
        ),
        (
            "psql =>",
            "```console\n$ psql\nreader=> \\dt\n```\n",
            "psql\n",
            "psql",
            "reader=> \\dt",
        ),
        (
            "mysql",
            "```console\n$ mysql -u root\nmysql> SHOW TABLES;\n```\n",
            "mysql -u root\n",
            "mysql",
            "mysql> SHOW TABLES;",
        ),
        (
            "redis",
            "```console\n$ redis-cli\nredis> GET key\n```\n",
            "redis-cli\n",
            "redis-cli",
            "redis> GET key",
        ),
        (
            "redis host:port",
            "```console\n$ redis-cli -h cache\n127.0.0.1:6379> KEYS *\n```\n",
            "redis-cli -h cache\n",
            "redis-cli",
            "127.0.0.1:6379> KEYS *",
        ),
        (
            "python",
            "```console\n$ python3\n>>> import os\n```\n",
            "python3\n",
            "python",
            ">>> import os",
        ),
        (
            "irb",
            "```console\n$ irb\nirb> puts 1\n```\n",
            "irb\n",
            "irb",
            "irb> puts 1",
        ),
    ];
    for (name, body, script, program, line) in cases {
        let steps = plan_steps(body);
        // The fence is line 5: a prompted command on 6 and the input on 7,
        // or the input alone on 6.
        let at = if script.is_empty() { 6 } else { 7 };
        let inferred = vec![format!("line {at} is input to {program}, not bash: {line}")];
        assert_eq!(
            steps,
            vec![(
                "s".to_owned(),
                "manual".to_owned(),
                script.to_string(),
                inferred
            )],
            "{name}"
        );
        assert_eq!(
            check_lines(body),
            vec![format!(
                "rb.md:{at}:1: warning[repl-input]: this line of step `s` is input to {program}, not bash: the step is manual"
            )],
            "{name}"
        );
    }
}

#[test]
fn i4_the_answer_of_a_repl_is_its_output_not_bash() {
    assert_eq!(
        plan_steps("```\ntestdb=> select 1;\n ?column?\n(1 row)\n```\n"),
        one(
            "s",
            "manual",
            "",
            &[
                "a block without a language holding input to psql",
                "line 7 is output, not run (output of psql): ?column?",
                "line 8 is output, not run (output of psql): (1 row)",
                "line 6 is input to psql, not bash: testdb=> select 1;",
            ]
        )
    );
}

const INFERRED: &str = "# Inferred\n\n## Touch\n\n```\ntouch ran.txt\n```\n";

#[test]
fn i6_unattended_run_refuses_inferred_steps_unless_accepted() {
    let refused = Test::new()
        .file("rb.md", INFERRED)
        .args(["run", "rb.md", "--unattended", "--no-transcript"])
        .stderr("error: 1 step is inferred, not written as a step; nothing was run:\n  touch  (rb.md:5:1)\n    a block without a language whose lines read as shell commands\nrun them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text)\n")
        .status(4)
        .run();
    assert!(!refused.path("ran.txt").exists(), "nothing ran");
    let accepted = refused
        .then()
        .args([
            "run",
            "rb.md",
            "--unattended",
            "--no-transcript",
            "--accept-inferred",
        ])
        .stdout_contains("✓ touch")
        .run();
    assert!(accepted.path("ran.txt").exists(), "the accepted step ran");
}

#[test]
fn i6_lines_dropped_as_output_count_as_inferred() {
    let rb = TempRunbook::new(
        "rb.md",
        "# Out\n\n## Apply\n\n```bash\ntouch ran.txt\ndeployment.apps/web created\n```\n",
    );
    let refused = litops()
        .current_dir(rb.dir.path())
        .args(["run", "rb.md", "--unattended", "--no-transcript"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(
            "  apply  (rb.md:5:1)\n    line 7 is output, not run (a result line (`kind/name verb`)): deployment.apps/web created\n"
        ),
        "{}",
        stderr(&refused)
    );
    assert!(!rb.dir.path().join("ran.txt").exists());
}

#[test]
fn i6_an_approved_plan_runs_its_inferred_steps_unattended() {
    let rb = TempRunbook::new("rb.md", INFERRED);
    let dir = rb.dir.path();
    let plan = dir.join("plan.json");
    let planned = litops()
        .current_dir(dir)
        .args(["plan", "rb.md", "--no-env", "--out"])
        .arg(&plan)
        .output()
        .expect("runs");
    assert_eq!(planned.status.code(), Some(0), "{}", stderr(&planned));
    let approved = litops()
        .current_dir(dir)
        .arg("approve")
        .arg(&plan)
        .args(["--by", "reviewer@example.com"])
        .output()
        .expect("runs");
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    let ran = litops()
        .current_dir(dir)
        .args([
            "run",
            "rb.md",
            "--unattended",
            "--no-transcript",
            "--approved",
        ])
        .arg(&plan)
        .output()
        .expect("runs");
    assert_eq!(ran.status.code(), Some(0), "{}", stderr(&ran));
    assert!(dir.join("ran.txt").exists());
}

#[test]
fn i3_list_and_plan_mark_inferred_steps() {
    let rb = TempRunbook::new("rb.md", INFERRED);
    let list = litops()
        .current_dir(rb.dir.path())
        .args(["list", "rb.md"])
        .output()
        .expect("runs");
    assert!(
        stdout(&list).contains("Touch\n  ▸ touch  [inferred]\n      touch ran.txt\n"),
        "{}",
        stdout(&list)
    );
    let plan = litops()
        .current_dir(rb.dir.path())
        .args(["plan", "rb.md", "--no-env"])
        .output()
        .expect("runs");
    assert!(
        stdout(&plan).contains(
            "  1. touch [inferred]\n     Touch  (rb.md:5:1)\n     │ touch ran.txt\n     inferred: a block without a language whose lines read as shell commands\n"
        ),
        "{}",
        stdout(&plan)
    );
    assert_eq!(
        check_lines("```\ntouch ran.txt\n```\n"),
        vec![
            "rb.md:5:1: warning[step-inferred]: step `s` is inferred: a block without a language whose lines read as shell commands"
        ]
    );
}

#[test]
fn i8_check_explain_accounts_for_every_block() {
    let rb = TempRunbook::new(
        "rb.md",
        "# E\n\n## A\n\n```bash\nkubectl get pods\nNAME  READY\n```\n\n```rhai\nexit_code == 0\n```\n\n```\nhelm list\n```\n\n```console\n$ psql\napp=# select 1;\n```\n\n```text\nkubectl delete ns x\n```\n\n```yaml\na: 1\n```\n\n```\nJust words here.\n```\n\n```bash {skip}\nrm -rf /tmp/x\n```\n",
    );
    let output = litops()
        .current_dir(rb.dir.path())
        .args(["check", "--explain", "rb.md"])
        .output()
        .expect("runs");
    let text = stdout(&output);
    let explained: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        explained,
        vec![
            "rb.md:5: step `a`: a `bash` block",
            "    line 7 is output, not run (a table of output (column headers and rows)): NAME  READY",
            "rb.md:10: check of step `a`",
            "rb.md:14: inferred step `a-2`: a block without a language whose lines read as shell commands",
            "rb.md:18: step `a-3` [manual: done by a person]: a `console` block",
            "    line 20 is input to psql, not bash: app=# select 1;",
            "rb.md:23: output: a `text` block: text to read, never run",
            "rb.md:27: documentation: a `yaml` block: not shell, never run",
            "rb.md:31: output: a block without a language, not run: `Just` is not a known command",
            "rb.md:35: step `a-4` [skip: shown, never run]: a `bash` block",
        ]
    );
}

#[test]
fn i6_an_interactive_run_shows_what_was_inferred_before_the_first_step() {
    use rexpect::reader::Options;
    use rexpect::session::spawn_with_options;
    let rb = TempRunbook::new("rb.md", "# I\n\n## Echo\n\n```\necho inferred-ran\n```\n");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("litops"));
    cmd.arg("run")
        .arg(rb.path())
        .args(["--color", "never", "--no-env", "--no-transcript"])
        .current_dir(rb.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("HOME", rb.dir.path());
    let mut p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(15_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn in a pty");
    let before = p.exp_string("[1/1] echo").expect("the step is offered");
    assert!(
        before.contains("litops inferred 1 step (check what runs before approving):")
            && before.contains("  echo  (")
            && before.contains("    a block without a language whose lines read as shell commands"),
        "{before}"
    );
    p.exp_string("Step").expect("menu");
    std::thread::sleep(std::time::Duration::from_millis(150));
    p.send("\r").expect("send");
    p.flush().expect("flush");
    p.exp_string("inferred-ran").expect("the step ran");
    let _ = p.exp_eof();
}
