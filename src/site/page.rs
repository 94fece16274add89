//! One runbook's page, and the index.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options as Md, Parser, Tag, TagEnd};
use serde::Serialize;

use super::links::Target;
use super::{Entry, Linker, Options, escape, highlight};
use crate::model::{BlockRole, Confirm, Mode, Runbook, Step};

/// A rendered page.
pub struct Rendered {
    pub body: String,
    pub toc: String,
    pub search: SearchEntry,
    pub warnings: Vec<String>,
}

/// What the client-side search knows of a page.
#[derive(Debug, Clone, Serialize)]
pub struct SearchEntry {
    pub title: String,
    pub url: String,
    /// (text, anchor)
    pub headings: Vec<(String, String)>,
    /// (first line of a step's command, step id)
    pub commands: Vec<(String, String)>,
}

fn markdown_options() -> Md {
    let mut o = Md::empty();
    o.insert(Md::ENABLE_TABLES);
    o.insert(Md::ENABLE_TASKLISTS);
    o.insert(Md::ENABLE_FOOTNOTES);
    o.insert(Md::ENABLE_STRIKETHROUGH);
    o.insert(Md::ENABLE_GFM);
    o
}

/// Where the body starts: after the front matter.
fn body_start(runbook: &Runbook) -> usize {
    crate::syntax::parse(&runbook.file)
        .front_matter
        .map_or(0, |f| f.block.end)
}

fn overdue(runbook: &Runbook, options: &Options) -> Option<i32> {
    let reviewed = runbook.meta.last_reviewed?;
    let max = runbook
        .settings
        .review_every
        .unwrap_or(options.review_max_age);
    let age = (options.today - reviewed).get_days();
    (age > (max.as_secs() / 86_400) as i32).then_some(age)
}

