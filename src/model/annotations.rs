//! The annotation dialect's meaning: which keys exist and what their values
//! are. `syntax::attrs` reads the attributes; this validates them into
//! [`StepOptions`], with a diagnostic (and a "did you mean") for each problem.
//! The dialect is documented in `docs/dialect.md`.

use std::time::Duration;

use serde::Serialize;

use super::meta::{is_variable_name, parse_duration};
use crate::diag::{Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::Attr;

/// Keys of the dialect.
pub const KEYS: &[&str] = &[
    "name",
    "confirm",
    "no-confirm",
    "timeout",
    "interactive",
    "skip",
    "manual",
    "when",
    "alt",
    "continue-on-error",
    "check",
    "retry",
    "interval",
    "until",
    "tag",
    "exclude-from-run-all",
    "cwd",
    "stream",
    "sequence",
    "no-checkpoint",
    "background",
];

/// Keys other tools write in the same places; accepted and ignored.
const FOREIGN_KEYS: &[&str] = &[
    ".",
    "title",
    "linenums",
    "hl_lines",
    "linenostart",
    "class",
    // Runme: how its notebook shows or starts a cell, nothing a run needs.
    "id",
    "closeTerminalOnSuccess",
    "openTerminalOnError",
    "promptEnv",
    "terminalRows",
    "mimeType",
    "mimetype",
    "transform",
];

/// Runme keys that change how a cell runs, which litops does not do yet:
/// said, never silently dropped, because the step would run differently.
const UNSUPPORTED: &[&str] = &["interpreter"];

/// How a step takes part in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Run,
    /// Documentation only: shown, never run.
    Skip,
    /// Done by a person; litops shows it and waits.
    Manual,
}

/// A Rhai expression written in an annotation, kept with its span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expr {
    pub source: String,
    #[serde(skip)]
    pub span: Span,
}

/// `alt="VAR=value"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AltChoice {
    pub variable: String,
    pub value: String,
    #[serde(skip)]
    pub span: Span,
    /// How litops knows: written, or read by a heuristic.
    pub read_from: ReadFrom,
    /// What a person is offered for it when the value says little (`2` for
    /// the section "Method 2: Helm").
    pub label: Option<String>,
}

/// Where a step's place in a group of alternatives was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadFrom {
    /// `alt="VAR=value"`.
    Annotation,
    /// A tab of a tab group (MkDocs, Hugo, Docusaurus).
    Tab,
    /// Sibling sections pinning a variable to the value their titles name.
    EnvPrefix,
    /// Sibling sections whose titles name options of one axis: a heuristic.
    Title,
    /// A comment labelling lines of a block (`# EKS`): a heuristic.
    Comment,
}

impl ReadFrom {
    /// Read by a heuristic: a reviewer should see the choice before it runs
    /// unattended.
    pub fn is_inferred(self) -> bool {
        matches!(self, ReadFrom::Title | ReadFrom::Comment)
    }
}

/// What the annotations of one block say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOptions {
    pub name: Option<(String, Span)>,
    /// `confirm` (with its optional reason) or `no-confirm`.
    pub confirm: Option<Confirm>,
    pub timeout: Option<Duration>,
    pub interactive: bool,
    pub mode: Mode,
    pub when: Option<Expr>,
    pub alt: Option<AltChoice>,
    pub continue_on_error: bool,
    pub check: Option<Expr>,
    /// `retry=N`: run the step up to N times until it and its checks pass.
    pub retry: Option<u32>,
    /// `interval=DURATION` between attempts.
    pub interval: Option<Duration>,
    /// `until="EXPR"`: a check that makes the step wait (re-run) until it holds.
    pub until: Option<Expr>,
    /// `tag=a,b` (Runme `tag`, `category`): what `--tag` selects.
    pub tags: Vec<String>,
    /// `exclude-from-run-all` (Runme `excludeFromRunAll`): left out of a
    /// whole-runbook run, run only when selected by name.
    pub exclude_from_run_all: bool,
    /// `cwd=DIR` (Runme `cwd`): the directory the step runs in, relative
    /// to the runbook's directory.
    pub cwd: Option<String>,
    /// `stream=DURATION`: a command that never ends by itself (`logs -f`,
    /// `port-forward`) is followed for that long, then ended as a success.
    pub stream: Option<Duration>,
    /// `sequence`: every command of the block runs, in order, even where
    /// its comments read like a menu (`# Or …`, `# Option 2`).
    pub sequence: bool,
    /// `no-checkpoint`: the block's comments are not work for the person
    /// running it (`# Edit …` says what was done before).
    pub no_checkpoint: bool,
    /// `background` (Runme's key): the step starts a helper that runs
    /// beside the rest of its section (a port-forward), not waited for.
    pub background: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "decision", content = "reason")]
