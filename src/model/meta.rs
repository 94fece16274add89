//! Front matter, typed: the keys runbook collections share (title, owner,
//! `last_reviewed`…), unknown keys kept as they are, and the `litops:` block
//! of runbook-level settings (variable declarations, default timeout…).
//!
//! YAML is read with serde-saphyr (maintained, panic-free, with locations);
//! every problem becomes a diagnostic pointing into the front matter.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

pub mod raw;

use crate::diag::{Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::{FrontMatter, FrontMatterFormat};

/// The known front-matter keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Meta {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub area: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub version: Option<String>,
    #[serde(serialize_with = "date_string")]
    pub last_reviewed: Option<jiff::civil::Date>,
    pub aliases: Vec<String>,
    /// Keys litops does not know, kept for renderers and `--format json`.
    pub extra: Map<String, Value>,
}

fn date_string<S: serde::Serializer>(
    date: &Option<jiff::civil::Date>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

/// The `litops:` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    pub vars: Vec<VarDecl>,
    #[serde(with = "duration_text")]
    pub timeout: Option<Duration>,
    pub production: bool,
    pub shell: Option<String>,
    #[serde(with = "duration_text")]
    pub review_every: Option<Duration>,
    /// Rhai expressions that must hold before the first step runs.
    pub preflight: Vec<Preflight>,
    /// Variables whose values, with the runbook, name what a run locks
    /// (one run per cluster, say); empty: the runbook alone.
    pub lock_key: Vec<String>,
    /// Runme's front-matter `cwd`: where steps run, relative to the
    /// runbook's directory (a step's own `cwd` wins).
    pub cwd: Option<String>,
    /// Runme's front-matter `skipPrompts: true`: a run never asks for a
    /// value; a missing one ends it as in an unattended run.
    pub skip_prompts: bool,
}

/// One `litops.preflight` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preflight {
    pub source: String,
    /// The `preflight` key (the list's items have no spans of their own).
    #[serde(skip)]
    pub span: Span,
}

/// A variable declared in `litops.vars`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VarDecl {
    pub name: String,
    pub default: Option<String>,
    pub description: Option<String>,
    pub secret: bool,
    /// Allowed values; empty means any.
    pub values: Vec<String>,
    #[serde(skip)]
    pub span: Span,
}

/// A duration as text (`10s`).
pub(crate) mod duration_one {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

pub(crate) mod duration_text {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

const SETTINGS_KEYS: &[&str] = &[
    "vars",
    "timeout",
    "production",
    "shell",
    "review_every",
    "preflight",
    "lock_key",
];
const VAR_KEYS: &[&str] = &["default", "description", "secret", "values"];

/// Reads front matter into typed metadata and settings.
pub fn read(front: Option<&FrontMatter>, diagnostics: &mut Vec<Diagnostic>) -> (Meta, Settings) {
    let mut meta = Meta::default();
    let mut settings = Settings::default();
    let Some(front) = front else {
        return (meta, settings);
    };
    if front.format == FrontMatterFormat::Toml {
        diagnostics.push(
            Diagnostic::warning(
                "front-matter-toml",
                "TOML front matter (`+++`) is not read by litops",
            )
            .at(front.block)
            .help("use YAML front matter between `---` lines"),
        );
        return (meta, settings);
    }
    let reader = Reader {
        front,
        raw: raw::parse(&front.text),
    };
    let map = match reader.parse() {
        Ok(map) => map,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return (meta, settings);
        }
    };
    for (key, value) in map {
        let span = reader.key_span(&key, 0);
        let d = &mut *diagnostics;
        match key.as_str() {
            "title" => meta.title = reader.string(&key, value, span, d),
            "summary" => meta.summary = reader.string(&key, value, span, d),
            "area" => meta.area = reader.string(&key, value, span, d),
            "status" => meta.status = reader.string(&key, value, span, d),
            "owner" => meta.owner = reader.string(&key, value, span, d),
            "version" => meta.version = reader.string(&key, value, span, d),
            "tags" => meta.tags = reader.strings(&key, value, span, d),
            "aliases" => meta.aliases = reader.strings(&key, value, span, d),
            "last_reviewed" => {
                meta.last_reviewed = reader.string(&key, value, span, d).and_then(|text| {
                    text.parse::<jiff::civil::Date>()
                        .map_err(|err| {
                            d.push(
                                Diagnostic::error(
                                    "front-matter-type",
                                    format!("`last_reviewed` is not a date: {err}"),
                                )
                                .at(span)
                                .help(
                                    "write the date as YYYY-MM-DD, e.g. last_reviewed: 2026-01-31",
                                ),
                            )
                        })
                        .ok()
                });
            }
            "litops" => settings = reader.settings(value, span, d),
            _ => {
                meta.extra.insert(key, value);
            }
        }
    }
    (meta, settings)
}

struct Reader<'a> {
    front: &'a FrontMatter,
    /// The same YAML with scalars as written, for the values of variables.
    raw: Option<raw::Node>,
}