pub fn render(source: &Entry, index: usize, linker: &Linker, options: &Options) -> Rendered {
    let runbook = &source.runbook;
    let text = runbook.file.text();
    let start = body_start(runbook).min(text.len());
    let mut warnings = Vec::new();
    let mut headings: Vec<(u8, String, String)> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    // Killercoda's closers (```{{exec}}) close their blocks here too, as
    // in every other command: offsets are unchanged.
    let text = crate::syntax::fence::blank_killercoda_closers(text);
    let (body, inserted) = super::containers::unfold(&text[start..], start);
    let parser = crate::syntax::links::coalesce(
        crate::markup::inert(
            Parser::new_ext(body.as_str(), markdown_options()).into_offset_iter(),
            |range| {
                inserted
                    .iter()
                    .any(|i| i.start <= range.start && range.end <= i.end)
            },
        )
        .into_iter(),
    );
    let mut code: Option<(usize, String, Option<String>)> = None;
    let mut heading: Option<(usize, usize)> = None;
    // Looked up once per heading: found by scanning, a page of 20,000
    // headings took seconds.
    let section_at: HashMap<usize, &str> = runbook
        .sections
        .iter()
        .filter(|s| s.level > 0)
        .rev()
        .map(|s| (s.span.start, s.id.as_str()))
        .collect();
    let ids: HashSet<&str> = runbook
        .sections
        .iter()
        .map(|s| s.id.as_str())
        .chain(runbook.steps.iter().map(|s| s.id.as_str()))
        .collect();
    let mut earlier: HashSet<String> = HashSet::new();
    let lookup = Lookup::new(runbook);
    for (event, range) in parser {
        let at = body.source_offset(range.start);
        if let Some((_, buffer, _)) = &mut code {
            match event {
                Event::Text(t) => buffer.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((at, buffer, lang)) = code.take() {
                        events.push(Event::Html(CowStr::from(code_block(
                            runbook,
                            &lookup,
                            at,
                            &buffer,
                            lang.as_deref(),
                        ))));
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
                        .next()
                        .map(|l| l.trim_start_matches('.').to_owned())
                        .filter(|l| !l.is_empty()),
                    CodeBlockKind::Indented => None,
                };
                code = Some((at, String::new(), lang));
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                // The section's id, as steps and plans name it; a step
                // alone in its section has this id too.
                let section_id = section_at
                    .get(&at)
                    .map(|id| (*id).to_owned())
                    .filter(|s| !s.is_empty());
                let id = section_id
                    .or_else(|| id.map(|i| i.to_string()))
                    .unwrap_or_else(|| crate::model::slugify(&body.as_str()[range.clone()]));
                heading = Some((headings.len(), events.len()));
                headings.push((level as u8, String::new(), id.clone()));
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                // Links written for GitHub (`#monitoring--alerting`) find the
                // heading too.
                if let Some((h, _)) = heading.take() {
                    let github = github_slug(&headings[h].1);
                    // Never a second element with an id a step or section has.
                    let taken = ids.contains(github.as_str()) || earlier.contains(&github);
                    if !github.is_empty() && github != headings[h].2 && !taken {
                        events.push(Event::Html(CowStr::from(format!(
                            "<a class=\"alias\" id=\"{}\"></a>",
                            escape(&github)
                        ))));
                    }
                    earlier.insert(headings[h].2.clone());
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = match linker.markdown(index, &source.relative, &dest_url) {
                    Target::Page(url) => CowStr::from(url),
                    Target::AsWritten => dest_url,
                    Target::Broken => {
                        warnings.push(format!(
                            "{}: broken link: `{dest_url}` is not one of the rendered runbooks",
                            runbook.file.location(crate::source::Span::new(at, at))
                        ));
                        dest_url
                    }
                };
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                }));
            }
            Event::Code(c) => {
                if let Some((h, _)) = heading {
                    headings[h].1.push_str(&c);
                }
                events.push(Event::Code(c));
            }
            Event::Text(t) => {
                // `cmd`{{exec}}: the tag is Killercoda's button, not text.
                let t = match crate::syntax::fence::click_tag(&t) {
                    Some((_, len)) if matches!(events.last(), Some(Event::Code(_))) => {
                        CowStr::from(t[len..].to_owned())
                    }
                    _ => t,
                };
                if let Some((h, _)) = heading {
                    headings[h].1.push_str(&t);
                }
                let links = crate::syntax::links::wiki_links(&t);
                if links.is_empty() {
                    events.push(Event::Text(t));
                    continue;
                }
                let mut last = 0;
                for (r, target, label) in links {
                    events.push(Event::Text(CowStr::from(t[last..r.start].to_owned())));
                    match linker.wiki(index, target) {
                        Some(url) => events.push(Event::Html(CowStr::from(format!(
                            "<a class=\"wiki\" href=\"{}\">{}</a>",
                            escape(&url),
                            escape(label)
                        )))),
                        None => {
                            warnings.push(format!(
                                "{}: broken link: [[{target}]] names no rendered runbook",
                                runbook.file.location(crate::source::Span::new(at, at))
                            ));
                            events.push(Event::Html(CowStr::from(format!(
                                "<span class=\"wiki broken\" title=\"no such runbook\">{}</span>",
                                escape(label)
                            ))));
                        }
                    }
                    last = r.end;
                }
                events.push(Event::Text(CowStr::from(t[last..].to_owned())));
            }
            other => events.push(other),
        }
    }
    // The header card and the variables go under the title (or first).
    let mut front = String::new();
    header_card(runbook, options, &mut front);
    variables_table(runbook, &mut front);
    let after_title = events
        .iter()
        .position(|e| {
            matches!(
                e,
                Event::End(TagEnd::Heading(pulldown_cmark::HeadingLevel::H1))
            )
        })
        .filter(|&i| {
            !events[..i]
                .iter()
                .any(|e| matches!(e, Event::Start(Tag::Paragraph) | Event::Html(_)))
        })
        .map_or(0, |i| i + 1);
    events.insert(after_title, Event::Html(CowStr::from(front)));
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events.into_iter());
    let mut toc = String::new();
    if headings.iter().any(|h| h.0 >= 2) {
        toc.push_str("<nav class=\"toc\" aria-label=\"Contents\"><p>Contents</p><ul>");
        for (level, title, id) in headings.iter().filter(|h| h.0 == 2 || h.0 == 3) {
            let _ = write!(
                toc,
                "<li class=\"toc-{level}\"><a href=\"#{}\">{}</a></li>",
                escape(id),
                escape(title)
            );
        }
        toc.push_str("</ul></nav>");
    }
    let search = SearchEntry {
        title: runbook.title().to_owned(),
        url: source.page().display().to_string(),
        headings: headings
            .iter()
            .filter(|h| h.0 >= 2)
            .map(|h| (h.1.clone(), h.2.clone()))
            .collect(),
        commands: runbook
            .steps
            .iter()
            .flat_map(|s| {
                s.script.commands.iter().map(|c| {
                    (
                        s.text.as_str()[c.span.start.min(s.text.as_str().len())
                            ..c.span.end.min(s.text.as_str().len())]
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_owned(),
                        s.id.clone(),
                    )
                })
            })
            .collect(),
    };
    Rendered {
        body,
        toc,
        search,
        warnings,
    }
}

