//! litops: executable Markdown runbooks.
//!
//! Data flows one way: source text → [`syntax::Document`] → [`model::Runbook`]
//! → [`plan::Plan`] → (execution, later) events → reporters.

pub mod bind; // Variable values: --set, --vars files, environment, defaults
pub mod cli; // clap arguments and subcommands (the binary's edge)
pub mod diag; // Diagnostics with spans, rendered with miette
pub mod exit; // Exit codes
pub mod lint; // `check` lints on top of lowering diagnostics
pub mod load; // File → Runbook
pub mod model; // Runbook: sections, steps, variables, alternatives
pub mod plan; // Selection + bindings → Plan (the dry run)
pub mod shell; // Bash-aware reading of shell blocks
pub mod source; // Source files, spans, line/column, mapped text
pub mod syntax; // Markdown → Document (syntax only)
