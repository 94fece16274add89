//! Inputs read as arithmetic (`(( $COUNT > 3 ))`): bash evaluates a value
//! there as code, so litops takes only integers for them.

use crate::diag::Diagnostic;
use crate::model::{Mode, Runbook, UseKind};

/// A runbook input read where bash evaluates arithmetic: a value such as
/// `a[$(cmd)]` would run `cmd`. litops refuses non-integer values it binds
/// there, but the step runs with whatever the variable holds by then.
pub(super) fn arithmetic_inputs(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter().filter(|s| s.mode != Mode::Skip) {
        for r in step.script.refs.iter().filter(|r| r.read_again.arithmetic) {
            if !step.uses(&r.name, UseKind::Reference) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    "arithmetic-variable",
                    format!(
                        "`${}` is evaluated as arithmetic here, where a value like `a[$(cmd)]` runs `cmd`",
                        r.name
                    ),
                )
                .at(step.source_span(r.span))
                .label("arithmetic")
                .help(format!(
                    "litops refuses a non-integer value it binds to {0}; check it in the script too if anything else can set it, e.g. [[ ${0} =~ ^[0-9]+$ ]]",
                    r.name
                )),
            );
        }
    }
}
