//! Where variable values come from.
//!
//! One precedence, documented in the README: `--set` > `--vars` files (later
//! files win) > the environment > front-matter defaults > the value written in
//! the document (an env-prefix literal, per use). Interactive prompts, the
//! last source, belong to `run`. Values are data: nothing here quotes or
//! splices them; `plan` does that per quoting context.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::model::meta::as_written;

use crate::diag::suggest;
use crate::model::meta::is_variable_name;
use crate::model::{Runbook, VariableKind, axes};
use crate::shell::placeholder;

/// Raw inputs from the command line and the process.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--set K=V`, in order.
    pub sets: Vec<String>,
    /// `--vars FILE`, in order.
    pub var_files: Vec<PathBuf>,
    /// `--env-file FILE` (dotenv), in order, read after the `--vars` files.
    pub env_files: Vec<PathBuf>,
    /// The process environment (only names the runbook uses are read).
    pub env: BTreeMap<String, String>,
    /// `--secret-file NAME=PATH`: a value read from a file, always secret.
    pub secret_files: Vec<String>,
    /// `--choose AXIS=OPTION`: alternatives chosen, after everything else.
    pub chooses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum Origin {
    Set,
    /// `--choose AXIS=OPTION`.
    Choose,
    VarsFile(PathBuf),
    EnvFile(PathBuf),
    Environment,
    FrontMatter,
    /// Typed by the operator when the run asked.
    Prompt,
    /// `--secret-file`: secret whatever its name.
    SecretFile(PathBuf),
}

impl Origin {
    /// Values from this source are secret, whatever the variable's name.
    pub fn is_secret(&self) -> bool {
        matches!(self, Origin::SecretFile(_))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Set => f.write_str("--set"),
            Origin::Choose => f.write_str("--choose"),
            Origin::VarsFile(p) => write!(f, "--vars {}", p.display()),
            Origin::EnvFile(p) => write!(f, "--env-file {}", p.display()),
            Origin::Prompt => f.write_str("prompt"),
            Origin::Environment => f.write_str("environment"),
            Origin::FrontMatter => f.write_str("front matter"),
            Origin::SecretFile(p) => write!(f, "--secret-file {}", p.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub value: String,
    pub source: Origin,
}

/// Values bound for one runbook. Variables absent here fall back to the
/// document's literal at each use, or are unbound.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    pub values: BTreeMap<String, Bound>,
    /// Things worth telling the user that do not stop anything.
    pub warnings: Vec<String>,
}

impl Bindings {
    pub fn get(&self, name: &str) -> Option<&Bound> {
        self.values.get(name)
    }

    /// Declared or named secret, or bound from a secret source.
    pub fn is_secret(&self, runbook: &Runbook, name: &str) -> bool {
        runbook.variable(name).is_some_and(|v| v.secret)
            || self.get(name).is_some_and(|b| b.source.is_secret())
    }

