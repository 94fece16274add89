//! The CLI, end to end through the real binary.

use serde_json::Value;

use crate::support::{GETTING_STARTED, SEED, TempRunbook, litops, redact_dir, stderr, stdout};

fn plan_json(args: &[&str]) -> Value {
    let output = litops()
        .arg("plan")
        .args(args)
        .args(["--no-env", "--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("plan is JSON")
}

fn step<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn seed_plan_text_snapshot() {
    let output = litops()
        .args(["plan", SEED, "--no-env"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
    insta::assert_snapshot!("seed_plan_text", stdout(&output));
}

#[test]
fn seed_plan_shows_what_the_issue_demands() {
    let plan = plan_json(&[SEED]);
    // Three cloud alternatives under "Provision New Cluster", chosen by
    // CLOUD_PROVIDER, then four menus of one block each.
    let alts = &plan["alternatives"];
    let variables: Vec<&str> = alts
        .as_array()
        .expect("alternatives")
        .iter()
        .filter_map(|a| a["variable"].as_str())
        .collect();
    assert_eq!(
        variables,
        [
            "CLOUD_PROVIDER",
            "access-control/generate-service-account-token-cicd",
            "deployment-procedures/deploy-to-production",
            "deployment-procedures/rollback-deployment",
            "deployment-procedures/run-database-migrations",
        ]
    );
    let values: Vec<&str> = alts[0]["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["value"].as_str())
        .collect();
    assert_eq!(values, vec!["gke", "eks", "aks"]);
    for id in [
        "cluster-provisioning/provision-new-cluster/google-kubernetes-engine-gke",
        "cluster-provisioning/provision-new-cluster/amazon-eks",
        "cluster-provisioning/provision-new-cluster/azure-kubernetes-service-aks",
    ] {
        assert_eq!(step(&plan, id)["status"], "choose", "{id}");
        assert_eq!(step(&plan, id)["section"][1], "Provision New Cluster");
    }
    // Heredoc steps intact: the body is part of the command, the step after it too.
    let token = step(&plan, "access-control/generate-service-account-token-cicd");
    let commands = token["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 3);
    assert!(
        commands[1]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("kubectl apply -f - <<EOF\n")
                && t.ends_with("type: kubernetes.io/service-account-token\nEOF\n"))
    );
    assert_eq!(
        commands[1]["label"],
        "Or create a long-lived secret (deprecated but still works in older clusters)"
    );
    // Variables assigned in a block are not reported unbound.
    let unbound: Vec<&str> = plan["summary"]["unbound"]
        .as_array()
        .expect("unbound")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !unbound.contains(&"IDENTITY_ID") && !unbound.contains(&"OIDC_ISSUER"),
        "{unbound:?}"
    );
    assert!(
        plan["variables"]
            .as_array()
            .expect("vars")
            .iter()
            .all(|v| v["name"] != "IDENTITY_ID" && v["name"] != "OIDC_ISSUER")
    );
    // Placeholders.
    let placeholder = |text: &str| {
        plan["variables"]
            .as_array()
            .expect("vars")
            .iter()
            .find(|v| v["placeholder"] == text)
            .map(|v| v["name"].clone())
    };
    assert_eq!(placeholder("<pod-name>"), Some(Value::from("POD_NAME")));
    // The value written for GCP_PROJECT_ID=…: that variable, everywhere.
    assert_eq!(
        placeholder("your-project-id"),
        Some(Value::from("GCP_PROJECT_ID"))
    );
    assert!(unbound.contains(&"POD_NAME") && unbound.contains(&"GCP_PROJECT_ID"));
    // Gates.
    for (id, reason) in [
        (
            "deployment-procedures/rollback-deployment",
            "rolls a workload back to an earlier revision",
        ),
        (
            "troubleshooting/certificate-issues",
            "deletes Kubernetes resources",
        ),
        (
            "maintenance/update-operators",
            "upgrades a Helm release in place",
        ),
        ("maintenance/rotate-secrets", "replaces a secret's value"),
    ] {
        let gate = &step(&plan, id)["gate"];
        assert_eq!(gate["required"], true, "{id}");
        assert!(
            gate["reasons"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == reason)),
            "{id}: {gate}"
        );
    }
    assert_eq!(
        step(&plan, "deployment-procedures/deploy-to-staging")["gate"]["required"],
        false
    );
}

#[test]
fn plan_json_is_stable() {
    let plan = plan_json(&[
        SEED,
        "--section",
        "Provision New Cluster",
        "--set",
        "CLOUD_PROVIDER=eks",
        "--set",
        "CLUSTER_NAME=clipper-test",
    ]);
    insta::assert_json_snapshot!("seed_plan_provision_eks_json", plan);
}

/// `GCP_PROJECT_ID=your-project-id` in one block and `--project=your-project-id`
/// in others are one value: binding it by any of its names fills them all.
#[test]
fn a_placeholder_written_for_an_env_prefix_is_that_variable() {
    for set in [
        "GCP_PROJECT_ID=acme-1",
        "PROJECT_ID=acme-1",
        "your-project-id=acme-1",
    ] {
        let plan = plan_json(&[
            SEED,
            "--set",
            "CLOUD_PROVIDER=gke",
            "--set",
            set,
            "--section",
            "Provision New Cluster",
            "--section",
            "GCP Secret Manager",
        ]);
        let names: Vec<&str> = plan["variables"]
            .as_array()
            .expect("vars")
            .iter()
            .filter_map(|v| v["name"].as_str())
            .filter(|n| n.contains("PROJECT"))
            .collect();
        assert_eq!(names, ["GCP_PROJECT_ID"], "{set}");
        let scripts: String = plan["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|s| s["status"] == "run")
            .filter_map(|s| s["script"].as_str())
            .collect();
        assert!(!scripts.contains("your-project-id"), "{set}: {scripts}");
        assert_eq!(scripts.matches("acme-1").count(), 7, "{set}: {scripts}");
        assert!(
            !plan["summary"]["unbound"]
                .as_array()
                .expect("unbound")
                .iter()
                .any(|n| n == "GCP_PROJECT_ID" || n == "PROJECT_ID"),
            "{set}"
        );
    }
}

#[test]
fn selecting_an_alternative_skips_the_others_and_binds_values() {
    let plan = plan_json(&[
        SEED,
        "--section",
        "provision-new-cluster",
        "--set",
        "CLOUD_PROVIDER=gke",
        "--set",
        "PROJECT_ID=acme-1",
    ]);
    let statuses: Vec<&str> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert_eq!(statuses, vec!["run", "skip", "skip"]);
    let script = step(
        &plan,
        "cluster-provisioning/provision-new-cluster/google-kubernetes-engine-gke",
    )["script"]
        .as_str()
        .expect("script");
    assert!(script.contains("GCP_PROJECT_ID=acme-1 \\\n"), "{script}");
    assert!(script.contains("CLOUD_PROVIDER=gke \\\n"));
    assert_eq!(plan["summary"]["unbound"], Value::Array(vec![]));
}

#[test]
fn getting_started_markdown_snapshot() {
    let output = litops()
        .args(["plan", GETTING_STARTED, "--no-env", "--format", "markdown"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    insta::assert_snapshot!("getting_started_plan_markdown", stdout(&output));
}

#[test]
fn seed_list_snapshot() {
    let output = litops().args(["list", SEED]).output().expect("runs");
    assert!(output.status.success());
    insta::assert_snapshot!("seed_list", stdout(&output));
}

#[test]
fn check_reports_warnings_and_exit_codes() {
    let output = litops()
        .args(["check", SEED, "--format", "short"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("seed_check_short", stdout(&output));
    litops().args(["check", SEED, "--strict"]).assert().code(1);
    litops().args(["check", "runbooks"]).assert().code(0);
    let output = litops()
        .args(["check", "no/such/file.md"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: cannot read no/such/file.md: "),
        "{}",
        stderr(&output)
    );
}

const BROKEN: &str = "---\ntitle: Broken\nlitops:\n  timout: 5m\n---\n\n# Broken\n\n## Deploy\n\n```bash {#deploy timout=5m}\nkubectl apply -f x.yaml\n```\n\n<!-- litops: name=deploy -->\n```bash\nkubectl delete pod web-1\n```\n\nThen check:\n\n```rhai\nexit_code == 0\n```\n\n```bash\necho 'unclosed\n";

#[test]
fn check_human_output_points_at_file_line_col() {
    let runbook = TempRunbook::new("broken.md", BROKEN);
    let output = litops()
        .arg("check")
        .arg(runbook.path())
        .args(["--color", "never"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(
        "broken_check_human",
        redact_dir(&stdout(&output), runbook.dir.path())
    );
    let output = litops()
        .arg("check")
        .arg(runbook.path())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        vec![
            "front-matter-unknown-key",
            "annotation-unknown-key",
            "step-duplicate-id",
            "risk-without-decision",
            "check-orphan",
            "fence-unterminated",
            "shell-syntax"
        ]
    );
    assert_eq!(report["diagnostics"][1]["line"], 11);
    assert_eq!(report["diagnostics"][1]["column"], 18);
    assert_eq!(report["diagnostics"][1]["help"], "did you mean `timeout`?");
}

#[test]
fn plan_shows_steps_with_errors_and_run_refuses_the_file() {
    let runbook = TempRunbook::new("broken.md", BROKEN);
    let output = litops()
        .arg("plan")
        .arg(runbook.path())
        .args(["--color", "never"])
        .output()
        .expect("runs");
    // Each broken block is a step that cannot run; the plan is still shown.
    assert_eq!(output.status.code(), Some(0));
    let plan = redact_dir(&stdout(&output), runbook.dir.path());
    for error in [
        "error: the block cannot run as written: unknown annotation `timout` ([TMP]/broken.md:11:18)",
        "error: the block cannot run as written: step id `deploy` is already used ([TMP]/broken.md:16:1)",
        "error: the block cannot run as written: this fenced block is never closed ([TMP]/broken.md:26:1)",
    ] {
        assert!(plan.contains(error), "{plan}");
    }
    let err = redact_dir(&stderr(&output), runbook.dir.path());
    assert!(err.contains("[TMP]/broken.md:11:18]"), "{err}");
    // The `rhai` check that follows no step is the file's error: no run.
    let output = litops()
        .args(["run", "--no-transcript", "--color", "never"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let err = redact_dir(&stderr(&output), runbook.dir.path());
    assert!(err.ends_with("error: [TMP]/broken.md has 1 error outside its steps; fix it first (`litops check [TMP]/broken.md` lists everything)\n"), "{err}");
}

#[test]
fn usage_errors_exit_2_with_suggestions() {
    let output = litops()
        .args(["plan", SEED, "--step", "rollback-deploymnt"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: no step matches `rollback-deploymnt`; did you mean `deployment-procedures/rollback-deployment`?\n"
    );
    let output = litops()
        .args([
            "plan",
            SEED,
            "--step",
            "view-logs",
            "--section",
            "Nope Section",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        stderr(&output),
        "error: no section matches `Nope Section`; `litops list FILE` shows the sections\n"
    );
    let output = litops()
        .args(["plan", SEED, "--set", "NOEQUALS"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --set \"NOEQUALS\" is not of the form NAME=VALUE\n"
    );
    litops().args(["plan"]).assert().code(2);
    litops().args(["frobnicate"]).assert().code(2);
    let output = litops()
        .args([
            "plan",
            SEED,
            "--no-env",
            "--set",
            "CLUSTR_NAME=x",
            "--step",
            "rollback-deployment",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert_eq!(
        stderr(&output),
        "warning: CLUSTR_NAME is not used by this runbook; did you mean CLUSTER_NAME?\n"
    );
}

#[test]
fn step_ids_match_by_unique_suffix_and_ranges_work() {
    let plan = plan_json(&[
        SEED,
        "--step",
        "rollback-deployment",
        "--step",
        "deploy-to-staging",
    ]);
    let ids: Vec<&str> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "deployment-procedures/deploy-to-staging",
            "deployment-procedures/rollback-deployment"
        ]
    );
    let plan = plan_json(&[SEED, "--from", "view-logs", "--to", "check-hpa-status"]);
    let ids: Vec<&str> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "monitoring-alerting/view-logs",
            "monitoring-alerting/check-resource-usage",
            "monitoring-alerting/check-hpa-status"
        ]
    );
}

#[test]
fn non_utf8_input_is_a_diagnostic_not_a_crash() {
    let runbook = TempRunbook::new(
        "latin1.md",
        b"# Caf\xe9\n\n```bash\necho ok\n```\n".as_slice(),
    );
    let output = litops()
        .arg("plan")
        .arg(runbook.path())
        .args(["--color", "never"])
        .output()
        .expect("runs");
    // Shown (from a lossy decoding), with the problem reported...
    assert_eq!(output.status.code(), Some(0));
    let err = redact_dir(&stderr(&output), runbook.dir.path());
    assert!(err.contains("this file is not valid UTF-8"), "{err}");
    assert!(err.contains("[TMP]/latin1.md:1:6]"), "{err}");
    // ...but never run.
    let output = litops()
        .args(["run", "--no-transcript", "--unattended"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let output = litops()
        .arg("check")
        .arg(runbook.path())
        .args(["--format", "short"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        redact_dir(&stdout(&output), runbook.dir.path())
            .starts_with("[TMP]/latin1.md:1:6: error[encoding]: this file is not valid UTF-8\n")
    );
}

#[test]
fn secrets_never_appear_in_plan_output() {
    for format in ["text", "markdown", "json"] {
        let output = litops()
            .args([
                "plan",
                SEED,
                "--no-env",
                "--set",
                "SECURE_PASSWORD=hunter2-s3cret",
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        assert!(output.status.success());
        let out = stdout(&output);
        assert!(!out.contains("hunter2-s3cret"), "{format} leaks the secret");
        assert!(out.contains("[REDACTED:SECURE_PASSWORD]"), "{format}");
    }
    // From the environment too.
    let output = litops()
        .args(["plan", GETTING_STARTED, "--format", "json"])
        .env("APP_TOKEN", "tok-from-env-123")
        .output()
        .expect("runs");
    assert!(!stdout(&output).contains("tok-from-env-123"));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let bin = assert_cmd::cargo::cargo_bin!("litops");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' plan {SEED} --no-env | head -n 1; echo \"status=${{PIPESTATUS[0]}}\"",
            bin.display()
        ))
        .current_dir(crate::support::repo())
        .output()
        .expect("bash runs");
    let out = stdout(&output);
    assert!(out.ends_with("status=0\n"), "{out}");
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn help_documents_exit_codes_and_completions_work() {
    let output = litops().arg("--help").output().expect("runs");
    let help = stdout(&output);
    assert!(
        help.contains("Exit codes:\n  0    success\n  1    `check` found errors (or warnings, with --strict); `run`: a step failed;\n"),
        "{help}"
    );
    let output = litops()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(stdout(&output).contains("_litops()"));
    litops()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::starts_with("litops "));
}

/// `list` and `plan` print a runbook's titles and commands with control
/// and bidi characters shown: a heading cannot clear the screen, and a
/// command cannot read differently from what runs (Trojan Source).
#[test]
fn list_and_plan_show_control_and_bidi_characters() {
    let runbook = TempRunbook::new(
        "tricky.md",
        "# Tricky \u{1b}]0;title\u{7}\n\n## Clean \u{1b}[2J\u{1b}[Hup\n\n```bash\necho \"admin\u{202e} \u{2066}// check\u{2069} \u{2066}\"\necho zero\u{200b}width\n```\n",
    );
    for args in [
        vec!["list"],
        vec!["plan", "--format", "text"],
        vec!["plan", "--format", "markdown"],
    ] {
        let output = litops()
            .args(&args)
            .arg(runbook.path())
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let text = stdout(&output);
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || invisible(c))
            .collect();
        assert!(raw.is_empty(), "{args:?} printed {raw:?}:\n{text}");
        assert!(text.contains("␛[2J␛[Hup"), "{args:?}: {text}");
        assert!(
            text.contains("echo \"admin\\u{202e} \\u{2066}// check\\u{2069} \\u{2066}\""),
            "{args:?}: {text}"
        );
        assert!(text.contains("zero\\u{200b}width"), "{args:?}: {text}");
    }
}

/// Bidi controls, zero-width characters, line and paragraph separators.
pub(crate) fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `list` masks secret values wherever the document writes them, as `plan`
/// does: a secret variable's default or value in a command, and a literal
/// assigned to a name like a secret.
#[test]
fn list_masks_secret_values_written_in_the_document() {
    let runbook = TempRunbook::new(
        "secrets.md",
        "---\ntitle: Secrets\nlitops:\n  vars:\n    DB_PASSWORD: hunter2-default\n    LABEL:\n      secret: true\n      default: label-secret-value\n---\n# Secrets\n\n## Use\n\n```bash\nexport API_TOKEN=abc123tok\ncurl -H \"Authorization: $API_TOKEN\" --data \"label-secret-value\" https://x\nDB_PASSWORD=pw-in-doc-999 psql -c \"select '$LABEL'\"\necho \"hunter2-default\"\n```\n",
    );
    let output = litops()
        .arg("list")
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for secret in [
        "abc123tok",
        "label-secret-value",
        "pw-in-doc-999",
        "hunter2-default",
    ] {
        assert!(!text.contains(secret), "list shows {secret}:\n{text}");
    }
    assert!(
        text.contains("export API_TOKEN=[REDACTED:API_TOKEN]")
            && text.contains("--data \"[REDACTED:LABEL]\"")
            && text.contains("DB_PASSWORD=[REDACTED:DB_PASSWORD] psql"),
        "{text}"
    );
}

/// Trojan Source: a bidi control in code or an annotation is an error with
/// its place, in prose a warning; a zero-width character in code a warning.
/// The human format shows the lines without the raw characters.
#[test]
fn check_flags_bidi_controls_and_zero_width_characters() {
    let runbook = TempRunbook::new(
        "trojan.md",
        "# Trojan\n\nProse \u{202e}here.\n\n<!-- litops: confirm=\"ok\u{2066}\" -->\n```bash\necho \"admin\u{202e} \u{2066}// check\u{2069} \u{2066}\" \u{1b}[2J\nls\u{200b} -l\n```\n",
    );
    let output = litops()
        .args(["check", "--format", "short"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = redact_dir(&stdout(&output), runbook.dir.path());
    for line in [
        "[TMP]/trojan.md:3:7: warning[bidi-control]: invisible bidi control U+202E",
        "[TMP]/trojan.md:5:25: error[bidi-control]: invisible bidi control U+2066 in code",
        "[TMP]/trojan.md:7:12: error[bidi-control]: invisible bidi control U+202E in code",
        "[TMP]/trojan.md:8:3: warning[zero-width]: invisible zero-width character U+200B in code",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let human = litops()
        .args(["check"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    let text = stdout(&human);
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || invisible(c))
        .collect();
    assert!(raw.is_empty(), "printed {raw:?}:\n{text}");
    assert!(text.contains("bidi-control"), "{text}");
}
