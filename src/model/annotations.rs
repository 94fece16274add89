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
];

/// Keys other tools write in the same places; accepted and ignored.
const FOREIGN_KEYS: &[&str] = &[
    ".",
    "title",
    "linenums",
    "hl_lines",
    "linenostart",
    "class",
    // Runme
    "id",
    "background",
    "closeTerminalOnSuccess",
    "cwd",
    "promptEnv",
    "terminalRows",
    "category",
    "mimeType",
    "interpreter",
];

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
                    .help("use letters, digits, `-`, `_`, `.` and `/`, e.g. name=rollback-backend"),
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
            "continue-on-error" => options.continue_on_error = flag(attr, d),
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

/// Runme spellings of our keys.
fn canonical(key: &str) -> &str {
    match key {
        "excludeFromRunAll" => "skip",
        "continueOnError" => "continue-on-error",
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
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(key: &str, value: Option<&str>) -> Attr {
        Attr {
            key: key.into(),
            value: value.map(Into::into),
            span: Span::new(0, 1),
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
                "use letters, digits, `-`, `_`, `.` and `/`, e.g. name=rollback-backend",
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
            attr("name", Some("x")),
            attr("excludeFromRunAll", None),
            attr("cwd", Some("/tmp")),
        ];
        let mut d = Vec::new();
        let o = read(&attrs, &mut d);
        assert!(d.is_empty());
        assert_eq!(o.mode, Mode::Skip);
    }
}
