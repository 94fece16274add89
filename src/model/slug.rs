//! Heading slugs, GitHub style (lowercase, punctuation dropped, spaces to
//! `-`), with runs of `-` collapsed so ids stay readable on the command line.

/// `Monitoring & Alerting` → `monitoring-alerting`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
        } else if (c == '-' || c.is_whitespace()) && !out.is_empty() && !out.ends_with('-') {
            // Never a leading `-`; a trailing one is cut below, in place.
            out.push('-');
        }
    }
    if out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Monitoring & Alerting"), "monitoring-alerting");
        assert_eq!(
            slugify("Google Kubernetes Engine (GKE)"),
            "google-kubernetes-engine-gke"
        );
        assert_eq!(slugify("Backup & Restore"), "backup-restore");
        assert_eq!(
            slugify("  Spot/Preemptible  Nodes "),
            "spotpreemptible-nodes"
        );
        assert_eq!(slugify("Étape 2"), "étape-2");
        assert_eq!(slugify("!!!"), "");
    }
}
