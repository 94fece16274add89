//! `litops render`: the runbooks that run, published as a static site.
//!
//! One page per runbook and an index grouped by `area` and `tags`. Pages
//! are the Markdown rendered faithfully (GFM), with what litops knows shown
//! around the commands: each step's id as its anchor, its gate and risk,
//! timeout, variables, checks, alternatives; a copy button. Annotations
//! never reach the page. Links between runbooks (relative Markdown links,
//! Obsidian `[[wiki links]]`, front-matter `aliases`) point at the
//! generated pages; broken ones are warnings. Everything is local: styles,
//! the small script (search, copy, theme), the search index.

mod containers;
mod highlight;
mod links;
mod page;

use std::path::{Path, PathBuf};

use crate::model::Runbook;

pub use crate::markup::escape;
pub use highlight::highlight;
pub use links::Linker;

const CSS: &str = include_str!("assets/site.css");
const JS: &str = include_str!("assets/site.js");
const PAGE: &str = include_str!("assets/page.html");

/// Build options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files in it replace the built-in `page.html`, `site.css`, `site.js`.
    pub theme: Option<PathBuf>,
    /// `last_reviewed` older than this gets a "review overdue" badge
    /// (front-matter `litops.review_every` wins).
    pub review_max_age: std::time::Duration,
    pub today: jiff::civil::Date,
}

/// One runbook to publish (an entry of the site): where it came from and
/// where its page goes.
pub struct Entry {
    pub runbook: Runbook,
    /// Path relative to the site's root, with `.md` (e.g. `ops/deploy.md`).
    pub relative: PathBuf,
}

impl Entry {
    /// The page's path in the site (`ops/deploy.html`). The site's index
    /// owns `index.html`: a top-level `index.md` becomes `home.html`.
    pub fn page(&self) -> PathBuf {
        let page = match file_stem(&self.relative) {
            Some(stem) => self.relative.with_file_name(format!("{stem}.html")),
            None => self.relative.with_extension("html"),
        };
        if page == Path::new("index.html") {
            return PathBuf::from("home.html");
        }
        page
    }
}

/// The name a wiki link uses for the runbook at `path`: its file name
/// without the runbook ending (`ops/deploy.md.erb` → `deploy`).
pub fn file_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    Some(match crate::walk::runbook_stem(&name) {
        Some(stem) => stem.to_owned(),
        None => path.file_stem()?.to_string_lossy().into_owned(),
    })
}

/// What a build made and what it noticed.
#[derive(Debug, Default)]
pub struct Built {
    pub pages: Vec<PathBuf>,
    /// `file:line:col: message` for links that lead nowhere.
    pub warnings: Vec<String>,
}

/// Why a site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A theme file cannot be read, or its `page.html` is not a template
    /// (`FILE:LINE: what`): the user's input, not the output directory.
    #[error("{0}")]
    Theme(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The theme's file, or the built-in one; with the file's name for errors.
fn themed(options: &Options, name: &str, builtin: &str) -> Result<(String, String), BuildError> {
    match &options.theme {
        Some(dir) if dir.join(name).is_file() => {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|err| {
                BuildError::Theme(format!("cannot read {}: {err}", path.display()))
            })?;
            Ok((text, path.display().to_string()))
        }
        _ => Ok((builtin.to_owned(), format!("built-in {name}"))),
    }
}

