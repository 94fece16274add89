//! Running a plan: steps in order, each in its own process, sharing a shell
//! session; decisions (gates, what to do after a failure) asked of an
//! [`Operator`]; everything that happens reported as [`Event`]s.
//!
//! Async (tokio) stays inside this module: the executor is called like any
//! function and drives a small runtime of its own.

mod background;
mod orphans;
pub mod process;
mod pty;
pub mod session;
mod zygote;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::checks::{self, Facts, StepFacts};
use crate::event::bounded::Bounded;
use crate::event::{Event, Outcome, Reporter, RunOutcome, Stream, Verdict};
use crate::model::CheckOrigin;
use crate::operator::{Choice, Here, Operator, Recovery, StepContext};
use crate::plan::{Plan, PlanStep, Status};
use crate::secret::{Redactor, StreamRedactor};
use crate::source::Span;
use process::{Ending, Interrupts, Spawn};
use session::Session;

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
    /// A step silent this long is reported (a notice, repeated each time the
    /// silence lasts as long again); `None`: never. Nothing is killed.
    pub silence: Option<Duration>,
}

/// The result of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub outcome: RunOutcome,
    pub exit_code: u8,
}

/// Where a resumed run starts from.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// The session state to restore before the first step (`declare -p` form).
    pub state: Option<String>,
    /// Earlier steps' outcomes, for `step(id)` in checks and conditions.
    pub history: Vec<StepFacts>,
    /// The run's directory, where the first block under a heading starts
    /// (a resumed run's is the one it began in); `None`: the current one.
    pub directory: Option<String>,
}

/// Output kept per stream for checks (and `step(id)`): head and tail.
const CHECK_OUTPUT_HEAD: usize = 512 * 1024;
const CHECK_OUTPUT_TAIL: usize = 512 * 1024;