/// The anchor GitHub gives a heading: lowercase, punctuation dropped,
/// each space a hyphen.
fn github_slug(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().collect::<String>())
            } else if c == ' ' {
                Some("-".to_owned())
            } else {
                None
            }
        })
        .collect()
}

/// Steps by position and section ids, for finding each block's step
/// without scanning them all again.
struct Lookup<'r> {
    /// Step indices sorted by where they start.
    steps: Vec<usize>,
    section_ids: HashSet<&'r str>,
}

impl<'r> Lookup<'r> {
    fn new(runbook: &'r Runbook) -> Lookup<'r> {
        let mut steps: Vec<usize> = (0..runbook.steps.len()).collect();
        steps.sort_by_key(|&i| runbook.steps[i].span.start);
        Lookup {
            steps,
            section_ids: runbook.sections.iter().map(|s| s.id.as_str()).collect(),
        }
    }

    /// The step whose block holds `at`: the last to start at or before it.
    fn step_at<'a>(&self, runbook: &'a Runbook, at: usize) -> Option<&'a Step> {
        let before = self
            .steps
            .partition_point(|&i| runbook.steps[i].span.start <= at);
        let step = &runbook.steps[*self.steps.get(before.checked_sub(1)?)?];
        (at < step.span.end.max(step.span.start + 1)).then_some(step)
    }
}

fn code_block(
    runbook: &Runbook,
    lookup: &Lookup,
    at: usize,
    code: &str,
    lang: Option<&str>,
) -> String {
    let lang = lang.unwrap_or("text");
    if let Some(step) = lookup.step_at(runbook, at) {
        return step_card(runbook, lookup, step, code, lang);
    }
    let is_check = runbook
        .blocks
        .iter()
        .any(|b| b.role == BlockRole::Check && b.span.start <= at && at < b.span.end);
    let pre = format!(
        "<pre><code class=\"language-{}\">{}</code></pre>",
        escape(lang),
        highlight(lang, code.trim_end_matches('\n'))
    );
    if is_check {
        format!(
            "<div class=\"check\"><div class=\"check-label\">Check <span class=\"hint\">(Rhai, evaluated after the step)</span></div>{pre}</div>\n"
        )
    } else {
        pre + "\n"
    }
}

