//! What hand-judging public runbooks found (issue "Read runbooks as people
//! write them"): each test is one pattern, written for this suite, with the
//! steps a person would run.

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};

/// `plan --format json` of a runbook text: (step id, script) pairs.
fn steps(text: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let rb = TempRunbook::new("t.md", text);
    let mut cmd = litops();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["plan", "--format", "json"])
        .arg(rb.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("json");
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_owned(),
                s["script"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn plan_text(text: &str, env: &[(&str, &str)]) -> String {
    let rb = TempRunbook::new("t.md", text);
    let mut cmd = litops();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.arg("plan").arg(rb.path()).output().expect("runs");
    stdout(&out)
}

#[test]
fn judged_comments_in_a_console_block_are_not_root_prompts() {
    let got = steps(
        "# T\n\n## Build\n\n```console\n# Create the repo path\nmkdir -p src/rook\n\n# Fetch all remotes\ngit fetch --all\n```\n",
        &[],
    );
    assert_eq!(
        got,
        vec![(
            "build".to_owned(),
            "# Create the repo path\nmkdir -p src/rook\n\n# Fetch all remotes\ngit fetch --all\n"
                .to_owned()
        )]
    );
}

#[test]
fn judged_a_prompted_command_with_an_open_quote_or_heredoc_is_one_command() {
    let got = steps(
        "# T\n\n## Apply\n\n```console\n$ echo \"\napiVersion: v1\nkind: Secret\n\" | kubectl apply -f -\nsecret/x created\n$ kubectl apply -f - <<EOF\nkind: ConfigMap\nEOF\nconfigmap/y created\n```\n",
        &[],
    );
    assert_eq!(
        got,
        vec![(
            "apply".to_owned(),
            "echo \"\napiVersion: v1\nkind: Secret\n\" | kubectl apply -f -\nkubectl apply -f - <<EOF\nkind: ConfigMap\nEOF\n"
                .to_owned()
        )]
    );
}

#[test]
fn judged_a_user_placeholder_is_not_the_login_name() {
    let text = "# T\n\n## Clone\n\n```bash\ngit clone https://github.com/<user>/rook.git\n```\n";
    let shown = plan_text(text, &[("USER", "alice")]);
    assert!(shown.contains("unbound: USER"), "{shown}");
    assert!(!shown.contains("alice"), "{shown}");
}

#[test]
fn judged_placeholders_written_as_prose_or_paths_are_placeholders() {
    let text = "# T\n\n## Profile\n\n```bash\nperf record -p <pid of the process>\nflux bootstrap git --private-key-file=<path/to/private.key>\n```\n";
    let shown = plan_text(text, &[]);
    assert!(
        shown.contains("unbound: PID_OF_THE_PROCESS, PATH_TO_PRIVATE_KEY"),
        "{shown}"
    );
}

#[test]
fn judged_a_written_name_wins_over_an_id_from_a_heading() {
    let got = steps(
        "# T\n\n## Setup\n\n```bash\nmake deps\n```\n\n## Again\n\n```sh {\"name\":\"setup\"}\nmake install\n```\n",
        &[],
    );
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["setup-2", "setup"]);
}

/// Untagged blocks written as a root terminal: `# command` and what it
/// printed. The prompted lines are the steps; a `# ` line that reads as a
/// remark (`# install the chart`, `# cat this file:`) stays a comment, and
/// a block with only remarks is not a step.
#[test]
fn judged_root_prompts_in_a_block_without_a_language() {
    let got = steps(
        "# T\n\n## List\n\n```\n# kubectl -n storage get orphans\nNAME       TYPE\norphan-1   replica\n```\n\n## Look\n\n```\n# ls /mnt/disk/replicas/\n\n```\n\n## Note\n\n```\n# install the chart\n```\n\n## Intro\n\n```\n# cat this file:\nfoo bar\n```\n",
        &[],
    );
    assert_eq!(
        got,
        vec![
            (
                "list".to_owned(),
                "kubectl -n storage get orphans\n".to_owned()
            ),
            ("look".to_owned(), "ls /mnt/disk/replicas/\n".to_owned()),
        ]
    );
}
