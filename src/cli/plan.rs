//! `litops plan`: the dry run.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{BindArgs, Output, SelectArgs, bind_or_report, load_plannable};
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

pub fn run(args: &PlanArgs, out: &Output) -> u8 {
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
    let text = match args.format {
        Format::Text => plan::render_text(&plan),
        Format::Markdown => plan::render_markdown(&plan),
        Format::Json => match serde_json::to_string_pretty(&plan) {
            Ok(json) => json + "\n",
            Err(err) => {
                out.error(err);
                return exit::USAGE;
            }
        },
    };
    out.stdout(&text);
    exit::OK
}
