//! Reporters: consumers of run events. The terminal one is for people, the
//! JSON one (`--json`) writes one event per line for scripts.

mod json;
mod terminal;

pub use json::JsonReporter;
pub use terminal::TerminalReporter;
