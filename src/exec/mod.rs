//! Running a plan: steps in order, each in its own process, sharing a shell
//! session; decisions (gates, what to do after a failure) asked of an
//! [`Operator`]; everything that happens reported as [`Event`]s.
//!
//! Async (tokio) stays inside this module: the executor is called like any
//! function and drives a small runtime of its own.

pub mod process;
mod pty;
pub mod session;
mod zygote;

use std::time::{Duration, Instant};

use crate::bind::Bindings;
use crate::event::{Event, Outcome, RunOutcome};
use crate::model::Runbook;
use crate::plan::{self, Plan, PlanStep, Status};
use process::{Ending, Interrupts, Spawn};
use session::Session;

/// Receives every event of a run.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}

/// An approval decision for a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
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
    /// The session's state file (to open a shell where the session is).
    pub state: &'a std::path::Path,
    pub shell: &'a str,
}

/// The person (or policy) deciding during a run.
pub trait Operator {
    /// A gated step is about to run.
    fn approve(&mut self, step: &PlanStep) -> Approval;
    /// Before a step runs: run it (perhaps edited, or some of its commands),
    /// skip it, or stop.
    fn before_step(&mut self, ctx: &StepContext) -> Choice;
    /// A `manual` step: the operator does it by hand, then says so.
    fn manual(&mut self, step: &PlanStep) -> Choice;
    /// A step did not succeed.
    fn recover(&mut self, step: &PlanStep, outcome: Outcome) -> Recovery;
}

#[derive(Debug, Clone)]
pub struct Options {
    pub shell: String,
    /// `setsid` (util-linux), to start the step shell that forks each step;
    /// without it every step starts a shell of its own (slower, same result).
    pub setsid: Option<String>,
    pub unattended: bool,
    /// Per-step timeout when neither the step nor the runbook sets one.
    pub timeout: Option<Duration>,
    /// Between SIGTERM/SIGINT and SIGKILL.
    pub grace: Duration,
}

/// The result of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub outcome: RunOutcome,
    pub exit_code: u8,
}

/// Runs the plan's steps.
pub fn run(
    runbook: &Runbook,
    plan: &Plan,
    bindings: &Bindings,
    options: &Options,
    operator: &mut dyn Operator,
    reporter: &mut dyn Reporter,
) -> std::io::Result<Finished> {
    // One thread: a step's wake-ups (its output, the zygote's answers) stay
    // on it instead of crossing to a worker. Signals that arrive between steps
    // are counted when the next step starts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let interrupts = Interrupts::install(&runtime)?;
    let session = Session::new()?;
    // Declared after the runtime, so it is dropped (and killed) first.
    let mut zygote: Option<zygote::Zygote> = None;
    let redactor = crate::redact::Redactor::new(runbook, bindings);
    let started = Instant::now();
    reporter.event(&Event::RunStarted {
        runbook: plan.runbook.path.clone(),
        title: plan.runbook.title.clone(),
        steps: plan.steps.len(),
        unattended: options.unattended,
    });
    let mut outcome = RunOutcome::Success;
    'steps: for (n, step) in plan.steps.iter().enumerate() {
        if interrupts.count() >= 2 {
            reporter.event(&Event::RunInterrupted { id: None });
            outcome = RunOutcome::Interrupted;
            break;
        }
        match step.status {
            Status::Skip => {
                reporter.event(&Event::StepSkipped {
                    id: step.id.clone(),
                    reason: step.status_reason.clone().unwrap_or_default(),
                });
                continue;
            }
            Status::Manual => {
                match operator.manual(step) {
                    Choice::Quit => {
                        outcome = RunOutcome::Quit;
                        break;
                    }
                    Choice::Skip => skipped(reporter, step, "skipped by the operator"),
                    Choice::Run(_) => skipped(reporter, step, "done by hand (manual step)"),
                }
                continue;
            }
            Status::Run | Status::Choose => {}
        }
        let resolved = plan::resolve(runbook, step.index, bindings, false);
        let context = StepContext {
            step,
            position: (n + 1, plan.steps.len()),
            script: &resolved.text,
            commands: runbook.steps[step.index]
                .script
                .commands
                .iter()
                .map(|c| resolved.map_span(c.span))
                .collect(),
            state: session.state_file(),
            shell: &options.shell,
        };
        let script = match operator.before_step(&context) {
            Choice::Run(script) => script,
            Choice::Skip => {
                skipped(reporter, step, "skipped by the operator");
                continue;
            }
            Choice::Quit => {
                outcome = RunOutcome::Quit;
                break;
            }
        };
        // The gate comes after the operator has seen the step and chose to run it.
        if step.gate.required {
            reporter.event(&Event::GateAsked {
                id: step.id.clone(),
                reasons: step.gate.reasons.clone(),
            });
            let approval = operator.approve(step);
            reporter.event(&Event::GateAnswered {
                id: step.id.clone(),
                approved: approval.approved,
                by: approval.by.clone(),
                how: approval.how.clone(),
            });
            if !approval.approved {
                skipped(reporter, step, "gate not approved");
                continue;
            }
        }
        let env: Vec<(String, String)> = resolved
            .env
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect();
        loop {
            let shown = redactor.apply(&script);
            let attempt = StepRun {
                n,
                step,
                script: &script,
                shown: &shown,
                env: &env,
            };
            let result = run_step(
                &runtime,
                &session,
                &mut zygote,
                &interrupts,
                &attempt,
                options,
                reporter,
            )?;
            if result == Outcome::Success {
                break;
            }
            if result == Outcome::Interrupted && (options.unattended || interrupts.count() >= 2) {
                reporter.event(&Event::RunInterrupted {
                    id: Some(step.id.clone()),
                });
                outcome = RunOutcome::Interrupted;
                break 'steps;
            }
            if result != Outcome::Interrupted && step.continue_on_error {
                break;
            }
            let recovery = operator.recover(step, result);
            // The operator has dealt with this interruption: the next Ctrl-C
            // is a first one again, not the second that aborts the run.
            interrupts.reset();
            match recovery {
                // The same script again (an edit the operator made included).
                Recovery::Retry => continue,
                Recovery::Continue => break,
                Recovery::Quit => {
                    outcome = if result == Outcome::Interrupted {
                        RunOutcome::Interrupted
                    } else {
                        RunOutcome::StepFailed
                    };
                    break 'steps;
                }
            }
        }
    }
    if let Some(zygote) = zygote.take() {
        runtime.block_on(zygote.stop());
    }
    let exit_code = match outcome {
        RunOutcome::Success | RunOutcome::Quit => crate::exit::OK,
        RunOutcome::StepFailed => crate::exit::STEP_FAILED,
        RunOutcome::Interrupted => crate::exit::INTERRUPTED,
    };
    reporter.event(&Event::RunFinished {
        outcome,
        exit_code,
        duration_ms: millis(started.elapsed()),
    });
    Ok(Finished { outcome, exit_code })
}

