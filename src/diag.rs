//! Diagnostics: what litops says about a runbook.
//!
//! Parsing and lowering never stop at the first problem and never panic: they
//! collect [`Diagnostic`]s, each with a code, a span and usually a help line,
//! and the CLI renders them all at once (miette's graphical report for people,
//! one line each for editors and CI, JSON for scripts).

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::source::{SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in a runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, kebab-case identifier (documented in `docs/diagnostics.md`).
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    /// Text shown under the underlined source.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic tied to its file, in the shape miette renders.
#[derive(Debug)]
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diagnostic.span.map(|_| &self.source as _)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diagnostic.span?;
        let label = LabeledSpan::new_with_span(self.diagnostic.label.clone(), span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// miette's report with source snippet; colour optional.
    Human { color: bool, width: usize },
    /// `file:line:col: severity[code]: message`, one line (plus help).
    Short,
}

/// Render diagnostics of one file.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic], style: Style) -> String {
    let mut out = String::new();
    match style {
        Style::Human { color, width } => {
            let theme = if color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            let handler = GraphicalReportHandler::new_themed(theme)
                .with_width(width)
                .with_context_lines(1);
            for diagnostic in diagnostics {
                let report = Report {
                    diagnostic,
                    source: NamedSource::new(file.name(), file.text().to_owned()),
                };
                if handler.render_report(&mut out, &report).is_err() {
                    let _ = writeln!(out, "{}", short_line(file, diagnostic));
                }
                out.push('\n');
            }
        }
        Style::Short => {
            for diagnostic in diagnostics {
                let _ = writeln!(out, "{}", short_line(file, diagnostic));
                if let Some(help) = &diagnostic.help {
                    let _ = writeln!(out, "  help: {help}");
                }
            }
        }
    }
    out
}

fn short_line(file: &SourceFile, diagnostic: &Diagnostic) -> String {
    let location = match diagnostic.span {
        Some(span) => file.location(span),
        None => file.name().to_owned(),
    };
    format!(
        "{location}: {}[{}]: {}",
        diagnostic.severity.as_str(),
        diagnostic.code,
        diagnostic.message
    )
}

/// A diagnostic as JSON, with its location resolved.
#[derive(Debug, Serialize)]
pub struct DiagnosticJson<'a> {
    pub file: &'a str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub severity: Severity,
    pub code: &'a str,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

impl<'a> DiagnosticJson<'a> {
    pub fn new(file: &'a SourceFile, diagnostic: &'a Diagnostic) -> DiagnosticJson<'a> {
        let position = diagnostic.span.map(|s| file.position(s.start));
        DiagnosticJson {
            file: file.name(),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            severity: diagnostic.severity,
            code: diagnostic.code,
            message: &diagnostic.message,
            help: diagnostic.help.as_deref(),
        }
    }
}

/// "did you mean" for a misspelled name.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&name.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_style_has_file_line_col() {
        let file = SourceFile::new("r.md", "# T\n\n```bash\nls\n");
        let d = Diagnostic::error("fence-unterminated", "fenced block is never closed")
            .at(Span::new(5, 12))
            .help("add a closing ``` line");
        let text = render(&file, &[d], Style::Short);
        assert_eq!(
            text,
            "r.md:3:1: error[fence-unterminated]: fenced block is never closed\n  help: add a closing ``` line\n"
        );
    }

    #[test]
    fn suggestions_pick_the_closest_name() {
        assert_eq!(
            suggest("timout", ["timeout", "confirm", "name"]),
            Some("timeout")
        );
        assert_eq!(suggest("zzz", ["timeout", "confirm"]), None);
    }
}