/// Runs the plan's steps: the scripts, environments and checks it holds,
/// nothing else.
pub fn run(
    plan: &Plan,
    options: &Options,
    start: Start,
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
    orphans::adopt();
    let session = Session::new()?;
    // What the steps inherit: the transcript records only what they change.
    let inherited: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    if let Some(state) = &start.state {
        session.restore(state)?;
    }
    let base = match start.directory.clone() {
        Some(dir) => dir,
        None => std::env::current_dir()?.to_string_lossy().into_owned(),
    };
    // Declared after the runtime, so it is dropped (and killed) first.
    let mut zygote: Option<zygote::Zygote> = None;
    let redactor = plan.redactor();
    for v in &plan.values {
        tracing::debug!(name = %v.name, value = %redactor.apply(v.value.expose()), source = %v.source, "bound");
    }
    let started = Instant::now();
    let mut run = Running {
        plan,
        redactor,
        reporter,
        remembered: start.history.iter().map(|f| f.id.clone()).collect(),
        history: start.history,
        keep_output: reads_earlier_steps(plan),
        state: start.state.clone(),
        saved_state: start.state,
        interrupts: interrupts.counter(),
    };
    run.reporter.event(&Event::RunStarted {
        schema_version: crate::event::SCHEMA_VERSION,
        runbook: plan.runbook.path.clone(),
        title: plan.runbook.title.clone(),
        steps: plan.steps.len(),
        unattended: options.unattended,
    });
    let mut outcome = if run.preflight() {
        RunOutcome::Success
    } else if run.interrupted() {
        run.reporter.event(&Event::RunInterrupted { id: None });
        RunOutcome::Interrupted
    } else {
        RunOutcome::CheckFailed
    };
    // A step the operator skipped, did not approve or did not do by hand:
    // the run did not do all it was asked to.
    let mut declined = false;
    let mut helpers = background::Helpers::default();
    // Where a shell opened by the person starts: the session as it is.
    let here = Here {
        state: session.state_file(),
        shell: &options.shell,
    };
    'steps: for (n, step) in plan.steps.iter().enumerate() {
        if outcome != RunOutcome::Success {
            break;
        }
        // A signal that came during the last check or since.
        if ends_run(&interrupts, options) {
            run.reporter.event(&Event::RunInterrupted { id: None });
            outcome = RunOutcome::Interrupted;
            break;
        }
        // A helper's section ends where the next step is outside it.
        helpers.drain(run.reporter, redactor);
        helpers.stop_outside(Some(&step.section), options.grace, run.reporter, redactor);
        // The signals acted on: one that comes from here on, while the step
        // is being prepared and started, ends it (a SIGTERM then must not
        // wait for the step to finish).
        let mut acknowledged = interrupts.count();
        match step.status {
            Status::Skip => {
                run.skipped(step, step.status_reason.as_deref().unwrap_or_default());
                continue;
            }
            Status::Manual => {
                match operator.manual(step, here) {
                    Choice::Quit => {
                        outcome = RunOutcome::Quit;
                        break;
                    }
                    Choice::Skip => {
                        run.skipped(step, "skipped by the operator");
                        declined = true;
                    }
                    Choice::Run(_) => run.skipped(step, "done by hand (manual step)"),
                }
                continue;
            }
            Status::Run | Status::Choose => {}
        }
        // `when` again, now that earlier steps have run (`step(id)`).
        match run.condition(step) {
            Some(Ok(false)) => {
                let when = step.when.as_ref().map_or("", |w| w.source.as_str());
                run.skipped(step, &format!("`when` is false: {when}"));
                continue;
            }
            Some(Err(())) if ends_run(&interrupts, options) => {
                run.finished_without_running(step, Outcome::Interrupted);
                run.reporter.event(&Event::RunInterrupted {
                    id: Some(step.id.clone()),
                });
                outcome = RunOutcome::Interrupted;
                break;
            }
            Some(Err(())) => {
                run.finished_without_running(step, Outcome::CheckFailed);
                if !step.continue_on_error {
                    outcome = RunOutcome::CheckFailed;
                    break;
                }
                continue;
            }
            Some(Ok(true)) | None => {}
        }
        let context = StepContext {
            step,
            position: (n + 1, plan.steps.len()),
            script: step.script.expose(),
            commands: step
                .commands
                .iter()
                .map(|c| c.text.expose().to_owned())
                .collect(),
            here,
        };
        let script = match operator.before_step(&context) {
            Choice::Run(script) => script,
            Choice::Skip => {
                run.skipped(step, "skipped by the operator");
                declined = true;
                continue;
            }
            Choice::Quit => {
                outcome = RunOutcome::Quit;
                break;
            }
        };
        // The gate comes after the operator has seen the step and chose to run it.
        if step.gate.required {
            run.reporter.event(&Event::GateAsked {
                id: step.id.clone(),
                reasons: step.gate.reasons.clone(),
            });
            let approval = operator.approve(step);
            run.reporter.event(&Event::GateAnswered {
                id: step.id.clone(),
                approved: approval.approved,
                by: approval.by.clone(),
                how: approval.how.clone(),
            });
            if !approval.approved {
                run.skipped(step, "gate not approved");
                declined = true;
                continue;
            }
        }
        let mut env: Vec<(String, String)> = step
            .env
            .iter()
            .map(|e| (e.name.clone(), e.value.expose().to_owned()))
            .collect();
        // The step's own directory: the step shell goes there before the
        // script and back before saving the session (see `session`).
        if let Some(dir) = step_dir(plan, step) {
            env.push(("__litops_cd".to_owned(), dir));
        }
        if let Some(starts) = &step.starts_in {
            let dir = Path::new(&base).join(&starts.dir);
            env.push((
                "__litops_start".to_owned(),
                dir.to_string_lossy().into_owned(),
            ));
        }
        if step.background {
            let shown = redactor.apply(&script);
            run.reporter.event(&Event::StepStarted {
                index: n,
                id: step.id.clone(),
                section: step.section.clone(),
                script: shown.into_owned(),
                env: env.iter().map(|(k, _)| k.clone()).collect(),
                interactive: false,
                attempt: 1,
            });
            let started = helpers.start(
                &options.shell,
                &session,
                &step.id,
                &step.section,
                n,
                &script,
                &env,
            );
            let result = match started {
                Ok(pid) => {
                    run.reporter.event(&Event::StepNotice {
                        id: step.id.clone(),
                        message: format!(
                            "runs in the background (process group {pid}) until its section ends"
                        ),
                    });
                    Outcome::Success
                }
                Err(err) => {
                    run.reporter.event(&Event::StepNotice {
                        id: step.id.clone(),
                        message: format!("the background helper did not start: {err}"),
                    });
                    Outcome::Failed
                }
            };
            run.reporter.event(&Event::StepFinished {
                id: step.id.clone(),
                outcome: result,
                exit_code: None,
                signal: None,
                duration_ms: 0,
                continue_on_error: step.continue_on_error,
            });
            if result != Outcome::Success && !step.continue_on_error {
                outcome = RunOutcome::StepFailed;
                break 'steps;
            }
            continue;
        }
        let attempts = step.retry.as_ref().map_or(1, |r| r.attempts);
        let mut attempt = 1;
        // A person runs the step as planned up to its work by hand, does
        // the work, then the rest (unattended runs of an approved plan run
        // it whole: the work was approved as done).
        let parts = if options.unattended || script != step.script.expose() {
            vec![(None, script.as_str())]
        } else {
            pause_parts(&script, &step.pauses)
        };
        // The parts after the first start where the first left off (most
        // steps have one part: no copy of their environment).
        let env_after: Vec<(String, String)> = if parts.len() > 1 {
            env.iter()
                .filter(|(k, _)| k != "__litops_start")
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        loop {
            let mut ran: Option<Ran> = None;
            let mut quit_at_work = false;
            for (k, &(work, part)) in parts.iter().enumerate() {
                if let Some(work) = work {
                    if ran.as_ref().is_some_and(|r| r.outcome != Outcome::Success) {
                        break;
                    }
                    run.reporter.before_question();
                    run.reporter.event(&Event::StepNotice {
                        id: step.id.clone(),
                        message: format!("waits for work by hand: {work}"),
                    });
                    if !matches!(operator.pause(step, work, here), Choice::Run(_)) {
                        run.reporter.event(&Event::StepNotice {
                            id: step.id.clone(),
                            message: "quit at the work by hand: what comes after it did not run"
                                .to_owned(),
                        });
                        quit_at_work = true;
                        break;
                    }
                }
                let shown = redactor.apply(part);
                let spec = StepRun {
                    n,
                    step,
                    script: part,
                    shown: &shown,
                    env: if k == 0 { &env } else { &env_after },
                    attempt,
                    seen: acknowledged,
                    starts: k == 0,
                };
                let Some(more) = run_step(
                    &runtime,
                    &session,
                    &mut zygote,
                    &interrupts,
                    &spec,
                    options,
                    run.reporter,
                    redactor,
                )?
                else {
                    outcome = RunOutcome::RecordFailed;
                    break 'steps;
                };
                ran = Some(match ran {
                    Some(before) => before.then(more),
                    None => more,
                });
            }
            let Some(mut ran) = ran else {
                outcome = RunOutcome::RecordFailed;
                break 'steps;
            };
            if quit_at_work {
                ran.outcome = Outcome::Interrupted;
            }
            if let Some(state) = ran.state.take() {
                run.state = Some(state);
            }
            // A Ctrl-C that ended a followed command was answered by the
            // step going on: the next one is a first one again.
            if ran.followed > 0 && ran.outcome != Outcome::Interrupted {
                interrupts.reset();
                acknowledged = 0;
            }
            // Checks see the environment the step left (its exports win).
            let mut seen_env = run
                .state
                .as_deref()
                .map(session::exported)
                .unwrap_or_default();
            seen_env.extend(env.iter().cloned());
            let mut result = run.judge(step, &seen_env, ran);
            if quit_at_work {
                outcome = RunOutcome::Quit;
                break 'steps;
            }
            if result == Outcome::Success {
                // Recorded when it changed: most steps leave the session as it was.
                if let Some(state) = &run.state
                    && run.saved_state.as_ref() != Some(state)
                {
                    let bound = |name: &str| plan.value(name).is_some();
                    let secret = |name: &str, value: &str| {
                        crate::model::is_secret_name(name)
                            || redactor.apply(value) != value
                            || plan.value(name).is_some_and(|v| v.secret)
                    };
                    run.reporter.event(&Event::SessionSaved {
                        id: step.id.clone(),
                        state: session::record_form(state, &inherited, &bound, &secret),
                    });
                    run.saved_state = Some(state.clone());
                }
                break;
            }
            if attempt < attempts && result != Outcome::Interrupted {
                let interval = step.retry.as_ref().map_or(Duration::ZERO, |r| r.interval);
                run.reporter.event(&Event::StepRetrying {
                    id: step.id.clone(),
                    attempt,
                    attempts,
                    wait_ms: millis(interval),
                    reason: result.name().to_owned(),
                });
                let seen = interrupts.count();
                let waited = runtime.block_on(async {
                    tokio::select! {
                        () = tokio::time::sleep(interval) => true,
                        () = interrupts.after(seen) => false,
                    }
                });
                if waited {
                    attempt += 1;
                    continue;
                }
                result = Outcome::Interrupted;
            }
            if result == Outcome::Interrupted && (options.unattended || interrupts.count() >= 2) {
                run.reporter.event(&Event::RunInterrupted {
                    id: Some(step.id.clone()),
                });
                outcome = RunOutcome::Interrupted;
                break 'steps;
            }
            if result != Outcome::Interrupted && step.continue_on_error {
                break;
            }
            let recovery = operator.recover(step, result, here);
            // The operator has dealt with this interruption: the next Ctrl-C
            // is a first one again, not the second that aborts the run.
            interrupts.reset();
            acknowledged = 0;
            match recovery {
                // The same script again (an edit the operator made included).
                Recovery::Retry => {
                    attempt += 1;
                    continue;
                }
                Recovery::Continue => break,
                Recovery::Quit => {
                    outcome = match result {
                        Outcome::Interrupted => RunOutcome::Interrupted,
                        Outcome::CheckFailed => RunOutcome::CheckFailed,
                        _ => RunOutcome::StepFailed,
                    };
                    break 'steps;
                }
            }
        }
    }
    helpers.drain(run.reporter, redactor);
    helpers.stop_outside(None, options.grace, run.reporter, redactor);
    if let Some(zygote) = zygote.take() {
        runtime.block_on(zygote.stop());
    }
    let ended = orphans::end_all(options.grace);
    if ended > 0 {
        tracing::debug!(ended, "ended processes the steps left outside their groups");
    }
    if outcome == RunOutcome::Success && declined {
        outcome = RunOutcome::Declined;
    }
    let exit_code = match outcome {
        RunOutcome::Success => crate::exit::OK,
        RunOutcome::Quit | RunOutcome::Declined => crate::exit::INCOMPLETE,
        RunOutcome::StepFailed => crate::exit::STEP_FAILED,
        RunOutcome::CheckFailed => crate::exit::CHECK_FAILED,
        RunOutcome::Interrupted => crate::exit::INTERRUPTED,
        RunOutcome::RecordFailed => crate::exit::TRANSCRIPT_FAILED,
    };
    run.reporter.event(&Event::RunFinished {
        outcome,
        exit_code,
        duration_ms: millis(started.elapsed()),
    });
    Ok(Finished { outcome, exit_code })
}

