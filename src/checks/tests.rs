use super::*;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use crate::checks::api::Output;

fn file(text: &str) -> SourceFile {
    SourceFile::new("rb.md", text)
}

/// Compiles `expr` as a check placed at the start of a one-line file.
fn verdict(expr: &str, facts: &Facts) -> Verdict {
    let f = file(expr);
    let engine = Engine::new();
    let source = Code::block_text(expr, 0);
    let compiled = engine.compile(source).expect("compiles");
    engine.check(&compiled, facts, &f)
}

fn output<'a>(exit_code: i64, stdout: &'a str, stderr: &'a str) -> Facts<'a> {
    Facts {
        output: Some(Output {
            exit_code: Some(exit_code),
            stdout,
            stderr,
            duration_ms: 1234,
        }),
        steps: Some(&[]),
        ..Facts::default()
    }
}

#[test]
fn booleans_and_decisions() {
    let facts = output(0, "deployment \"web\" successfully rolled out\n", "");
    assert_eq!(
        verdict(r#"exit_code == 0 && stdout.contains("rolled out")"#, &facts),
        Verdict::Pass
    );
    assert_eq!(
        verdict("exit_code == 1", &facts),
        Verdict::Fail {
            message: "the check is false".into()
        }
    );
    assert_eq!(verdict("pass()", &facts), Verdict::Pass);
    assert_eq!(
        verdict(
            r#"if duration_ms > 1000 { warn("slow") } else { pass() }"#,
            &facts
        ),
        Verdict::Warn {
            messages: vec!["slow".into()]
        }
    );
    // A warning given on the way is kept when the check then passes.
    assert_eq!(
        verdict("warn(\"first\"); true", &facts),
        Verdict::Warn {
            messages: vec!["first".into()]
        }
    );
    // `fail` ends the check where it is called.
    assert_eq!(
        verdict("if stderr == \"\" { fail(\"no errors?\") }\ntrue", &facts),
        Verdict::Fail {
            message: "no errors?".into()
        }
    );
    assert_eq!(
        verdict("throw \"broken\"", &facts),
        Verdict::Fail {
            message: "broken".into()
        }
    );
    assert!(matches!(
        verdict("let x = 1;", &facts),
        Verdict::Error { .. }
    ));
    assert!(matches!(verdict("42", &facts), Verdict::Error { .. }));
}

#[test]
fn text_helpers() {
    let facts = output(0, "a\nb\nc\n", "warning: x\n");
    assert_eq!(verdict("lines(stdout).len() == 3", &facts), Verdict::Pass);
    assert_eq!(verdict("lines(stdout)[1] == \"b\"", &facts), Verdict::Pass);
    assert_eq!(
        verdict(r#"matches(stderr, "^warning: \\w$")"#, &facts),
        Verdict::Pass
    );
    assert_eq!(verdict(r#"!matches(stdout, "^z")"#, &facts), Verdict::Pass);
    assert!(matches!(
        verdict(r#"matches(stdout, "(")"#, &facts),
        Verdict::Fail { message } if message.contains("bad pattern")
    ));
}

#[test]
fn json_paths() {
    let doc = r#"{"status": {"readyReplicas": 3, "conditions": [{"type": "Available", "status": "True"}]}}"#;
    let facts = output(0, doc, "");
    assert_eq!(
        verdict("json(stdout).status.readyReplicas == 3", &facts),
        Verdict::Pass
    );
    assert_eq!(
        verdict(
            r#"json(stdout).status.conditions[0].type == "Available""#,
            &facts
        ),
        Verdict::Pass
    );
    // A missing key reads as unit, not an error.
    assert_eq!(
        verdict("json(stdout).status.missing == ()", &facts),
        Verdict::Pass
    );
    let bad = output(0, "not json", "");
    assert!(matches!(
        verdict("json(stdout).x == 1", &bad),
        Verdict::Fail { message } if message.contains("not valid JSON")
    ));
}

#[test]
fn vars_env_and_steps() {
    let steps = [StepFacts {
        id: "deploy/apply".into(),
        outcome: "success".into(),
        exit_code: Some(0),
        duration_ms: 10,
        stdout: "created".into(),
        stderr: String::new(),
    }];
    let facts = Facts {
        vars: vec![
            ("REGION", "eu-west-1", false),
            ("DB_PASSWORD", "hunter22", true),
        ],
        env: vec![("NAMESPACE", "prod")],
        output: None,
        steps: Some(&steps),
        interrupts: None,
    };
    assert_eq!(verdict(r#"REGION == "eu-west-1""#, &facts), Verdict::Pass);
    assert_eq!(
        verdict(r#"vars.DB_PASSWORD == "[REDACTED:DB_PASSWORD]""#, &facts),
        Verdict::Pass
    );
    // Secrets are not plain names in scope.
    assert!(matches!(
        verdict("DB_PASSWORD == \"hunter22\"", &facts),
        Verdict::Error { .. }
    ));
    assert_eq!(
        verdict(r#"env("NAMESPACE") == "prod""#, &facts),
        Verdict::Pass
    );
    assert_eq!(
        verdict(r#"env("LITOPS_SURELY_UNSET") == """#, &facts),
        Verdict::Pass
    );
    assert_eq!(
        verdict(
            r#"step("apply").ok && step("deploy/apply").stdout == "created""#,
            &facts
        ),
        Verdict::Pass
    );
    assert_eq!(verdict(r#"step("nope") == ()"#, &facts), Verdict::Pass);
    let two = [
        steps[0].clone(),
        StepFacts {
            id: "rollback/apply".into(),
            ..steps[0].clone()
        },
    ];
    let facts = Facts {
        steps: Some(&two),
        ..Facts::default()
    };
    assert!(matches!(
        verdict(r#"step("apply").ok"#, &facts),
        Verdict::Fail { message } if message.contains("ambiguous")
    ));
}

#[test]
fn conditions() {
    let f = file("x");
    let engine = Engine::new();
    let when = |expr: &str, facts: &Facts| {
        let compiled = engine
            .compile(Code::expression(expr, Span::new(0, 1)))
            .expect("compiles");
        engine.condition(&compiled, facts, &f)
    };
    let facts = Facts {
        vars: vec![("CLOUD", "gke", false)],
        ..Facts::default()
    };
    assert_eq!(when(r#"CLOUD == "gke""#, &facts), Ok(true));
    assert_eq!(when(r#"CLOUD == "eks""#, &facts), Ok(false));
    assert_eq!(
        when(r#"OTHER == "x""#, &facts),
        Err(ConditionError::Unbound("OTHER".into()))
    );
    // Planning: no run yet, so step() cannot be answered.
    assert_eq!(
        when(r#"step("a").ok"#, &facts),
        Err(ConditionError::NeedsRun)
    );
    assert!(matches!(
        when("\"gke\"", &facts),
        Err(ConditionError::Broken(_))
    ));
}

#[test]
fn limits_stop_runaway_checks_with_their_location() {
    let text = "intro\n```rhai\nlet x = 0;\nloop { x += 1; }\n```\n";
    let f = file(text);
    let content = "let x = 0;\nloop { x += 1; }\n";
    let start = text.find(content).expect("content");
    let engine = Engine::new();
    let check = |script: &str| {
        let compiled = engine
            .compile(Code::block_text(script, start))
            .expect("compiles");
        engine.check(&compiled, &output(0, "", ""), &f)
    };
    let Verdict::Error { message } = check(content) else {
        panic!("an endless loop is an error");
    };
    assert!(message.contains("operations"), "{message}");
    assert!(message.contains("rb.md:4:"), "{message}");

    let Verdict::Error { message } = check("let s = \"xxxxxxxx\";\nloop { s += s; }") else {
        panic!("a huge string is an error");
    };
    assert!(message.contains("string"), "{message}");

    let Verdict::Error { message } = check("fn f(n) { f(n + 1) }\nf(0)") else {
        panic!("deep recursion is an error");
    };
    assert!(message.contains("deep"), "{message}");

    // Doubling, not pushing: Rhai measures the whole array on each change,
    // so 100,000 pushes take seconds of a debug build.
    let Verdict::Error { message } = check("let a = [1];\nloop { a += a; }") else {
        panic!("a huge array is an error");
    };
    assert!(
        message.contains("array") || message.contains("Array"),
        "{message}"
    );

    // No closure captures a variable (`no_closure`): captured values are
    // shared, and Rhai's size accounting does not follow them.
    let captured = check("let a = 1;\nlet f = |x| x + a;\nf.call(1) == 2");
    assert!(matches!(captured, Verdict::Error { .. }), "{captured:?}");
}

#[test]
fn no_eval_no_import() {
    let engine = Engine::new();
    for script in ["eval(\"1\")", "import \"/etc/passwd\" as p; true"] {
        assert!(
            engine.compile(Code::block_text(script, 0)).is_err(),
            "{script} compiled"
        );
    }
}

#[test]
fn syntax_errors_point_into_the_file() {
    let text = "# T\n\n```rhai\nlet ok = true;\nok &&& false\n```\n";
    let f = file(text);
    let content = "let ok = true;\nok &&& false\n";
    let start = text.find(content).expect("content");
    let err = match Engine::new().compile(Code::block_text(content, start)) {
        Err(err) => err,
        Ok(_) => panic!("compiled"),
    };
    assert_eq!(err.code, "check-syntax");
    let span = err.span.expect("span");
    assert_eq!(f.position(span.start).line, 5);
}

#[test]
fn values_from_secret_files_are_masked_whatever_their_name() {
    use crate::bind::{Bindings, Bound, Origin as From};
    let rb = crate::load::from_text("t.md", "```bash\necho $CERT $REGION\n```\n");
    let mut bindings = Bindings::default();
    for (name, value, source) in [
        ("CERT", "-----BEGIN", From::SecretFile("c.pem".into())),
        ("REGION", "eu-west-1", From::Set),
    ] {
        bindings.values.insert(
            name.into(),
            Bound {
                value: value.into(),
                source,
            },
        );
    }
    let plan = crate::plan::build(&rb, &[0], &bindings);
    let facts = plan.facts();
    assert_eq!(
        verdict(r#"vars.CERT == "[REDACTED:CERT]""#, &facts),
        Verdict::Pass
    );
    assert_eq!(verdict(r#"REGION == "eu-west-1""#, &facts), Verdict::Pass);
    assert!(matches!(
        verdict("CERT != \"\"", &facts),
        Verdict::Error { .. }
    ));
}

#[test]
fn a_check_over_its_time_budget_is_stopped() {
    let f = file("x");
    let engine = Engine::with_budget(std::time::Duration::from_millis(200));
    let script = "let s = \"a\";\nfor i in 0..20 { s += s; }\nloop { s.contains(\"b\"); }";
    let compiled = engine
        .compile(Code::block_text(script, 0))
        .expect("compiles");
    let started = std::time::Instant::now();
    let Verdict::Error { message } = engine.check(&compiled, &output(0, "", ""), &f) else {
        panic!("a check over its budget is broken");
    };
    assert!(message.contains("longer than 0.2s"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_signal_stops_a_running_check() {
    let f = file("x");
    let engine = Engine::new();
    let compiled = engine
        .compile(Code::block_text("loop { }", 0))
        .expect("compiles");
    let mut facts = output(0, "", "");
    facts.interrupts = Some(Arc::new(AtomicUsize::new(1)));
    let Verdict::Error { message } = engine.check(&compiled, &facts, &f) else {
        panic!("an interrupted check decided nothing");
    };
    assert!(message.contains("interrupted"), "{message}");
    // Nothing pending: the same engine runs checks as before.
    facts.interrupts = Some(Arc::new(AtomicUsize::new(0)));
    let compiled = engine
        .compile(Code::block_text("true", 0))
        .expect("compiles");
    assert_eq!(engine.check(&compiled, &facts, &f), Verdict::Pass);
}

#[test]
fn replaced_functions_keep_their_results_and_refuse_amplification() {
    let facts = output(0, "a-b-c", "");
    for script in [
        r#"let s = stdout; s.replace("-", "+"); s == "a+b+c""#,
        r#"let s = stdout; s.replace('-', "::"); s == "a::b::c""#,
        r#"let s = stdout; s.replace("-", '_'); s == "a_b_c""#,
        r#"let s = stdout; s.replace('-', '_'); s == "a_b_c""#,
        r#"stdout.split("-") == ["a", "b", "c"]"#,
        r#"stdout.split('-', 2) == ["a", "b-c"]"#,
        r#"stdout.split_rev("-") == ["c", "b", "a"]"#,
        r#"stdout.split_rev('-', 2) == ["c", "a-b"]"#,
        r#"stdout.split("x") == ["a-b-c"]"#,
        r#""".split("-") == [""]"#,
        r#"" a  b ".split() == ["a", "b"]"#,
        r#""ab".to_chars() == ['a', 'b']"#,
        r#"parse_json("[1, 2]") == [1, 2]"#,
    ] {
        assert_eq!(verdict(script, &facts), Verdict::Pass, "{script}");
    }
    for script in [
        "let s = \"a\";\nfor i in 0..17 { s += s; }\ns.replace(\"a\", s);\ntrue",
        "let s = \"ab\";\nfor i in 0..17 { s += s; }\ns.split(\"\").len() > 0",
        "let s = \"ab\";\nfor i in 0..17 { s += s; }\ns.to_chars().len() > 0",
        "let s = \"[0,\";\nfor i in 0..20 { s += s; }\njson(s) == ()",
    ] {
        let Verdict::Error { message } = verdict(script, &facts) else {
            panic!("{script} built too much");
        };
        assert!(message.contains("limit"), "{message}");
    }
    assert!(matches!(
        verdict("sleep(1); true", &facts),
        Verdict::Error { message } if message.contains("sleep")
    ));
}
