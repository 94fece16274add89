//! Issue 12: runbooks read as people write them. Each pattern is a fixture
//! written here, with the exact outline, steps and diagnostics expected.

use crate::support::{TempRunbook, litops, redact_dir, stderr, stdout};

/// Runs `litops ARGS FILE` on `text` (saved as `t.md`): exit code, stdout
/// and stderr, with the temporary directory shown as `[TMP]`.
fn cli(text: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let runbook = TempRunbook::new("t.md", text);
    let output = litops()
        .args(["--color", "never"])
        .args(args)
        .arg(runbook.path())
        .output()
        .expect("runs");
    let dir = runbook.dir.path();
    (
        output.status.code(),
        redact_dir(&stdout(&output), dir),
        redact_dir(&stderr(&output), dir),
    )
}

const BAD_ANNOTATION: &str =
    "# T\n\n## A\n\n<!-- litops: bogus -->\n```bash\necho a\n```\n\n## B\n\n```bash\necho b\n```\n";
const UNCLOSED: &str =
    "# U\n\n## Good\n\n```bash\necho good\n```\n\n## Open\n\n```bash\necho open\n";
const BAD_YAML: &str = "---\ntitle: [unclosed\n---\n# Fm\n\n## Go\n\n```bash\necho go\n```\n";