/// Whether the signals not yet acted on end the run: SIGTERM does, and so
/// does Ctrl-C when there is nobody to ask what to do.
fn ends_run(interrupts: &Interrupts, options: &Options) -> bool {
    interrupts.count() >= 2 || (options.unattended && interrupts.count() >= 1)
}

/// What a run carries from step to step besides the processes.
struct Running<'r> {
    plan: &'r Plan,
    redactor: &'r Redactor,
    reporter: &'r mut dyn Reporter,
    history: Vec<StepFacts>,
    /// The ids in `history`: a step seen for the first time (most) is added
    /// without a search through all the steps before it.
    remembered: HashSet<String>,
    /// Whether `step(id)` is used anywhere: only then is each step's output
    /// kept for the rest of the run (up to 2 MiB a step).
    keep_output: bool,
    /// The session state as the last step that exited left it.
    state: Option<String>,
    /// The session state last recorded (`SessionSaved`).
    saved_state: Option<String>,
    /// Signals not yet acted on (`Interrupts`): checks stop when it is not 0.
    interrupts: Arc<AtomicUsize>,
}

/// Whether a check, condition or preflight check of the plan reads
/// earlier steps (`step(...)`).
fn reads_earlier_steps(plan: &Plan) -> bool {
    let sources = plan
        .steps
        .iter()
        .flat_map(|s| {
            s.checks
                .iter()
                .map(|c| c.source.as_str())
                .chain(s.when.iter().map(|w| w.source.as_str()))
        })
        .chain(plan.preflight.iter().map(|p| p.source.as_str()));
    sources.into_iter().any(|s| s.contains("step("))
}

