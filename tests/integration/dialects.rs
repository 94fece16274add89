//! Other dialects as their users write them (issue 12, item 5): Runme's
//! JSON attributes, Hugo/Docusaurus/MkDocs tab groups, template tags in
//! commands, and the file names `check` and `render` look for. Every fixture
//! here is written for the test; each case states exactly what litops reads.

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};
use crate::test::Test;

/// (variable, [(option, [step ids])]) of each alternatives group.
type Groups = Vec<(String, Vec<(String, Vec<String>)>)>;
/// The same, written in a case table.
type GroupsWritten<'a> = &'a [(&'a str, &'a [(&'a str, &'a [&'a str])])];
/// (plan arguments, [(step id, status)]).
type SelectionCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

fn plan(runbook: &TempRunbook, args: &[&str]) -> Value {
    let output = litops()
        .arg("plan")
        .arg(runbook.path())
        .args(["--format", "json", "--no-env"])
        .args(args)
        .output()
        .expect("litops plan");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("plan JSON")
}

/// (id, status, script) of each planned step.
fn steps(plan: &Value) -> Vec<(String, String, String)> {
    plan["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    (
                        s["id"].as_str().unwrap_or_default().to_owned(),
                        s["status"].as_str().unwrap_or_default().to_owned(),
                        s["script"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ids(plan: &Value) -> Vec<String> {
    steps(plan).into_iter().map(|(id, _, _)| id).collect()
}

/// Each alternatives group of a plan.
fn alternatives(plan: &Value) -> Groups {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    plan["alternatives"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    let options = g["options"]
                        .as_array()
                        .map(|o| {
                            o.iter()
                                .map(|o| {
                                    (
                                        o["value"].as_str().unwrap_or_default().to_owned(),
                                        strings(&o["steps"]),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (
                        g["variable"].as_str().unwrap_or_default().to_owned(),
                        options,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check_short(runbook: &TempRunbook) -> (i32, String) {
    let output = litops()
        .arg("check")
        .args(["--format", "short"])
        .arg(runbook.path())
        .output()
        .expect("litops check");
    let text = stdout(&output).replace(&runbook.dir.path().display().to_string(), "[TMP]");
    (output.status.code().unwrap_or(-1), text)
}

const RUNME: &str = r#"---
runme:
  id: 01J0000000000000000000000
  version: v3
---

# Runme notebook

## Build

```sh {"id":"01J0000000000000000000001","name":"build:frontend","tag":"build","background":"false","closeTerminalOnSuccess":"false","openTerminalOnError":"true","interactive":"false","mimetype":"text/plain","transform":"false","promptEnv":"never","terminalRows":"20","interpreter":"bash","cwd":"."}
echo frontend
```

```sh {"name":"deploy/web","category":"build,release","mimeType":"text/plain"}
echo web
```

## Clean up

```sh {"name":"nuke","excludeFromRunAll":true}
echo only-by-name
```

```sh {"name":"old","ignore":"true"}
echo ignored
```
"#;

#[test]
fn i12_runme_keys_are_accepted_as_runme_writes_them() {
    let runbook = TempRunbook::new("runme.md", RUNME);
    assert_eq!(
        check_short(&runbook),
        (0, "checked 1 runbook: 0 errors, 0 warnings\n".to_owned())
    );
}

#[test]
fn i12_runme_names_with_colon_and_slash_are_addressable_and_exclude_from_run_all_is_by_name() {
    let runbook = TempRunbook::new("runme.md", RUNME);
    let cases: &[SelectionCase] = &[
        // A whole run leaves out `excludeFromRunAll`; `ignore` is documentation.
        (
            &[],
            &[
                ("build:frontend", "run"),
                ("deploy/web", "run"),
                ("old", "skip"),
            ],
        ),
        (&["--step", "build:frontend"], &[("build:frontend", "run")]),
        (&["--step", "deploy/web"], &[("deploy/web", "run")]),
        (&["--step", "web"], &[("deploy/web", "run")]),
        (&["--step", "nuke"], &[("nuke", "run")]),
        (&["--section", "clean-up"], &[("old", "skip")]),
        (
            &["--tag", "build"],
            &[("build:frontend", "run"), ("deploy/web", "run")],
        ),
        (&["--tag", "release"], &[("deploy/web", "run")]),
        (
            &["--tag", "release", "--step", "nuke"],
            &[("deploy/web", "run"), ("nuke", "run")],
        ),
    ];
    for (args, expected) in cases {
        let plan = plan(&runbook, args);
        let got: Vec<(String, String)> = steps(&plan)
            .into_iter()
            .map(|(id, status, _)| (id, status))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(id, status)| ((*id).to_owned(), (*status).to_owned()))
            .collect();
        assert_eq!(got, expected, "plan {args:?}");
    }
}

#[test]
fn i12_tag_that_no_step_has_is_refused_with_the_tags() {
    let runbook = TempRunbook::new("runme.md", RUNME);
    let output = litops()
        .arg("plan")
        .arg(runbook.path())
        .args(["--tag", "buidl"])
        .output()
        .expect("litops plan");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: no step is tagged `buidl`; did you mean `build`?\n"
    );
}

#[test]
fn i12_unknown_runme_key_is_a_warning_and_unknown_litops_key_an_error_and_unhonoured_keys_are_said()
{
    let cases: &[(&str, i32, &str)] = &[
        (
            "```sh {\"name\":\"a\",\"newRunmeKey\":\"1\"}\nls\n```\n",
            0,
            "[TMP]/t.md:1:7: warning[annotation-unknown-key]: `newRunmeKey` is not a Runme key litops knows; it is ignored\n  help: if it changes how the cell runs, check the step by hand\nchecked 1 runbook: 0 errors, 1 warning\n",
        ),
        (
            "```sh {\"name\":\"a\",\"excludeFromRunAl\":true}\nls\n```\n",
            0,
            "[TMP]/t.md:1:7: warning[annotation-unknown-key]: `excludeFromRunAl` is not a Runme key litops knows; it is ignored\n  help: did you mean `excludeFromRunAll`?\nchecked 1 runbook: 0 errors, 1 warning\n",
        ),
        (
            "```sh {\"name\":\"a\",\"interpreter\":\"python3\"}\nprint(1)\n```\n",
            0,
            "[TMP]/t.md:1:7: warning[annotation-unsupported]: litops does not act on `interpreter` yet: the step runs with the runbook's shell, not with `interpreter`\n  help: make the block do it itself, or mark it `skip`\nchecked 1 runbook: 0 errors, 1 warning\n",
        ),
        // `background` is honoured: a helper for the rest of its section.
        (
            "```sh {\"name\":\"a\",\"cwd\":\"web\",\"background\":true}\nnpm start\n```\n",
            0,
            "checked 1 runbook: 0 errors, 0 warnings\n",
        ),
        (
            "```sh {#a newRunmeKey=1}\nls\n```\n",
            1,
            "[TMP]/t.md:1:11: error[annotation-unknown-key]: unknown annotation `newRunmeKey`\n",
        ),
    ];
    for (text, code, expected) in cases {
        let runbook = TempRunbook::new("t.md", text);
        let (got_code, got) = check_short(&runbook);
        assert_eq!(got_code, *code, "{text}: {got}");
        assert!(got.starts_with(expected), "{text}:\n{got}");
    }
}

#[test]
fn i12_tab_groups_are_alternatives_with_their_option_names() {
    let cases: &[(&str, &str, GroupsWritten)] = &[
        (
            "hugo tabs",
            "# T\n\n## Install\n\n{{< tabs name=\"install-os\" >}}\n{{% tab name=\"Linux\" %}}\n\n```bash\napt-get install -y foo\n```\n\n{{% /tab %}}\n{{% tab name=\"macOS\" %}}\n\n```bash\nbrew install foo\n```\n\n{{% /tab %}}\n{{< /tabs >}}\n\n```bash\nfoo --version\n```\n",
            &[(
                "INSTALL_OS",
                &[("Linux", &["install"]), ("macOS", &["install-2"])],
            )],
        ),
        (
            "dapr codetabs named by the tabs shortcode",
            "# T\n\n## Init\n\n{{< tabs \"Self-Hosted\" Kubernetes >}}\n\n{{% codetab %}}\n\n```bash\ndapr init\n```\n\n{{% /codetab %}}\n\n{{% codetab %}}\n\n```bash\ndapr init -k\n```\n\n{{% /codetab %}}\n\n{{< /tabs >}}\n",
            &[(
                "TAB",
                &[("Self-Hosted", &["init"]), ("Kubernetes", &["init-2"])],
            )],
        ),
        (
            "docusaurus tabs, two groups with one groupId are one choice",
            "# T\n\n## Run\n\n<Tabs groupId=\"container-runtime\">\n  <TabItem value=\"docker\" label=\"Docker\" default>\n\n```bash\ndocker run x\n```\n\n  </TabItem>\n  <TabItem value=\"nerdctl\">\n\n```bash\nnerdctl run x\n```\n\n  </TabItem>\n</Tabs>\n\n## Stop\n\n<Tabs groupId=\"container-runtime\">\n<TabItem value=\"docker\">\n\n```bash\ndocker stop x\n```\n\n</TabItem>\n<TabItem value=\"nerdctl\">\n\n```bash\nnerdctl stop x\n```\n\n</TabItem>\n</Tabs>\n",
            &[(
                "CONTAINER_RUNTIME",
                &[
                    ("docker", &["run", "stop"]),
                    ("nerdctl", &["run-2", "stop-2"]),
                ],
            )],
        ),
        (
            "mkdocs tabs, two groups: each on the axis its tabs name",
            "# T\n\n## Credentials\n\n=== \"GKE\"\n\n    ```bash\n    gcloud container clusters get-credentials c\n    ```\n\n=== \"EKS\"\n\n    ```bash\n    aws eks update-kubeconfig --name c\n    ```\n\nThen:\n\n=== \"apt\"\n\n    ```bash\n    apt-get install -y jq\n    ```\n\n=== \"brew\"\n\n    ```bash\n    brew install jq\n    ```\n",
            &[
                (
                    "cloud",
                    &[("gcp", &["credentials"]), ("aws", &["credentials-2"])],
                ),
                (
                    "package-manager",
                    &[("apt", &["credentials-3"]), ("brew", &["credentials-4"])],
                ),
            ],
        ),
    ];
    for (what, text, expected) in cases {
        let runbook = TempRunbook::new("t.md", text);
        let plan = plan(&runbook, &[]);
        let expected: Groups = expected
            .iter()
            .map(|(v, options)| {
                (
                    (*v).to_owned(),
                    options
                        .iter()
                        .map(|(o, s)| {
                            ((*o).to_owned(), s.iter().map(|s| (*s).to_owned()).collect())
                        })
                        .collect(),
                )
            })
            .collect();
        assert_eq!(alternatives(&plan), expected, "{what}");
        // Nothing in a tab runs until one is chosen; what follows the group does.
        let statuses: Vec<(String, String)> = steps(&plan)
            .into_iter()
            .map(|(id, status, _)| (id, status))
            .filter(|(_, status)| status != "choose")
            .collect();
        let after: Vec<(String, String)> = if *what == "hugo tabs" {
            vec![("install-3".to_owned(), "run".to_owned())]
        } else {
            Vec::new()
        };
        assert_eq!(statuses, after, "{what}");
    }
}

#[test]
fn i12_choosing_a_tab_runs_only_its_steps() {
    let runbook = TempRunbook::new(
        "t.md",
        "# T\n\n{{< tabs name=\"os\" >}}\n{{% tab name=\"Linux\" %}}\n\n```bash\napt-get install -y foo\n```\n\n{{% /tab %}}\n{{% tab name=\"macOS\" %}}\n\n```bash\nbrew install foo\n```\n\n{{% /tab %}}\n{{< /tabs >}}\n",
    );
    let plan = plan(&runbook, &["--set", "OS=macOS"]);
    let got: Vec<(String, String)> = steps(&plan)
        .into_iter()
        .map(|(id, status, _)| (id, status))
        .collect();
    assert_eq!(
        got,
        [
            ("t".to_owned(), "skip".to_owned()),
            ("t-2".to_owned(), "run".to_owned())
        ]
    );
}

#[test]
fn i12_template_tags_in_commands_are_placeholders_never_text() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "curl -LO https://dl.k8s.io/release/v{{< param \"fullversion\" >}}/bin/linux/amd64/kubectl\n",
            "FULLVERSION",
            "1.31.0",
            "curl -LO https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl\n",
        ),
        (
            "kubeadm upgrade plan v{{< skew currentVersion >}}.0\n",
            "SKEW_CURRENT_VERSION",
            "1.31",
            "kubeadm upgrade plan v1.31.0\n",
        ),
        (
            "helm install app chart --version {{% param \"chart_version\" %}}\n",
            "CHART_VERSION",
            "2.0.1",
            "helm install app chart --version 2.0.1\n",
        ),
        (
            "nvm install <%= @node_version %>\n",
            "NODE_VERSION",
            "22",
            "nvm install 22\n",
        ),
    ];
    for (command, variable, value, resolved) in cases {
        let runbook = TempRunbook::new("t.md", format!("# T\n\n```bash\n{command}```\n"));
        let unbound = plan(&runbook, &[]);
        assert_eq!(
            unbound["steps"][0]["unbound"],
            serde_json::json!([variable]),
            "{command}"
        );
        assert_eq!(
            unbound["variables"][0]["kind"].as_str(),
            Some("placeholder"),
            "{command}"
        );
        let set = format!("{variable}={value}");
        let bound = plan(&runbook, &["--set", &set]);
        assert_eq!(
            steps(&bound),
            [("t".to_owned(), "run".to_owned(), (*resolved).to_owned())],
            "{command}"
        );
    }
}

#[test]
fn i12_hugo_heading_shortcode_shows_its_text() {
    let runbook = TempRunbook::new(
        "t.md",
        "# T\n\n## {{% heading \"prerequisites\" %}}\n\n```bash\nkubectl version\n```\n",
    );
    let plan = plan(&runbook, &[]);
    assert_eq!(ids(&plan), ["prerequisites"]);
    assert_eq!(
        plan["steps"][0]["section"],
        serde_json::json!(["prerequisites"])
    );
}

#[test]
fn i12_check_and_render_find_mdx_markdown_and_erb_runbooks() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a.mdx", "b.markdown", "c.md.erb", "d.md", "notes.txt"] {
        std::fs::write(
            dir.path().join(name),
            format!("# {name}\n\n```bash\necho {name}\n```\n"),
        )
        .expect("write");
    }
    let output = litops()
        .arg("check")
        .arg(dir.path())
        .output()
        .expect("litops check");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "checked 4 runbooks: 0 errors, 0 warnings\n"
    );

    let site = tempfile::tempdir().expect("tempdir");
    let output = litops()
        .arg("render")
        .arg(dir.path())
        .arg("--out")
        .arg(site.path())
        .output()
        .expect("litops render");
    assert!(output.status.success(), "{}", stderr(&output));
    for page in ["a.html", "b.html", "c.html", "d.html"] {
        assert!(site.path().join(page).is_file(), "{page} missing");
    }
    assert!(!site.path().join("c.md.html").exists());
}

#[test]
fn i12_runme_front_matter_shell_runs_the_steps() {
    Test::new()
        .file(
            "t.md",
            "---\nshell: no-such-shell-i12\ncwd: app\n---\n# T\n\n```sh {\"name\":\"a\"}\necho a\n```\n",
        )
        .args(["run", "t.md", "--yes", "--no-transcript"])
        .stderr("error: cannot find the shell `no-such-shell-i12` (the runbook's front matter)\n")
        .status(2)
        .run()
        .then()
        .args(["check", "--format", "short", "t.md"])
        .stdout("checked 1 runbook: 0 errors, 0 warnings\n")
        .run();
}

/// Runme runs a cell in its `cwd` (the front matter's, else the cell's own),
/// relative to the file's directory, and the next cell where it was before.
/// Through both step shells: the fork server and a bash per step.
#[test]
fn i12_runme_cwd_runs_the_step_there_and_the_next_one_where_it_was() {
    let runbook = TempRunbook::new(
        "docs/t.md",
        "# T\n\n```sh {\"name\":\"first\"}\npwd\n```\n\n```sh {\"name\":\"inside\",\"cwd\":\"app\"}\npwd\ncd /\n```\n\n```sh {\"name\":\"after\"}\npwd\n```\n\n```sh {\"name\":\"missing\",\"cwd\":\"no-such-dir\"}\npwd\n```\n",
    );
    let root = runbook.dir.path();
    std::fs::create_dir(root.join("docs/app")).expect("mkdir");
    let plan = litops()
        .current_dir(root)
        .args(["plan", "docs/t.md", "--step", "inside"])
        .output()
        .expect("litops plan");
    assert!(
        stdout(&plan).contains("     runs in app (from the runbook's directory)\n     │ pwd\n"),
        "{}",
        stdout(&plan)
    );
    for fork_server in ["1", "0"] {
        let output = litops()
            .current_dir(root)
            .env("LITOPS_FORK_SERVER", fork_server)
            .args(["run", "docs/t.md", "--unattended", "--no-transcript"])
            .output()
            .expect("litops run");
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let printed: Vec<String> = stdout(&output)
            .lines()
            .filter(|l| l.starts_with('/'))
            .map(str::to_owned)
            .collect();
        let root = root.canonicalize().expect("root");
        let root = root.display();
        assert_eq!(
            printed,
            [
                format!("{root}"),
                format!("{root}/docs/app"),
                format!("{root}")
            ],
            "fork server {fork_server}"
        );
        assert!(
            stderr(&output).contains("no-such-dir: No such file or directory"),
            "{}",
            stderr(&output)
        );
    }
}

/// Front matter `cwd` is every step's directory, so a step's `cd ..` does
/// not carry over. (`skipPrompts` is tested through a terminal, in
/// `interactive.rs`.)
#[test]
fn i12_runme_front_matter_cwd_is_every_steps_directory() {
    let runbook = TempRunbook::new(
        "docs/t.md",
        "---\ncwd: app\nskipPrompts: true\n---\n# T\n\n```sh\npwd\ncd ..\n```\n\n```sh\npwd\necho \"<pod-name>\"\n```\n",
    );
    let root = runbook.dir.path();
    std::fs::create_dir(root.join("docs/app")).expect("mkdir");
    let output = litops()
        .current_dir(root)
        .args([
            "run",
            "docs/t.md",
            "--unattended",
            "--no-transcript",
            "--set",
            "POD_NAME=web-0",
        ])
        .output()
        .expect("litops run");
    assert!(output.status.success(), "{}", stderr(&output));
    let app = root.canonicalize().expect("root").join("docs/app");
    let out = stdout(&output);
    let printed: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('/') || *l == "web-0")
        .collect();
    let app = app.display().to_string();
    assert_eq!(printed, [app.as_str(), app.as_str(), "web-0"]);
}