/// The environment pages are rendered in: HTML autoescaping with litops'
/// own escaping (so pages stay byte for byte what they were before
/// minijinja), an unknown variable is an error rather than nothing (a
/// typo in a theme shows), and the template's last newline is kept.
fn environment() -> minijinja::Environment<'static> {
    use minijinja::{AutoEscape, UndefinedBehavior, Value};
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_formatter(|out, state, value: &Value| match value.as_str() {
        Some(text) if !value.is_safe() && state.auto_escape() == AutoEscape::Html => {
            out.write_str(&escape(text)).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env
}

/// `FILE:LINE: what went wrong` for a template that cannot be compiled
/// or rendered.
fn template_error(file: &str, err: &minijinja::Error) -> BuildError {
    let what = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    BuildError::Theme(match err.line() {
        Some(line) => format!("{file}:{line}: {what}"),
        None => format!("{file}: {what}"),
    })
}

/// Writes the site into `out`.
pub fn build(sources: &[Entry], out: &Path, options: &Options) -> Result<Built, BuildError> {
    let mut report = Built::default();
    let (page_html, page_file) = themed(options, "page.html", PAGE)?;
    let css = themed(options, "site.css", CSS)?.0;
    let js = themed(options, "site.js", JS)?.0;
    let env = environment();
    let template = env
        .template_from_named_str("page.html", &page_html)
        .map_err(|err| template_error(&page_file, &err))?;
    let render =
        |page: Page| fill(&template, &page).map_err(|err| template_error(&page_file, &err));
    let linker = Linker::new(sources);
    std::fs::create_dir_all(out.join("assets"))?;
    // Never through a link someone put in the output directory.
    let write = |path: &Path, text: &str| crate::files::replace_unsynced(path, text, 0o644);
    write(&out.join("assets/site.css"), &css)?;
    write(&out.join("assets/site.js"), &js)?;
    // Two runbooks must not write the same page.
    let mut pages: Vec<PathBuf> = sources.iter().map(Entry::page).collect();
    pages.sort();
    if let Some(w) = pages.windows(2).find(|w| w[0] == w[1]) {
        return Err(std::io::Error::other(format!(
            "two runbooks would both be written to {}; render the directory that holds them instead",
            w[0].display()
        ))
        .into());
    }
    let mut index_entries = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let rendered = page::render(source, i, &linker, options);
        report.warnings.extend(rendered.warnings.iter().cloned());
        let path = out.join(source.page());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let root = root_of(&source.page());
        let html = render(Page {
            title: source.runbook.title(),
            root: &root,
            toc: &rendered.toc,
            content: &rendered.body,
        })?;
        write(&path, &html)?;
        report.pages.push(source.page());
        index_entries.push(rendered.search);
    }
    let index = page::index(sources, options);
    write(
        &out.join("index.html"),
        &render(Page {
            title: "Runbooks",
            root: "",
            toc: "",
            content: &index,
        })?,
    )?;
    // A script, not JSON: it loads from file:// too, where fetch() cannot.
    // `<` only occurs inside JSON strings, where `\u003c` means the same:
    // a `</script>` in a title cannot end a script that inlines the index.
    let json = serde_json::to_string(&index_entries)
        .map_err(std::io::Error::other)?
        .replace('<', "\\u003c");
    write(
        &out.join("assets/search-index.js"),
        &format!("window.LITOPS_SEARCH = {json};\n"),
    )?;
    Ok(report)
}

/// `../` for each directory of a page below the root.
fn root_of(page: &Path) -> String {
    "../".repeat(page.components().count().saturating_sub(1))
}

/// What a page template is given (docs/render.md lists these).
struct Page<'a> {
    /// Plain text: the template's autoescaping escapes it.
    title: &'a str,
    root: &'a str,
    /// HTML made by [`page`], already escaped where it holds text.
    toc: &'a str,
    content: &'a str,
}

/// The page, from the template. Values are data, never read again as
/// template (a runbook titled `{{content}}` shows that text).
fn fill(template: &minijinja::Template, page: &Page) -> Result<String, minijinja::Error> {
    use minijinja::Value;
    template.render(Value::from_iter([
        ("title", Value::from(page.title)),
        ("root", Value::from(page.root)),
        ("toc", Value::from_safe_string(page.toc.to_owned())),
        ("content", Value::from_safe_string(page.content.to_owned())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(title: &'a str, content: &'a str) -> Page<'a> {
        Page {
            title,
            root: "../",
            toc: "",
            content,
        }
    }

    #[test]
    fn placeholders_are_filled_once() {
        let env = environment();
        let template = env
            .template_from_named_str(
                "page.html",
                "<title>{{title}}</title>{{toc}}<main>{{ content }}</main>{{root}}\n",
            )
            .unwrap();
        let html = fill(&template, &page("{{content}} <&\"'>", "<p>{{title}}</p>")).unwrap();
        assert_eq!(
            html,
            "<title>{{content}} &lt;&amp;&quot;&#39;&gt;</title><main><p>{{title}}</p></main>../\n"
        );
    }

    #[test]
    fn template_errors_name_the_file_and_line() {
        let env = environment();
        let err = env
            .template_from_named_str("page.html", "<p>\n{{ title }\n")
            .err()
            .unwrap();
        let BuildError::Theme(message) = template_error("theme/page.html", &err) else {
            panic!("not a theme error");
        };
        assert!(
            message.starts_with("theme/page.html:2: syntax error: "),
            "{message}"
        );
        // An unknown variable is an error too, not an empty string.
        let template = env
            .template_from_named_str("page.html", "<p>\n\n{{ titel }}")
            .unwrap();
        let err = fill(&template, &page("t", "c")).unwrap_err();
        let BuildError::Theme(message) = template_error("theme/page.html", &err) else {
            panic!("not a theme error");
        };
        assert!(
            message.starts_with("theme/page.html:3: undefined value"),
            "{message}"
        );
    }
}
