//! `litops plan`: the dry run.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{BindArgs, Console, SelectArgs, bind_or_report, load_plannable};
use crate::approval;
use crate::exit;
use crate::plan;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The runbook (a Markdown file).
    file: PathBuf,
    #[command(flatten)]
    select: SelectArgs,
    #[command(flatten)]
    bind: BindArgs,
    /// Output format: text (people), markdown (a review checklist), json (scripts; see docs/plan-json.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write a plan to approve (`litops approve`) and run as reviewed
    /// (`litops run --approved`): a digest of each step as it would run.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

pub fn run(args: &PlanArgs, out: &Console) -> u8 {
    let runbook = match load_plannable(&args.file, out) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let selected = match args.select.selection().apply(&runbook) {
        Ok(s) => s,
        Err(err) => {
            out.error(err);
            return exit::USAGE;
        }
    };
    let bindings = match bind_or_report(&runbook, &args.bind, out) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let plan = plan::build(&runbook, &selected, &bindings);
    // Titles, commands and values as written, control characters shown.
    let text = match args.format {
        Format::Text => crate::markup::for_terminal(&plan::render_text(&plan)).into_owned(),
        Format::Markdown => crate::markup::for_terminal(&plan::render_markdown(&plan)).into_owned(),
        Format::Json => match serde_json::to_string_pretty(&plan) {
            Ok(json) => json + "\n",
            Err(err) => {
                out.error(err);
                return exit::USAGE;
            }
        },
    };
    // Secret values written in the document are masked too, wherever they
    // are written (a default in a command, `export API_TOKEN=…`).
    let text = crate::secret::Redactor::for_document(&runbook, &bindings)
        .apply(&text)
        .into_owned();
    out.stdout(&text);
    let code = match &args.out {
        Some(path) => write_approvable(
            path,
            &args.file,
            &runbook,
            &args.select,
            &selected,
            &bindings,
            &plan,
            out,
        ),
        None => exit::OK,
    };
    super::leave((runbook, plan));
    code
}

/// `--out`: the plan as digests, ready for approval.
#[expect(
    clippy::too_many_arguments,
    reason = "what the plan command already holds"
)]
fn write_approvable(
    path: &Path,
    file: &Path,
    runbook: &crate::model::Runbook,
    select: &super::SelectArgs,
    selected: &[usize],
    bindings: &crate::bind::Bindings,
    plan: &plan::Plan,
    out: &Console,
) -> u8 {
    // What `run` would refuse is not offered for approval: errors outside
    // the steps, or in a selected step's block.
    let file_errors = runbook.file_errors().len();
    let unreadable: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| !runbook.steps[s.index].unreadable.is_empty())
        .map(|s| s.id.as_str())
        .collect();
    if file_errors > 0 || !unreadable.is_empty() {
        let mut why = Vec::new();
        if file_errors > 0 {
            why.push(format!(
                "{file_errors} error{} outside its steps",
                if file_errors == 1 { "" } else { "s" }
            ));
        }
        if !unreadable.is_empty() {
            why.push(format!(
                "steps that cannot run as written: {}",
                unreadable.join(", ")
            ));
        }
        out.error(format!(
            "no approvable plan: the runbook has {} (`litops check {}` lists them)",
            why.join(" and "),
            file.display()
        ));
        return exit::USAGE;
    }
    // Secrets may be missing (they are masked in digests); other values not.
    let missing: Vec<&str> = plan
        .variables
        .iter()
        .filter(|v| v.value.is_none() && !v.optional && !v.secret)
        .filter(|v| {
            plan.steps
                .iter()
                .any(|s| s.unbound.contains(&v.name) && s.status != plan::Status::Skip)
        })
        .map(|v| v.name.as_str())
        .collect();
    if !missing.is_empty() {
        out.error(format!(
            "an approvable plan needs every value that is not secret; missing: {}",
            missing.join(", ")
        ));
        return exit::MISSING_VARIABLES;
    }
    // The text the plan was read from (a later read could see another).
    let (_, approvable) = approval::make(
        runbook,
        &file.display().to_string(),
        runbook.file.text().as_bytes(),
        select.selection(),
        selected,
        bindings,
    );
    if let Err(err) = approval::save(path, &approvable) {
        out.error(format!("cannot write {}: {err}", path.display()));
        return exit::USAGE;
    }
    let n = approvable.steps.len();
    out.stderr(&format!(
        "wrote {}: {n} step{} to approve (litops approve {} --by NAME)\n",
        path.display(),
        if n == 1 { "" } else { "s" },
        path.display()
    ));
    exit::OK
}