pub enum Confirm {
    Always(Option<String>),
    Never,
}

/// Validates the attributes of one block (comment first, then info string).
pub fn read<'a>(attrs: impl IntoIterator<Item = &'a Attr>, d: &mut Vec<Diagnostic>) -> StepOptions {
    let mut options = StepOptions::default();
    let mut seen: Vec<(&str, Span)> = Vec::new();
    let mut mode_span: Option<Span> = None;
    let mut confirm_span: Option<Span> = None;
    for attr in attrs {
        let key = canonical(&attr.key);
        if FOREIGN_KEYS.contains(&attr.key.as_str()) {
            continue;
        }
        if UNSUPPORTED.contains(&attr.key.as_str()) {
            unsupported(attr, d);
            continue;
        }
        if seen.iter().any(|(k, _)| *k == key) {
            d.push(
                Diagnostic::error(
                    "annotation-duplicate",
                    format!("`{key}` is given twice for this block"),
                )
                .at(attr.span)
                .help("remove one of them (an annotation comment and the info string count as one list)"),
            );
            continue;
        }
        match key {
            "name" => match value(attr, d) {
                Some(v) if is_step_id(v) => options.name = Some((v.to_owned(), attr.span)),
                Some(v) => d.push(
                    Diagnostic::error(
                        "annotation-value",
                        format!("`{v}` is not a valid step name"),
                    )
                    .at(attr.span)
                    .help("use letters, digits, `-`, `_`, `.`, `:` and `/`, e.g. name=rollback-backend"),
                ),
                None => {}
            },
            "confirm" | "no-confirm" => {
                if confirm_span.is_some() {
                    d.push(
                        Diagnostic::error(
                            "annotation-conflict",
                            "`confirm` and `no-confirm` contradict each other",
                        )
                        .at(attr.span)
                        .help("keep one of them"),
                    );
                    continue;
                }
                confirm_span = Some(attr.span);
                options.confirm = Some(if key == "confirm" {
                    match attr.value.as_deref() {
                        Some("false") => Confirm::Never,
                        Some("true") | None => Confirm::Always(None),
                        Some(reason) => Confirm::Always(Some(reason.to_owned())),
                    }
                } else {
                    Confirm::Never
                });
            }
            "timeout" => {
                if let Some(v) = value(attr, d) {
                    match parse_duration(v) {
                        Ok(t) if !t.is_zero() => options.timeout = Some(t),
                        Ok(_) => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                "a timeout of zero would stop the step at once",
                            )
                            .at(attr.span)
                            .help("give a positive duration, e.g. timeout=10m"),
                        ),
                        Err(err) => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                format!("`{v}` is not a duration: {err}"),
                            )
                            .at(attr.span)
                            .help("write a duration such as 30s, 15m or 1h30m"),
                        ),
                    }
                }
            }
            "interactive" => options.interactive = flag(attr, d),
            "sequence" => options.sequence = flag(attr, d),
            "no-checkpoint" => options.no_checkpoint = flag(attr, d),
            "background" => options.background = flag(attr, d),
            "stream" => {
                if let Some(v) = value(attr, d) {
                    match parse_duration(v) {
                        Ok(t) if t.as_secs() >= 1 => options.stream = Some(t),
                        Ok(_) => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                "a stream shorter than a second shows nothing",
                            )
                            .at(attr.span)
                            .help("give a duration of a second or more, e.g. stream=30s"),
                        ),
                        Err(err) => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                format!("`{v}` is not a duration: {err}"),
                            )
                            .at(attr.span)
                            .help("write a duration such as 30s, 5m or 1h"),
                        ),
                    }
                }
            }
            "continue-on-error" => options.continue_on_error = flag(attr, d),
            "exclude-from-run-all" => options.exclude_from_run_all = flag(attr, d),
            "cwd" => options.cwd = value(attr, d).map(str::to_owned),
            "tag" => {
                if let Some(v) = value(attr, d) {
                    for tag in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        if !options.tags.iter().any(|t| t == tag) {
                            options.tags.push(tag.to_owned());
                        }
                    }
                }
            }
            "skip" | "manual" => {
                if !flag(attr, d) {
                    continue;
                }
                if mode_span.is_some() {
                    d.push(
                        Diagnostic::error(
                            "annotation-conflict",
                            "`skip` and `manual` contradict each other",
                        )
                        .at(attr.span)
                        .help("keep one of them"),
                    );
                    continue;
                }
                mode_span = Some(attr.span);
                options.mode = if key == "skip" {
                    Mode::Skip
                } else {
                    Mode::Manual
                };
            }
            "when" | "check" | "until" => {
                if let Some(v) = value(attr, d) {
                    let expr = Expr {
                        source: v.to_owned(),
                        span: attr.span,
                    };
                    match key {
                        "when" => options.when = Some(expr),
                        "check" => options.check = Some(expr),
                        _ => options.until = Some(expr),
                    }
                }
            }
            "retry" => {
                if let Some(v) = value(attr, d) {
                    match v.parse::<u32>() {
                        Ok(n) if (1..=10_000).contains(&n) => options.retry = Some(n),
                        _ => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                format!("`retry={v}` is not a number of attempts"),
                            )
                            .at(attr.span)
                            .help("write the most attempts to make, 1 to 10000, e.g. retry=30"),
                        ),
                    }
                }
            }
            "interval" => {
                if let Some(v) = value(attr, d) {
                    match parse_duration(v) {
                        Ok(t) => options.interval = Some(t),
                        Err(err) => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                format!("`{v}` is not a duration: {err}"),
                            )
                            .at(attr.span)
                            .help("write a duration such as 10s or 1m"),
                        ),
                    }
                }
            }
            "alt" => {
                if let Some(v) = value(attr, d) {
                    match v.split_once('=') {
                        Some((var, val))
                            if is_variable_name(var.trim()) && !val.trim().is_empty() =>
                        {
                            options.alt = Some(AltChoice {
                                variable: var.trim().to_owned(),
                                value: val.trim().to_owned(),
                                span: attr.span,
                                read_from: ReadFrom::Annotation,
                                label: None,
                            });
                        }
                        _ => d.push(
                            Diagnostic::error(
                                "annotation-value",
                                format!("`alt={v}` must name a variable and a value"),
                            )
                            .at(attr.span)
                            .help("write alt=\"VARIABLE=value\", e.g. alt=\"CLOUD_PROVIDER=eks\""),
                        ),
                    }
                }
            }
            _ if attr.runme => {
                // Runme grows keys; its files must still read. Said once,
                // so that a misspelt litops key in JSON is noticed.
                d.push(
                    Diagnostic::warning(
                        "annotation-unknown-key",
                        format!("`{}` is not a Runme key litops knows; it is ignored", attr.key),
                    )
                    .at(attr.span)
                    .help(match suggest(&attr.key, KEYS.iter().chain(RUNME_KEYS).copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "if it changes how the cell runs, check the step by hand".to_owned(),
                    }),
                );
                continue;
            }
            _ => {
                let mut diag = Diagnostic::error(
                    "annotation-unknown-key",
                    format!("unknown annotation `{}`", attr.key),
                )
                .at(attr.span)
                .label("not a litops annotation");
                diag = match suggest(&attr.key, KEYS.iter().copied()) {
                    Some(s) => diag.help(format!("did you mean `{s}`?")),
                    None => diag.help(format!("litops annotations are: {}", KEYS.join(", "))),
                };
                d.push(diag);
                continue;
            }
        }
        seen.push((key, attr.span));
    }
    options
}

