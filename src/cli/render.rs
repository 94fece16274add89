//! `litops render`: runbooks as a static documentation site.

use std::path::PathBuf;

use clap::Args;

use super::Console;
use crate::exit;
use crate::model::meta::parse_duration;
use crate::site::{self, Entry};

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Runbooks, or directories to search for *.md, *.markdown, *.mdx and *.md.erb files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The directory to write the site into.
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// A directory whose page.html, site.css or site.js replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Badge runbooks whose `last_reviewed` is older than this (front-matter `litops.review_every` wins).
    #[arg(long, value_name = "DURATION", default_value = "180d", value_parser = duration)]
    review_max_age: std::time::Duration,
    /// Fail (exit 1) when there are broken links.
    #[arg(long)]
    strict: bool,
}

fn duration(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text)
}

pub fn run(args: &RenderArgs, out: &Console) -> u8 {
    let mut sources = Vec::new();
    for path in &args.paths {
        let files = match crate::walk::runbooks(path) {
            Ok(files) => files,
            Err(err) => {
                out.error(format!("cannot read {}: {err}", path.display()));
                return exit::USAGE;
            }
        };
        for file in files {
            let relative = if path.is_dir() {
                file.strip_prefix(path).unwrap_or(&file).to_owned()
            } else {
                PathBuf::from(file.file_name().unwrap_or_default())
            };
            match crate::load::load(&file) {
                Ok(runbook) => {
                    // A page is still worth having; say that it has problems.
                    let errors = runbook.diagnostics.iter().filter(|d| d.is_error()).count();
                    if errors > 0 {
                        out.warning(format!(
                            "{} has {errors} error{} (`litops check` lists them); rendered anyway",
                            file.display(),
                            if errors == 1 { "" } else { "s" }
                        ));
                    }
                    sources.push(Entry { runbook, relative });
                }
                Err(err) => {
                    out.error(err);
                    return exit::USAGE;
                }
            }
        }
    }
    if sources.is_empty() {
        out.error("no runbooks (*.md, *.markdown, *.mdx, *.md.erb) to render");
        return exit::USAGE;
    }
    let options = site::Options {
        theme: args.theme.clone(),
        review_max_age: args.review_max_age,
        today: super::check::today(),
    };
    match site::build(&sources, &args.out, &options) {
        Ok(report) => {
            for warning in &report.warnings {
                out.warning(warning);
            }
            out.stderr(&format!(
                "rendered {} runbook{} into {}\n",
                report.pages.len(),
                if report.pages.len() == 1 { "" } else { "s" },
                args.out.display()
            ));
            if args.strict && !report.warnings.is_empty() {
                exit::LINT
            } else {
                exit::OK
            }
        }
        Err(site::BuildError::Theme(message)) => {
            out.error(message);
            exit::USAGE
        }
        Err(site::BuildError::Io(err)) => {
            out.error(format!(
                "cannot write the site into {}: {err}",
                args.out.display()
            ));
            exit::USAGE
        }
    }
}