impl Running<'_> {
    fn skipped(&mut self, step: &PlanStep, reason: &str) {
        self.reporter.event(&Event::StepSkipped {
            id: step.id.clone(),
            reason: reason.to_owned(),
        });
        self.remember(step, "skipped", None, 0, String::new(), String::new());
    }

    fn remember(
        &mut self,
        step: &PlanStep,
        outcome: &str,
        exit_code: Option<i32>,
        duration_ms: u64,
        stdout: String,
        stderr: String,
    ) {
        // Another attempt, or a step run again: its facts move to the end.
        if !self.remembered.insert(step.id.clone()) {
            self.history.retain(|f| f.id != step.id);
        }
        self.history.push(StepFacts {
            id: step.id.clone(),
            outcome: outcome.to_owned(),
            exit_code: exit_code.map(i64::from),
            duration_ms,
            stdout,
            stderr,
        });
    }

    fn facts(&self) -> Facts<'_> {
        let mut facts = self.plan.facts();
        facts.steps = Some(&self.history);
        facts.interrupts = Some(Arc::clone(&self.interrupts));
        facts
    }

    /// Whether a signal came that the run has not acted on yet.
    fn interrupted(&self) -> bool {
        self.interrupts.load(Ordering::SeqCst) > 0
    }

    /// Front-matter preflight checks; false if one did not pass.
    fn preflight(&mut self) -> bool {
        let plan = self.plan;
        let mut passed = true;
        for (i, p) in plan.preflight.iter().enumerate() {
            let result = checks::with_engine(|engine| {
                let verdict = match engine.compile(checks::Code::expression(&p.source, p.span)) {
                    Ok(compiled) => engine.check(&compiled, &self.facts(), &plan.file),
                    Err(d) => Verdict::Error { message: d.message },
                };
                (verdict, engine.take_printed())
            });
            passed &= result.0.passed();
            self.report_check("preflight", i, "preflight", result, p.span);
        }
        passed
    }

    /// The step's `when`, if it has one: its value, or `Err` once reported.
    fn condition(&mut self, step: &PlanStep) -> Option<Result<bool, ()>> {
        let when = step.when.as_ref()?;
        let file = &self.plan.file;
        let result = checks::with_engine(|engine| {
            let compiled = engine
                .compile(checks::Code::expression(&when.source, when.span))
                .map_err(|d| d.message)?;
            engine
                .condition(&compiled, &self.facts(), file)
                .map_err(|e| e.to_string())
        });
        Some(result.map_err(|message| {
            let verdict = Verdict::Error { message };
            self.report_check(&step.id, 0, "when", (verdict, Vec::new()), when.span);
        }))
    }

    fn report_check(
        &mut self,
        id: &str,
        check: usize,
        origin: &str,
        (verdict, printed): (Verdict, Vec<String>),
        span: Span,
    ) {
        let verdict = match verdict {
            Verdict::Pass => Verdict::Pass,
            Verdict::Warn { messages } => Verdict::Warn {
                messages: messages
                    .iter()
                    .map(|m| self.redactor.apply(m).into_owned())
                    .collect(),
            },
            Verdict::Fail { message } => Verdict::Fail {
                message: self.redactor.apply(&message).into_owned(),
            },
            Verdict::Error { message } => Verdict::Error {
                message: self.redactor.apply(&message).into_owned(),
            },
        };
        self.reporter.event(&Event::CheckFinished {
            id: id.to_owned(),
            check,
            origin: origin.to_owned(),
            verdict,
            location: self.plan.file.location(span),
            printed: printed
                .iter()
                .map(|p| self.redactor.apply(p).into_owned())
                .collect(),
        });
    }

    fn finished_without_running(&mut self, step: &PlanStep, outcome: Outcome) {
        self.reporter.event(&Event::StepFinished {
            id: step.id.clone(),
            outcome,
            exit_code: None,
            signal: None,
            duration_ms: 0,
            continue_on_error: step.continue_on_error,
        });
        self.remember(step, outcome.name(), None, 0, String::new(), String::new());
    }

    /// Runs the step's checks on its result and reports how it ended.
    ///
    /// A check that mentions `exit_code` judges the exit status itself (an
    /// expected failure); otherwise a non-zero exit fails the step as usual.
    fn judge(&mut self, step: &PlanStep, env: &[(String, String)], ran: Ran) -> Outcome {
        let file = &self.plan.file;
        let checks = &step.checks;
        let (stdout, stderr) = if checks.is_empty() && !self.keep_output {
            (String::new(), String::new())
        } else {
            (ran.stdout.text(), ran.stderr.text())
        };
        let mut outcome = ran.outcome;
        let exited = matches!(ran.outcome, Outcome::Success | Outcome::Failed);
        if exited && !checks.is_empty() {
            let mut facts = self.facts();
            facts.env = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            facts.output = Some(checks::Output {
                exit_code: ran.exit_code.map(i64::from),
                stdout: &stdout,
                stderr: &stderr,
                duration_ms: ran.duration_ms,
            });
            let verdicts: Vec<(Verdict, Vec<String>)> = checks::with_engine(|engine| {
                checks
                    .iter()
                    .map(|check| {
                        let verdict = match engine.compile(check.rhai()) {
                            Ok(compiled) => engine.check(&compiled, &facts, file),
                            Err(d) => Verdict::Error { message: d.message },
                        };
                        (verdict, engine.take_printed())
                    })
                    .collect()
            });
            let all_pass = verdicts.iter().all(|(v, _)| v.passed());
            let judges_exit = checks.iter().any(|c| c.source.contains("exit_code"));
            outcome = match (ran.outcome, all_pass) {
                (Outcome::Success, true) => Outcome::Success,
                (Outcome::Failed, true) if judges_exit => Outcome::Success,
                (Outcome::Failed, _) if !judges_exit => Outcome::Failed,
                _ => Outcome::CheckFailed,
            };
            // A check cut short by a signal decided nothing: the step was
            // interrupted, as if the signal had come while it ran.
            if self.interrupted() {
                outcome = Outcome::Interrupted;
            }
            for (i, (check, verdict)) in checks.iter().zip(verdicts).enumerate() {
                let origin = match check.origin {
                    CheckOrigin::Block => "block",
                    CheckOrigin::Annotation => "annotation",
                    CheckOrigin::Until => "until",
                };
                self.report_check(&step.id, i, origin, verdict, check.span);
            }
        }
        // Exit 1 from a step that only looks is often grep finding nothing.
        if outcome == Outcome::Failed && ran.exit_code == Some(1) && !step.greps.is_empty() {
            self.reporter.event(&Event::StepNotice {
                id: step.id.clone(),
                message: format!(
                    "exit 1 is also what grep returns when it finds no match: {}",
                    step.greps.join("; ")
                ),
            });
        }
        self.reporter.event(&Event::StepFinished {
            id: step.id.clone(),
            outcome,
            exit_code: ran.exit_code,
            signal: ran.signal,
            duration_ms: ran.duration_ms,
            continue_on_error: step.continue_on_error,
        });
        let (stdout, stderr) = if self.keep_output {
            (stdout, stderr)
        } else {
            (String::new(), String::new())
        };
        self.remember(
            step,
            outcome.name(),
            ran.exit_code,
            ran.duration_ms,
            stdout,
            stderr,
        );
        outcome
    }
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
    attempt: u32,
    /// Signals acted on before the step (see [`process::Watch::new`]).
    seen: usize,
    /// Whether this is where the step starts (its `step-started`), not a
    /// part after a pause for work by hand.
    starts: bool,
}