    /// Whether `name`'s value is masked wherever it is shown: a secret, or
    /// a name that says it holds one. A choice (`--choose`) names an
    /// option, never a secret, whatever its group is called (a menu of
    /// the step `…-service-account-token`).
    pub fn is_masked(&self, runbook: &Runbook, name: &str) -> bool {
        self.is_secret(runbook, name)
            || (crate::model::is_secret_name(name)
                && self.get(name).is_none_or(|b| b.source != Origin::Choose))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BindError {
    #[error("--set {0:?} is not of the form NAME=VALUE")]
    BadSet(String),
    #[error(
        "`{0}` is not a valid variable name (letters, digits and `_`, not starting with a digit)"
    )]
    BadName(String),
    #[error("cannot read vars file {path}: {message}")]
    VarsFile { path: PathBuf, message: String },
    #[error("cannot read secret file {path}: {message}")]
    SecretFile { path: PathBuf, message: String },
    #[error("{name}={value:?} is not allowed; {name} must be one of: {allowed}")]
    NotAllowed {
        name: String,
        value: String,
        allowed: String,
    },
    #[error("--choose {0:?} is not of the form AXIS=OPTION")]
    BadChoose(String),
    #[error("--choose {axis}: this runbook has no such group of alternatives{known}")]
    NoAxis { axis: String, known: String },
    #[error("--choose {axis}={option}: not one of its options ({options})")]
    NoOption {
        axis: String,
        option: String,
        options: String,
    },
}

/// Binds the runbook's variables from the inputs.
pub fn bind(runbook: &Runbook, inputs: &Inputs) -> Result<Bindings, BindError> {
    let mut bindings = Bindings::default();
    // Lowest precedence first; later sources overwrite.
    for var in &runbook.variables {
        if let Some(default) = var.declared.as_ref().and_then(|d| d.default.clone()) {
            bindings.values.insert(
                var.name.clone(),
                Bound {
                    value: default,
                    source: Origin::FrontMatter,
                },
            );
        }
        // `<user>` in a runbook is someone's account name, not the login
        // that the environment's USER holds: the environment never fills a
        // placeholder named like the variables every shell has.
        let ambient = var.kind == VariableKind::Placeholder && crate::model::is_ambient(&var.name);
        // An axis litops named (`cloud`, `os`) is chosen on purpose, never
        // by whatever the environment happens to hold.
        let axis = axes::kind_named(&var.name).is_some();
        if let Some(value) = inputs.env.get(&var.name).filter(|_| !ambient && !axis) {
            bindings.values.insert(
                var.name.clone(),
                Bound {
                    value: value.clone(),
                    source: Origin::Environment,
                },
            );
        }
    }
    let mut given: Vec<(String, String, Origin)> = Vec::new();
    for path in &inputs.var_files {
        let source = Origin::VarsFile(path.clone());
        given.extend(
            read_vars_file(path)?
                .into_iter()
                .map(|(n, v)| (n, v, source.clone())),
        );
    }
    for path in &inputs.env_files {
        let source = Origin::EnvFile(path.clone());
        given.extend(
            read_env_file(path)?
                .into_iter()
                .map(|(n, v)| (n, v, source.clone())),
        );
    }
    for spec in &inputs.secret_files {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| BindError::BadSet(spec.clone()))?;
        let path = PathBuf::from(path);
        let value = read_input(&path).map_err(|message| BindError::SecretFile {
            path: path.clone(),
            message,
        })?;
        // A file written by `echo` or an editor ends with a newline that is not part of the secret.
        let value = value.strip_suffix('\n').unwrap_or(&value);
        let value = value.strip_suffix('\r').unwrap_or(value).to_owned();
        given.push((name.trim().to_owned(), value, Origin::SecretFile(path)));
    }
    for set in &inputs.sets {
        let (name, value) = set
            .split_once('=')
            .ok_or_else(|| BindError::BadSet(set.clone()))?;
        given.push((name.trim().to_owned(), value.to_owned(), Origin::Set));
    }
    for spec in &inputs.chooses {
        for (name, value) in choose(runbook, spec)? {
            given.push((name, value, Origin::Choose));
        }
    }
    // In precedence order: a later source overwrites an earlier one.
    for (name, value, source) in given {
        // A choice names its group as the runbook does (`package-manager`,
        // a menu's step id), not as a shell variable.
        let name = if source == Origin::Choose {
            name
        } else {
            canonical_name(runbook, &name)?
        };
        if source != Origin::Choose {
            note_unknown(runbook, &name, &mut bindings.warnings);
        }
        bindings.values.insert(name, Bound { value, source });
    }
    for (name, bound) in &bindings.values {
        if let Some(decl) = runbook.variable(name).and_then(|v| v.declared.as_ref())
            && !decl.values.is_empty()
            && !decl.values.contains(&bound.value)
        {
            // A secret's value is never printed, not even a wrong one.
            let value = if bindings.is_masked(runbook, name) {
                format!("[REDACTED:{name}]")
            } else {
                bound.value.clone()
            };
            return Err(BindError::NotAllowed {
                name: name.clone(),
                value,
                allowed: decl.values.join(", "),
            });
        }
    }
    Ok(bindings)
}

