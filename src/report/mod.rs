//! Reporters: consumers of run events. The terminal one is for people, the
//! JSON one (`--json`) writes one event per line for scripts.

mod json;
mod quiet;
mod summary;
mod terminal;

pub use json::JsonReporter;
pub use quiet::QuietReporter;
pub use summary::{RunSummary, StepSummary, SummaryReporter};
pub use terminal::TerminalReporter;
