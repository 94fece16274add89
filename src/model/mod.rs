//! The runbook model: what a document means.
//!
//! A [`Runbook`] is built from a [`Document`](crate::syntax::Document) by
//! [`lower`]. It holds sections (the heading tree), steps (one per shell
//! block, with a stable id, options from annotations, a gate decision and the
//! block read as bash), variables (declared and discovered, with every use),
//! alternatives (blocks of which one is chosen by a variable) and the
//! non-shell blocks. Lowering never stops early: every problem is a
//! diagnostic with a span.

mod alternatives;
pub mod annotations;
pub mod axes;
mod checkpoints;
mod classify;
mod dialects;
mod lower;
pub mod meta;
mod remote;
mod slug;

use std::time::Duration;

use serde::Serialize;

pub use annotations::{AltChoice, Confirm, Expr, Mode, ReadFrom};
pub use lower::lower;
pub use meta::{Meta, Preflight, Settings, VarDecl};
pub use slug::slugify;

use crate::diag::Diagnostic;
use crate::shell::classify::Dropped;
use crate::shell::{Risk, Script};
use crate::source::{MappedText, SourceFile, Span};
use crate::syntax::Container;

/// A runbook: sections, steps, variables, alternatives.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// Shared with the plans made from it (check positions at run time).
    pub file: std::sync::Arc<SourceFile>,
    pub meta: Meta,
    pub settings: Settings,
    /// Section 0 is the document itself; the others follow in source order.
    pub sections: Vec<Section>,
    pub steps: Vec<Step>,
    pub variables: Vec<Variable>,
    pub alternatives: Vec<AlternativeGroup>,
    /// Blocks that are not steps (YAML, JSON, output…), in source order.
    pub blocks: Vec<DocBlock>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Slug path of the heading (document title left out), e.g. `deployment-procedures/rollback-deployment`.
    pub id: String,
    pub title: String,
    /// 0 for the document, 1–6 for headings.
    pub level: u8,
    #[serde(skip)]
    pub span: Span,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub steps: Vec<usize>,
}

/// One executable shell block.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    /// Named with `name=`/`#id` rather than derived from headings.
    pub explicit_id: bool,
    pub section: usize,
    /// The first sentence of the prose just before the block, if any.
    pub summary: Option<String>,
    pub lang: String,
    /// The whole fenced block.
    pub span: Span,
    /// The block with its annotation comment and attached `rhai` checks:
    /// an error found in here is this step's, not the file's.
    pub extent: Span,
    /// Why the block cannot run as written (its errors); such a step is
    /// shown by `list` and `plan` and refused by `run`.
    pub unreadable: Vec<String>,
    /// The text that runs (prompts and output removed for sessions), mapped to the file.
    pub text: MappedText,
    /// The block read as bash; spans are offsets in `text`.
    pub script: Script,
    pub gate: Gate,
    pub timeout: Option<Duration>,
    pub interactive: bool,
    /// `stream=DURATION`: how long a command that never ends is followed.
    pub stream: Option<Duration>,
    pub mode: Mode,
    pub when: Option<Expr>,
    pub alternative: Option<AltChoice>,
    /// The choices of the groups `alternative`'s group lies inside,
    /// outermost first: Rancher Desktop's "Installing via .rpm Package" is
    /// a choice of package format inside the Linux option of the os axis.
    /// The step runs only when each of them is chosen too.
    pub within: Vec<AltChoice>,
    /// Lines of the block labelled as alternatives (`# GKE` … `# EKS` …):
    /// only the chosen one's run.
    pub segments: Vec<Segment>,
    /// `sequence`: the block is not a menu, whatever its comments say.
    pub sequence: bool,
    /// `background`: a helper for the rest of its section, not waited for.
    pub background: bool,
    pub continue_on_error: bool,
    pub checks: Vec<Check>,
    /// Attempts until the step and its checks pass (`retry`, `until`).
    pub retry: Option<Retry>,
    pub container: Option<Container>,
    /// `tag=` / Runme `tag`, `category`: what `--tag` selects.
    pub tags: Vec<String>,
    /// Left out of a whole-runbook run; runs when named (`--step`, `--tag`).
    pub exclude_from_run_all: bool,
    /// `cwd=DIR` / Runme `cwd`: where the step runs, relative to the
    /// runbook's directory (the front matter's `cwd` when `None`).
    pub cwd: Option<String>,
    /// The runbook variables this step uses, and how (filled by lowering).
    /// Names are inline when short (most are): no allocation per use.
    pub uses: Vec<(compact_str::CompactString, UseKind)>,
    /// Why the block is a step though it was not written as one (no
    /// language, a session without prompts): `None` for a shell block.
    pub inferred: Option<String>,
    /// Lines of the block read as output and left out of what runs.
    pub output: Vec<Dropped>,
    /// Lines typed at a REPL's prompt: input to that program, never bash.
    pub repl: Vec<Dropped>,
    /// Instructions for a person inside the block (`# Edit … to set …`):
    /// done by hand before the step runs (`no-checkpoint`: none).
    pub checkpoints: Vec<Checkpoint>,
    /// Lines meant for a shell a command of the block opens (`kubectl exec
    /// -it pod -- bash`, `ssh host`): its input, never run here.
    pub remote: Option<RemoteInput>,
}

