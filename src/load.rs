//! Reading a runbook file: bytes → text → Document → Runbook.
//!
//! Text that is not UTF-8 is not guessed at: the runbook is still built from
//! a lossy decoding (so every other problem is reported too) and carries an
//! `encoding` error pointing at the first bad byte.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::model::{self, Runbook};
use crate::source::{SourceFile, Span};
use crate::syntax;

#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct LoadError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Reads and lowers a runbook file.
pub fn load(path: &Path) -> Result<Runbook, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError {
        path: path.display().to_string(),
        source,
    })?;
    Ok(from_bytes(&path.display().to_string(), &bytes))
}

/// Builds a runbook from bytes; never fails, never panics.
pub fn from_bytes(name: &str, bytes: &[u8]) -> Runbook {
    match std::str::from_utf8(bytes) {
        Ok(text) => from_text(name, text),
        Err(err) => {
            let at = err.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            // The lossy text has the same bytes up to the first bad one.
            let diagnostic = Diagnostic::error("encoding", "this file is not valid UTF-8")
                .at(Span::new(at, at + 1))
                .label("first invalid byte")
                .help("save the runbook as UTF-8 (for example with `iconv -f LATIN1 -t UTF-8`)");
            let mut runbook = from_text(name, &text);
            runbook.diagnostics.insert(0, diagnostic);
            runbook
        }
    }
}

pub fn from_text(name: &str, text: &str) -> Runbook {
    let file = SourceFile::new(name, text);
    let document = syntax::parse(&file);
    model::lower(file, document)
}