/// `--choose AXIS=OPTION`: the groups of alternatives it chooses, as
/// (variable, value). AXIS is a group's variable (`CLOUD_PROVIDER`) or the
/// kind of axis its options name (`cloud`); OPTION is one of the group's
/// values, or any word that names the same option (`eks`, `aws`, `amazon`).
pub fn choose(runbook: &Runbook, spec: &str) -> Result<Vec<(String, String)>, BindError> {
    let (axis, option) = spec
        .split_once('=')
        .map(|(a, o)| (a.trim(), o.trim()))
        .filter(|(a, o)| !a.is_empty() && !o.is_empty())
        .ok_or_else(|| BindError::BadChoose(spec.to_owned()))?;
    let groups: Vec<&crate::model::AlternativeGroup> = runbook
        .alternatives
        .iter()
        // A group nested in a choice of its own axis (`os/linux`) is
        // chosen by its own name only.
        .filter(|g| g.variable == axis || (g.axis == Some(axis) && !g.variable.contains('/')))
        .collect();
    // A menu: the step, by any name `--step` takes; the entry by number or
    // by its label's words.
    if groups.is_empty()
        && let Ok(index) = crate::plan::select::find_step(runbook, axis)
        && let Some(first) = runbook.steps[index].segments.first().filter(|g| g.menu)
    {
        let segments = &runbook.steps[index].segments;
        let wanted = axes::words(option);
        let by_label: Vec<&crate::model::Segment> = segments
            .iter()
            .filter(|g| {
                let words = axes::words(&g.label);
                words
                    .windows(wanted.len().max(1))
                    .any(|w| w == wanted.as_slice())
            })
            .collect();
        let entry = segments
            .iter()
            .find(|g| g.value == option)
            .or(match by_label.as_slice() {
                [one] => Some(*one),
                _ => None,
            });
        return match entry {
            Some(entry) => Ok(vec![(first.variable.clone(), entry.value.clone())]),
            None => Err(BindError::NoOption {
                axis: axis.to_owned(),
                option: option.to_owned(),
                options: segments
                    .iter()
                    .map(|g| format!("{} {}", g.value, g.label))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        };
    }
    if groups.is_empty() {
        let mut names: Vec<&str> = runbook
            .alternatives
            .iter()
            .flat_map(|g| std::iter::once(g.variable.as_str()).chain(g.axis))
            .collect();
        names.dedup();
        let known = if names.is_empty() {
            String::new()
        } else {
            format!(" (it has: {})", names.join(", "))
        };
        return Err(BindError::NoAxis {
            axis: axis.to_owned(),
            known,
        });
    }
    let mut out = Vec::new();
    for group in groups {
        let values: Vec<&str> = group.options.iter().map(|(v, _)| v.as_str()).collect();
        let exact = values.iter().find(|v| v.eq_ignore_ascii_case(option));
        // Numbered sections ("Method 2: Helm"): words of the title choose too.
        let wanted = axes::words(option);
        let labelled: Vec<&str> = group
            .options
            .iter()
            .filter(|(_, steps)| {
                steps.iter().any(|&s| {
                    runbook.steps[s]
                        .alternative
                        .as_ref()
                        .and_then(|a| a.label.as_deref())
                        .is_some_and(|label| {
                            axes::words(label)
                                .windows(wanted.len().max(1))
                                .any(|w| w == wanted.as_slice())
                        })
                })
            })
            .map(|(v, _)| v.as_str())
            .collect();
        let exact = exact.or(match labelled.as_slice() {
            [one] => Some(one),
            _ => None,
        });
        let named = || {
            let (kind, options) = axes::kind_of(&values)?;
            let wanted = axes::names_one(option, kind)?;
            options.iter().position(|o| *o == wanted).map(|i| values[i])
        };
        match exact.copied().or_else(named) {
            Some(value) => out.push((group.variable.clone(), value.to_owned())),
            None => {
                return Err(BindError::NoOption {
                    axis: axis.to_owned(),
                    option: option.to_owned(),
                    options: values.join(", "),
                });
            }
        }
    }
    Ok(out)
}

/// `--set '<pod-name>=x'` and `--set your-project-id=x` name placeholders by
/// their text; everything else must be a variable name. A placeholder that
/// is an env prefix's value (`GCP_PROJECT_ID=your-project-id`) is that
/// variable, and the name its text would have had (`PROJECT_ID`) binds it
/// too.
fn canonical_name(runbook: &Runbook, name: &str) -> Result<String, BindError> {
    if let Some(var) = runbook
        .variables
        .iter()
        .find(|v| v.placeholder.as_deref() == Some(name))
    {
        return Ok(var.name.clone());
    }
    if is_variable_name(name)
        && runbook.variable(name).is_none()
        && let Some(var) = runbook.variables.iter().find(|v| {
            v.placeholder
                .as_deref()
                .is_some_and(|p| placeholder::variable_name(p) == name)
        })
    {
        return Ok(var.name.clone());
    }
    if !placeholder::find(name).is_empty() && !is_variable_name(name) {
        return Ok(placeholder::variable_name(name));
    }
    if is_variable_name(name) {
        Ok(name.to_owned())
    } else {
        Err(BindError::BadName(name.to_owned()))
    }
}

fn note_unknown(runbook: &Runbook, name: &str, warnings: &mut Vec<String>) {
    if runbook.variable(name).is_some() {
        return;
    }
    let hint = suggest(name, runbook.variables.iter().map(|v| v.name.as_str()))
        .map(|s| format!("; did you mean {s}?"))
        .unwrap_or_default();
    warnings.push(format!("{name} is not used by this runbook{hint}"));
}

/// Input files are read up to this size: `/dev/zero` or a FIFO that never
/// ends must not take all memory.
const INPUT_LIMIT: u64 = 16 * 1024 * 1024;

/// A vars, env or secret file as text, refused past [`INPUT_LIMIT`].
fn read_input(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(INPUT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > INPUT_LIMIT {
        return Err(format!("it is larger than {} MiB", INPUT_LIMIT >> 20));
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// A dotenv file: `NAME=value` lines, `export ` allowed, `#` comments,
/// values optionally in single (literal) or double quotes (`\n`, `\"`,
/// `\\` escapes). Nothing is expanded: a value is data.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, BindError> {
    let text = read_input(path).map_err(|message| BindError::VarsFile {
        path: path.to_owned(),
        message,
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let error = |message: &str| BindError::VarsFile {
            path: path.to_owned(),
            message: format!("line {}: {message}", n + 1),
        };
        let (name, raw) = line
            .split_once('=')
            .ok_or_else(|| error("expected NAME=value"))?;
        let raw = raw.trim();
        let value = if let Some(inner) = raw.strip_prefix('\'') {
            inner
                .strip_suffix('\'')
                .ok_or_else(|| error("single quote is not closed"))?
                .to_owned()
        } else if let Some(inner) = raw.strip_prefix('"') {
            let inner = inner
                .strip_suffix('"')
                .ok_or_else(|| error("double quote is not closed"))?;
            let mut value = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match (c, c == '\\') {
                    (_, true) => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(other) => value.push(other),
                        None => value.push('\\'),
                    },
                    (c, false) => value.push(c),
                }
            }
            value
        } else {
            // Unquoted: a trailing ` # comment` is not part of the value.
            raw.split(" #").next().unwrap_or(raw).trim_end().to_owned()
        };
        out.push((name.trim().to_owned(), value));
    }
    Ok(out)
}

/// A YAML or JSON mapping of names to scalar values.
fn read_vars_file(path: &Path) -> Result<Vec<(String, String)>, BindError> {
    let error = |message: String| BindError::VarsFile {
        path: path.to_owned(),
        message,
    };
    let text = read_input(path).map_err(error)?;
    let value: Value = if text.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| error(e.to_string().lines().next().unwrap_or("").to_owned()))?
    };
    let Value::Object(map) = value else {
        return Err(error("expected a mapping of NAME: value".to_owned()));
    };
    // Values are text as written: `1.10` is not the number 1.1.
    let raw = crate::model::meta::raw::parse(&text);
    map.into_iter()
        .map(|(name, value)| {
            let raw = raw.as_ref().and_then(|r| r.get(&name));
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => as_written(raw, n.to_string()),
                Value::Bool(b) => as_written(raw, b.to_string()),
                Value::Null => String::new(),
                _ => {
                    return Err(error(format!(
                        "the value of {name} must be a string, number or boolean"
                    )));
                }
            };
            Ok((name, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lower;
    use crate::source::SourceFile;
    use crate::syntax;

    fn runbook() -> Runbook {
        let text = "---\nlitops:\n  vars:\n    CLOUD:\n      default: gke\n      values: [gke, eks]\n    REGION: eu-west-1\n---\n```bash\necho $CLOUD $REGION $NAME\nkubectl logs <pod-name>\n```\n";
        let file = SourceFile::new("t.md", text);
        let doc = syntax::parse(&file);
        lower(file, doc)
    }

    #[test]
    fn precedence_set_over_file_over_env_over_front_matter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vars = dir.path().join("vars.yaml");
        std::fs::write(&vars, "REGION: from-file\nNAME: file-name\n").expect("write");
        let inputs = Inputs {
            sets: vec!["NAME=from-set".into(), "<pod-name>=web-1".into()],
            var_files: vec![vars.clone()],
            env_files: Vec::new(),
            secret_files: Vec::new(),
            chooses: Vec::new(),
            env: [
                ("REGION".to_owned(), "from-env".to_owned()),
                ("CLOUD".to_owned(), "eks".to_owned()),
            ]
            .into(),
        };
        let b = bind(&runbook(), &inputs).expect("bind");
        assert_eq!(
            b.get("NAME").map(|b| (b.value.as_str(), &b.source)),
            Some(("from-set", &Origin::Set))
        );
        assert_eq!(b.get("REGION").map(|b| b.value.as_str()), Some("from-file"));
        assert_eq!(
            b.get("CLOUD").map(|b| (b.value.as_str(), &b.source)),
            Some(("eks", &Origin::Environment))
        );
        assert_eq!(b.get("POD_NAME").map(|b| b.value.as_str()), Some("web-1"));
        assert!(b.warnings.is_empty());
    }

    #[test]
    fn env_files_are_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = dir.path().join(".env");
        std::fs::write(
            &env,
            "# c\nexport NAME=\"a \\\"b\\\"\\nc\"\nREGION='$(no)' \nCLOUD=eks # pick\n",
        )
        .expect("write");
        let inputs = Inputs {
            env_files: vec![env],
            ..Inputs::default()
        };
        let b = bind(&runbook(), &inputs).expect("bind");
        assert_eq!(b.get("NAME").map(|b| b.value.as_str()), Some("a \"b\"\nc"));
        assert_eq!(b.get("REGION").map(|b| b.value.as_str()), Some("$(no)"));
        assert_eq!(b.get("CLOUD").map(|b| b.value.as_str()), Some("eks"));
    }

    #[test]
    fn bad_inputs_are_errors_and_typos_warnings() {
        let rb = runbook();
        let with = |set: &str| {
            bind(
                &rb,
                &Inputs {
                    sets: vec![set.into()],
                    ..Inputs::default()
                },
            )
        };
        assert_eq!(
            with("NOEQUALS").err(),
            Some(BindError::BadSet("NOEQUALS".into()))
        );
        assert_eq!(with("1X=a").err(), Some(BindError::BadName("1X".into())));
        assert!(matches!(
            with("CLOUD=aws"),
            Err(BindError::NotAllowed { .. })
        ));
        let b = with("REGON=x").expect("bind");
        assert_eq!(
            b.warnings,
            vec!["REGON is not used by this runbook; did you mean REGION?"]
        );
    }
}
