//! Redaction by value: wherever litops echoes text that may hold a secret
//! (a step's script as run, after an edit), each secret variable's value is
//! replaced by `[REDACTED:NAME]`.
//!
//! Values shorter than three characters are not searched for: masking every
//! `a` would make output unreadable and protect nothing real.

use std::borrow::Cow;

use crate::bind::Bindings;
use crate::model::Runbook;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (value, replacement), longest value first so that a secret containing
    /// another is masked whole.
    secrets: Vec<(String, String)>,
}

const MIN_LEN: usize = 3;

impl Redactor {
    pub fn new(runbook: &Runbook, bindings: &Bindings) -> Redactor {
        let mut secrets = Vec::new();
        for var in runbook.variables.iter().filter(|v| v.secret) {
            let mask = format!("[REDACTED:{}]", var.name);
            let bound = bindings.get(&var.name).map(|b| b.value.as_str());
            let defaults = var.declared.as_ref().and_then(|d| d.default.as_deref());
            for value in bound
                .into_iter()
                .chain(defaults)
                .chain(var.document_values())
            {
                if value.len() >= MIN_LEN && !secrets.iter().any(|(v, _)| v == value) {
                    secrets.push((value.to_owned(), mask.clone()));
                }
            }
        }
        secrets.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        Redactor { secrets }
    }

    pub fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (value, mask) in &self.secrets {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), mask));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::{Bound, Source};
    use crate::load::from_text;

    #[test]
    fn secret_values_are_masked_wherever_they_appear() {
        let rb = from_text(
            "t.md",
            "```bash\nDB_PASSWORD=hunter22 psql\necho $API_TOKEN $REGION\n```\n",
        );
        let mut bindings = Bindings::default();
        for (name, value) in [("API_TOKEN", "tok-123456"), ("REGION", "eu-west-1")] {
            bindings.values.insert(
                name.into(),
                Bound {
                    value: value.into(),
                    source: Source::Set,
                },
            );
        }
        let r = Redactor::new(&rb, &bindings);
        assert_eq!(
            r.apply("x=hunter22 y=tok-123456 z=eu-west-1"),
            "x=[REDACTED:DB_PASSWORD] y=[REDACTED:API_TOKEN] z=eu-west-1"
        );
        assert!(matches!(r.apply("nothing here"), Cow::Borrowed(_)));
    }
}
