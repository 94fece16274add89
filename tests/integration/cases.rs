//! Table-driven parsing cases: tricky Markdown and bash, each with the exact
//! digest of what litops makes of it (steps, commands, variables, blocks,
//! diagnostics with line:column).

use litops::diag::Severity;
use litops::load::from_text;
use litops::model::{Mode, VariableKind};

/// A compact, exact description of a runbook.
fn digest(text: &str) -> String {
    let rb = from_text("t.md", text);
    let mut out = Vec::new();
    for step in &rb.steps {
        let mut line = format!("step {} [{}]", step.id, step.lang);
        if step.gate.required() {
            line.push_str(" gate");
        }
        if let Some(alt) = &step.alternative {
            line.push_str(&format!(" alt {}={}", alt.variable, alt.value));
        }
        match step.mode {
            Mode::Skip => line.push_str(" skip"),
            Mode::Manual => line.push_str(" manual"),
            Mode::Run => {}
        }
        if step.interactive {
            line.push_str(" interactive");
        }
        if let Some(t) = step.timeout {
            line.push_str(&format!(" timeout={}s", t.as_secs()));
        }
        if !step.checks.is_empty() {
            line.push_str(&format!(" checks={}", step.checks.len()));
        }
        let commands: Vec<String> = step
            .script
            .commands
            .iter()
            .map(|c| {
                let text = step.text.as_str()[c.span.start..c.span.end].replace('\n', "⏎");
                match &c.label {
                    Some(label) => format!("({label}) {text}"),
                    None => text,
                }
            })
            .collect();
        line.push_str(": ");
        line.push_str(&commands.join(" ┃ "));
        out.push(line);
    }
    for v in &rb.variables {
        let mut line = format!(
            "var {} {}",
            v.name,
            match v.kind {
                VariableKind::Input => "input",
                VariableKind::Placeholder => "placeholder",
            }
        );
        if let Some(p) = &v.placeholder {
            line.push_str(&format!(" {p}"));
        }
        if v.optional {
            line.push_str(" optional");
        }
        if v.selects {
            line.push_str(" selects");
        }
        if v.secret {
            line.push_str(" secret");
        }
        let values = v.document_values();
        if !values.is_empty() {
            line.push_str(&format!(" ={}", values.join("|")));
        }
        out.push(line);
    }
    for b in &rb.blocks {
        out.push(format!(
            "block {} {:?}",
            b.lang.as_deref().unwrap_or("-"),
            b.role
        ));
    }
    for d in &rb.diagnostics {
        let pos = d.span.map(|s| rb.file.position(s.start));
        out.push(format!(
            "{} {} {}",
            match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            d.code,
            pos.map_or("-".to_owned(), |p| format!("{}:{}", p.line, p.column))
        ));
    }
    out.join("\n")
}

