//! `transcript show`: the executed runbook. The document as it was when it
//! ran, each step's block replaced by the command that actually ran, with
//! its output, exit status, duration, checks and approver underneath.

use std::fmt::Write as _;

use super::{RunView, StepView, Transcript};
use crate::markup::escape;
use crate::source::SourceFile;

/// The executed runbook as Markdown.
pub fn markdown(t: &Transcript, run: &RunView) -> String {
    let file = SourceFile::new(&t.header.runbook, t.header.source.as_str());
    let document = crate::syntax::parse(&file);
    let body_start = document.front_matter.as_ref().map_or(0, |f| f.block.end);
    let runbook = crate::model::lower(file.clone(), document);
    let text = file.text();
    let mut out = String::new();
    summary(&mut out, t, run);
    let mut at = body_start.min(text.len());
    let mut steps: Vec<_> = runbook.steps.iter().collect();
    steps.sort_by_key(|s| s.span.start);
    for step in steps {
        if step.span.start < at {
            continue;
        }
        out.push_str(&text[at..step.span.start]);
        let block = &text[step.span.start..step.span.end.min(text.len())];
        match run.step(&step.id) {
            Some(view) if view.script.is_some() => ran(&mut out, block, view),
            Some(view) => {
                out.push_str(block);
                ensure_newline(&mut out);
                not_run(&mut out, view);
            }
            None => {
                out.push_str(block);
                ensure_newline(&mut out);
                let _ = writeln!(out, "\n> ○ not selected for this run\n");
            }
        }
        at = step.span.end.min(text.len());
    }
    out.push_str(&text[at..]);
    ensure_newline(&mut out);
    out
}

fn summary(out: &mut String, t: &Transcript, run: &RunView) {
    let h = &t.header;
    let (ok, failed, skipped) = run.counts();
    let _ = writeln!(out, "<!-- litops transcript {} -->", h.run_id);
    let _ = writeln!(out, "> **Run {}** of `{}`\n>", h.run_id, h.runbook);
    let _ = writeln!(out, "> | | |\n> |---|---|");
    let _ = writeln!(out, "> | Outcome | {} |", outcome_text(run));
    let _ = writeln!(out, "> | Started | {} |", h.started_at);
    if let Some(ms) = run.duration_ms {
        let _ = writeln!(out, "> | Duration | {} |", seconds(ms));
    }
    let _ = writeln!(out, "> | By | {}@{} |", h.user, h.host);
    let _ = writeln!(out, "> | Runbook hash | `{}` |", h.content_hash);
    if let Some(commit) = &h.git_commit {
        let _ = writeln!(out, "> | Git commit | `{commit}` |");
    }
    let _ = writeln!(
        out,
        "> | Steps | {ok} succeeded, {failed} failed, {skipped} skipped |"
    );
    if let Some(plan) = &h.approved_plan {
        let signatures = match &plan.signed_by {
            Some(principals) => format!("signed by {}", principals.join(", ")),
            None => "signatures not checked (no approval policy)".to_owned(),
        };
        let _ = writeln!(
            out,
            "> | Approved plan | `{}`, approved by {}; {signatures} |",
            plan.steps_digest,
            plan.approvers.join(", ").replace('|', "\\|")
        );
    }
    if !h.variables.is_empty() {
        let values: Vec<String> = h
            .variables
            .iter()
            .map(|v| format!("`{}={}`", v.name, v.value))
            .collect();
        let _ = writeln!(
            out,
            "> | Values | {} |",
            values.join(" ").replace('|', "\\|")
        );
    }
    out.push('\n');
}

fn outcome_text(run: &RunView) -> String {
    let mut text = match run.outcome.as_str() {
        "success" => "✓ success".to_owned(),
        "incomplete" => "… incomplete (the run did not finish)".to_owned(),
        other => format!("✗ {other}"),
    };
    if let Some(code) = run.exit_code {
        let _ = write!(text, " (exit {code})");
    }
    if run.resumed > 0 {
        let _ = write!(text, ", resumed {}×", run.resumed);
    }
    text
}