/// The script cut before each pause for work by hand, each part with the
/// work that comes before it (the first, none).
fn pause_parts<'a>(
    script: &'a str,
    pauses: &'a [crate::plan::Pause],
) -> Vec<(Option<&'a str>, &'a str)> {
    let mut parts = Vec::new();
    let mut from = 0;
    let mut work: Option<&str> = None;
    for pause in pauses {
        let at = pause.at;
        if at <= from || at >= script.len() || !script.is_char_boundary(at) {
            continue;
        }
        parts.push((work, &script[from..at]));
        from = at;
        work = Some(pause.work.as_str());
    }
    parts.push((work, &script[from..]));
    parts
}

/// How an attempt went, before its checks.
struct Ran {
    outcome: Outcome,
    exit_code: Option<i32>,
    signal: Option<i32>,
    duration_ms: u64,
    /// As the step wrote it (unredacted: checks may look for anything).
    stdout: Bounded,
    stderr: Bounded,
    /// The session state the step left, when it saved one.
    state: Option<String>,
    /// Ctrl-Cs that ended a command the person followed, the step going on.
    followed: usize,
}

impl Ran {
    /// The attempt as one: this part, then `more` (run after a pause for
    /// work by hand); the outcome is the last part's.
    fn then(mut self, more: Ran) -> Ran {
        self.stdout.append(&more.stdout);
        self.stderr.append(&more.stderr);
        Ran {
            outcome: more.outcome,
            exit_code: more.exit_code,
            signal: more.signal,
            duration_ms: self.duration_ms + more.duration_ms,
            stdout: self.stdout,
            stderr: self.stderr,
            state: more.state.or(self.state),
            followed: self.followed + more.followed,
        }
    }
}