impl Reader<'_> {
    fn parse(&self) -> Result<Map<String, Value>, Diagnostic> {
        if self.front.text.trim().is_empty() {
            return Ok(Map::new());
        }
        let value: Value = serde_saphyr::from_str(&self.front.text).map_err(|err| {
            let span = err
                .location()
                .map(|loc| self.offset_of(loc.line() as usize, loc.column() as usize))
                .map_or(self.front.span, |at| Span::new(at, at + 1));
            let message = err.to_string();
            let first_line = message.lines().next().unwrap_or("invalid YAML");
            // The location is the diagnostic's own (file line, not YAML line).
            let first_line = first_line.strip_prefix("error: ").unwrap_or(first_line);
            let first_line = match first_line
                .strip_prefix("line ")
                .and_then(|r| r.split_once(": "))
            {
                Some((_, rest)) => rest,
                None => first_line,
            };
            Diagnostic::error(
                "front-matter-yaml",
                format!("front matter is not valid YAML: {first_line}"),
            )
            .at(span)
            .help("front matter must be a YAML mapping between `---` lines")
        })?;
        match value {
            Value::Object(map) => Ok(map),
            Value::Null => Ok(Map::new()),
            _ => Err(Diagnostic::error(
                "front-matter-yaml",
                "front matter must be a mapping of keys to values",
            )
            .at(self.front.span)
            .help("write one `key: value` per line")),
        }
    }

    /// File offset of a 1-based line and character column in the front matter.
    fn offset_of(&self, line: usize, column: usize) -> usize {
        let text = &self.front.text;
        let mut offset = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let col: usize = l
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                return self.front.span.start + offset + col;
            }
            offset += l.len();
        }
        self.front.span.start + text.len().min(offset)
    }

    /// The span of `key:` at the given indentation, for diagnostics.
    fn key_span(&self, key: &str, indent: usize) -> Span {
        let text = &self.front.text;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_start_matches(' ');
            let this_indent = line.len() - body.len();
            if (indent == usize::MAX || this_indent == indent)
                && body
                    .trim_start_matches(['"', '\''])
                    .strip_prefix(key)
                    .is_some_and(|r| r.trim_start_matches(['"', '\'']).starts_with(':'))
            {
                let start = self.front.span.start + offset + this_indent;
                return Span::new(start, start + key.len());
            }
            offset += line.len();
        }
        self.front.span
    }

    fn type_error(&self, key: &str, expected: &str, span: Span) -> Diagnostic {
        Diagnostic::error("front-matter-type", format!("`{key}` must be {expected}"))
            .at(span)
            .label(format!("expected {expected}"))
    }

    fn string(
        &self,
        key: &str,
        value: Value,
        span: Span,
        d: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        match scalar(&value) {
            Some(s) => Some(s),
            None if value.is_null() => None,
            None => {
                d.push(self.type_error(key, "a string", span));
                None
            }
        }
    }

    fn strings(&self, key: &str, value: Value, span: Span, d: &mut Vec<Diagnostic>) -> Vec<String> {
        match value {
            Value::Array(items) => {
                let strings: Vec<String> = items.iter().filter_map(scalar).collect();
                if strings.len() != items.len() {
                    d.push(self.type_error(key, "a list of strings", span));
                }
                strings
            }
            Value::Null => Vec::new(),
            // `tags: ops` is common enough to accept as a one-element list.
            other => match scalar(&other) {
                Some(s) => vec![s],
                None => {
                    d.push(self.type_error(key, "a list of strings", span));
                    Vec::new()
                }
            },
        }
    }

    fn bool(&self, key: &str, value: &Value, span: Span, d: &mut Vec<Diagnostic>) -> bool {
        match value {
            Value::Bool(b) => *b,
            Value::Null => false,
            _ => {
                d.push(self.type_error(key, "true or false", span));
                false
            }
        }
    }

    fn duration(
        &self,
        key: &str,
        value: Value,
        span: Span,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Duration> {
        let text = self.string(key, value, span, d)?;
        parse_duration(&text)
            .map_err(|err| {
                d.push(
                    Diagnostic::error(
                        "front-matter-type",
                        format!("`{key}` is not a duration: {err}"),
                    )
                    .at(span)
                    .help("write a duration such as 30s, 15m, 1h30m or 180d"),
                )
            })
            .ok()
    }

    fn settings(&self, value: Value, span: Span, d: &mut Vec<Diagnostic>) -> Settings {
        let mut settings = Settings::default();
        let Value::Object(map) = value else {
            if !value.is_null() {
                d.push(self.type_error("litops", "a mapping of settings", span));
            }
            return settings;
        };
        for (key, value) in map {
            let span = self.key_span(&key, usize::MAX);
            match key.as_str() {
                "vars" => {
                    let raw = self
                        .raw
                        .as_ref()
                        .and_then(|r| r.get("litops"))
                        .and_then(|l| l.get("vars"));
                    settings.vars = self.vars(value, raw, span, d);
                }
                "timeout" => settings.timeout = self.duration("litops.timeout", value, span, d),
                "review_every" => {
                    settings.review_every = self.duration("litops.review_every", value, span, d)
                }
                "production" => {
                    settings.production = self.bool("litops.production", &value, span, d)
                }
                "shell" => settings.shell = self.string("litops.shell", value, span, d),
                "lock_key" => settings.lock_key = self.strings("litops.lock_key", value, span, d),
                "preflight" => {
                    settings.preflight = self
                        .strings("litops.preflight", value, span, d)
                        .into_iter()
                        .map(|source| Preflight { source, span })
                        .collect()
                }
                _ => d.push(unknown_key("litops", &key, SETTINGS_KEYS, span)),
            }
        }
        settings
    }

    /// `litops.vars`. Defaults and allowed values are text as written
    /// (`1.10` stays `1.10`), from `raw` where it has them.
    fn vars(
        &self,
        value: Value,
        raw: Option<&raw::Node>,
        span: Span,
        d: &mut Vec<Diagnostic>,
    ) -> Vec<VarDecl> {
        let Value::Object(map) = value else {
            if !value.is_null() {
                d.push(self.type_error("litops.vars", "a mapping of variable names", span));
            }
            return Vec::new();
        };
        let mut vars = Vec::new();
        for (name, value) in map {
            let span = self.key_span(&name, usize::MAX);
            if name.starts_with(super::RESERVED_PREFIX) {
                d.push(super::reserved_name(&name).at(span));
                continue;
            }
            if !is_variable_name(&name) {
                d.push(
                    Diagnostic::error(
                        "variable-name",
                        format!("`{name}` is not a valid variable name"),
                    )
                    .at(span)
                    .help(
                        "use letters, digits and `_`, not starting with a digit, e.g. CLUSTER_NAME",
                    ),
                );
                continue;
            }
            let raw = raw.and_then(|r| r.get(&name));
            let mut decl = VarDecl {
                name: name.clone(),
                span,
                ..VarDecl::default()
            };
            match value {
                Value::Object(fields) => {
                    for (field, value) in fields {
                        let key = format!("litops.vars.{name}.{field}");
                        match field.as_str() {
                            "default" => {
                                decl.default = self.string(&key, value, span, d).map(|typed| {
                                    as_written(raw.and_then(|r| r.get("default")), typed)
                                })
                            }
                            "description" => decl.description = self.string(&key, value, span, d),
                            "secret" => decl.secret = self.bool(&key, &value, span, d),
                            "values" => {
                                decl.values = self.strings(&key, value, span, d);
                                if let Some(raw::Node::Seq(items)) =
                                    raw.and_then(|r| r.get("values"))
                                    && items.len() == decl.values.len()
                                {
                                    for (value, item) in decl.values.iter_mut().zip(items) {
                                        *value = as_written(Some(item), std::mem::take(value));
                                    }
                                }
                            }
                            _ => d.push(unknown_key(
                                &format!("litops.vars.{name}"),
                                &field,
                                VAR_KEYS,
                                span,
                            )),
                        }
                    }
                }
                other => {
                    decl.default = self
                        .string(&format!("litops.vars.{name}"), other, span, d)
                        .map(|typed| as_written(raw, typed))
                }
            }
            if let Some(default) = decl.default.as_ref().filter(|_| !decl.values.is_empty())
                && !decl.values.contains(default)
            {
                d.push(
                    Diagnostic::error(
                        "variable-value",
                        format!(
                            "the default of {name} ({default}) is not one of its allowed values"
                        ),
                    )
                    .at(span)
                    .help(format!("allowed: {}", decl.values.join(", "))),
                );
            }
            vars.push(decl);
        }
        vars
    }
}

