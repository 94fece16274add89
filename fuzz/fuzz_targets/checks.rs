//! Rhai check compilation and evaluation: any source compiles or gives a
//! diagnostic, and any check that compiles ends (within the sandbox's
//! limits) with a verdict, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litops::checks::{Facts, Output, Source, with_engine};
use litops::source::{SourceFile, Span};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = SourceFile::new("fuzz.md", text);
    let facts = Facts {
        vars: vec![("REGION", "eu-west-1", false), ("TOKEN", "s3cr3t", true)],
        env: vec![("NAMESPACE", "prod")],
        output: Some(Output {
            exit_code: Some(0),
            stdout: "{\"status\":{\"readyReplicas\":3}}\nline two\n",
            stderr: "warning: x\n",
            duration_ms: 12,
        }),
        steps: Some(&[]),
    };
    with_engine(|engine| {
        for source in [
            Source::block_text(text, 0),
            Source::expression(text, Span::new(0, text.len())),
        ] {
            if let Ok(compiled) = engine.compile(source) {
                let _ = engine.check(&compiled, &facts, &file);
                let _ = engine.condition(&compiled, &Facts::default(), &file);
            }
        }
    });
});
