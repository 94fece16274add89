//! Rhai checks: post-conditions after a step, `when` conditions before one,
//! `until` conditions that make a step wait, and front-matter preflight
//! checks. Everything runs in a sandbox (no files, no network, no `eval`,
//! bounded operations, call depth and sizes); a check that breaks a limit
//! fails with a message pointing at its line in the Markdown.
//!
//! The API a check sees is documented in `docs/checks.md`.

mod api;
mod sandbox;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rhai::{AST, Dynamic, EvalAltResult, Position, Scope};

use crate::diag::Diagnostic;
use crate::event::Verdict;
use crate::source::{MappedText, SourceFile, Span};

pub use api::{Facts, Output, StepFacts};

/// Limits of the sandbox, documented in `docs/checks.md`.
pub mod limits {
    pub const OPERATIONS: u64 = 2_000_000;
    pub const CALL_LEVELS: usize = 32;
    pub const EXPR_DEPTH: usize = 64;
    pub const FUNCTION_EXPR_DEPTH: usize = 32;
    pub const STRING_BYTES: usize = 16 * 1024 * 1024;
    pub const ARRAY_ITEMS: usize = 100_000;
    pub const MAP_ENTRIES: usize = 10_000;
    /// Wall-clock time of one evaluation: operations alone do not bound it
    /// (one `contains` on a 16 MiB string is one operation).
    pub const WALL_CLOCK: std::time::Duration = std::time::Duration::from_secs(10);
    /// Values `json()` may build from one text (each item of an array or
    /// map, nested ones included), checked before they are built.
    pub const JSON_VALUES: usize = 1_000_000;
    /// What `print`, `debug` and `warn` may keep from one evaluation.
    pub const PRINTED_BYTES: usize = 64 * 1024;
    pub const WARNINGS: usize = 100;
    /// Compiled `matches()` patterns kept at once.
    pub const REGEXES: usize = 64;
}

/// Rhai source with where it came from in the runbook.
#[derive(Debug, Clone)]
pub struct Code<'a> {
    pub text: &'a str,
    /// `text` mapped to the Markdown file, to place errors.
    pub map: MappedText,
    /// An expression (annotations, preflight) or a script (`rhai` block).
    pub expression: bool,
}

impl<'a> Code<'a> {
    pub fn block(map: &'a MappedText) -> Code<'a> {
        Code {
            text: map.as_str(),
            map: map.clone(),
            expression: false,
        }
    }

    /// A script whose text sits unchanged at `start` in the file.
    pub fn block_text(text: &'a str, start: usize) -> Code<'a> {
        Code {
            text,
            map: MappedText::contiguous(text, start),
            expression: false,
        }
    }

    pub fn expression(text: &'a str, span: Span) -> Code<'a> {
        Code {
            text,
            map: MappedText::contiguous(text, span.start),
            expression: true,
        }
    }

    /// The file span of a Rhai position (1-based line and column).
    fn span_of(&self, position: Position) -> Span {
        let (Some(line), col) = (position.line(), position.position().unwrap_or(1)) else {
            return self.map.source_span(Span::new(0, self.text.len()));
        };
        let mut offset = 0;
        for (i, text) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let col = text
                    .char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(text.len(), |(i, _)| i);
                offset += col;
                break;
            }
            offset += text.len();
        }
        let offset = offset.min(self.text.len());
        let end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |n| offset + n)
            .max(offset + 1)
            .min(self.text.len());
        self.map.source_span(Span::new(offset, end))
    }
}

thread_local! {
    static ENGINE: Engine = Engine::new();
}

/// The thread's engine (building one registers the whole API).
pub fn with_engine<T>(f: impl FnOnce(&Engine) -> T) -> T {
    ENGINE.with(f)
}

/// A compiled check or condition.
pub struct Compiled<'a> {
    ast: AST,
    source: Code<'a>,
}

/// The sandboxed engine, with the API registered once.
pub struct Engine {
    rhai: rhai::Engine,
    state: Rc<RefCell<api::State>>,
    watch: Rc<Watch>,
}

/// What stops an evaluation early, polled by Rhai between operations.
#[derive(Default)]
struct Watch {
    budget: Cell<Duration>,
    deadline: Cell<Option<Instant>>,
    /// Signals litops has received and not yet acted on (`Facts::interrupts`).
    interrupts: RefCell<Option<Arc<AtomicUsize>>>,
}

/// Why an evaluation was stopped from outside (the `ErrorTerminated` token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopped {
    OverTime,
    Interrupted,
}

