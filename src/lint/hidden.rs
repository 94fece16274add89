//! Bidi controls and zero-width characters: text that reads otherwise
//! than it runs.

use crate::diag::Diagnostic;
use crate::markup;
use crate::model::Runbook;
use crate::source::Span;

/// Bidi controls (Trojan Source) and zero-width characters. In code, in
/// the front matter and in annotations a reader cannot see what they do
/// to the text, and the shell runs what the reader did not see: a bidi
/// control there is an error, a zero-width character a warning. In prose
/// a bidi control is a warning (right-to-left text may need one). One
/// diagnostic per line and kind.
pub(super) fn hidden_characters(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    let text = runbook.file.text();
    let document = crate::syntax::parse(&runbook.file);
    let mut code: Vec<Span> = document
        .front_matter
        .iter()
        .map(|f| Span::new(0, f.block.end))
        .collect();
    for item in &document.items {
        if let crate::syntax::Item::Code(block) = item {
            code.push(block.span);
            code.extend(block.annotation.as_ref().map(|a| a.span));
        }
    }
    // Annotations not attached to a block are comments in the prose.
    code.sort_by_key(|s| s.start);
    let mut next = 0;
    let mut last: Option<(usize, bool)> = None;
    let mut line = 0;
    for (at, c) in text.char_indices() {
        if c == '\n' {
            line += 1;
            continue;
        }
        let bidi = markup::is_bidi(c);
        let zero_width = markup::is_zero_width(c) && (c != '\u{feff}' || at > 0);
        if !bidi && !zero_width {
            continue;
        }
        if last == Some((line, bidi)) {
            continue;
        }
        last = Some((line, bidi));
        while code.get(next).is_some_and(|s| s.end <= at) {
            next += 1;
        }
        let in_code = code.get(next).is_some_and(|s| s.start <= at);
        let span = Span::new(at, at + c.len_utf8());
        let name = format!("U+{:04X}", c as u32);
        let diagnostic = match (bidi, in_code) {
            (true, true) => Diagnostic::error(
                "bidi-control",
                format!(
                    "invisible bidi control {name} in code: the text runs in another order than it reads"
                ),
            ),
            (true, false) => Diagnostic::warning(
                "bidi-control",
                format!(
                    "invisible bidi control {name}: the text may read in another order than it is written"
                ),
            ),
            (false, true) => Diagnostic::warning(
                "zero-width",
                format!("invisible zero-width character {name} in code"),
            ),
            (false, false) => continue,
        };
        out.push(
            diagnostic
                .at(span)
                .help("delete it (litops list and plan show it as \\u{…}); to write right-to-left text, keep it out of commands"),
        );
    }
}
