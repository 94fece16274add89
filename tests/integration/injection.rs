//! Values are data: hostile values bound through `--set` come out of the plan
//! as literals in every quoting context, and running the planned script
//! through a real bash executes none of them.

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr};

const RUNBOOK: &str = r#"# Injection

## Echo

```bash
printf '%s\n' <value-here>
printf '%s\n' "in double <value-here>"
printf '%s\n' 'in single <value-here>'
cat <<LITOPS_END
heredoc <value-here>
LITOPS_END
cat <<'LITOPS_END'
literal heredoc <value-here>
LITOPS_END
CLUSTER_NAME=default printenv CLUSTER_NAME
```
"#;

fn hostile(marker: &str) -> Vec<String> {
    let values = [
        "x\"; rm -rf ~; echo \"",
        "$(touch MARKER)",
        "`touch MARKER`",
        "'; touch MARKER; '",
        "\"; touch MARKER; \"",
        "a\nb",
        "\n; touch MARKER",
        "$HOME",
        "${HOME}",
        "$((1+1))",
        "*",
        "~",
        "!!",
        "\\\\",
        "\\",
        "'",
        "\"",
        "`",
        "$",
        ";",
        "&& touch MARKER",
        "| touch MARKER",
        "> MARKER",
        "< /etc/passwd",
        "-n",
        "--help",
        "#not a comment",
        "a b  c",
        "tab\there",
        "$'\\x41'",
        "{a,b}",
        "[abc]",
        "ünï ☃",
        "%s %d",
        "EOF",
        "",
        "$(touch MARKER)\nLITOPS_ENDX",
        "'\"'\"'",
    ];
    values.iter().map(|v| v.replace("MARKER", marker)).collect()
}

fn planned_script(runbook: &TempRunbook, value: &str) -> Value {
    let output = litops()
        .arg("plan")
        .arg(runbook.path())
        .args(["--no-env", "--format", "json"])
        .arg("--set")
        .arg(format!("VALUE_HERE={value}"))
        .arg("--set")
        .arg(format!("CLUSTER_NAME={value}"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn hostile_values_never_execute() {
    let runbook = TempRunbook::new("injection.md", RUNBOOK);
    let marker = runbook.dir.path().join("pwned");
    let marker = marker.display().to_string();
    let values = hostile(&marker);
    assert!(values.len() >= 30);
    for value in &values {
        let plan = planned_script(&runbook, value);
        let step = &plan["steps"][0];
        if value.starts_with('-') {
            // `printf '%s\n' <value-here>` begins an argument: an option
            // there is refused, not placed.
            assert_eq!(
                step["errors"],
                serde_json::json!([format!(
                    "VALUE_HERE: the value {value:?} starts with `-` where it begins an argument, so the command would read it as an option"
                )]),
                "{value:?}"
            );
            continue;
        }
        assert_eq!(step["errors"], Value::Array(vec![]), "{value:?}");
        let script = step["script"].as_str().expect("script");
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(runbook.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", runbook.dir.path())
            .output()
            .expect("bash runs");
        let want = format!(
            "{value}\nin double {value}\nin single {value}\nheredoc {value}\nliteral heredoc {value}\n{value}\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            want,
            "value {value:?}\nscript:\n{script}"
        );
        assert!(
            !std::path::Path::new(&marker).exists(),
            "{value:?} executed"
        );
    }
}

#[test]
fn a_value_that_would_end_a_heredoc_is_refused() {
    let runbook = TempRunbook::new("injection.md", RUNBOOK);
    let plan = planned_script(&runbook, "ok\nLITOPS_END\ntouch /tmp/x");
    let errors = plan["steps"][0]["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0],
        "VALUE_HERE: the value contains a line `LITOPS_END` (or `LITOPS_END)`), which would end the heredoc it is written in"
    );
}

#[test]
fn hostile_values_never_execute_through_run() {
    let runbook = TempRunbook::new("injection.md", RUNBOOK);
    let marker = runbook.dir.path().join("pwned");
    let marker = marker.display().to_string();
    for value in &hostile(&marker) {
        let output = litops()
            .arg("run")
            .arg(runbook.path())
            .args(["--no-env", "--json"])
            .arg("--set")
            .arg(format!("VALUE_HERE={value}"))
            .arg("--set")
            .arg(format!("CLUSTER_NAME={value}"))
            .current_dir(runbook.dir.path())
            .env("HOME", runbook.dir.path())
            .output()
            .expect("runs");
        if value.starts_with('-') {
            // Refused before anything runs (see above).
            assert_eq!(output.status.code(), Some(2), "{value:?}");
            continue;
        }
        assert_eq!(
            output.status.code(),
            Some(0),
            "{value:?}: {}",
            stderr(&output)
        );
        let stdout: String = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["event"] == "output" && e["stream"] == "stdout")
            .filter_map(|e| e["text"].as_str().map(str::to_owned))
            .collect();
        let want = format!(
            "{value}\nin double {value}\nin single {value}\nheredoc {value}\nliteral heredoc {value}\n{value}\n"
        );
        assert_eq!(stdout, want, "value {value:?}");
        assert!(
            !std::path::Path::new(&marker).exists(),
            "{value:?} executed"
        );
    }
}
