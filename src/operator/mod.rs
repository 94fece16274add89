//! Who decides during a run: the policy for unattended runs (approvals given
//! up front with `--yes`/`--approve`) and the interactive operator (prompts on
//! the terminal). Both implement [`Operator`](crate::exec::Operator); tests
//! script their own.

mod interactive;
mod unattended;

pub use interactive::Interactive;
pub use unattended::{Approvals, Unattended};

/// `user@host`, for the record of who approved what.
pub fn operator_name() -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{user}@{host}")
}

use crate::event::Outcome;
use crate::exec::{Approval, Choice, Operator, Recovery, StepContext};
use crate::plan::PlanStep;

/// An operator whose gates may already be approved on the command line
/// (`--yes`, `--approve`); the rest is asked of the inner operator.
pub struct Approving<O: Operator> {
    approvals: Approvals,
    by: String,
    inner: O,
}

impl<O: Operator> Approving<O> {
    pub fn new(approvals: Approvals, by: String, inner: O) -> Approving<O> {
        Approving {
            approvals,
            by,
            inner,
        }
    }
}

impl<O: Operator> Operator for Approving<O> {
    fn approve(&mut self, step: &PlanStep) -> Approval {
        match self.approvals.how(&step.id) {
            Some(how) => Approval {
                approved: true,
                by: self.approvals.by(&step.id, &self.by),
                how: how.to_owned(),
            },
            None => self.inner.approve(step),
        }
    }

    fn before_step(&mut self, ctx: &StepContext) -> Choice {
        self.inner.before_step(ctx)
    }

    fn manual(&mut self, step: &PlanStep) -> Choice {
        self.inner.manual(step)
    }

    fn recover(&mut self, step: &PlanStep, outcome: Outcome) -> Recovery {
        self.inner.recover(step, outcome)
    }
}
