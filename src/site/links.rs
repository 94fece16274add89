//! Links between runbooks resolved to the generated pages: relative
//! Markdown links and Obsidian wiki links (`[[index|← Back]]`, by file
//! name, title or front-matter alias). Reading them is `syntax::links`;
//! reporting the ones that lead nowhere is `lint::links`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::{Entry, root_of};

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
        if crate::syntax::links::is_external(dest) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            normalise(Path::new("ops/../db/./a.md")),
            PathBuf::from("db/a.md")
        );
    }
}