const CASES: &[(&str, &str, &str)] = &[
    ("empty file", "", ""),
    (
        "headings without blocks",
        "# T\n\n## A\n\ntext\n\n### B\n",
        "",
    ),
    (
        "plain bash block",
        "## Deploy\n\n```bash\nkubectl apply -k .\n```\n",
        "step deploy [bash]: kubectl apply -k .",
    ),
    (
        "tilde fence",
        "## A\n\n~~~sh\nls -l\n~~~\n",
        "step a [sh]: ls -l",
    ),
    (
        "four backticks hold three",
        "## A\n\n````bash\ncat <<'EOF'\n```\ninside\n```\nEOF\n````\n",
        "step a [bash]: cat <<'EOF'⏎```⏎inside⏎```⏎EOF⏎",
    ),
    (
        "fence inside a list item",
        "## A\n\n1. Run:\n\n   ```bash\n   echo one\n   echo two\n   ```\n2. Done\n",
        "step a [bash]: echo one ┃ echo two",
    ),
    (
        "fence in a blockquote",
        "## A\n\n> ```bash\n> echo quoted\n> ```\n",
        "step a [bash]: echo quoted",
    ),
    (
        "unclosed fence runs to the end",
        "## A\n\n```bash\necho a\n\n## Not a heading\n",
        "step a [bash]: echo a\nerror fence-unterminated 3:1",
    ),
    (
        "crlf line ends",
        "## A\r\n\r\n```bash\r\necho a \\\r\n  b\r\necho c\r\n```\r\n",
        "step a [bash]: echo a \\⏎  b ┃ echo c",
    ),
    (
        "byte order mark",
        "\u{feff}---\ntitle: T\n---\n## A\n\n```bash\nls\n```\n",
        "step a [bash]: ls",
    ),
    (
        "front matter variables",
        "---\nlitops:\n  vars:\n    REGION: eu-west-1\n    API_TOKEN:\n      description: token\n---\n```bash\necho $REGION $API_TOKEN\n```\n",
        "step step [bash]: echo $REGION $API_TOKEN\nvar REGION input\nvar API_TOKEN input secret",
    ),
    (
        "malformed front matter",
        "---\ntitle: [oops\n---\n# T\n",
        "error front-matter-yaml 2:8",
    ),
    (
        "unclosed front matter",
        "---\ntitle: x\n\n# T\n",
        "error front-matter-unterminated 1:1",
    ),
    (
        "front matter that is a list",
        "---\n- a\n- b\n---\n",
        "error front-matter-yaml 2:1",
    ),
    (
        "toml front matter",
        "+++\ntitle = \"x\"\n+++\n# T\n",
        "warning front-matter-toml 1:1",
    ),
    (
        "wrong front matter types",
        "---\ntags: {a: 1}\nlast_reviewed: soon\nlitops:\n  production: maybe\n---\n",
        "error front-matter-type 2:1\nerror front-matter-type 3:1\nerror front-matter-type 5:3",
    ),
    (
        "heredoc containing a fence line",
        "## A\n\n````bash\ncat > doc.md <<EOF\n```bash\necho $NAME\n```\nEOF\nls\n````\n",
        "step a [bash]: cat > doc.md <<EOF⏎```bash⏎echo $NAME⏎```⏎EOF⏎ ┃ ls\nvar NAME input",
    ),
    (
        "quoted heredoc is literal",
        "## A\n\n```bash\ncat <<'EOF'\n$NOT_A_VAR\nEOF\n```\n",
        "step a [bash]: cat <<'EOF'⏎$NOT_A_VAR⏎EOF⏎",
    ),
    (
        "tab-stripping heredoc",
        "## A\n\n```bash\ncat <<-EOF\n\thello $WHO\n\tEOF\necho next\n```\n",
        "step a [bash]: cat <<-EOF⏎\thello $WHO⏎\tEOF⏎ ┃ echo next\nvar WHO input",
    ),
    (
        "continuation inside quotes",
        "## A\n\n```bash\necho \"one \\\ntwo\" 'three \\\nfour'\necho after\n```\n",
        "step a [bash]: echo \"one \\⏎two\" 'three \\⏎four' ┃ echo after",
    ),
    (
        "env-prefix assignments over continuations",
        "## A\n\n```bash\nCLUSTER=prod \\\nREGION=\"us east\" \\\n./provision.sh\n```\n",
        "step a [bash]: CLUSTER=prod \\⏎REGION=\"us east\" \\⏎./provision.sh\nvar CLUSTER input =prod\nvar REGION input =us east",
    ),
    (
        "KEY=value lines that are arguments",
        "## A\n\n```bash\nkubectl get pods -o custom-columns=\\\nNAME:.metadata.name,\\\nCPU_REQUEST:.spec.cpu\n```\n",
        "step a [bash]: kubectl get pods -o custom-columns=\\⏎NAME:.metadata.name,\\⏎CPU_REQUEST:.spec.cpu",
    ),
    // Nothing to run: documentation, unless annotated as a step.
    ("empty block", "## A\n\n```bash\n```\n", "block bash Data"),
    (
        "comments only",
        "## A\n\n```bash\n# TODO: write this\n```\n",
        "block bash Data",
    ),
    (
        "empty block made a manual step",
        "## A\n\n```bash {manual}\n```\n",
        "step a [bash] manual: ",
    ),
    (
        "console session with output",
        "## A\n\n```console\n$ kubectl get pods\nNAME   READY\nweb    1/1\n# id -u\n0\n```\n",
        "step a [console]: kubectl get pods ┃ id -u",
    ),
    (
        "console output only",
        "## A\n\n```console\nNAME   READY\n```\n",
        "block console Output",
    ),
    (
        "bash block with dollar prompts",
        "## A\n\n```bash\n$ echo hi\nhi\n```\n",
        "step a [bash]: echo hi",
    ),
    (
        "mkdocs tabs",
        "## Creds\n\n=== \"GKE\"\n\n    ```bash\n    gcloud auth list\n    ```\n\n=== \"EKS\"\n\n    ```bash\n    aws sts get-caller-identity\n    ```\n",
        // A reader follows one tab: the tabs are alternatives (issue 12).
        "step creds [bash] alt cloud=gcp: gcloud auth list\nstep creds-2 [bash] alt cloud=aws: aws sts get-caller-identity\nvar cloud input selects",
    ),
    (
        "mkdocs admonition",
        "## A\n\n!!! warning \"Careful\"\n\n    ```bash {confirm}\n    kubectl drain node-1\n    ```\n",
        "step a [bash] gate: kubectl drain node-1",
    ),
    (
        "runme info string",
        "## A\n\n```sh {\"name\":\"deploy\",\"interactive\":true,\"background\":false}\nkubectl exec -it web -- sh\n```\n",
        "step deploy [sh] interactive: kubectl exec -it web -- sh",
    ),
    (
        "pandoc attributes",
        "## A\n\n```{.bash #build timeout=2m}\nmake\n```\n",
        "step build [bash] timeout=120s: make",
    ),
    (
        "comment annotation",
        "## A\n\n<!-- litops: name=restart confirm=\"restarts web\" manual -->\n```bash\nsystemctl restart web\n```\n",
        "step restart [bash] gate manual: systemctl restart web",
    ),
    (
        "detached annotation",
        "## A\n\n<!-- litops: confirm -->\n\nSome prose.\n\n```bash\nls\n```\n",
        "step a [bash]: ls\nwarning annotation-detached 3:1",
    ),
    (
        "unknown annotation key",
        "## A\n\n```bash {confim}\nls\n```\n",
        "step a [bash]: ls\nerror annotation-unknown-key 3:10",
    ),
    (
        "duplicate explicit ids",
        "## A\n\n```bash {#x}\nls\n```\n\n## B\n\n```bash {#x}\npwd\n```\n",
        "step x [bash]: ls\nstep x [bash]: pwd\nerror step-duplicate-id 9:1",
    ),
    (
        "same heading twice",
        "## Logs\n\n```bash\nls\n```\n\n## Logs\n\n```bash\npwd\n```\n",
        "step logs [bash]: ls\nstep logs-2 [bash]: pwd",
    ),
    (
        "rhai check attached",
        "## A\n\n```bash\nkubectl rollout status deploy/web\n```\n```rhai\nexit_code == 0\n```\n",
        "step a [bash] checks=1: kubectl rollout status deploy/web\nblock rhai Check",
    ),
    (
        "orphan rhai",
        "## A\n\n```rhai\ntrue\n```\n",
        "block rhai Check\nerror check-orphan 3:1",
    ),
    (
        "yaml block is data",
        "## A\n\n```yaml\nkind: Pod\n```\n",
        "block yaml Data",
    ),
    (
        "placeholders",
        "## A\n\n```bash\nkubectl logs <pod-name> --project your-project-id --token YOUR_API_TOKEN\n```\n",
        "step a [bash]: kubectl logs <pod-name> --project your-project-id --token YOUR_API_TOKEN\nvar POD_NAME placeholder <pod-name>\nvar PROJECT_ID placeholder your-project-id\nvar API_TOKEN placeholder YOUR_API_TOKEN secret",
    ),
    (
        "default makes a variable optional",
        "## A\n\n```bash\necho ${NS:-default} $HOME\n```\n",
        "step a [bash]: echo ${NS:-default} $HOME\nvar NS input optional",
    ),
    (
        "assigned in one step, used in the next",
        "## A\n\n```bash\nID=$(az identity show --query id -o tsv)\naz role assign --id $ID\n```\n\n## B\n\n```bash\necho $ID\n```\n",
        "step a [bash]: ID=$(az identity show --query id -o tsv) ┃ az role assign --id $ID\nstep b [bash]: echo $ID",
    ),
    (
        "nested quotes in substitution",
        "## A\n\n```bash\necho \"$(printf '%s' \"$X\")\"\n```\n",
        "step a [bash]: echo \"$(printf '%s' \"$X\")\"\nvar X input",
    ),
    (
        "unclosed single quote",
        "## A\n\n```bash\necho 'oops\n```\n",
        "step a [bash]: echo 'oops⏎\nwarning shell-syntax 4:6",
    ),
    (
        "compound command is one command",
        "## A\n\n```bash\nfor ns in a b; do\n  kubectl get pods -n \"$ns\"\ndone\nif true; then echo y; fi\n```\n",
        "step a [bash]: for ns in a b; do⏎  kubectl get pods -n \"$ns\"⏎done ┃ if true; then echo y; fi",
    ),
    (
        "comments label commands",
        "## A\n\n```bash\n# List pods\nkubectl get pods\n\n# Dangling comment\n```\n",
        "step a [bash]: (List pods) kubectl get pods",
    ),
    (
        "risky command gated, no-confirm decides",
        "## A\n\n```bash\nkubectl rollout undo deploy/web\n```\n\n## B\n\n```bash {no-confirm}\nkubectl rollout undo deploy/web\n```\n",
        "step a [bash] gate: kubectl rollout undo deploy/web\nstep b [bash]: kubectl rollout undo deploy/web",
    ),
    (
        "hugo shortcodes and wiki links are prose",
        "## A\n\n{{< highlight bash >}}\n\nSee [[index|Back]].\n\n```bash\nls\n```\n",
        "step a [bash]: ls",
    ),
    (
        "explicit alternatives",
        "## Secrets\n\n### AWS\n\n```bash {alt=\"CLOUD=eks\"}\naws sm get\n```\n\n### GCP\n\n```bash {alt=\"CLOUD=gke\"}\ngcloud secrets list\n```\n",
        "step secrets/aws [bash] alt CLOUD=eks: aws sm get\nstep secrets/gcp [bash] alt CLOUD=gke: gcloud secrets list\nvar CLOUD input selects",
    ),
    (
        "detected alternatives",
        "## Provision\n\n### GKE\n\n```bash\nCLOUD=gke REGION=us ./p.sh\n```\n\n### AKS\n\n```bash\nCLOUD=aks REGION=eu ./p.sh\n```\n",
        "step provision/gke [bash] alt CLOUD=gke: CLOUD=gke REGION=us ./p.sh\nstep provision/aks [bash] alt CLOUD=aks: CLOUD=aks REGION=eu ./p.sh\nvar CLOUD input selects =gke|aks\nvar REGION input =us|eu",
    ),
    (
        "when names a declared variable",
        "---\nlitops:\n  vars:\n    CLOUD:\n      values: [gke, eks]\n---\n## A\n\n```bash {when=\"CLOUD == \\\"gke\\\"\"}\ngcloud info\n```\n",
        "step a [bash]: gcloud info\nvar CLOUD input",
    ),
    (
        "indented code without a fence is output",
        "## A\n\n    just some output\n",
        "block - Output",
    ),
    (
        "tabs inside a block",
        "## A\n\n```bash\nif true; then\n\techo tab\nfi\n```\n",
        "step a [bash]: if true; then⏎\techo tab⏎fi",
    ),
    (
        "skip and manual conflict",
        "## A\n\n```bash {skip manual}\nls\n```\n",
        "step a [bash] skip: ls\nerror annotation-conflict 3:15",
    ),
    (
        "bad timeout",
        "## A\n\n```bash {timeout=soon}\nls\n```\n",
        "step a [bash]: ls\nerror annotation-value 3:10",
    ),
    (
        "unclosed attribute list",
        "## A\n\n```bash {confirm\nls\n```\n",
        "step a [bash]: ls\nerror annotation-syntax 3:9",
    ),
];

#[test]
fn parsing_cases() {
    assert!(CASES.len() >= 40);
    let mut failures = Vec::new();
    for (name, input, want) in CASES {
        let got = digest(input);
        if got != *want {
            failures.push(format!("--- {name}\nwant:\n{want}\ngot:\n{got}\n"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