/// A Runme key litops cannot honour yet, when its value asks for something
/// other than what litops does anyway.
fn unsupported(attr: &Attr, d: &mut Vec<Diagnostic>) {
    let value = attr.value.as_deref();
    // `interpreter` is the only one: bash and sh are what litops runs anyway.
    let differs = value.is_some_and(|v| {
        let program = v.split_whitespace().next().unwrap_or("");
        let program = crate::shell::program_name(program);
        !matches!(program, "" | "bash" | "sh")
    });
    let what = "the step runs with the runbook's shell, not with `interpreter`";
    if differs {
        d.push(
            Diagnostic::warning(
                "annotation-unsupported",
                format!("litops does not act on `{}` yet: {what}", attr.key),
            )
            .at(attr.span)
            .help("make the block do it itself, or mark it `skip`"),
        );
    }
}

/// Runme's spellings of litops keys.
const RUNME_KEYS: &[&str] = &["excludeFromRunAll", "continueOnError", "category", "ignore"];

/// Runme spellings of our keys.
fn canonical(key: &str) -> &str {
    match key {
        // Left out of "run all", but still run when asked for by name: not `skip`.
        "excludeFromRunAll" => "exclude-from-run-all",
        "continueOnError" => "continue-on-error",
        // `category` is Runme's older name for `tag`.
        "category" => "tag",
        // A cell Runme does not run at all.
        "ignore" => "skip",
        other => other,
    }
}

