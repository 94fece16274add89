//! `litops check`: lint runbooks for CI.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::Console;
use crate::diag::{self, DiagnosticJson, Style};
use crate::exit;
use crate::lint::{self, LintOptions};
use crate::model::meta::parse_duration;
use crate::model::{BlockRole, CheckOrigin, Mode, Runbook};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Runbooks, or directories to search for *.md, *.markdown, *.mdx and *.md.erb files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Fail on warnings too.
    #[arg(long)]
    strict: bool,
    /// Warn when `last_reviewed` is older than this (front-matter `litops.review_every` wins).
    #[arg(long, value_name = "DURATION", default_value = "180d", value_parser = duration)]
    review_max_age: std::time::Duration,
    /// Output format: human (with source snippets), short (one line each), json.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also render each runbook with a second CommonMark implementation
    /// (comrak, as GitHub does) and report annotations a reader would see.
    #[arg(long)]
    render: bool,
    /// Say for every fenced block what litops makes of it (a step, an
    /// inferred step, a check, output or documentation) and why, before
    /// the diagnostics.
    #[arg(long, conflicts_with = "format")]
    explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Short,
    Json,
}

fn duration(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text)
}

#[derive(Serialize)]
struct Report<'a> {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

pub fn run(args: &CheckArgs, out: &Console) -> u8 {
    let mut files = Vec::new();
    let mut unreadable = false;
    for path in &args.paths {
        match crate::walk::runbooks(path) {
            Ok(found) => files.extend(found),
            Err(err) => {
                out.error(format!("cannot read {}: {err}", path.display()));
                unreadable = true;
            }
        }
    }
    let options = LintOptions {
        review_max_age: args.review_max_age,
        today: today(),
    };
    let mut runbooks = Vec::new();
    for file in &files {
        match crate::load::load(file) {
            Ok(runbook) => runbooks.push((runbook, file)),
            Err(err) => {
                out.error(err);
                unreadable = true;
            }
        }
    }
    // Wiki-link targets, as `render` resolves them: every runbook checked
    // together, and those next to each one (read once per directory).
    let checked: std::collections::HashSet<String> = runbooks
        .iter()
        .flat_map(|(runbook, path)| {
            let stem = crate::site::file_stem(path).map(|s| s.to_lowercase());
            stem.into_iter()
                .chain(std::iter::once(runbook.title().to_lowercase()))
                .chain(runbook.meta.aliases.iter().map(|a| a.to_lowercase()))
        })
        .collect();
    let mut names: std::collections::HashMap<PathBuf, std::collections::HashSet<String>> =
        std::collections::HashMap::new();
    let linted: Vec<_> = runbooks
        .iter()
        .map(|(runbook, path)| {
            let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
            let names = names.entry(dir.clone()).or_insert_with(|| {
                let mut names = crate::lint::names_in(&dir);
                names.extend(checked.iter().cloned());
                names
            });
            let mut diagnostics = runbook.diagnostics.clone();
            diagnostics.extend(lint::lint(runbook, &options));
            diagnostics.extend(crate::lint::broken_links(runbook, path, names));
            if args.render {
                diagnostics.extend(crate::lint::visible_annotations(runbook));
            }
            diagnostics.sort_by_key(|d| d.span.map_or(0, |s| s.start));
            (runbook, diagnostics)
        })
        .collect();
    let errors = linted
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| d.is_error())
        .count();
    let warnings = linted
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| !d.is_error())
        .count();
    match args.format {
        Format::Json => {
            let report = Report {
                files: linted.len(),
                errors,
                warnings,
                diagnostics: linted
                    .iter()
                    .flat_map(|(r, ds)| ds.iter().map(|d| DiagnosticJson::new(&r.file, d)))
                    .collect(),
            };
            out.stdout(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
        }
        Format::Human | Format::Short => {
            let style = match args.format {
                Format::Short => Style::Short,
                _ => out.diagnostics_style(out.color_stdout),
            };
            for (runbook, diagnostics) in &linted {
                if args.explain {
                    out.stdout(&crate::markup::for_terminal(&explain(runbook)));
                }
                // The source lines under each diagnostic with control and
                // bidi characters made visible, at the same offsets.
                let shown = crate::source::SourceFile::new(
                    runbook.file.name(),
                    crate::markup::for_terminal_in_place(runbook.file.text()).into_owned(),
                );
                out.stdout(&diag::render(&shown, diagnostics, style));
            }
            out.stdout(&format!(
                "checked {} runbook{}: {errors} error{}, {warnings} warning{}\n",
                linted.len(),
                plural(linted.len()),
                plural(errors),
                plural(warnings)
            ));
        }
    }
    if unreadable {
        exit::USAGE
    } else if errors > 0 || (args.strict && warnings > 0) {
        exit::LINT
    } else {
        exit::OK
    }
}

/// Every block of a runbook, in order, with what it is and why.
pub fn explain(runbook: &Runbook) -> String {
    use std::fmt::Write as _;
    let mut entries: Vec<(usize, String)> = Vec::new();
    let at = |span: crate::source::Span| {
        format!(
            "{}:{}",
            runbook.file.name(),
            runbook.file.position(span.start).line
        )
    };
    for step in &runbook.steps {
        let mode = match step.mode {
            Mode::Run => "",
            Mode::Skip => " [skip: shown, never run]",
            Mode::Manual => " [manual: done by a person]",
        };
        let mut text = match &step.inferred {
            Some(why) => format!(
                "{}: inferred step `{}`{mode}: {why}\n",
                at(step.span),
                step.id
            ),
            None => format!(
                "{}: step `{}`{mode}: a `{}` block\n",
                at(step.span),
                step.id,
                step.lang
            ),
        };
        for what in crate::plan::inferred(runbook, step)
            .iter()
            .skip(usize::from(step.inferred.is_some()))
        {
            let _ = writeln!(text, "    {what}");
        }
        entries.push((step.span.start, text));
    }
    for block in &runbook.blocks {
        let owner = runbook.steps.iter().find(|s| {
            s.checks
                .iter()
                .any(|c| c.origin == CheckOrigin::Block && c.span == block.span)
        });
        if let Some(step) = owner {
            entries.push((
                block.span.start,
                format!("{}: check of step `{}`\n", at(block.span), step.id),
            ));
            continue;
        }
        let kind = match block.role {
            BlockRole::Check => "check",
            BlockRole::Output => "output",
            BlockRole::Data => "documentation",
        };
        entries.push((
            block.span.start,
            format!("{}: {kind}: {}\n", at(block.span), block.why),
        ));
    }
    entries.sort_by_key(|(start, _)| *start);
    let mut out: String = entries.into_iter().map(|(_, text)| text).collect();
    // A blank line between the account and the diagnostics.
    out.push('\n');
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Today's date; `LITOPS_TODAY=YYYY-MM-DD` fixes it for reproducible CI.
pub(super) fn today() -> jiff::civil::Date {
    std::env::var("LITOPS_TODAY")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date())
}