/// A fence longer than any backtick run in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn ensure_newline(out: &mut String) {
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

fn ran(out: &mut String, block: &str, view: &StepView) {
    let script = view.script.as_deref().unwrap_or_default();
    // The block's own first line keeps its language and annotations.
    let first = block.lines().next().unwrap_or("```bash");
    let ticks = first
        .trim_start()
        .chars()
        .take_while(|&c| c == '`' || c == '~')
        .count();
    let info = first.trim_start()[ticks..].trim();
    let fence = fence_for(script);
    let _ = writeln!(out, "{fence}{info}");
    out.push_str(script);
    ensure_newline(out);
    let _ = writeln!(out, "{fence}");
    out.push('\n');
    let _ = writeln!(out, "> {}", status_line(view));
    for check in &view.checks {
        let mark = match check.verdict.as_str() {
            "pass" => "✓",
            "warn" => "!",
            _ => "✗",
        };
        let message = check
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            ">\n> {mark} {} check {}{message}",
            check.origin, check.verdict
        );
    }
    for notice in &view.notices {
        let _ = writeln!(out, ">\n> ! {notice}");
    }
    let output = view.output_text();
    if !output.is_empty() {
        let fence = fence_for(&output);
        let _ = writeln!(out, "\n{fence}text");
        out.push_str(&output);
        ensure_newline(out);
        let _ = writeln!(out, "{fence}");
    }
}

fn status_line(view: &StepView) -> String {
    let mark = match view.state.as_str() {
        "success" => "✓",
        "started" => "…",
        _ => "✗",
    };
    let mut parts = vec![format!("{mark} **{}**", view.state.replace('-', " "))];
    if let Some(at) = &view.started_at {
        parts.push(format!("at {at}"));
    }
    match (view.exit_code, view.signal) {
        (Some(code), _) => parts.push(format!("exit {code}")),
        (None, Some(signal)) => parts.push(format!("signal {signal}")),
        _ => {}
    }
    if let Some(ms) = view.duration_ms {
        parts.push(seconds(ms));
    }
    if view.attempts > 1 {
        parts.push(format!("{} attempts", view.attempts));
    }
    if let Some(gate) = &view.gate {
        parts.push(if gate.approved {
            format!("approved by {} ({})", gate.by, gate.how)
        } else {
            "gate not approved".to_owned()
        });
    }
    if view.state == "started" {
        parts.push("never finished (the run stopped during this step)".to_owned());
    }
    parts.join(" · ")
}

fn not_run(out: &mut String, view: &StepView) {
    let text = match (view.state.as_str(), &view.skip_reason) {
        ("skipped", Some(reason)) => format!("↷ skipped: {reason}"),
        ("skipped", None) => "↷ skipped".to_owned(),
        ("not-reached", _) => "○ not reached".to_owned(),
        (other, _) => other.to_owned(),
    };
    let _ = writeln!(out, "\n> {text}\n");
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The executed runbook as a standalone HTML page.
pub fn html(t: &Transcript, run: &RunView) -> String {
    let markdown = markdown(t, run);
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let parser = pulldown_cmark::Parser::new_ext(&markdown, options).into_offset_iter();
    // The runbook's own HTML, comments and links are shown, not run: the
    // transcript holds the document as written, by anyone with commit access.
    let events = crate::markup::inert(parser, |_| false);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events.into_iter().map(|(event, _)| event));
    let title = escape(&format!("{} — run {}", t.header.title, t.header.run_id));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
}

const CSS: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fff}\
main{max-width:60rem;margin:2rem auto;padding:0 1rem}\
pre{background:#f4f4f4;padding:.6rem;overflow:auto}\
blockquote{border-left:4px solid #89a;margin:0;padding:.2rem .8rem;background:#f7f9fb}\
table{border-collapse:collapse}td,th{padding:.1rem .5rem}\
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}pre{background:#222}blockquote{background:#1a1d21}}";
