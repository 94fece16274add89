//! Arbitrary input never panics: parse, lower, lint, plan and render.

use proptest::prelude::*;

use litops::bind::{Bindings, Bound, Origin};
use litops::lint::{LintOptions, lint};
use litops::load::from_bytes;
use litops::plan;

/// Everything a runbook can go through without running.
fn exercise(bytes: &[u8]) {
    let runbook = from_bytes("fuzz.md", bytes);
    let options = LintOptions {
        review_max_age: std::time::Duration::from_secs(86_400),
        today: jiff::civil::date(2026, 11, 24),
    };
    let _ = lint(&runbook, &options);
    let mut bindings = Bindings::default();
    for var in &runbook.variables {
        bindings.values.insert(
            var.name.clone(),
            Bound {
                value: "v'\"$(x)\nEOF".to_owned(),
                source: Origin::Set,
            },
        );
    }
    let all: Vec<usize> = (0..runbook.steps.len()).collect();
    for b in [&Bindings::default(), &bindings] {
        let plan = plan::build(&runbook, &all, b);
        let _ = plan::render_text(&plan);
        let _ = plan::render_markdown(&plan);
        let _ = serde_json::to_string(&plan);
    }
    for diagnostic in &runbook.diagnostics {
        let _ = litops::diag::render(
            &runbook.file,
            std::slice::from_ref(diagnostic),
            litops::diag::Style::Short,
        );
    }
}

/// Pieces that make the parser and the bash reader work hard.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("```bash\n".to_owned()),
        Just("````\n".to_owned()),
        Just("~~~sh {#x confirm timeout=5m}\n".to_owned()),
        Just("```console\n$ ls\n".to_owned()),
        Just("```\n".to_owned()),
        Just("---\n".to_owned()),
        Just("title: [\n".to_owned()),
        Just("## Heading\n".to_owned()),
        Just("<!-- litops: name=a confirm -->\n".to_owned()),
        Just("    ```bash\n    ls\n".to_owned()),
        Just("=== \"Tab\"\n\n".to_owned()),
        Just("cat <<EOF\n".to_owned()),
        Just("cat <<-'E'\n".to_owned()),
        Just("EOF\n".to_owned()),
        Just("echo \"$(x '".to_owned()),
        Just("${A:-${B".to_owned()),
        Just("`".to_owned()),
        Just("\\\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("A=1 \\\n".to_owned()),
        Just("kubectl delete <pod-name> your-project-id\n".to_owned()),
        Just("if true; then\n".to_owned()),
        Just("fi\ndone\nesac\n)\n}\n".to_owned()),
        Just("```rhai\nx\n".to_owned()),
        Just("é✓\u{feff}\t".to_owned()),
        "[ -~]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn runbook_shaped_text_never_panics(parts in proptest::collection::vec(fragment(), 0..40)) {
        exercise(parts.concat().as_bytes());
    }
}