/// Lines of a block written for a shell that one of its commands opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteInput {
    /// The command that opens the shell (an index into `script.commands`).
    pub opener: usize,
    /// The opener's first line, as shown.
    pub shell: String,
    /// The lines after it, up to and with the `exit` that leaves the shell,
    /// else to the block's end (in [`Step::text`]).
    #[serde(skip)]
    pub input: Span,
    /// How the opener reads them from a pipe: `-it` → `-i`, `ssh` → `ssh
    /// -T` (span in [`Step::text`], replacement). `None`: litops cannot
    /// rewrite it, so a person does the step.
    #[serde(skip)]
    pub without_tty: Option<(Span, &'static str)>,
    /// The REPL the lines are for (`psql`), when they are not shell text:
    /// no value is placed into them.
    pub repl: Option<&'static str>,
}

/// A comment in a block that asks a person to do something by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// The comment's text, without `#`.
    pub instruction: String,
    /// The comment line, in [`Step::text`].
    #[serde(skip)]
    pub span: Span,
    /// The command it comes before, in [`Step::text`].
    #[serde(skip)]
    pub before: Option<Span>,
}

impl Step {
    /// The values of the step's labelled lines, each once, in order.
    pub fn segment_values(&self) -> Vec<&str> {
        let mut values: Vec<&str> = Vec::new();
        for g in &self.segments {
            if !values.contains(&g.value.as_str()) {
                values.push(&g.value);
            }
        }
        values
    }

    /// The source text of a span of [`Step::text`].
    pub fn source_span(&self, span: Span) -> Span {
        self.text.source_span(span)
    }

    /// Whether the step exists, or lost lines, only because of a heuristic
    /// (a reviewer should see it before it runs unattended).
    pub fn is_inferred(&self) -> bool {
        self.inferred.is_some() || !self.output.is_empty() || !self.repl.is_empty()
    }

    /// Whether this step uses variable `name` in this way.
    pub fn uses(&self, name: &str, kind: UseKind) -> bool {
        self.uses.iter().any(|(n, k)| n == name && *k == kind)
    }
}

/// Whether a step asks before it runs, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// What the author wrote, if anything.
    pub decision: Option<Confirm>,
    /// Risk rules its commands match.
    pub risks: Vec<Risk>,
}

impl Gate {
    /// The author's decision, and the risk rules `commands` match, each once.
    pub fn of<'a>(
        decision: Option<Confirm>,
        commands: impl IntoIterator<Item = &'a crate::shell::Command>,
    ) -> Gate {
        let mut risks = Vec::new();
        for risk in commands.into_iter().flat_map(|c| &c.risks) {
            if !risks.contains(risk) {
                risks.push(*risk);
            }
        }
        Gate { decision, risks }
    }

    pub fn required(&self) -> bool {
        match &self.decision {
            Some(Confirm::Always(_)) => true,
            Some(Confirm::Never) => false,
            None => !self.risks.is_empty(),
        }
    }

    /// The reasons to show: the author's, then the rules'.
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(Confirm::Always(reason)) = &self.decision {
            reasons.push(
                reason
                    .clone()
                    .unwrap_or_else(|| "marked `confirm`".to_owned()),
            );
        }
        for risk in &self.risks {
            if !reasons.iter().any(|r| r == risk.reason) {
                reasons.push(risk.reason.to_owned());
            }
        }
        reasons
    }
}

/// A Rhai check attached to a step (compiled by the checks module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub source: String,
    #[serde(skip)]
    pub span: Span,
    /// The source mapped to the file (for error positions).
    #[serde(skip)]
    pub text: MappedText,
    pub origin: CheckOrigin,
}

impl Check {
    pub fn rhai(&self) -> crate::checks::Code<'_> {
        match self.origin {
            CheckOrigin::Block => crate::checks::Code::block(&self.text),
            CheckOrigin::Annotation | CheckOrigin::Until => {
                crate::checks::Code::expression(&self.source, self.span)
            }
        }
    }
}

/// `retry=N interval=D`, `until="EXPR"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retry {
    pub attempts: u32,
    #[serde(with = "meta::duration_one")]
    pub interval: Duration,
}