impl Watch {
    fn poll(&self, operations: u64) -> Option<Stopped> {
        if self
            .interrupts
            .borrow()
            .as_ref()
            .is_some_and(|count| count.load(Ordering::SeqCst) > 0)
        {
            return Some(Stopped::Interrupted);
        }
        // Reading the clock at every operation would cost more than most checks.
        if operations.is_multiple_of(64)
            && self
                .deadline
                .get()
                .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return Some(Stopped::OverTime);
        }
        None
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine::with_budget(limits::WALL_CLOCK)
    }

    /// An engine whose evaluations may each run for `budget`.
    pub fn with_budget(budget: Duration) -> Engine {
        let mut rhai = rhai::Engine::new();
        // Only what the script itself says: no `import` (its resolver reads
        // files), no `eval`, no clock-dependent results.
        rhai.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
        rhai.disable_symbol("eval");
        rhai.disable_symbol("import");
        rhai.set_max_operations(limits::OPERATIONS);
        rhai.set_max_call_levels(limits::CALL_LEVELS);
        rhai.set_max_expr_depths(limits::EXPR_DEPTH, limits::FUNCTION_EXPR_DEPTH);
        rhai.set_max_string_size(limits::STRING_BYTES);
        rhai.set_max_array_size(limits::ARRAY_ITEMS);
        rhai.set_max_map_size(limits::MAP_ENTRIES);
        rhai.set_max_modules(0);
        // Checks are small; the optimizer would drop a `warn(..);` statement.
        rhai.set_optimization_level(rhai::OptimizationLevel::None);
        let state = Rc::new(RefCell::new(api::State::default()));
        api::register(&mut rhai, &state);
        // After the API: functions registered later win over the packages'.
        sandbox::register(&mut rhai);
        let watch = Rc::new(Watch::default());
        watch.budget.set(budget);
        let polled = Rc::clone(&watch);
        rhai.on_progress(move |operations| polled.poll(operations).map(Dynamic::from));
        // `print` and `debug` would write to litops's own stdout (breaking
        // `--json`, unredacted); they are kept with the check's result.
        let printed = Rc::clone(&state);
        rhai.on_print(move |text| printed.borrow_mut().print(text));
        let printed = Rc::clone(&state);
        rhai.on_debug(move |text, _, _| printed.borrow_mut().print(text));
        Engine { rhai, state, watch }
    }

    /// Compiles; a syntax error is a diagnostic at its place in the file.
    pub fn compile<'a>(&self, source: Code<'a>) -> Result<Compiled<'a>, Diagnostic> {
        let result = if source.expression {
            self.rhai.compile_expression(source.text)
        } else {
            self.rhai.compile(source.text)
        };
        match result {
            Ok(ast) => Ok(Compiled { ast, source }),
            Err(err) => {
                let span = source.span_of(err.position());
                let kind = if source.expression {
                    "expression"
                } else {
                    "check"
                };
                Err(Diagnostic::error(
                    "check-syntax",
                    format!("this Rhai {kind} does not compile: {}", err.err_type()),
                )
                .at(span)
                .help("see docs/checks.md for the check language and its functions"))
            }
        }
    }

    /// Runs a check against a step's facts.
    pub fn check(&self, compiled: &Compiled, facts: &Facts, file: &SourceFile) -> Verdict {
        match self.evaluate(compiled, facts) {
            Ok(value) => self.verdict_of(value),
            Err(err) => self.verdict_of_error(*err, compiled, file),
        }
    }

    /// Evaluates a `when` condition: `Ok(true/false)`, or why it cannot be.
    pub fn condition(
        &self,
        compiled: &Compiled,
        facts: &Facts,
        file: &SourceFile,
    ) -> Result<bool, ConditionError> {
        match self.evaluate(compiled, facts) {
            Ok(value) => value.as_bool().map_err(|type_name| {
                ConditionError::Broken(format!("the condition is a {type_name}, not true or false"))
            }),
            Err(err) => match *err {
                EvalAltResult::ErrorVariableNotFound(name, _) => {
                    Err(ConditionError::Unbound(name.to_string()))
                }
                EvalAltResult::ErrorRuntime(ref value, _) if api::needs_run(value) => {
                    Err(ConditionError::NeedsRun)
                }
                other => Err(ConditionError::Broken(
                    self.describe(&other, compiled, file),
                )),
            },
        }
    }

    fn evaluate(&self, compiled: &Compiled, facts: &Facts) -> Result<Dynamic, Box<EvalAltResult>> {
        let mut scope = Scope::new();
        api::fill_scope(&mut scope, facts);
        self.state.replace(api::State::from_facts(facts));
        self.watch
            .deadline
            .set(Some(Instant::now() + self.watch.budget.get()));
        self.watch.interrupts.replace(facts.interrupts.clone());
        let result = self
            .rhai
            .eval_ast_with_scope::<Dynamic>(&mut scope, &compiled.ast);
        self.watch.deadline.set(None);
        self.watch.interrupts.replace(None);
        // Facts of this evaluation must not outlive it; its warnings and
        // printed lines are read once.
        let done = self.state.replace(api::State::default());
        let mut state = self.state.borrow_mut();
        state.warnings = done.warnings;
        state.printed = done.printed;
        drop(state);
        result
    }

    fn verdict_of(&self, value: Dynamic) -> Verdict {
        let warnings = std::mem::take(&mut self.state.borrow_mut().warnings);
        let base = if let Some(b) = value.clone().try_cast::<bool>() {
            if b {
                Verdict::Pass
            } else {
                Verdict::Fail {
                    message: "the check is false".to_owned(),
                }
            }
        } else if let Some(v) = value.clone().try_cast::<api::Decision>() {
            v.into_verdict()
        } else if value.is_unit() {
            Verdict::Error {
                message: "the check gave no result: end it with a true/false expression or pass(), warn(msg), fail(msg)".to_owned(),
            }
        } else {
            Verdict::Error {
                message: format!(
                    "the check gave a {}, not true/false or pass(), warn(msg), fail(msg)",
                    value.type_name()
                ),
            }
        };
        match base {
            Verdict::Pass if !warnings.is_empty() => Verdict::Warn { messages: warnings },
            Verdict::Warn { mut messages } => {
                for w in warnings {
                    if !messages.contains(&w) {
                        messages.push(w);
                    }
                }
                Verdict::Warn { messages }
            }
            other => other,
        }
    }

    fn verdict_of_error(
        &self,
        err: EvalAltResult,
        compiled: &Compiled,
        file: &SourceFile,
    ) -> Verdict {
        self.state.borrow_mut().warnings.clear();
        match err {
            // `fail(msg)` and `throw` end the check with a failure.
            EvalAltResult::ErrorRuntime(value, _) => {
                match value.clone().try_cast::<api::Decision>() {
                    Some(decision) => decision.into_verdict(),
                    None => Verdict::Fail {
                        message: value.to_string(),
                    },
                }
            }
            other => Verdict::Error {
                message: self.describe(&other, compiled, file),
            },
        }
    }

    /// An evaluation error, with the limit named and the place in the file.
    fn describe(&self, err: &EvalAltResult, compiled: &Compiled, file: &SourceFile) -> String {
        let what = match err {
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "the check ran more than {} operations (an endless loop?) and was stopped",
                limits::OPERATIONS
            ),
            EvalAltResult::ErrorStackOverflow(_) => format!(
                "the check called functions more than {} deep and was stopped",
                limits::CALL_LEVELS
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) => {
                format!("the check built a {what} over the sandbox's limit and was stopped")
            }
            EvalAltResult::ErrorTerminated(why, _) => match why.clone().try_cast::<Stopped>() {
                Some(Stopped::Interrupted) => {
                    "the check was stopped: litops was interrupted".to_owned()
                }
                _ => format!(
                    "the check ran longer than {}s and was stopped",
                    self.watch.budget.get().as_secs_f64()
                ),
            },
            other => other.to_string(),
        };
        let span = compiled.source.span_of(err.position());
        format!("{what} (at {})", file.location(span))
    }
}

impl Engine {
    /// What the last evaluation printed (`print`, `debug`).
    pub fn take_printed(&self) -> Vec<String> {
        std::mem::take(&mut self.state.borrow_mut().printed)
    }
}

/// Why a `when` condition has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionError {
    /// It names a variable that is not bound yet.
    Unbound(String),
    /// It asks about earlier steps (`step(id)`): decided during the run.
    NeedsRun,
    Broken(String),
}

impl std::fmt::Display for ConditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConditionError::Unbound(name) => write!(f, "{name} has no value yet"),
            ConditionError::NeedsRun => f.write_str("decided during the run (it reads step())"),
            ConditionError::Broken(message) => f.write_str(message),
        }
    }
}

#[cfg(test)]
mod tests;
