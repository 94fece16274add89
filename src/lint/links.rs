//! Links that lead nowhere: relative links to Markdown files that do not
//! exist and wiki links that name no runbook (`check`).

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::diag::Diagnostic;
use crate::model::Runbook;
use crate::source::Span;
use crate::syntax::links::{coalesce, is_external, wiki_links};

/// The names a wiki link can use for the runbooks in `dir` (not below it):
/// file names without `.md`, titles and front-matter aliases, lowercased.
pub fn names_in(dir: &Path) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return names;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = crate::walk::runbook_stem(&file_name) else {
            continue;
        };
        names.insert(stem.to_lowercase());
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Front matter only: titles and aliases, without reading the steps.
        let file = crate::source::SourceFile::new(path.display().to_string(), text);
        let document = crate::syntax::parse(&file);
        let (meta, _) = crate::model::meta::read(document.front_matter.as_ref(), &mut Vec::new());
        names.extend(meta.title.map(|t| t.to_lowercase()));
        names.extend(meta.aliases.iter().map(|a| a.to_lowercase()));
        if let Some(h1) = document.items.iter().find_map(|i| match i {
            crate::syntax::Item::Heading(h) if h.level == 1 => Some(h.text.to_lowercase()),
            _ => None,
        }) {
            names.insert(h1);
        }
    }
    names
}

/// For `litops check`: relative links to Markdown files that do not exist
/// and wiki links that name no known runbook (by file name, title or
/// alias: `names`, see [`names_in`]).
pub fn broken_links(
    runbook: &Runbook,
    path: &Path,
    names: &std::collections::HashSet<String>,
) -> Vec<Diagnostic> {
    let text = runbook.file.text();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    let mut in_code = false;
    for (event, range) in coalesce(Parser::new_ext(text, options).into_offset_iter()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Link { dest_url, .. }) => {
                let dest = dest_url.split('#').next().unwrap_or("");
                if !is_external(&dest_url) && dest.ends_with(".md") && !dir.join(dest).is_file() {
                    out.push(
                        Diagnostic::warning("link-broken", format!("`{dest}` does not exist"))
                            .at(Span::new(range.start, range.end))
                            .help("fix the path (relative to this file) or remove the link"),
                    );
                }
            }
            Event::Text(t) if !in_code => {
                // Searched on from the last one found: linear in the text,
                // and a link written twice is found at each place.
                let mut from = range.start;
                for (r, target, _) in wiki_links(&t) {
                    let name = target.split('#').next().unwrap_or("").trim();
                    let known = names.contains(&name.trim_end_matches(".md").to_lowercase());
                    // `index` is the site's index when no runbook has that name.
                    if !name.is_empty() && name != "index" && !known {
                        // Offsets of the text event; wiki links do not span events.
                        let at = text
                            .get(from..range.end)
                            .and_then(|rest| rest.find(&t[r.clone()]))
                            .map_or(from, |i| from + i);
                        from = at + r.len();
                        out.push(
                            Diagnostic::warning(
                                "link-broken",
                                format!("[[{name}]] names no runbook checked here or next to this one"),
                            )
                            .at(Span::new(at, at + r.len()))
                            .help("wiki links name a runbook by its file name (without .md), title or alias"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}
