//! Placeholders (`<pod-name>`) still in a command: the author meant a value.

use crate::diag::Diagnostic;
use crate::model::{Mode, Runbook, UseKind, VariableKind};

pub(super) fn placeholders(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for var in runbook
        .variables
        .iter()
        .filter(|v| v.kind == VariableKind::Placeholder)
    {
        let uses: Vec<_> = var
            .uses
            .iter()
            .filter(|u| u.kind == UseKind::Placeholder && runbook.steps[u.step].mode != Mode::Skip)
            .collect();
        let Some(first) = uses.first() else {
            continue;
        };
        let text = var.placeholder.as_deref().unwrap_or(&var.name);
        let more = match uses.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        out.push(
            Diagnostic::warning("placeholder", format!("placeholder `{text}` is left in a command{more}"))
                .at(first.span)
                .label(format!("bound by {}", var.name))
                .help(format!(
                    "bind it when running (--set {}=VALUE), or use a variable declared in front matter (${})",
                    var.name, var.name
                )),
        );
    }
}
