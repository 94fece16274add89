//! Who decides during a run: the policy for unattended runs (approvals given
//! up front with `--yes`/`--approve`) and the interactive operator (prompts on
//! the terminal). Both implement [`Operator`], the trait the executor asks
//! at each gate, before each step and after a failure; tests script their
//! own.

mod interactive;
mod keys;
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
use crate::plan::PlanStep;

/// An operator's answer to a gate: approved or not, by whom, how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecision {
    pub approved: bool,
    pub by: String,
    pub how: String,
}

/// What to do with a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Run this script (the planned one, or the operator's edit).
    Run(String),
    Skip,
    Quit,
}

/// After a step failed, timed out or was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    Retry,
    Continue,
    Quit,
}

/// What an operator sees of a step about to run.
pub struct StepContext<'a> {
    pub step: &'a PlanStep,
    /// Position in the plan (1-based) and the plan's length.
    pub position: (usize, usize),
    /// The script that will run, values placed (not masked: this is what runs).
    pub script: &'a str,
    /// Its top-level commands, for running them one by one.
    pub commands: Vec<String>,
    pub here: Here<'a>,
}

/// Where the session is: what a shell opened "here" starts from.
#[derive(Debug, Clone, Copy)]
pub struct Here<'a> {
    /// The session's state file (its directory, variables and functions).
    pub state: &'a std::path::Path,
    pub shell: &'a str,
}

/// The person (or policy) deciding during a run.
pub trait Operator {
    /// A gated step is about to run.
    fn approve(&mut self, step: &PlanStep) -> GateDecision;
    /// Before a step runs: run it (perhaps edited, or some of its commands),
    /// skip it, or stop.
    fn before_step(&mut self, ctx: &StepContext) -> Choice;
    /// A `manual` step: the operator does it by hand, then says so.
    fn manual(&mut self, step: &PlanStep, here: Here) -> Choice;
    /// A step did not succeed.
    fn recover(&mut self, step: &PlanStep, outcome: Outcome, here: Here) -> Recovery;
    /// The step has run up to work by hand (`work`, as the plan says it):
    /// go on (`Run`) once it is done, or stop (`Quit`).
    fn pause(&mut self, step: &PlanStep, work: &str, here: Here) -> Choice;
}

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
    fn approve(&mut self, step: &PlanStep) -> GateDecision {
        match self.approvals.how(&step.id) {
            Some(how) => GateDecision {
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

    fn manual(&mut self, step: &PlanStep, here: Here) -> Choice {
        self.inner.manual(step, here)
    }

    fn recover(&mut self, step: &PlanStep, outcome: Outcome, here: Here) -> Recovery {
        self.inner.recover(step, outcome, here)
    }

    fn pause(&mut self, step: &PlanStep, work: &str, here: Here) -> Choice {
        self.inner.pause(step, work, here)
    }
}