/// Attempts when only `until` is given, and the wait between attempts.
pub const DEFAULT_ATTEMPTS: u32 = 30;
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckOrigin {
    /// A ```` ```rhai ```` block right after the shell block.
    Block,
    /// `check="…"`.
    Annotation,
    /// `until="…"`: the step is re-run until it holds.
    Until,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VariableKind {
    /// A value the runbook needs from outside.
    Input,
    /// Text the author meant to be replaced (`<pod-name>`, `your-project-id`).
    Placeholder,
}

/// A variable the runbook needs, with every place it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: String,
    pub kind: VariableKind,
    pub declared: Option<VarDecl>,
    /// For placeholders, the text as written (`<pod-name>`).
    pub placeholder: Option<String>,
    pub secret: bool,
    /// `${NAME:-…}` everywhere it is read: not needed to run.
    pub optional: bool,
    /// The default the script gives it (`${NAME:-us-east-1}`), if plain text.
    pub script_default: Option<String>,
    /// Chooses between alternatives.
    pub selects: bool,
    pub uses: Vec<VarUse>,
}

impl Variable {
    /// A choice asked for like a variable (a menu of one step's commands):
    /// used nowhere else.
    pub fn chosen(name: &str) -> Variable {
        Variable {
            name: name.to_owned(),
            kind: VariableKind::Input,
            declared: None,
            placeholder: None,
            secret: false,
            optional: false,
            script_default: None,
            selects: true,
            uses: Vec::new(),
        }
    }

    pub fn description(&self) -> Option<&str> {
        self.declared
            .as_ref()
            .and_then(|d| d.description.as_deref())
    }

    /// Distinct values written for it in the document (env-prefix literals).
    pub fn document_values(&self) -> Vec<&str> {
        let mut seen = rustc_hash::FxHashSet::default();
        self.uses
            .iter()
            .filter_map(|u| u.literal.as_deref())
            .filter(|v| seen.insert(*v))
            .collect()
    }
}

/// The step shell's own names start with this: no runbook variable does.
pub const RESERVED_PREFIX: &str = "__litops_";

/// `NAME` is the step shell's own (see [`RESERVED_PREFIX`]).
pub fn reserved_name(name: &str) -> Diagnostic {
    Diagnostic::error(
        "variable-name",
        format!("`{name}` is litops's own name: a runbook variable cannot use it"),
    )
    .help("names starting with `__litops_` belong to the step shell (one is run when a step ends); rename the variable")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VarUse {
    pub step: usize,
    pub kind: UseKind,
    /// Span in the file.
    pub span: Span,
    /// For an env-prefix assignment with a literal value, that value.
    pub literal: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseKind {
    /// `$NAME` read by the script.
    Reference,
    /// `NAME=value command`.
    EnvPrefix,
    /// A placeholder occurrence.
    Placeholder,
    /// Named by `alt=` or a `when` condition.
    Selector,
}

/// Steps of which one is run, chosen by a variable's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternativeGroup {
    pub variable: String,
    /// (value, steps) in document order.
    pub options: Vec<(String, Vec<usize>)>,
    /// Found by litops rather than written (`alt=`).
    pub detected: bool,
    /// The kind of axis its options name (`cloud`), if they name one:
    /// `--choose cloud=eks` chooses it.
    pub axis: Option<&'static str>,
}

/// Lines of a block that are one option of a group of alternatives: a
/// comment label (`# EKS`) and the lines under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The label as written (`# EKS`).
    pub label: String,
    pub variable: String,
    pub value: String,
    /// The label and its lines, in [`Step::text`].
    #[serde(skip)]
    pub span: Span,
    /// An entry of a menu (`# Option 2`, `# Or …`): chosen for this step
    /// alone, by its number (`variable` is the step's id).
    pub menu: bool,
    /// Read from the program its command runs (`aws` is for AWS), not from
    /// a label: that program.
    pub program: Option<String>,
}

/// A block that is not a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocBlock {
    pub lang: Option<String>,
    pub section: usize,
    #[serde(skip)]
    pub span: Span,
    /// The block with its annotation comment.
    #[serde(skip)]
    pub extent: Span,
    pub role: BlockRole,
    /// Why the block is not a step (for `check --explain`).
    #[serde(skip)]
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockRole {
    /// Configuration or data shown to the reader (yaml, json…).
    Data,
    /// Terminal output (a session block without prompts, `text`, `output`).
    Output,
    /// A `rhai` check attached to a step.
    Check,
}

