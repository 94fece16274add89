//! Links as a runbook writes them: Markdown link destinations that leave
//! the set of runbooks, Obsidian wiki links (`[[target|label]]`), and the
//! parser's text events joined so that a wiki link is read whole. Shared by
//! the site (`site::links`) and `check` (`lint::links`).

use std::ops::Range;

use pulldown_cmark::{CowStr, Event};

/// Whether a link target leaves the site (a URL, a mail address, an anchor).
pub fn is_external(dest: &str) -> bool {
    dest.starts_with('#')
        || dest.starts_with('/')
        || dest.contains("://")
        || dest.starts_with("mailto:")
        || dest.starts_with("tel:")
}

/// `[[target]]` and `[[target|label]]` in a text: (range, target, label).
pub fn wiki_links(text: &str) -> Vec<(std::ops::Range<usize>, &str, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("[[").map(|i| from + i) {
        let Some(end) = text[start + 2..].find("]]").map(|i| start + 2 + i) else {
            break;
        };
        let inner = &text[start + 2..end];
        if inner.contains('\n') || inner.trim().is_empty() {
            from = start + 2;
            continue;
        }
        let (target, label) = inner.split_once('|').unwrap_or((inner, inner));
        out.push((start..end + 2, target.trim(), label.trim()));
        from = end + 2;
    }
    out
}

/// Adjacent text events as one (the parser splits text at `[` and `]`,
/// which would cut `[[wiki links]]` apart, and at every unmatched `*` or
/// `_`). Each run is gathered in one growing buffer: joining pairs again
/// and again was quadratic in a paragraph of unmatched emphasis marks.
pub fn coalesce<'a>(
    events: impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    let mut out: Vec<(Event<'a>, Range<usize>)> = Vec::new();
    let mut pending: Option<(CowStr<'a>, Option<String>, Range<usize>)> = None;
    let flush = |pending: &mut Option<(CowStr<'a>, Option<String>, Range<usize>)>,
                 out: &mut Vec<(Event<'a>, Range<usize>)>| {
        if let Some((first, joined, range)) = pending.take() {
            let text = joined.map_or(first, CowStr::from);
            out.push((Event::Text(text), range));
        }
    };
    for (event, range) in events {
        match event {
            Event::Text(next) => match &mut pending {
                Some((first, joined, run)) => {
                    joined
                        .get_or_insert_with(|| first.to_string())
                        .push_str(&next);
                    run.end = range.end;
                }
                None => pending = Some((next, None, range)),
            },
            other => {
                flush(&mut pending, &mut out);
                out.push((other, range));
            }
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiki_link_syntax() {
        let found = wiki_links("see [[index|← Back]] and [[deploy#Rollback]], not [[\n]]");
        let found: Vec<(&str, &str)> = found.iter().map(|(_, t, l)| (*t, *l)).collect();
        assert_eq!(
            found,
            [("index", "← Back"), ("deploy#Rollback", "deploy#Rollback")]
        );
    }

    #[test]
    fn external_links() {
        assert!(is_external("https://x") && is_external("#top") && !is_external("a.md"));
    }
}