/// Where a step with a `cwd` runs: relative to the runbook's directory,
/// made absolute now, since the session may be elsewhere by then.
fn step_dir(plan: &Plan, step: &PlanStep) -> Option<String> {
    let cwd = step.cwd.as_deref()?;
    let base = Path::new(&plan.runbook.path)
        .parent()
        .unwrap_or(Path::new(""));
    let dir = base.join(cwd);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    Some(dir.to_string_lossy().into_owned())
}

#[expect(clippy::too_many_arguments, reason = "the run's parts, each used once")]
fn run_step(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    zygote: &mut Option<zygote::Zygote>,
    interrupts: &Interrupts,
    run: &StepRun,
    options: &Options,
    reporter: &mut dyn Reporter,
    redactor: &Redactor,
) -> std::io::Result<Option<Ran>> {
    let (n, step, env) = (run.n, run.step, run.env);
    let path = session.write_script(run.script)?;
    tracing::debug!(step = %step.id, attempt = run.attempt, script = %run.shown, "starting step");
    if run.starts {
        reporter.event(&Event::StepStarted {
            index: n,
            id: step.id.clone(),
            section: step.section.clone(),
            script: run.shown.to_owned(),
            env: env.iter().map(|(k, _)| k.clone()).collect(),
            interactive: step.interactive,
            attempt: run.attempt,
        });
    }
    // Never run a step without a record of it.
    if let Some(reason) = reporter.failure() {
        reporter.event(&Event::StepNotice {
            id: step.id.clone(),
            message: format!("not run: the transcript cannot be written ({reason})"),
        });
        return Ok(None);
    }
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
        seen: run.seen,
        // A person at the terminal ends `logs -f` with Ctrl-C and the step
        // goes on (the plan put `__litops_follow` before it).
        follow: !options.unattended
            && !step.interactive
            && step.stream.is_none()
            && !step.never_ends.is_empty(),
    };
    let id = step.id.clone();
    let mut stdout = Bounded::new(CHECK_OUTPUT_HEAD, CHECK_OUTPUT_TAIL);
    let mut stderr = Bounded::new(CHECK_OUTPUT_HEAD, CHECK_OUTPUT_TAIL);
    let mut masks = [StreamRedactor::default(), StreamRedactor::default()];
    // The reporter hears both the output and the silence between it.
    let reporter = std::cell::RefCell::new(reporter);
    let heard = std::cell::Cell::new(tokio::time::Instant::now());
    let mut emit = |stream, data: &[u8]| {
        heard.set(tokio::time::Instant::now());
        let (capture, mask) = match stream {
            Stream::Stdout => (&mut stdout, &mut masks[0]),
            Stream::Stderr => (&mut stderr, &mut masks[1]),
        };
        capture.push(data);
        let shown = mask.feed(redactor, data);
        if !shown.is_empty() {
            reporter.borrow_mut().event(&Event::Output {
                id: id.clone(),
                stream,
                data: shown.into_owned(),
            });
        }
    };
    let silence = silence_notices(options.silence, &heard, &reporter, &id);
    let finished =
        if let (process::Terminal::Pipes, Some(setsid)) = (spawn.terminal, &options.setsid) {
            // The zygote holds the session when it can (a step's shell then
            // inherits it instead of loading it), and is started again when
            // the session changed: most steps change nothing.
            let (restart, save, load) = {
                let state = session.state();
                let state = state.as_deref();
                let preload = state.filter(|s| session::zygote_may_load(s));
                let current = zygote
                    .as_mut()
                    .is_some_and(|z| z.alive() && z.loaded() == preload);
                (
                    (!current).then(|| preload.map(str::to_owned)),
                    session::step_saves(state, run.script, env),
                    state.is_some() && preload.is_none(),
                )
            };
            runtime.block_on(async {
                if let Some(preload) = restart {
                    if let Some(old) = zygote.take() {
                        old.stop().await;
                    }
                    *zygote = Some(zygote::Zygote::start(
                        setsid,
                        &options.shell,
                        session.dir(),
                        preload,
                    )?);
                }
                let Some(zygote) = zygote.as_mut() else {
                    return Err(std::io::Error::other("the step shell did not start"));
                };
                let step = zygote::Step {
                    n,
                    env,
                    save,
                    load,
                    timeout: spawn.timeout,
                    grace: spawn.grace,
                    seen: spawn.seen,
                    follow: spawn.follow,
                };
                tokio::select! {
                    finished = zygote.run(step, interrupts, &mut emit) => finished,
                    never = silence => match never {},
                }
            })?
        } else {
            runtime.block_on(async {
                tokio::select! {
                    finished = process::run(spawn, interrupts, &mut emit) => finished,
                    never = silence => match never {},
                }
            })?
        };
    let reporter = reporter.into_inner();
    for (stream, mask) in [Stream::Stdout, Stream::Stderr].into_iter().zip(&mut masks) {
        let rest = mask.finish();
        if !rest.is_empty() {
            reporter.event(&Event::Output {
                id: step.id.clone(),
                stream,
                data: rest,
            });
        }
    }
    let (ending, elapsed) = (finished.ending, finished.elapsed);
    if finished.output_held_open {
        reporter.event(&Event::StepNotice {
            id: step.id.clone(),
            message: "a process the step started left its process group and still holds the step's output open; it is ended when the run ends".to_owned(),
        });
    }
    // A killed step may have left a partial dump; keep the previous state then.
    let state = match ending {
        Ending::Exited(_) => session.commit()?,
        _ => None,
    };
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
    Ok(Some(Ran {
        outcome,
        exit_code,
        signal,
        duration_ms: millis(elapsed),
        stdout,
        stderr,
        state,
        followed: finished.followed,
    }))
}