impl Runbook {
    pub fn title(&self) -> &str {
        self.meta
            .title
            .as_deref()
            .or_else(|| {
                self.sections
                    .iter()
                    .find(|s| s.level == 1)
                    .map(|s| s.title.as_str())
            })
            .unwrap_or_else(|| self.file.name())
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Errors that belong to no block (front matter, encoding, a check that
    /// follows no step): they stop a run of the whole file. An error in a
    /// block stops only that block's step (see [`Step::unreadable`]).
    pub fn file_errors(&self) -> Vec<&Diagnostic> {
        let within = |extent: Span, at: Span| extent.start <= at.start && at.start < extent.end;
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter(|d| {
                let Some(at) = d.span else { return true };
                let in_step = self.steps.iter().any(|s| within(s.extent, at));
                // A check that is no step's is the file's problem: the step
                // it was meant for would run unchecked.
                let in_block = self
                    .blocks
                    .iter()
                    .any(|b| b.role != BlockRole::Check && within(b.extent, at));
                !in_step && !in_block
            })
            .collect()
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// Titles from the top section down to `section` (document left out).
    pub fn section_path(&self, section: usize) -> Vec<&str> {
        let mut path = Vec::new();
        let mut at = Some(section);
        while let Some(i) = at {
            let s = &self.sections[i];
            if s.level > 1 {
                path.push(s.title.as_str());
            }
            at = s.parent;
        }
        path.reverse();
        path
    }

    /// The sections in `section`'s subtree, itself included.
    pub fn subtree(&self, section: usize) -> Vec<usize> {
        let mut out = vec![section];
        let mut i = 0;
        while i < out.len() {
            out.extend(self.sections[out[i]].children.iter().copied());
            i += 1;
        }
        out
    }
}

/// A runbook read from text named `t.md`, for tests.
#[cfg(test)]
pub(crate) fn from_text(text: &str) -> Runbook {
    let file = SourceFile::new("t.md", text);
    let doc = crate::syntax::parse(&file);
    lower::lower(file, doc)
}

/// A variable every shell has (`HOME`, `USER`, `PATH`, `LC_*`…), whatever a
/// runbook means by a placeholder of that name.
pub fn is_ambient(name: &str) -> bool {
    lower::AMBIENT.contains(&name) || name.starts_with("LC_")
}

/// The comment lines of a block (a `#` after nothing but blanks), found
/// from its `#` bytes rather than by reading every line: three readings of
/// every block (labels, menus, work by hand) start by looking for one.
pub(crate) fn comment_lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut last = usize::MAX;
    memchr::memchr_iter(b'#', bytes).filter_map(move |at| {
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        if start == last || !bytes[start..at].iter().all(|b| matches!(b, b' ' | b'\t')) {
            return None;
        }
        last = start;
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        Some(&text[start..end])
    })
}

/// Names that mark a variable secret when they appear as a `_`-separated part.
pub fn is_secret_name(name: &str) -> bool {
    // Most names are short: uppercased on the stack, not in a `String`.
    let mut buf = [0u8; 64];
    let owned;
    let upper: &str = match buf.get_mut(..name.len()) {
        Some(short) => {
            short.copy_from_slice(name.as_bytes());
            short.make_ascii_uppercase();
            std::str::from_utf8(short).unwrap_or_default()
        }
        None => {
            owned = name.to_ascii_uppercase();
            &owned
        }
    };
    // Paths to secrets and sockets are not secrets themselves.
    if ["_FILE", "_PATH", "_DIR", "_SOCK", "_SOCKET"]
        .iter()
        .any(|suffix| upper.ends_with(suffix))
    {
        return false;
    }
    const ANYWHERE: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "APIKEY",
        "API_KEY",
        "PRIVATE",
        "DSN",
        "WEBHOOK",
        "COOKIE",
    ];
    ANYWHERE.iter().any(|word| upper.contains(word))
        || upper.split('_').enumerate().any(|(i, part)| {
            matches!(part, "PASS" | "KEY" | "PAT" | "AUTH" | "AUTHORIZATION")
                // `MYSQL_PWD`, not the working directory (`PWD`, `OLDPWD`).
                || (part == "PWD" && i > 0)
        })
}

/// A value that is a credential whatever its variable is called: a URL
/// with a password (`scheme://user:pass@host`) or a webhook URL.
pub fn is_secret_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let credentials = lower.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && rest.split(['/', '?', '#']).next().is_some_and(|authority| {
                authority
                    .rsplit_once('@')
                    .is_some_and(|(userinfo, _)| userinfo.contains(':'))
            })
    });
    credentials
        || [
            "hooks.slack.com/",
            "/api/webhooks/",
            "webhook.office.com/",
            "/webhook/",
            "/hooks/",
        ]
        .iter()
        .any(|marker| lower.contains(marker) && lower.starts_with("http"))
}
