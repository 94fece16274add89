//! Front matter + Markdown + lowering + lint + plan + render: any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litops::bind::{Bindings, Bound, Source};
use litops::lint::{LintOptions, lint};
use litops::load::from_bytes;
use litops::plan;

fuzz_target!(|data: &[u8]| {
    let runbook = from_bytes("fuzz.md", data);
    let options = LintOptions {
        review_max_age: std::time::Duration::from_secs(86_400),
        today: jiff::civil::date(2026, 11, 24),
    };
    let _ = lint(&runbook, &options);
    let mut bindings = Bindings::default();
    for var in &runbook.variables {
        bindings.values.insert(
            var.name.clone(),
            Bound { value: "v'\"$(x)\nEOF".to_owned(), source: Source::Set },
        );
    }
    let all: Vec<usize> = (0..runbook.steps.len()).collect();
    for b in [&Bindings::default(), &bindings] {
        let plan = plan::build(&runbook, &all, b);
        let _ = plan::render_text(&plan);
        let _ = plan::render_markdown(&plan);
        let _ = serde_json::to_string(&plan);
    }
    let _ = litops::diag::render(&runbook.file, &runbook.diagnostics, litops::diag::Style::Short);
});