fn step_card(runbook: &Runbook, lookup: &Lookup, step: &Step, code: &str, lang: &str) -> String {
    let mut badges = String::new();
    let badge = |out: &mut String, class: &str, text: &str, title: &str| {
        let _ = write!(
            out,
            "<span class=\"badge {class}\" title=\"{}\">{}</span>",
            escape(title),
            escape(text)
        );
    };
    if step.gate.required() {
        let reasons = step.gate.reasons();
        badge(&mut badges, "gate", "confirm", &reasons.join("; "));
    } else if step.gate.decision == Some(Confirm::Never) && !step.gate.risks.is_empty() {
        badge(
            &mut badges,
            "no-gate",
            "no confirm",
            &step.gate.reasons().join("; "),
        );
    }
    match step.mode {
        Mode::Skip => badge(&mut badges, "skip", "not run", "documentation only"),
        Mode::Manual => badge(&mut badges, "manual", "manual", "done by a person"),
        Mode::Run => {}
    }
    if let Some(t) = step.timeout.or(runbook.settings.timeout) {
        let text = format!("timeout {}", humantime::format_duration(t));
        badge(
            &mut badges,
            "timeout",
            &text,
            "the step is stopped after this long",
        );
    }
    if step.interactive {
        badge(
            &mut badges,
            "interactive",
            "interactive",
            "needs a terminal",
        );
    }
    if let Some(alt) = &step.alternative {
        let text = format!("{}={}", alt.variable, alt.value);
        badge(
            &mut badges,
            "alt",
            &text,
            "one of several alternatives, chosen by this value",
        );
    } else if let Some(first) = step.segments.first() {
        let values = step.segment_values();
        let text = format!("{}: {}", first.variable, values.join(" | "));
        let title = match &first.program {
            Some(program) => format!("its `{program}` lines run only when this is chosen"),
            None => "its labelled lines are alternatives: only the chosen one's run".to_owned(),
        };
        badge(&mut badges, "alt", &text, &title);
    } else if let Some(group) = runbook.alternatives.iter().find(|g| {
        g.options.iter().any(|(_, steps)| {
            steps
                .iter()
                .any(|&i| runbook.steps.get(i).is_some_and(|s| s.id == step.id))
        })
    }) {
        let value = group
            .options
            .iter()
            .find(|(_, steps)| steps.iter().any(|&i| runbook.steps[i].id == step.id))
            .map(|(v, _)| v.as_str())
            .unwrap_or("");
        let text = format!("{}={value}", group.variable);
        badge(
            &mut badges,
            "alt",
            &text,
            "one of several alternatives, chosen by this value",
        );
    }
    if let Some(when) = &step.when {
        badge(
            &mut badges,
            "when",
            &format!("when {}", when.source),
            "runs only when this holds",
        );
    }
    if let Some(r) = &step.retry {
        let text = format!(
            "retry ×{} / {}",
            r.attempts,
            humantime::format_duration(r.interval)
        );
        badge(
            &mut badges,
            "retry",
            &text,
            "run again until its checks pass",
        );
    }
    let risk = if step.gate.risks.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"risk\">⚠ {}</p>",
            escape(&step.gate.reasons().join("; "))
        )
    };
    let mut vars: Vec<&str> = step.uses.iter().map(|(n, _)| n.as_str()).collect();
    vars.dedup();
    let vars = if vars.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = vars
            .iter()
            .map(|v| format!("<a href=\"#var-{0}\"><code>{0}</code></a>", escape(v)))
            .collect();
        format!("<p class=\"vars\">Variables: {}</p>", list.join(", "))
    };
    let checks = step
        .checks
        .iter()
        .filter(|c| c.origin != crate::model::CheckOrigin::Block)
        .map(|c| {
            format!(
                "<div class=\"check\"><div class=\"check-label\">Check</div><pre><code>{}</code></pre></div>",
                escape(&c.source)
            )
        })
        .collect::<String>();
    // The first step of a group of alternatives names them all.
    let group_note = runbook
        .alternatives
        .iter()
        .find(|g| {
            g.options
                .first()
                .and_then(|(_, steps)| steps.first())
                .is_some_and(|&i| runbook.steps.get(i).is_some_and(|s| s.id == step.id))
        })
        .map(|g| {
            let options: Vec<String> = g
                .options
                .iter()
                .filter_map(|(value, steps)| {
                    let id = &runbook.steps.get(*steps.first()?)?.id;
                    Some(format!("<a href=\"#{}\">{}</a>", escape(id), escape(value)))
                })
                .collect();
            format!(
                "<p class=\"alt-group\">One of these, chosen by <code>{}</code>: {}</p>",
                escape(&g.variable),
                options.join(" · ")
            )
        })
        .unwrap_or_default();
    // The step's anchor is its id: its heading's when the heading has it.
    let anchor = if lookup.section_ids.contains(step.id.as_str()) {
        String::new()
    } else {
        format!(" id=\"{}\"", escape(&step.id))
    };
    format!(
        "{group_note}<div class=\"step\"{anchor} data-step=\"{id}\">\
<div class=\"step-head\"><a class=\"step-id\" href=\"#{id}\">{id}</a>{badges}</div>{risk}\
<div class=\"code\"><button class=\"copy\" type=\"button\" data-copy=\"{copy}\" aria-label=\"Copy the command\">Copy</button>\
<pre><code class=\"language-{lang}\">{code}</code></pre></div>{vars}{checks}</div>\n",
        id = escape(&step.id),
        copy = escape(step.text.as_str().trim_end_matches('\n')),
        lang = escape(lang),
        code = highlight(lang, code.trim_end_matches('\n')),
    )
}

fn header_card(runbook: &Runbook, options: &Options, out: &mut String) {
    let meta = &runbook.meta;
    let any = meta.summary.is_some()
        || meta.owner.is_some()
        || meta.status.is_some()
        || meta.version.is_some()
        || meta.area.is_some()
        || meta.last_reviewed.is_some()
        || !meta.tags.is_empty();
    if !any {
        return;
    }
    out.push_str("<header class=\"card\">");
    if let Some(summary) = &meta.summary {
        let _ = write!(out, "<p class=\"summary\">{}</p>", escape(summary));
    }
    out.push_str("<dl>");
    for (name, value) in [
        ("Owner", meta.owner.as_deref()),
        ("Status", meta.status.as_deref()),
        ("Version", meta.version.as_deref()),
        ("Area", meta.area.as_deref()),
    ] {
        if let Some(v) = value {
            let _ = write!(out, "<dt>{name}</dt><dd>{}</dd>", escape(v));
        }
    }
    if let Some(reviewed) = meta.last_reviewed {
        let badge = match overdue(runbook, options) {
            Some(days) => {
                format!(" <span class=\"badge overdue\">review overdue ({days} days)</span>")
            }
            None => String::new(),
        };
        let _ = write!(out, "<dt>Last reviewed</dt><dd>{reviewed}{badge}</dd>");
    }
    out.push_str("</dl>");
    if !meta.tags.is_empty() {
        out.push_str("<p class=\"tags\">");
        for tag in &meta.tags {
            let _ = write!(out, "<span class=\"tag\">{}</span>", escape(tag));
        }
        out.push_str("</p>");
    }
    out.push_str("</header>\n");
}