fn unknown_key(parent: &str, key: &str, known: &[&str], span: Span) -> Diagnostic {
    let mut d = Diagnostic::warning(
        "front-matter-unknown-key",
        format!("`{parent}` has no setting `{key}`"),
    )
    .at(span)
    .label("unknown key");
    d = match suggest(key, known.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!("known keys: {}", known.join(", "))),
    };
    d
}

/// A scalar's text as written, when `raw` has it, else as typed.
pub fn as_written(raw: Option<&raw::Node>, typed: String) -> String {
    match raw {
        Some(raw::Node::Scalar(Some(text))) => text.clone(),
        _ => typed,
    }
}

/// Strings, numbers and booleans as text (`version: 1.0` is a string to us).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `30s`, `15m`, `1h30m`, `180d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::syntax;

    fn read_text(text: &str) -> (Meta, Settings, Vec<Diagnostic>) {
        let file = SourceFile::new("t.md", text);
        let doc = syntax::parse(&file);
        let mut d = doc.diagnostics.clone();
        let (meta, settings) = read(doc.front_matter.as_ref(), &mut d);
        (meta, settings, d)
    }

    #[test]
    fn seed_front_matter() {
        let (meta, _, d) = read_text(
            "---\ntitle: \"K\"\ntags: [\"a\", \"b\"]\nversion: \"1.0\"\nlast_reviewed: 2026-01-01\ncustom: 3\n---\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(meta.title.as_deref(), Some("K"));
        assert_eq!(meta.tags, vec!["a", "b"]);
        assert_eq!(
            meta.last_reviewed.map(|d| d.to_string()).as_deref(),
            Some("2026-01-01")
        );
        assert_eq!(meta.extra.get("custom"), Some(&Value::from(3)));
    }

    #[test]
    fn litops_settings_and_vars() {
        let (_, s, d) = read_text(
            "---\nlitops:\n  timeout: 15m\n  production: true\n  vars:\n    CLOUD:\n      values: [gke, eks]\n      description: which cloud\n    REGION: us-east-1\n    DB_PASSWORD:\n      secret: true\n---\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.timeout, Some(Duration::from_secs(900)));
        assert!(s.production);
        assert_eq!(s.vars.len(), 3);
        assert_eq!(s.vars[0].values, vec!["gke", "eks"]);
        assert_eq!(s.vars[1].default.as_deref(), Some("us-east-1"));
        assert!(s.vars[2].secret);
    }

    #[test]
    fn problems_point_into_the_front_matter() {
        let (_, _, d) = read_text("---\ntitle: [unclosed\n---\n");
        assert_eq!(d[0].code, "front-matter-yaml");
        let (_, _, d) = read_text("---\ntags: {a: 1}\nlast_reviewed: yesterday\n---\n");
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["front-matter-type", "front-matter-type"]);
        assert_eq!(d[0].span, Some(Span::new(4, 8)));
        let (_, _, d) = read_text("---\nlitops:\n  timout: 5m\n---\n");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `timeout`?"));
    }
}
