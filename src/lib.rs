//! litops: executable Markdown runbooks.
//!
//! Data flows one way: source text → [`syntax::Document`] → [`model::Runbook`]
//! → [`plan::Plan`] → (execution, later) events → reporters.

pub mod diag; // Diagnostics with spans, rendered with miette
pub mod source; // Source files, spans, line/column, mapped text
pub mod syntax; // Markdown → Document (syntax only)
pub mod shell; // Bash-aware reading of shell blocks
pub mod model; // Runbook: sections, steps, variables, alternatives (lowered from a Document)
