//! Why a run was refused before its first step, and the exit code each
//! reason has (documented in `--help` and the README).

use crate::exit;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The request cannot be carried out as given: a step that cannot run
    /// as written, an unknown step, a shell that is not there.
    #[error("{0}")]
    Usage(String),
    /// Values that cannot be placed safely, one message per step and value.
    #[error("{}", .0.join("\n"))]
    Unplaceable(Vec<String>),
    /// Variables without a value, and nobody to ask.
    #[error("{0}")]
    MissingValues(String),
    /// Gates, manual or inferred steps nobody approved, or an approved plan
    /// that differs from today's.
    #[error("{0}")]
    NotApproved(String),
    /// Another run holds the lock.
    #[error("{0}")]
    Locked(String),
    /// The transcript cannot be written, so nothing runs.
    #[error("{0}")]
    Transcript(String),
    /// The executor could not start.
    #[error("cannot run steps: {0}")]
    Exec(#[from] std::io::Error),
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_) | RunError::Unplaceable(_) | RunError::Exec(_) => exit::USAGE,
            RunError::MissingValues(_) => exit::MISSING_VARIABLES,
            RunError::NotApproved(_) => exit::GATE_NOT_APPROVED,
            RunError::Locked(_) => exit::LOCKED,
            RunError::Transcript(_) => exit::TRANSCRIPT_FAILED,
        }
    }

    /// Each message on its own (a refusal can name several problems).
    pub fn messages(&self) -> Vec<String> {
        match self {
            RunError::Unplaceable(errors) => errors.clone(),
            other => vec![other.to_string()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_exit_code_and_message() {
        let cases = [
            (RunError::Usage("no such step".into()), 2, "no such step"),
            (
                RunError::Unplaceable(vec!["step a: X: bad".into(), "step b: Y: bad".into()]),
                2,
                "step a: X: bad\nstep b: Y: bad",
            ),
            (
                RunError::MissingValues("1 variable".into()),
                3,
                "1 variable",
            ),
            (
                RunError::NotApproved("not approved".into()),
                4,
                "not approved",
            ),
            (RunError::Transcript("full".into()), 6, "full"),
            (RunError::Locked("held".into()), 7, "held"),
            (
                RunError::Exec(std::io::Error::other("no runtime")),
                2,
                "cannot run steps: no runtime",
            ),
        ];
        for (error, code, message) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
            assert_eq!(error.to_string(), message);
        }
        let two = RunError::Unplaceable(vec!["a".into(), "b".into()]);
        assert_eq!(two.messages(), ["a", "b"]);
    }
}