fn value<'a>(attr: &'a Attr, d: &mut Vec<Diagnostic>) -> Option<&'a str> {
    match attr.value.as_deref() {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            d.push(
                Diagnostic::error("annotation-value", format!("`{}` needs a value", attr.key))
                    .at(attr.span)
                    .help(format!("write {}=VALUE", attr.key)),
            );
            None
        }
    }
}

fn flag(attr: &Attr, d: &mut Vec<Diagnostic>) -> bool {
    match attr.value.as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            d.push(
                Diagnostic::error(
                    "annotation-value",
                    format!("`{}` is a flag, not `{other}`", attr.key),
                )
                .at(attr.span)
                .help(format!(
                    "write `{}` alone (or {}=false)",
                    attr.key, attr.key
                )),
            );
            false
        }
    }
}

pub fn is_step_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('/')
        && !id.ends_with('/')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(key: &str, value: Option<&str>) -> Attr {
        Attr {
            key: key.into(),
            value: value.map(Into::into),
            span: Span::new(0, 1),
            runme: false,
        }
    }

    fn runme(key: &str, value: Option<&str>) -> Attr {
        Attr {
            runme: true,
            ..attr(key, value)
        }
    }

    #[test]
    fn every_key_reads() {
        let attrs = [
            attr("name", Some("deploy")),
            attr("confirm", Some("touches prod")),
            attr("timeout", Some("15m")),
            attr("interactive", None),
            attr("manual", None),
            attr("when", Some("CLOUD == \"gke\"")),
            attr("alt", Some("CLOUD=gke")),
            attr("continue-on-error", None),
            attr("check", Some("exit_code == 0")),
            attr("title", Some("ignored")),
        ];
        let mut d = Vec::new();
        let o = read(&attrs, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(o.name.map(|n| n.0).as_deref(), Some("deploy"));
        assert_eq!(
            o.confirm,
            Some(Confirm::Always(Some("touches prod".into())))
        );
        assert_eq!(o.timeout, Some(Duration::from_secs(900)));
        assert!(o.interactive && o.continue_on_error);
        assert_eq!(o.mode, Mode::Manual);
        assert_eq!(
            o.alt.map(|a| (a.variable, a.value)),
            Some(("CLOUD".into(), "gke".into()))
        );
    }

    #[test]
    fn mistakes_are_diagnosed() {
        let cases: &[(&[Attr], &str, &str)] = &[
            (
                &[attr("timout", Some("5m"))],
                "annotation-unknown-key",
                "did you mean `timeout`?",
            ),
            (
                &[attr("timeout", Some("soon"))],
                "annotation-value",
                "write a duration such as 30s, 15m or 1h30m",
            ),
            (
                &[attr("confirm", None), attr("no-confirm", None)],
                "annotation-conflict",
                "keep one of them",
            ),
            (
                &[attr("skip", None), attr("manual", None)],
                "annotation-conflict",
                "keep one of them",
            ),
            (
                &[attr("name", Some("a b"))],
                "annotation-value",
                "use letters, digits, `-`, `_`, `.`, `:` and `/`, e.g. name=rollback-backend",
            ),
            (
                &[attr("alt", Some("eks"))],
                "annotation-value",
                "write alt=\"VARIABLE=value\", e.g. alt=\"CLOUD_PROVIDER=eks\"",
            ),
            (
                &[attr("name", Some("a")), attr("name", Some("b"))],
                "annotation-duplicate",
                "remove one of them (an annotation comment and the info string count as one list)",
            ),
            (
                &[attr("interactive", Some("yes"))],
                "annotation-value",
                "write `interactive` alone (or interactive=false)",
            ),
            (
                &[attr("when", None)],
                "annotation-value",
                "write when=VALUE",
            ),
        ];
        for (attrs, code, help) in cases {
            let mut d = Vec::new();
            read(attrs.iter(), &mut d);
            assert_eq!(d.len(), 1, "{attrs:?}");
            assert_eq!((d[0].code, d[0].help.as_deref()), (*code, Some(*help)));
        }
    }

    #[test]
    fn runme_keys() {
        let attrs = [
            runme("name", Some("build:frontend/app")),
            runme("excludeFromRunAll", Some("true")),
            runme("interactive", Some("false")),
            runme("category", Some("build, test")),
            runme("cwd", Some(".")),
            runme("background", Some("false")),
            runme("mimetype", Some("text/plain")),
            runme("mimeType", Some("text/plain")),
            runme("transform", Some("false")),
            runme("openTerminalOnError", Some("true")),
            runme("promptEnv", Some("never")),
            runme("terminalRows", Some("20")),
            runme("interpreter", Some("bash")),
            runme("id", Some("01HF7B0KK32HBQ9X4AC2GPMZG5")),
        ];
        let mut d = Vec::new();
        let o = read(&attrs, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(o.name.map(|n| n.0).as_deref(), Some("build:frontend/app"));
        assert_eq!(o.mode, Mode::Run);
        assert!(o.exclude_from_run_all && !o.interactive);
        assert_eq!(o.tags, ["build", "test"]);
        assert_eq!(o.cwd.as_deref(), Some("."));

        let mut d = Vec::new();
        let o = read(&[runme("ignore", None), runme("tag", Some("db"))], &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!((o.mode, o.tags), (Mode::Skip, vec!["db".to_owned()]));
    }

    #[test]
    fn runme_keys_litops_cannot_honour_are_said() {
        for (attr, said) in [
            (runme("interpreter", Some("python3")), true),
            (runme("interpreter", Some("/bin/bash -e")), false),
        ] {
            let mut d = Vec::new();
            read([&attr], &mut d);
            let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
            let want: &[&str] = if said {
                &["annotation-unsupported"]
            } else {
                &[]
            };
            assert_eq!(codes, want, "{attr:?}");
        }
    }

    #[test]
    fn unknown_runme_keys_warn_and_litops_keys_are_errors() {
        let mut d = Vec::new();
        read(&[runme("newRunmeKey", Some("1"))], &mut d);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].code, d[0].is_error()),
            ("annotation-unknown-key", false)
        );
        let mut d = Vec::new();
        read(&[runme("excludeFromRunAl", None)], &mut d);
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean `excludeFromRunAll`?")
        );
        let mut d = Vec::new();
        read(&[attr("newRunmeKey", Some("1"))], &mut d);
        assert!(d[0].is_error());
    }
}
