//! Unattended runs never prompt. Every gate must be approved before the
//! first step starts (`--yes` for all, `--approve ID` per step); a failure
//! stops the run.

use super::{Choice, GateDecision, Here, Operator, Recovery, StepContext};
use crate::event::Outcome;
use crate::plan::{Plan, PlanStep, Status};

/// Approvals given on the command line, ids already resolved.
#[derive(Debug, Clone, Default)]
pub struct Approvals {
    pub all: bool,
    pub steps: Vec<String>,
    /// Gated steps of an approved plan (`run --approved`), and its approvers.
    pub reviewed: Vec<String>,
    pub reviewers: String,
}

impl Approvals {
    pub(super) fn how(&self, id: &str) -> Option<&'static str> {
        if self.reviewed.iter().any(|s| s == id) {
            Some("approved plan")
        } else if self.steps.iter().any(|s| s == id) {
            Some("--approve")
        } else if self.all {
            Some("--yes")
        } else {
            None
        }
    }

    /// Who approved: the plan's reviewers for its steps, else `by`.
    pub(super) fn by(&self, id: &str, by: &str) -> String {
        if self.reviewed.iter().any(|s| s == id) {
            self.reviewers.clone()
        } else {
            by.to_owned()
        }
    }

    /// Gated steps of the plan that would run without an approval.
    pub fn missing<'p>(&self, plan: &'p Plan) -> Vec<&'p PlanStep> {
        plan.steps
            .iter()
            .filter(|s| s.status == Status::Run && s.gate.required && self.how(&s.id).is_none())
            .collect()
    }
}

pub struct Unattended {
    approvals: Approvals,
    by: String,
}

impl Unattended {
    pub fn new(approvals: Approvals, by: String) -> Unattended {
        Unattended { approvals, by }
    }
}

impl Operator for Unattended {
    fn approve(&mut self, step: &PlanStep) -> GateDecision {
        let how = self.approvals.how(&step.id);
        GateDecision {
            approved: how.is_some(),
            by: self.approvals.by(&step.id, &self.by),
            how: how.unwrap_or("none").to_owned(),
        }
    }

    fn before_step(&mut self, ctx: &StepContext) -> Choice {
        Choice::Run(ctx.script.to_owned())
    }

    /// Refused before the run starts; never reached.
    fn manual(&mut self, _step: &PlanStep, _here: Here) -> Choice {
        Choice::Quit
    }

    fn recover(&mut self, _step: &PlanStep, _outcome: Outcome, _here: Here) -> Recovery {
        Recovery::Quit
    }

    /// Unattended runs do not stop inside a step (an approved plan's work
    /// by hand was approved as done); never reached.
    fn pause(&mut self, _step: &PlanStep, _work: &str, _here: Here) -> Choice {
        Choice::Quit
    }
}
