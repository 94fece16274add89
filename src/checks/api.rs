//! The functions and values a check sees (`docs/checks.md`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Position, Scope};

use super::{Verdict, limits};

/// What is known when a check or condition is evaluated.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// Bound variables: (name, value, secret). Non-secret ones are also
    /// plain names in scope, so `when="CLOUD == \"gke\""` reads naturally.
    pub vars: Vec<(&'a str, &'a str, bool)>,
    /// Variables exported to the step, looked up by `env()` before the
    /// process environment.
    pub env: Vec<(&'a str, &'a str)>,
    /// The step just run, for post-conditions; `None` for conditions.
    pub output: Option<Output<'a>>,
    /// Earlier steps of the run; `None` when planning (no run yet).
    pub steps: Option<&'a [StepFacts]>,
    /// Signals litops received and has not acted on yet: the evaluation
    /// stops as soon as this is not zero. `None` when nothing can interrupt.
    pub interrupts: Option<Arc<AtomicUsize>>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Output<'a> {
    pub exit_code: Option<i64>,
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub duration_ms: u64,
}

/// An earlier step's outcome, as `step(id)` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFacts {
    pub id: String,
    /// `success`, `failed`, `check-failed`, `timed-out`, `interrupted`, `skipped`.
    pub outcome: String,
    pub exit_code: Option<i64>,
    pub duration_ms: u64,
    pub stdout: String,
    pub stderr: String,
}

/// Per-evaluation state the registered functions read.
#[derive(Default)]
pub(super) struct State {
    env: Vec<(String, String)>,
    steps: Option<Vec<StepFacts>>,
    pub(super) warnings: Vec<String>,
    pub(super) printed: Vec<String>,
    /// What `printed` holds, each line counted with its newline (so that
    /// printing empty strings in a loop uses up the room too).
    printed_bytes: usize,
    regexes: HashMap<String, regex::Regex>,
}

impl State {
    pub(super) fn from_facts(facts: &Facts) -> State {
        State {
            env: facts
                .env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            steps: facts.steps.map(<[StepFacts]>::to_vec),
            warnings: Vec::new(),
            printed: Vec::new(),
            printed_bytes: 0,
            regexes: HashMap::new(),
        }
    }

    /// Keeps a printed line while the evaluation's total stays bounded: a
    /// loop printing a large string must not fill memory.
    pub(super) fn print(&mut self, text: &str) {
        let room = limits::PRINTED_BYTES.saturating_sub(self.printed_bytes);
        if room == 0 {
            return;
        }
        self.printed_bytes += (text.len() + 1).min(room);
        if text.len() < room {
            self.printed.push(text.to_owned());
        } else {
            let mut end = room.saturating_sub(TRUNCATED.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.printed.push(format!("{}{TRUNCATED}", &text[..end]));
        }
    }
}

/// Ends what a check printed or warned past the sandbox's limit.
const TRUNCATED: &str = " [… cut: the check printed too much]";

/// `pass()`, `warn(msg)`, `fail(msg)`.
#[derive(Debug, Clone)]
pub(super) enum Decision {
    Pass,
    Warn(String),
    Fail(String),
}

impl Decision {
    pub(super) fn into_verdict(self) -> Verdict {
        match self {
            Decision::Pass => Verdict::Pass,
            Decision::Warn(message) => Verdict::Warn {
                messages: vec![message],
            },
            Decision::Fail(message) => Verdict::Fail { message },
        }
    }
}

/// Thrown by `step()` while planning: the answer needs a run.
#[derive(Debug, Clone)]
struct NeedsRun;

pub(super) fn needs_run(value: &Dynamic) -> bool {
    value.is::<NeedsRun>()
}

fn runtime_error(message: impl Into<Dynamic>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE))
}

pub(super) fn fill_scope(scope: &mut Scope, facts: &Facts) {
    let mut vars = Map::new();
    for &(name, value, secret) in &facts.vars {
        let shown = if secret {
            format!("[REDACTED:{name}]")
        } else {
            value.to_owned()
        };
        if !secret {
            scope.push(name.to_owned(), value.to_owned());
        }
        vars.insert(name.into(), shown.into());
    }
    scope.push("vars", vars);
    // Not constants: Rhai refuses methods such as `trim` on constants, and
    // a check changing its own copy harms nothing.
    if let Some(out) = facts.output {
        scope.push(
            "exit_code",
            out.exit_code.map_or(Dynamic::UNIT, Dynamic::from),
        );
        scope.push("stdout", out.stdout.to_owned());
        scope.push("stderr", out.stderr.to_owned());
        scope.push(
            "duration_ms",
            i64::try_from(out.duration_ms).unwrap_or(i64::MAX),
        );
    }
}