fn variables_table(runbook: &Runbook, out: &mut String) {
    if runbook.variables.is_empty() {
        return;
    }
    out.push_str("<details class=\"variables\" open><summary>Variables</summary><table><thead><tr><th>Name</th><th>Default</th><th>Description</th><th>Secret</th><th>Used in</th></tr></thead><tbody>");
    for var in &runbook.variables {
        let default = if var.secret {
            "<em>secret</em>".to_owned()
        } else {
            var.declared
                .as_ref()
                .and_then(|d| d.default.clone())
                .or_else(|| var.script_default.clone())
                .or_else(|| var.document_values().first().map(|v| (*v).to_owned()))
                .map(|v| format!("<code>{}</code>", escape(&v)))
                .unwrap_or_default()
        };
        let mut used: Vec<&str> = var
            .uses
            .iter()
            .filter_map(|u| runbook.steps.get(u.step).map(|s| s.id.as_str()))
            .collect();
        used.dedup();
        let used: Vec<String> = used
            .iter()
            .map(|id| {
                let short = id.rsplit('/').next().unwrap_or(id);
                format!(
                    "<a href=\"#{0}\" title=\"{0}\">{1}</a>",
                    escape(id),
                    escape(short)
                )
            })
            .collect();
        let name = var.placeholder.as_deref().unwrap_or(&var.name);
        let _ = write!(
            out,
            "<tr id=\"var-{}\"><td><code>{}</code></td><td>{default}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&var.name),
            escape(name),
            escape(var.description().unwrap_or("")),
            if var.secret { "yes" } else { "" },
            used.join(", ")
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// The index: runbooks grouped by area, then by tag.
pub fn index(sources: &[Entry], options: &Options) -> String {
    let mut out = String::from("<h1>Runbooks</h1>\n");
    let mut areas: Vec<String> = sources
        .iter()
        .map(|s| {
            s.runbook
                .meta
                .area
                .clone()
                .unwrap_or_else(|| "Other".to_owned())
        })
        .collect();
    areas.sort();
    areas.dedup();
    // "Other" last.
    if let Some(i) = areas.iter().position(|a| a == "Other") {
        let other = areas.remove(i);
        areas.push(other);
    }
    for area in &areas {
        let _ = write!(
            out,
            "<section class=\"area\"><h2>{}</h2><ul class=\"runbooks\">",
            escape(area)
        );
        for s in sources
            .iter()
            .filter(|s| s.runbook.meta.area.as_deref().unwrap_or("Other") == area)
        {
            entry(s, options, &mut out);
        }
        out.push_str("</ul></section>\n");
    }
    let mut tags: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.runbook.meta.tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    if !tags.is_empty() {
        out.push_str("<section class=\"by-tag\"><h2>By tag</h2>");
        for tag in tags {
            let _ = write!(
                out,
                "<h3 id=\"tag-{0}\"><span class=\"tag\">{0}</span></h3><ul>",
                escape(tag)
            );
            for s in sources
                .iter()
                .filter(|s| s.runbook.meta.tags.iter().any(|t| t == tag))
            {
                let _ = write!(
                    out,
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(&s.page().display().to_string()),
                    escape(s.runbook.title())
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</section>\n");
    }
    out
}

fn entry(s: &Entry, options: &Options, out: &mut String) {
    let rb = &s.runbook;
    let _ = write!(
        out,
        "<li><a href=\"{}\">{}</a>",
        escape(&s.page().display().to_string()),
        escape(rb.title())
    );
    if let Some(status) = &rb.meta.status {
        let _ = write!(
            out,
            " <span class=\"badge status\">{}</span>",
            escape(status)
        );
    }
    if overdue(rb, options).is_some() {
        out.push_str(" <span class=\"badge overdue\">review overdue</span>");
    }
    if let Some(summary) = &rb.meta.summary {
        let _ = write!(out, "<p>{}</p>", escape(summary));
    }
    let steps = rb.steps.len();
    let _ = write!(
        out,
        "<p class=\"meta\">{steps} step{}</p></li>",
        if steps == 1 { "" } else { "s" }
    );
}
