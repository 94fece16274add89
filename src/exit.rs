//! Exit codes: part of the interface, documented in the README and `--help`.

/// Success.
pub const OK: u8 = 0;
/// `run`: a step failed. `check`: a runbook has errors (or warnings, with `--strict`).
pub const STEP_FAILED: u8 = 1;
pub const LINT: u8 = 1;
/// Bad usage, unreadable file, or a runbook that cannot be planned.
pub const USAGE: u8 = 2;
/// `run`: variables without a value and nobody to ask (unattended).
pub const MISSING_VARIABLES: u8 = 3;
/// `run`: a gated step is not approved (unattended), or a manual step cannot be done unattended.
pub const GATE_NOT_APPROVED: u8 = 4;
/// `run`: a check, a preflight check or a `when` condition failed.
pub const CHECK_FAILED: u8 = 5;
/// `run`: the transcript cannot be written (full or read-only disk); no
/// step runs unrecorded, so the run stopped or never started.
pub const TRANSCRIPT_FAILED: u8 = 6;
/// `run`: another run of the same runbook and lock key holds the lock.
pub const LOCKED: u8 = 7;
/// `run`: incomplete: the operator quit, or declined a step (skipped it,
/// did not approve its gate, did not do a manual step). `transcript
/// verify`: a transcript's chain holds but the run's end is not recorded
/// (killed, still going, or its last records cut off).
pub const INCOMPLETE: u8 = 8;
/// `run`: interrupted (Ctrl-C twice, or SIGTERM).
pub const INTERRUPTED: u8 = 130;