#[test]
fn m1_a_broken_block_is_a_step_that_cannot_run_not_a_refused_file() {
    // (fixture, list's outline, the steps an unattended run refuses)
    let cases: &[(&str, &str, &[&str])] = &[
        (
            BAD_ANNOTATION,
            "T\n[TMP]/t.md · 2 steps · 0 gated · 0 variables · 0 alternative groups\n\nA\n  ▸ a  [cannot run]\n      cannot run: unknown annotation `bogus` ([TMP]/t.md:5:14)\n      echo a\n\nB\n  ▸ b\n      echo b\n",
            &["  a: unknown annotation `bogus` ([TMP]/t.md:5:14)"],
        ),
        (
            UNCLOSED,
            "U\n[TMP]/t.md · 2 steps · 0 gated · 0 variables · 0 alternative groups\n\nGood\n  ▸ good\n      echo good\n\nOpen\n  ▸ open  [cannot run]\n      cannot run: this fenced block is never closed ([TMP]/t.md:11:1)\n      echo open\n",
            &["  open: this fenced block is never closed ([TMP]/t.md:11:1)"],
        ),
    ];
    for (text, outline, refused) in cases {
        let (code, out, _) = cli(text, &["list"]);
        assert_eq!((code, out.as_str()), (Some(0), *outline), "{text}");
        let (code, out, _) = cli(text, &["plan"]);
        assert_eq!(code, Some(0), "{text}");
        assert!(
            out.contains("error: the block cannot run as written: "),
            "{out}"
        );
        let (code, out, err) = cli(text, &["run", "--unattended", "--no-transcript"]);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
        let mut expected = vec![format!(
            "error: {} step{} cannot run as written; nothing was run:",
            refused.len(),
            if refused.len() == 1 { "" } else { "s" }
        )];
        expected.extend(refused.iter().map(|s| s.to_string()));
        expected.push("fix them (`litops check` shows where), or leave them out with --step/--section/--from/--to".to_owned());
        let tail: Vec<&str> = err.lines().rev().take(expected.len()).collect();
        let tail: Vec<String> = tail.into_iter().rev().map(str::to_owned).collect();
        assert_eq!(tail, expected, "{err}");
    }
    // Nor is a plan with it offered for approval; without it, it is.
    // A path of its own: without the refusal, the plan file would be
    // written there (by rename: never a device such as /dev/null).
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = dir.path().join("refused.json");
    let refused_path = refused.display().to_string();
    let (code, _, err) = cli(BAD_ANNOTATION, &["plan", "--out", &refused_path]);
    assert_eq!(code, Some(2));
    assert!(!refused.exists());
    assert!(err.ends_with("error: no approvable plan: the runbook has steps that cannot run as written: a (`litops check [TMP]/t.md` lists them)\n"), "{err}");
    let plan = tempfile::NamedTempFile::new().expect("temp");
    let out_path = plan.path().display().to_string();
    let (code, _, err) = cli(BAD_ANNOTATION, &["plan", "--step", "b", "--out", &out_path]);
    assert_eq!(code, Some(0), "{err}");
    // Only the broken step is refused: the others still run.
    let (code, out, err) = cli(
        BAD_ANNOTATION,
        &["run", "--unattended", "--no-transcript", "--step", "b"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\nb\n"), "{out}");
    let (code, out, err) = cli(
        UNCLOSED,
        &["run", "--unattended", "--no-transcript", "--step", "good"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\ngood\n"), "{out}");
}

#[test]
fn m1_front_matter_that_is_not_yaml_is_reported_and_the_body_read() {
    let (code, out, err) = cli(BAD_YAML, &["list"]);
    assert_eq!(
        (code, out.as_str()),
        (
            Some(0),
            "Fm\n[TMP]/t.md · 1 step · 0 gated · 0 variables · 0 alternative groups\n\nGo\n  ▸ go\n      echo go\n"
        )
    );
    assert!(err.starts_with("front-matter-yaml\n"), "{err}");
    // A run needs its front matter (preflight, secrets, lock key): refused.
    let (code, _, err) = cli(BAD_YAML, &["run", "--unattended", "--no-transcript"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err.lines().last(),
        Some(
            "error: [TMP]/t.md has 1 error outside its steps; fix it first (`litops check [TMP]/t.md` lists everything)"
        )
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = dir.path().join("refused.json");
    let refused_path = refused.display().to_string();
    let (code, _, err) = cli(BAD_YAML, &["plan", "--out", &refused_path]);
    assert_eq!(code, Some(2));
    assert!(!refused.exists());
    assert!(err.ends_with("error: no approvable plan: the runbook has 1 error outside its steps (`litops check [TMP]/t.md` lists them)\n"), "{err}");
}

/// Each fixture's `list` outline, exactly, with nothing on stderr.
fn assert_outlines(cases: &[(&str, &str)]) {
    for (text, outline) in cases {
        let (code, out, err) = cli(text, &["list"]);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (Some(0), *outline, ""),
            "{text}"
        );
    }
}

#[test]
fn m2_killercoda_closers_and_inline_exec() {
    // (fixture, list's outline): `{{exec}}` closes the block and makes a
    // step whatever its language; `{{copy}}` closes it as text to copy.
    let cases: &[(&str, &str)] = &[
        (
            "# K\n\n## Run\n\n```shell\nkubectl get ns\n```{{exec}}\n\n## After\n\n```bash\necho after\n```\n",
            "K\n[TMP]/t.md · 2 steps · 0 gated · 0 variables · 0 alternative groups\n\nRun\n  ▸ run\n      kubectl get ns\n\nAfter\n  ▸ after\n      echo after\n",
        ),
        (
            "# K\n\n## Run\n\n```\nuname -a\n```{{execute interrupt}}\n\n```bash\nrm -rf /tmp/x\n```{{copy}}\n\n```hcl\na = 1\n```{{copy}}\n",
            "K\n[TMP]/t.md · 1 step · 0 gated · 0 variables · 0 alternative groups\n\nRun\n  ▸ run\n      uname -a\n",
        ),
        (
            "# K\n\n## Run\n\nThen `kubectl get pods`{{exec}} as `admin`{{copy}}, not `ls`.\n\n- `echo listed`{{execute}}\n",
            "K\n[TMP]/t.md · 2 steps · 0 gated · 0 variables · 0 alternative groups\n\nRun\n  ▸ run\n      kubectl get pods\n  ▸ run-2\n      echo listed\n",
        ),
    ];
    assert_outlines(cases);
    for (text, _) in cases {
        let (code, out, _) = cli(text, &["check", "--format", "short"]);
        assert_eq!(
            (code, out.as_str()),
            (Some(0), "checked 1 runbook: 0 errors, 0 warnings\n"),
            "{text}"
        );
    }
    // The inline command runs as written, and where it was written.
    let (code, out, _) = cli(cases[2].0, &["plan", "--format", "json"]);
    assert_eq!(code, Some(0));
    let plan: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(plan["steps"][0]["script"], "kubectl get pods\n");
    assert_eq!(plan["steps"][0]["location"], "[TMP]/t.md:5:6");
}

#[test]
fn m7_steps_without_a_heading_or_under_the_title_are_listed() {
    let cases: &[(&str, &str)] = &[
        (
            "Intro.\n\n```bash\necho no-heading\n```\n",
            "[TMP]/t.md\n[TMP]/t.md · 1 step · 0 gated · 0 variables · 0 alternative groups\n\n  ▸ step\n      echo no-heading\n",
        ),
        (
            "```bash\necho first\n```\n\n# Title\n\n```bash\necho under-title\n```\n\n## A\n\n```bash\necho a\n```\n\n# Second\n\n```bash\necho second\n```\n",
            "Title\n[TMP]/t.md · 4 steps · 0 gated · 0 variables · 0 alternative groups\n\n  ▸ title\n      echo first\n  ▸ title-2\n      echo under-title\n\nA\n  ▸ a\n      echo a\n\nSecond\n  ▸ second\n      echo second\n",
        ),
    ];
    assert_outlines(cases);
}

#[test]
fn m7_list_format_json_is_the_outline() {
    let text = "# J\n\n```bash\necho top\n```\n\n## Deploy\n\n<!-- litops: bogus -->\n```bash\nkubectl delete pod web-1\n```\n\n```bash {skip}\nexport API_TOKEN=s3cr3t-value\n```\n";
    let (code, out, _) = cli(text, &["list", "--format", "json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let expected = serde_json::json!({
        "schema_version": 1,
        "file": "[TMP]/t.md",
        "title": "J",
        "sections": [
            {"id": "", "title": "", "level": 0, "location": null, "steps": []},
            {"id": "j", "title": "J", "level": 1, "location": "[TMP]/t.md:1:1", "steps": ["j"]},
            {"id": "deploy", "title": "Deploy", "level": 2, "location": "[TMP]/t.md:7:1", "steps": ["deploy", "deploy-2"]}
        ],
        "steps": [
            {
                "id": "j", "section": "j", "location": "[TMP]/t.md:3:1", "lang": "bash",
                "status": "run", "runnable": true, "not_runnable": [],
                "gated": false, "gate_reasons": [], "interactive": false,
                "commands": [{"text": "echo top", "label": null}]
            },
            {
                "id": "deploy", "section": "deploy", "location": "[TMP]/t.md:10:1", "lang": "bash",
                "status": "run", "runnable": false,
                "not_runnable": ["unknown annotation `bogus` ([TMP]/t.md:9:14)"],
                "gated": true, "gate_reasons": ["deletes Kubernetes resources"], "interactive": false,
                "commands": [{"text": "kubectl delete pod web-1", "label": null}]
            },
            {
                "id": "deploy-2", "section": "deploy", "location": "[TMP]/t.md:14:1", "lang": "bash",
                "status": "skip", "runnable": false, "not_runnable": ["marked `skip`"],
                "gated": false, "gate_reasons": [], "interactive": false,
                "commands": [{"text": "export API_TOKEN=[REDACTED:API_TOKEN]", "label": null}]
            }
        ]
    });
    assert_eq!(json, expected, "{out}");
    // Secret values are masked, as in the human outline.
    assert!(!out.contains("s3cr3t-value"));
}

#[test]
fn m2_fences_end_where_commonmark_and_mkdocs_end_them() {
    // (fixture, list's outline, `check --format short`)
    let cases: &[(&str, &str, &str)] = &[
        (
            // The closing fence is indented less than the list item's
            // content: the item (and the block) end before it, as on
            // GitHub; that fence opens a block that runs to the end.
            "# L\n\n1. Step:\n   ```bash\n   echo item\n  ```\n\n2. Next\n",
            "L\n[TMP]/t.md · 1 step · 0 gated · 0 variables · 0 alternative groups\n\n  ▸ l\n      echo item\n",
            "[TMP]/t.md:4:4: warning[fence-closed-by-container]: this fenced block has no closing fence inside its list item or block quote; it ends where that ends\n  help: indent the closing fence like the opening one, so that it is inside the list item or quote\n[TMP]/t.md:6:3: error[fence-unterminated]: this fenced block is never closed\n  help: add a line containing only ``` after the block's last line; until then the rest of the file belongs to the block\nchecked 1 runbook: 1 error, 1 warning\n",
        ),
        (
            "# Q\n\n> ```bash\n> echo quote\n\nafter\n\n```bash\necho after\n```\n",
            "Q\n[TMP]/t.md · 2 steps · 0 gated · 0 variables · 0 alternative groups\n\n  ▸ q\n      echo quote\n  ▸ q-2\n      echo after\n",
            "[TMP]/t.md:3:3: warning[fence-closed-by-container]: this fenced block has no closing fence inside its list item or block quote; it ends where that ends\n  help: indent the closing fence like the opening one, so that it is inside the list item or quote\nchecked 1 runbook: 0 errors, 1 warning\n",
        ),
        (
            // MkDocs: a fence right after a line of text in an admonition
            // or tab whose body follows its marker line directly.
            "# M\n\n!!! note\n    Run that:\n    ```bash\n    echo note\n    ```\n\n=== \"GKE\"\n    First:\n    ```bash\n    echo gke\n\n    echo gke-2\n    ```\n\n=== \"EKS\"\n\n    Then:\n    ```bash\n    echo eks\n    ```\n",
            // (The tabs are alternatives: a run chooses one.)
            "M\n[TMP]/t.md · 3 steps · 0 gated · 1 variable · 1 alternative group\n\n  ▸ m\n      echo note\n  ▸ m-2  [alt cloud=gcp]\n      echo gke\n      echo gke-2\n  ▸ m-3  [alt cloud=aws]\n      echo eks\n\nVariables:\n  cloud  input · selects alternatives · used in 2 steps\n",
            "checked 1 runbook: 0 errors, 0 warnings\n",
        ),
    ];
    for (text, outline, check) in cases {
        let (code, out, _) = cli(text, &["list"]);
        assert_eq!((code, out.as_str()), (Some(0), *outline), "{text}");
        let (_, out, _) = cli(text, &["check", "--format", "short"]);
        assert_eq!(out, *check, "{text}");
    }
    // The step is the fenced block, where it is written in the tab.
    let (_, out, _) = cli(cases[2].0, &["plan", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(plan["steps"][1]["script"], "echo gke\n\necho gke-2\n");
    assert_eq!(plan["steps"][1]["location"], "[TMP]/t.md:11:5");
}
