//! Parse + plan throughput on a large generated runbook, side by side with a
//! bare pulldown-cmark event pass over the same bytes (the floor: litops
//! cannot read Markdown faster than the parser it is built on).
//!
//! Run with `cargo bench --bench parse_plan` (or `bench/run`). Prints a
//! Markdown table row per contender: median, min–max, MB/s, ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use litops::bind::Bindings;
use litops::load::from_text;
use litops::plan;
use pulldown_cmark::{Options, Parser};

const SECTIONS: usize = 10_000;
const RUNS: usize = 15;

fn generate(sections: usize) -> String {
    let mut text = String::from(
        "---\ntitle: Generated\nowner: bench\nlitops:\n  vars:\n    NAMESPACE: prod\n---\n\n# Generated runbook\n\n",
    );
    for i in 0..sections {
        text.push_str(&format!(
            "## Section {i}\n\nRestart service {i}, re-provision it and check its logs. See [[index|Back]].\n\n\
```bash\n# Restart the workload\nkubectl rollout restart deployment/app-{i} -n \"$NAMESPACE\"\n\n\
CLUSTER_NAME=cluster-{i} \\\nREGION=us-east-1 \\\n./provision.sh --count {i}\n\n\
kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  key: \"{i}\"\nEOF\n\n\
# Look for errors\nkubectl logs <pod-name> -n prod | grep -c error || true\n```\n\n\
| Column | Value |\n|---|---|\n| id | {i} |\n\n"
        ));
    }
    text
}

fn time(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

/// `--plan-once`: the `plan` path alone, three times over 2,000 sections,
/// without timing, for `bench/instructions.sh` to count instructions under
/// callgrind (a count does not depend on how busy the machine is).
fn plan_once() {
    let text = generate(2_000);
    for _ in 0..3 {
        let runbook = from_text("bench.md", black_box(&text));
        let all: Vec<usize> = (0..runbook.steps.len()).collect();
        black_box(plan::build(&runbook, &all, &Bindings::default()));
    }
}

fn main() {
    if std::env::args().any(|a| a == "--plan-once") {
        return plan_once();
    }
    let text = generate(SECTIONS);
    let mb = text.len() as f64 / 1e6;
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    let bare = time(RUNS, || {
        let events = Parser::new_ext(black_box(&text), options)
            .into_offset_iter()
            .count();
        black_box(events);
    });
    let mut steps = 0;
    let litops = time(RUNS, || {
        let runbook = from_text("bench.md", black_box(&text));
        let all: Vec<usize> = (0..runbook.steps.len()).collect();
        let plan = plan::build(&runbook, &all, &Bindings::default());
        steps = plan.steps.len();
        black_box(plan);
    });
    assert_eq!(steps, SECTIONS, "every generated block is a step");
    // Where the time goes: the same work split into its stages.
    let file = litops::source::SourceFile::new("bench.md", text.as_str());
    let syntax_only = time(RUNS, || {
        black_box(litops::syntax::parse(black_box(&file)));
    });
    let shell_only = time(RUNS, || {
        let document = litops::syntax::parse(&file);
        for item in &document.items {
            if let litops::syntax::Item::Code(code) = item {
                black_box(litops::shell::read(code.content.as_str()));
            }
        }
    });
    let median = |t: &[Duration]| t[t.len() / 2];
    println!("parse + plan: {SECTIONS} sections, {mb:.1} MB, {RUNS} runs (median, min–max)\n");
    println!("| contender | median | min–max | MB/s | ratio |");
    println!("|---|---|---|---|---|");
    for (name, times) in [
        ("pulldown-cmark event pass", &bare),
        ("litops syntax only (Markdown → Document)", &syntax_only),
        ("litops syntax + bash reading", &shell_only),
        ("litops parse + lower + plan (the `plan` path)", &litops),
    ] {
        let m = median(times);
        println!(
            "| {name} | {:.1} ms | {:.1}–{:.1} ms | {:.1} | {:.2}× |",
            m.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
            mb / m.as_secs_f64(),
            m.as_secs_f64() / median(&bare).as_secs_f64()
        );
    }
}