/// Reports a step that has been silent for `after` (and again each time
/// the silence lasts as long again): a long `terraform apply` or
/// `pg_restore` is waited for, never killed for being quiet, but the person
/// (or the log) hears that it is still running. Never finishes.
async fn silence_notices(
    after: Option<Duration>,
    heard: &std::cell::Cell<tokio::time::Instant>,
    reporter: &std::cell::RefCell<&mut dyn Reporter>,
    id: &str,
) -> std::convert::Infallible {
    let Some(after) = after else {
        return std::future::pending().await;
    };
    let mut reported = heard.get();
    loop {
        // From the later of the last output and the last notice.
        let since = heard.get().max(reported);
        tokio::time::sleep_until(since + after).await;
        let now = tokio::time::Instant::now();
        if now.duration_since(heard.get()) >= after {
            reported = now;
            let silent = humantime::format_duration(Duration::from_secs(
                now.duration_since(heard.get()).as_secs(),
            ));
            reporter.borrow_mut().event(&Event::StepNotice {
                id: id.to_owned(),
                message: format!("no output for {silent}; the step is still running"),
            });
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::Outcome;
    use crate::operator::GateDecision;

    /// Decides to run each step, and meanwhile SIGTERM comes (the scheduler
    /// stops the job just as a step starts).
    struct Stopped;

    impl Operator for Stopped {
        fn approve(&mut self, _step: &PlanStep) -> GateDecision {
            unreachable!("no gated step")
        }

        fn before_step(&mut self, ctx: &StepContext) -> Choice {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM);
            Choice::Run(ctx.script.to_owned())
        }

        fn manual(&mut self, _step: &PlanStep, _here: Here) -> Choice {
            Choice::Quit
        }

        fn pause(&mut self, _step: &PlanStep, _work: &str, _here: Here) -> Choice {
            Choice::Quit
        }

        fn recover(&mut self, _step: &PlanStep, _outcome: Outcome, _here: Here) -> Recovery {
            Recovery::Quit
        }
    }

    #[derive(Default)]
    struct Outcomes(Vec<String>);

    impl Reporter for Outcomes {
        fn event(&mut self, event: &Event) {
            match event {
                Event::StepFinished { id, outcome, .. } => {
                    self.0.push(format!("{id}: {}", outcome.name()));
                }
                Event::RunFinished { outcome, .. } => self.0.push(format!("run: {outcome:?}")),
                _ => {}
            }
        }
    }

    /// Tests that start and end children of the test process, one at a time.
    pub(crate) static CHILDREN: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_sigterm_while_a_step_starts_ends_it_at_once() {
        let _alone = CHILDREN.lock();
        let runbook = crate::load::from_text(
            "t.md",
            "## Wait\n\n```bash\nsleep 30\n```\n\n## Never\n\n```bash\necho never\n```\n",
        );
        let plan = crate::plan::build(&runbook, &[0, 1], &crate::bind::Bindings::default());
        let options = Options {
            shell: "bash".to_owned(),
            setsid: None,
            unattended: true,
            timeout: None,
            grace: Duration::from_secs(1),
            silence: None,
        };
        let mut outcomes = Outcomes::default();
        let started = Instant::now();
        let finished = run(
            &plan,
            &options,
            Start::default(),
            &mut Stopped,
            &mut outcomes,
        );
        assert_eq!(
            finished.ok().map(|f| f.exit_code),
            Some(crate::exit::INTERRUPTED)
        );
        assert_eq!(outcomes.0, ["wait: interrupted", "run: Interrupted"]);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the step ran to its end"
        );
    }
}
