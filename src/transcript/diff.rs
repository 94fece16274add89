//! Comparing runs (`litops diff`) and runbook versions (`resume`).

use std::fmt::Write as _;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::{RunView, StepView};

/// The steps whose text differs between two versions of a runbook, as a
/// unified diff per step (added and removed steps named).
pub fn changed_steps(old: &str, new: &str) -> String {
    let old = crate::load::from_text("before", old);
    let new = crate::load::from_text("now", new);
    let text = |rb: &crate::model::Runbook, id: &str| {
        rb.steps
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.text.as_str().to_owned())
    };
    let mut out = String::new();
    for step in &old.steps {
        match text(&new, &step.id) {
            None => {
                let _ = writeln!(out, "  - {} (removed)", step.id);
            }
            Some(now) if now != step.text.as_str() => {
                let _ = writeln!(out, "  ~ {}", step.id);
                out.push_str(&unified(
                    step.text.as_str(),
                    &now,
                    "before",
                    "now",
                    "      ",
                ));
            }
            Some(_) => {}
        }
    }
    for step in &new.steps {
        if text(&old, &step.id).is_none() {
            let _ = writeln!(out, "  + {} (added)", step.id);
        }
    }
    out
}

fn unified(a: &str, b: &str, name_a: &str, name_b: &str, indent: &str) -> String {
    let diff = TextDiff::from_lines(a, b);
    let mut out = String::new();
    for line in diff
        .unified_diff()
        .context_radius(2)
        .header(name_a, name_b)
        .to_string()
        .lines()
    {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// How one step compares between two runs.
#[derive(Debug, Clone, Serialize)]
pub struct StepComparison {
    pub id: String,
    /// `same`, `changed`, `only-a`, `only-b`.
    pub change: &'static str,
    pub command_changed: bool,
    pub state: (Option<String>, Option<String>),
    pub exit_code: (Option<i64>, Option<i64>),
    /// Output lines added and removed from A to B.
    pub output_added: usize,
    pub output_removed: usize,
    #[serde(skip)]
    details: String,
}

/// Compares two runs step by step.
pub fn compare(a: &RunView, b: &RunView) -> Vec<StepComparison> {
    let mut ids: Vec<&str> = a.steps.iter().map(|s| s.id.as_str()).collect();
    for s in &b.steps {
        if !ids.contains(&s.id.as_str()) {
            ids.push(&s.id);
        }
    }
    ids.into_iter()
        .map(|id| compare_step(id, a.step(id), b.step(id)))
        .collect()
}

fn compare_step(id: &str, a: Option<&StepView>, b: Option<&StepView>) -> StepComparison {
    let script = |s: Option<&StepView>| s.and_then(|s| s.script.clone()).unwrap_or_default();
    let output = |s: Option<&StepView>| s.map(StepView::output_text).unwrap_or_default();
    let (script_a, script_b) = (script(a), script(b));
    let (out_a, out_b) = (output(a), output(b));
    let mut added = 0;
    let mut removed = 0;
    for change in TextDiff::from_lines(&out_a, &out_b).iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let state = (a.map(|s| s.state.clone()), b.map(|s| s.state.clone()));
    let exit_code = (a.and_then(|s| s.exit_code), b.and_then(|s| s.exit_code));
    let command_changed = script_a != script_b;
    let change = match (a, b) {
        (Some(_), None) => "only-a",
        (None, Some(_)) => "only-b",
        _ if command_changed
            || state.0 != state.1
            || exit_code.0 != exit_code.1
            || added + removed > 0 =>
        {
            "changed"
        }
        _ => "same",
    };
    let mut details = String::new();
    if change == "changed" {
        if command_changed {
            let _ = writeln!(details, "    command:");
            details.push_str(&unified(&script_a, &script_b, "a", "b", "      "));
        }
        if added + removed > 0 {
            let _ = writeln!(details, "    output:");
            details.push_str(&unified(&out_a, &out_b, "a", "b", "      "));
        }
    }
    StepComparison {
        id: id.to_owned(),
        change,
        command_changed,
        state,
        exit_code,
        output_added: added,
        output_removed: removed,
        details,
    }
}

/// The comparison for people: a summary line per step, then the details.
pub fn render(a: &RunView, b: &RunView, steps: &[StepComparison], summary_only: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "a: {} ({}, {})", a.run_id, a.outcome, a.started_at);
    let _ = writeln!(out, "b: {} ({}, {})", b.run_id, b.outcome, b.started_at);
    out.push('\n');
    let width = steps.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for s in steps {
        let mark = match s.change {
            "same" => "=",
            "changed" => "~",
            "only-a" => "-",
            _ => "+",
        };
        let line = match s.change {
            "only-a" => format!("only in a ({})", s.state.0.as_deref().unwrap_or("?")),
            "only-b" => format!("only in b ({})", s.state.1.as_deref().unwrap_or("?")),
            _ => {
                let command = if s.command_changed {
                    "command changed"
                } else {
                    "same command"
                };
                let state = |st: &Option<String>, code: &Option<i64>| match (st.as_deref(), code) {
                    (Some("success"), Some(code)) | (Some("failed"), Some(code)) => {
                        format!("exit {code}")
                    }
                    (Some(st), _) => st.to_owned(),
                    (None, _) => "-".to_owned(),
                };
                let states = format!(
                    "{} → {}",
                    state(&s.state.0, &s.exit_code.0),
                    state(&s.state.1, &s.exit_code.1)
                );
                let output = if s.output_added + s.output_removed == 0 {
                    "output same".to_owned()
                } else {
                    format!("output +{} −{} lines", s.output_added, s.output_removed)
                };
                format!("{command} · {states} · {output}")
            }
        };
        let _ = writeln!(out, "{mark} {:<width$}  {line}", s.id);
    }
    let changed = steps.iter().filter(|s| s.change != "same").count();
    let _ = writeln!(
        out,
        "\n{changed} of {} step{} differ{}",
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        if changed == 1 { "s" } else { "" }
    );
    if !summary_only {
        for s in steps.iter().filter(|s| !s.details.is_empty()) {
            let _ = writeln!(out, "\n~ {}", s.id);
            out.push_str(&s.details);
        }
    }
    out
}
