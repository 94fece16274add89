//! Links between runbooks: relative Markdown links and Obsidian wiki links
//! (`[[index|← Back]]`, by file name, title or front-matter alias) resolved
//! to the generated pages; the ones that lead nowhere reported.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

use super::{Entry, root_of};
use crate::diag::Diagnostic;
use crate::model::Runbook;
use crate::source::Span;

/// A link's destination in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Not a link between runbooks: kept.
    AsWritten,
    /// The generated page's URL, relative to the linking page.
    Page(String),
    /// A runbook that is not among the rendered ones.
    Broken,
}

/// Finds pages by path, file name, title and alias.
pub struct Linker {
    /// Relative `.md` path → page index.
    paths: HashMap<PathBuf, usize>,
    /// Lowercased stem, title or alias → page index.
    names: HashMap<String, usize>,
    pages: Vec<PathBuf>,
}

/// Whether a link target leaves the site (a URL, a mail address, an anchor).
fn is_external(dest: &str) -> bool {
    dest.starts_with('#')
        || dest.starts_with('/')
        || dest.contains("://")
        || dest.starts_with("mailto:")
        || dest.starts_with("tel:")
}

/// `a/./b/../c.md` → `a/c.md` (no file system access).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Linker {
    pub fn new(sources: &[Entry]) -> Linker {
        let mut paths = HashMap::new();
        let mut names = HashMap::new();
        for (i, s) in sources.iter().enumerate() {
            paths.insert(normalise(&s.relative), i);
            if let Some(stem) = super::file_stem(&s.relative) {
                names.entry(stem.to_lowercase()).or_insert(i);
            }
            names.entry(s.runbook.title().to_lowercase()).or_insert(i);
            for alias in &s.runbook.meta.aliases {
                names.entry(alias.to_lowercase()).or_insert(i);
            }
        }
        Linker {
            paths,
            names,
            pages: sources.iter().map(Entry::page).collect(),
        }
    }

    fn url(&self, from: usize, to: usize, fragment: Option<&str>) -> String {
        let mut url = format!("{}{}", root_of(&self.pages[from]), self.pages[to].display());
        if let Some(f) = fragment.filter(|f| !f.is_empty()) {
            url.push('#');
            url.push_str(f);
        }
        url
    }

    /// Where a Markdown link goes in the site.
    pub fn markdown(&self, from: usize, from_path: &Path, dest: &str) -> Target {
        if is_external(dest) {
            return Target::AsWritten;
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest, None),
        };
        if !path.ends_with(".md") {
            return Target::AsWritten;
        }
        let base = from_path.parent().unwrap_or(Path::new(""));
        let target = normalise(&base.join(path));
        match self.paths.get(&target) {
            Some(&to) => Target::Page(self.url(from, to, fragment)),
            None => Target::Broken,
        }
    }

    /// A wiki link's target (`index`, `Deploy to staging#rollback`).
    pub fn wiki(&self, from: usize, target: &str) -> Option<String> {
        let (name, fragment) = match target.split_once('#') {
            Some((n, f)) => (n, Some(f)),
            None => (target, None),
        };
        let name = name.trim().trim_end_matches(".md").to_lowercase();
        let to = self
            .names
            .get(&name)
            .or_else(|| self.paths.get(&PathBuf::from(format!("{name}.md"))));
        let Some(to) = to else {
            // A vault's `index` note, when no runbook is called that: the site's index.
            return (name == "index").then(|| format!("{}index.html", root_of(&self.pages[from])));
        };
        let fragment = fragment.map(crate::model::slugify);
        Some(self.url(from, *to, fragment.as_deref()))
    }
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
pub(super) fn coalesce<'a>(
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
        let Some(stem) = super::runbook_stem(&file_name) else {
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
    fn relative_paths() {
        assert_eq!(
            normalise(Path::new("ops/../db/./a.md")),
            PathBuf::from("db/a.md")
        );
        assert!(is_external("https://x") && is_external("#top") && !is_external("a.md"));
    }
}
