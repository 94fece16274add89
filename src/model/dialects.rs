//! What other documentation tools write around blocks: Hugo's `{{< tabs >}}`
//! / `{{% tab name="…" %}}` (and dapr's `{{% codetab %}}`), Docusaurus'
//! `<Tabs>` / `<TabItem value="…">`, MkDocs' `=== "…"` tabs, and Hugo's
//! `{{% heading "…" %}}`.
//!
//! A reader follows one tab of a group, never all of them, so the steps of a
//! tab group are alternatives: each step is one option of a variable that
//! names the group (`groupId`/`name`, else `TAB`, `TAB_2`…).

use std::collections::HashMap;

use super::{AltChoice, Runbook};
use crate::source::Span;
use crate::syntax::{Item, Prose};

/// Runme's front-matter keys. `shell` is the runbook's shell unless
/// `litops.shell` says otherwise; `cwd` is the directory every step runs in
/// (relative to the runbook's directory) unless the step's own `cwd` says
/// otherwise; `skipPrompts: true` means a run never asks for a value.
pub fn runme_front_matter(runbook: &mut Runbook) {
    let extra = &runbook.meta.extra;
    let text = |key: &str| {
        extra
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (shell, cwd) = (text("shell"), text("cwd"));
    let skip_prompts = extra
        .get("skipPrompts")
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    if runbook.settings.shell.is_none() {
        runbook.settings.shell = shell;
    }
    runbook.settings.cwd = cwd;
    runbook.settings.skip_prompts = skip_prompts;
}

/// `{{% heading "prerequisites" %}}` reads as its text (`prerequisites`);
/// other headings are returned as they are.
pub fn heading_text(text: &str) -> String {
    // Most headings have no tag: the text as it is, copied once.
    if next_tag(text).is_none() {
        return text.trim().to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(tag) = next_tag(rest) {
        out.push_str(&rest[..tag.start]);
        if tag.name == "heading" {
            out.push_str(&tag.args.join(" "));
        } else {
            out.push_str(&rest[tag.start..tag.end]);
        }
        rest = &rest[tag.end..];
    }
    out.push_str(rest);
    out.trim().to_owned()
}

/// One shortcode or tag as written.
#[derive(Debug, PartialEq, Eq)]
struct Tag {
    start: usize,
    end: usize,
    /// `tabs`, `/tab`, `Tabs`, `/TabItem`…
    name: String,
    /// Positional arguments, quotes removed.
    args: Vec<String>,
    /// `key="value"` arguments (and bare JSX flags with an empty value).
    named: Vec<(String, String)>,
}

impl Tag {
    fn get(&self, key: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The next Hugo shortcode (`{{< … >}}`, `{{% … %}}`) or JSX/HTML tag in `text`.
fn next_tag(text: &str) -> Option<Tag> {
    let mut from = 0;
    while from < text.len() {
        let at = from + memchr::memchr2(b'{', b'<', &text.as_bytes()[from..])?;
        let rest = &text[at..];
        let found = ["{{<", "{{%"]
            .iter()
            .zip([">}}", "%}}"])
            .find(|(open, _)| rest.starts_with(**open))
            .and_then(|(open, close)| {
                let end = rest.find(close)?;
                Some((&rest[open.len()..end], end + close.len()))
            })
            .or_else(|| {
                let c = rest.as_bytes().get(1).copied()?;
                if !(c.is_ascii_alphabetic() || c == b'/') || !rest.starts_with('<') {
                    return None;
                }
                let end = rest.find('>')?;
                Some((rest[1..end].trim_end_matches('/'), end + 1))
            });
        if let Some((inner, len)) = found {
            let words = split_words(inner);
            if let Some((name, args)) = words.split_first() {
                let mut tag = Tag {
                    start: at,
                    end: at + len,
                    name: name.clone(),
                    args: Vec::new(),
                    named: Vec::new(),
                };
                for arg in args {
                    match arg.split_once('=') {
                        Some((k, v)) if !k.is_empty() && !k.contains(['"', '\'']) => tag
                            .named
                            .push((k.to_owned(), unquote(v.trim_matches(['{', '}'])))),
                        _ => tag.args.push(unquote(arg)),
                    }
                }
                return Some(tag);
            }
        }
        from = at + 1;
    }
    None
}

/// Words separated by spaces, a quoted part kept whole (`name="Linux x86"`).
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                word.push(c);
            }
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                word.push(c);
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    t.to_owned()
}

/// A tab group being read.
struct Group {
    /// `groupId`, Hugo `name`: the same id is the same choice.
    id: Option<String>,
    /// dapr's `{{< tabs "A" "B" >}}`: names of its `codetab`s in order.
    names: Vec<String>,
    opened: usize,
    tab: Option<String>,
    /// (option, code block span) in document order.
    blocks: Vec<(String, Span)>,
}

impl Group {
    fn new(id: Option<String>, names: Vec<String>) -> Group {
        Group {
            id,
            names,
            opened: 0,
            tab: None,
            blocks: Vec::new(),
        }
    }
}

/// Marks the steps inside tab groups as alternatives (steps that already
/// say `alt=` keep theirs). Runs before variables are collected, so each
/// group's variable is found as a selector like a written `alt=`.
pub fn tab_alternatives(runbook: &mut Runbook, items: &[Item]) {
    let mut groups: Vec<Group> = Vec::new();
    let mut stack: Vec<Group> = Vec::new();
    let mut mkdocs: Option<Group> = None;
    for item in items {
        // As written: the parser drops `<tabs>`-like inline tags from prose text.
        let text = match item {
            Item::Prose(Prose { span, .. }) | Item::Other(span) => {
                runbook.file.text().get(span.start..span.end)
            }
            Item::Heading(_) => {
                groups.extend(mkdocs.take());
                None
            }
            Item::Code(code) => {
                let tab = code.container.as_ref().filter(|c| c.marker == "===");
                match tab {
                    Some(tab) => mkdocs
                        .get_or_insert_with(|| Group::new(None, Vec::new()))
                        .blocks
                        .push((tab.title.clone(), code.span)),
                    None => {
                        if let Some(group) = stack.last_mut()
                            && let Some(tab) = &group.tab
                        {
                            group.blocks.push((tab.clone(), code.span));
                        }
                    }
                }
                None
            }
        };
        let Some(mut text) = text else { continue };
        if !text.trim_start().starts_with("===") {
            groups.extend(mkdocs.take());
        }
        while let Some(tag) = next_tag(text) {
            read_tag(&tag, &mut stack, &mut groups);
            text = &text[tag.end..];
        }
    }
    groups.extend(mkdocs);
    // A group never closed still groups what it held.
    groups.extend(stack.into_iter().rev());
    apply(runbook, groups);
}

fn read_tag(tag: &Tag, stack: &mut Vec<Group>, groups: &mut Vec<Group>) {
    match tag.name.as_str() {
        "tabs" | "Tabs" => {
            let id = tag.get("groupId").or_else(|| tag.get("name"));
            stack.push(Group::new(id.map(str::to_owned), tag.args.clone()));
        }
        "/tabs" | "/Tabs" => groups.extend(stack.pop()),
        "tab" | "codetab" | "TabItem" => {
            if let Some(group) = stack.last_mut() {
                let name = tag
                    .get("value")
                    .or_else(|| tag.get("name"))
                    .or_else(|| tag.get("label"))
                    .or_else(|| tag.args.first().map(String::as_str))
                    .map(str::to_owned)
                    .or_else(|| group.names.get(group.opened).cloned())
                    .unwrap_or_else(|| format!("tab-{}", group.opened + 1));
                group.opened += 1;
                group.tab = Some(name);
            }
        }
        "/tab" | "/codetab" | "/TabItem" => {
            if let Some(group) = stack.last_mut() {
                group.tab = None;
            }
        }
        _ => {}
    }
}

/// The variable for each group and the steps' choices.
fn apply(runbook: &mut Runbook, mut groups: Vec<Group>) {
    groups.retain(|g| !g.blocks.is_empty());
    groups.sort_by_key(|g| g.blocks.first().map(|(_, s)| s.start));
    let mut by_id: HashMap<String, String> = HashMap::new();
    let mut unnamed = 0;
    for group in groups {
        let variable = match &group.id {
            Some(id) => {
                let name = variable_of(id);
                by_id.entry(id.clone()).or_insert(name).clone()
            }
            None => {
                unnamed += 1;
                if unnamed == 1 {
                    "TAB".to_owned()
                } else {
                    format!("TAB_{unnamed}")
                }
            }
        };
        for (option, span) in group.blocks {
            let Some(step) = runbook.steps.iter_mut().find(|s| s.span == span) else {
                continue;
            };
            if step.alternative.is_none() {
                step.alternative = Some(AltChoice {
                    variable: variable.clone(),
                    value: option,
                    span: runbook.file.first_line(span),
                    read_from: super::ReadFrom::Tab,
                    label: None,
                });
            }
        }
    }
}

/// `container-runtime` → `CONTAINER_RUNTIME`; a name that is not one gets `TAB_`.
fn variable_of(id: &str) -> String {
    let name = crate::shell::placeholder::upper_snake(id);
    let name = name.trim_matches('_').to_owned();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("TAB_{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugo_headings_show_their_text() {
        assert_eq!(
            heading_text("{{% heading \"prerequisites\" %}}"),
            "prerequisites"
        );
        assert_eq!(
            heading_text("Install {{< glossary_tooltip >}}"),
            "Install {{< glossary_tooltip >}}"
        );
        assert_eq!(heading_text("Plain"), "Plain");
    }

    #[test]
    fn tags_are_read_with_their_arguments() {
        let tag = next_tag("x {{< tabs \"Self-Hosted (CLI)\" Kubernetes >}} y").expect("tag");
        assert_eq!(tag.name, "tabs");
        assert_eq!(tag.args, ["Self-Hosted (CLI)", "Kubernetes"]);
        let tag = next_tag("  <TabItem value=\"apt\" label=\"APT\" default>").expect("tag");
        assert_eq!(
            (tag.name.as_str(), tag.get("value"), tag.get("label")),
            ("TabItem", Some("apt"), Some("APT"))
        );
        let tag =
            next_tag("<Tabs groupId=\"os\" defaultValue={TabsConstants.defaultOs}>").expect("tag");
        assert_eq!(tag.get("groupId"), Some("os"));
        assert!(next_tag("a < b and {{ .x }}").is_none());
    }

    #[test]
    fn runme_front_matter_shell_cwd_and_skip_prompts() {
        let text = "---\nshell: zsh\ncwd: app\nskipPrompts: true\n---\n# T\n";
        let file = crate::source::SourceFile::new("t.md", text);
        let rb = super::super::lower(file.clone(), crate::syntax::parse(&file));
        assert_eq!(rb.settings.shell.as_deref(), Some("zsh"));
        assert_eq!(rb.settings.cwd.as_deref(), Some("app"));
        assert!(rb.settings.skip_prompts);
        assert!(rb.diagnostics.is_empty(), "{:?}", rb.diagnostics);
        let text = "---\nshell: zsh\nskipPrompts: \"false\"\nlitops:\n  shell: bash\n---\n";
        let file = crate::source::SourceFile::new("t.md", text);
        let rb = super::super::lower(file.clone(), crate::syntax::parse(&file));
        assert_eq!(rb.settings.shell.as_deref(), Some("bash"));
        assert_eq!(rb.settings.cwd, None);
        assert!(!rb.settings.skip_prompts);
        assert!(rb.diagnostics.is_empty(), "{:?}", rb.diagnostics);
    }

    #[test]
    fn group_ids_become_variables() {
        assert_eq!(variable_of("container-runtime"), "CONTAINER_RUNTIME");
        assert_eq!(variable_of("1"), "TAB_1");
    }
}