fn skipped(reporter: &mut dyn Reporter, step: &PlanStep, reason: &str) {
    reporter.event(&Event::StepSkipped {
        id: step.id.clone(),
        reason: reason.to_owned(),
    });
}

/// One attempt at a step.
struct StepRun<'a> {
    n: usize,
    step: &'a PlanStep,
    /// What runs.
    script: &'a str,
    /// What is shown of it (secret values masked).
    shown: &'a str,
    env: &'a [(String, String)],
}

fn run_step(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    zygote: &mut Option<zygote::Zygote>,
    interrupts: &Interrupts,
    run: &StepRun,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> std::io::Result<Outcome> {
    let (n, step, env) = (run.n, run.step, run.env);
    let path = session.write_script(run.script)?;
    reporter.event(&Event::StepStarted {
        index: n,
        id: step.id.clone(),
        section: step.section.clone(),
        script: run.shown.to_owned(),
        env: env.iter().map(|(k, _)| k.clone()).collect(),
        interactive: step.interactive,
    });
    let spawn = Spawn {
        shell: &options.shell,
        state: session.state_file(),
        script: &path,
        env,
        timeout: step.timeout.or(options.timeout),
        terminal: match (step.interactive, options.unattended) {
            (false, _) => process::Terminal::Pipes,
            (true, false) => process::Terminal::Inherit,
            (true, true) => process::Terminal::Pty,
        },
        grace: options.grace,
    };
    let id = step.id.clone();
    let mut emit = |stream, data: &[u8]| {
        reporter.event(&Event::Output {
            id: id.clone(),
            stream,
            data: std::borrow::Cow::Borrowed(data),
        });
    };
    let finished =
        if let (process::Terminal::Pipes, Some(setsid)) = (spawn.terminal, &options.setsid) {
            runtime.block_on(async {
                if !zygote.as_mut().is_some_and(zygote::Zygote::alive) {
                    *zygote = Some(zygote::Zygote::start(
                        setsid,
                        &options.shell,
                        session.dir(),
                    )?);
                }
                let Some(zygote) = zygote.as_mut() else {
                    return Err(std::io::Error::other("the step shell did not start"));
                };
                let step = zygote::Step {
                    n,
                    env,
                    timeout: spawn.timeout,
                    grace: spawn.grace,
                };
                zygote.run(step, interrupts, &mut emit).await
            })?
        } else {
            runtime.block_on(process::run(spawn, interrupts, &mut emit))?
        };
    let (ending, elapsed) = (finished.ending, finished.elapsed);
    if finished.output_held_open {
        reporter.event(&Event::StepNotice {
            id: step.id.clone(),
            message: "a process the step started left its process group and still holds the step's output open; it was left running".to_owned(),
        });
    }
    // A killed step may have left a partial dump; keep the previous state then.
    if let Ending::Exited(_) = ending {
        session.commit()?;
    }
    let (exit_code, signal) = match ending {
        Ending::Exited(code) => (Some(code), None),
        Ending::Signaled(signal) => (None, Some(signal)),
        Ending::TimedOut | Ending::Interrupted => (None, None),
    };
    let outcome = match ending {
        Ending::Exited(0) => Outcome::Success,
        Ending::TimedOut => Outcome::TimedOut,
        Ending::Interrupted => Outcome::Interrupted,
        Ending::Exited(_) | Ending::Signaled(_) => Outcome::Failed,
    };
    reporter.event(&Event::StepFinished {
        id: step.id.clone(),
        outcome,
        exit_code,
        signal,
        duration_ms: millis(elapsed),
        continue_on_error: step.continue_on_error,
    });
    Ok(outcome)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
