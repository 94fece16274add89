//! Exit codes: part of the interface, documented in the README and `--help`.

/// Success.
pub const OK: u8 = 0;
/// `check`: a runbook has errors (or warnings, with `--strict`).
pub const LINT: u8 = 1;
/// Bad usage, unreadable file, or a runbook that cannot be planned.
pub const USAGE: u8 = 2;