pub(super) fn register(engine: &mut rhai::Engine, state: &Rc<RefCell<State>>) {
    engine.register_type_with_name::<Decision>("Decision");
    engine.register_fn("pass", || Decision::Pass);
    let s = Rc::clone(state);
    engine.register_fn("warn", move |message: ImmutableString| {
        let message = bounded(&message);
        let mut state = s.borrow_mut();
        // A warning repeated in a loop is one warning, and all of them
        // together are no longer than what a check may print.
        let used: usize = state.warnings.iter().map(String::len).sum();
        if state.warnings.len() < limits::WARNINGS
            && used + message.len() <= limits::PRINTED_BYTES
            && !state.warnings.contains(&message)
        {
            state.warnings.push(message.clone());
        }
        Decision::Warn(message)
    });
    // `fail` ends the check wherever it is called.
    engine.register_fn(
        "fail",
        |message: ImmutableString| -> Result<Dynamic, Box<EvalAltResult>> {
            Err(runtime_error(Dynamic::from(Decision::Fail(bounded(
                &message,
            )))))
        },
    );
    engine.register_fn(
        "lines",
        |text: ImmutableString| -> Result<Array, Box<EvalAltResult>> {
            // Counted before the array is built: each line costs far more
            // than its bytes.
            super::sandbox::array_room(text.lines().count())?;
            Ok(text.lines().map(|l| Dynamic::from(l.to_owned())).collect())
        },
    );
    // Rhai's own `parse_json` is the same function, with the same limit.
    for name in ["json", "parse_json"] {
        engine.register_fn(name, json);
    }
    let s = Rc::clone(state);
    engine.register_fn(
        "matches",
        move |text: ImmutableString,
              pattern: ImmutableString|
              -> Result<bool, Box<EvalAltResult>> {
            let mut state = s.borrow_mut();
            if !state.regexes.contains_key(pattern.as_str()) {
                // Patterns built in a loop must not pile up compiled.
                if state.regexes.len() >= limits::REGEXES {
                    state.regexes.clear();
                }
                let regex = regex::RegexBuilder::new(&pattern)
                    .size_limit(1 << 20)
                    // Output is lines: `^` and `$` match at each line.
                    .multi_line(true)
                    .build()
                    .map_err(|err| runtime_error(format!("matches(): bad pattern: {err}")))?;
                state.regexes.insert(pattern.to_string(), regex);
            }
            Ok(state
                .regexes
                .get(pattern.as_str())
                .is_some_and(|r| r.is_match(&text)))
        },
    );
    let s = Rc::clone(state);
    engine.register_fn("env", move |name: ImmutableString| -> String {
        let state = s.borrow();
        state
            .env
            .iter()
            .find(|(k, _)| k == name.as_str())
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name.as_str()).ok())
            .unwrap_or_default()
    });
    let s = Rc::clone(state);
    engine.register_fn(
        "step",
        move |id: ImmutableString| -> Result<Dynamic, Box<EvalAltResult>> {
            let state = s.borrow();
            let Some(steps) = &state.steps else {
                return Err(runtime_error(Dynamic::from(NeedsRun)));
            };
            // The full id or its unique last part, like `--step`.
            let found: Vec<&StepFacts> = steps
                .iter()
                .filter(|f| f.id == id.as_str() || f.id.ends_with(&format!("/{id}")))
                .collect();
            let found = match found.as_slice() {
                [] => return Ok(Dynamic::UNIT),
                [one] => *one,
                many => {
                    let ids: Vec<&str> = many.iter().map(|f| f.id.as_str()).collect();
                    return Err(runtime_error(format!(
                        "step(\"{id}\") is ambiguous: {}; give more of the id",
                        ids.join(", ")
                    )));
                }
            };
            let mut map = Map::new();
            map.insert("id".into(), found.id.clone().into());
            map.insert("outcome".into(), found.outcome.clone().into());
            map.insert("ok".into(), Dynamic::from(found.outcome == "success"));
            map.insert(
                "exit_code".into(),
                found.exit_code.map_or(Dynamic::UNIT, Dynamic::from),
            );
            map.insert(
                "duration_ms".into(),
                Dynamic::from(i64::try_from(found.duration_ms).unwrap_or(i64::MAX)),
            );
            map.insert("stdout".into(), found.stdout.clone().into());
            map.insert("stderr".into(), found.stderr.clone().into());
            Ok(map.into())
        },
    );
}

/// A message as kept: no longer than what a check may print.
fn bounded(message: &str) -> String {
    let mut state = State::default();
    state.print(message);
    state.printed.pop().unwrap_or_default()
}

/// `json(text)`: the parsed value, refused before parsing when the text
/// holds more values than the sandbox allows (parsing a 16 MiB array of
/// zeros would take gigabytes).
fn json(text: ImmutableString) -> Result<Dynamic, Box<EvalAltResult>> {
    // Every value after the first in a container follows a `,`, and every
    // container starts with `[` or `{`: an upper bound, commas in strings
    // included.
    let values = text
        .bytes()
        .filter(|b| matches!(b, b',' | b'[' | b'{'))
        .count();
    if values > limits::JSON_VALUES {
        return Err(Box::new(EvalAltResult::ErrorDataTooLarge(
            format!("JSON document (more than {} values)", limits::JSON_VALUES),
            Position::NONE,
        )));
    }
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| runtime_error(format!("json(): not valid JSON: {err}")))?;
    rhai::serde::to_dynamic(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Empty lines use up the room too: a loop of `print("")` is bounded.
    #[test]
    fn printing_is_bounded_in_lines_as_in_bytes() {
        let mut state = State::default();
        for _ in 0..(limits::PRINTED_BYTES * 2) {
            state.print("");
        }
        assert_eq!(state.printed.len(), limits::PRINTED_BYTES);
        let mut state = State::default();
        state.print(&"x".repeat(limits::PRINTED_BYTES * 2));
        assert!(state.printed[0].len() <= limits::PRINTED_BYTES);
        assert!(state.printed[0].ends_with(TRUNCATED));
    }
}
