//! litops: executable Markdown runbooks.
//!
//! Data flows one way: source text → [`syntax::Document`] → [`model::Runbook`]
//! → [`plan::Plan`] → [`exec`] → [`event::Event`]s → [`report`]ers.

pub mod approval; // Approved plans: digests, sign-off, verification
pub mod bind; // Variable values: --set, --vars files, environment, defaults
pub mod checks; // Rhai checks and conditions, sandboxed
pub mod cli; // clap arguments and subcommands (the binary's edge)
pub mod diag; // Diagnostics with spans, rendered with miette
pub mod event; // Events, reporters, verdicts, bounded output: the run's bottom contract
pub mod exec; // Running a plan: processes, session, timeouts, signals
pub mod exit; // Exit codes
pub mod files; // Replacing files without writing through a link
pub mod lint; // `check` lints on top of lowering diagnostics
pub mod load; // File → Runbook
pub mod lock; // One run per runbook and target: flock with a named holder
pub mod markup; // Escaping for HTML and XML
pub mod model; // Runbook: sections, steps, variables, alternatives
pub mod operator; // Who decides during a run: unattended approvals, interactive prompts
pub mod plan; // Selection + bindings → Plan (the dry run)
pub mod report; // Event consumers: terminal, JSON lines, quiet, summary/JUnit
pub mod run; // The run as a library call: select, bind, ask, verify, lock, record, exec
pub mod schedule; // systemd, cron and Kubernetes jobs for unattended runs
pub mod secret; // Sensitive values and masking them wherever text is shown or recorded
pub mod shell; // Bash-aware reading of shell blocks
pub mod sign; // SSH signatures (ssh-keygen -Y sign) and allowed-signers files
pub mod site; // `render`: runbooks as a static documentation site
pub mod source; // Source files, spans, line/column, mapped text
pub mod syntax; // Markdown → Document (syntax only)
pub mod transcript; // The record of a run: write, read, verify, show
pub mod walk; // The runbook files under a directory (check, render)
