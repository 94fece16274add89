//! Alternatives: steps, or lines of a step, of which a person runs one.
//!
//! A runbook for three clouds provisions each in its own section, keeps a
//! secret in each cloud's store under sections named after them, and gets
//! credentials with a block of three labelled parts (`# GKE` … `# EKS` …).
//! Someone with EKS in mind runs one of each. Groups are read from:
//!
//! - `alt="VAR=value"` annotations and tabs (MkDocs, Hugo, Docusaurus),
//!   marked before this pass;
//! - sibling sections whose steps pin one variable to a value each, that
//!   their titles name (`CLOUD_PROVIDER=eks` under "Amazon EKS");
//! - sibling sections whose titles name options of one axis ("AWS Secrets
//!   Manager", "GCP Secret Manager"): a heuristic;
//! - comment labels inside one block (`# GKE`, `# EKS`): a heuristic that
//!   makes the labelled lines [`Segment`]s of the step.
//!
//! Groups whose options name the same things share an axis ([`axes`]):
//! named after the variable that pins it where one does, else the axis's
//! own name (`cloud`); one value chooses them all.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use super::axes::{self, OptionRef};
use super::*;
use crate::shell::AssignmentKind;

/// Finds every group and marks its steps and segments; runs before the
/// variables are collected, so each group's variable is a selector like a
/// written `alt=`.
pub fn find(runbook: &mut Runbook) {
    let mut parents_pinned = Vec::new();
    for parent in 0..runbook.sections.len() {
        if let Some(group) = pinned_siblings(runbook, parent) {
            parents_pinned.push(group);
        }
    }
    for (variable, options) in parents_pinned {
        for (value, steps) in options {
            for s in steps {
                runbook.steps[s].alternative = Some(AltChoice {
                    variable: variable.clone(),
                    value: value.clone(),
                    span: runbook.steps[s].span,
                    read_from: ReadFrom::EnvPrefix,
                    label: None,
                });
            }
        }
    }
    for parent in 0..runbook.sections.len() {
        titled_siblings(runbook, parent);
        numbered_siblings(runbook, parent);
    }
    for s in 0..runbook.steps.len() {
        let step = &runbook.steps[s];
        let mut segments = labelled_lines(step);
        if segments.is_empty() && !step.sequence {
            segments = menu(step);
        }
        runbook.steps[s].segments = segments;
    }
    share_axes(runbook);
    program_lines(runbook);
    runbook.alternatives = groups(runbook);
}

/// In a runbook written for several clouds, the lines of a step that run
/// one cloud's own tool (`aws secretsmanager update-secret` under "Rotate
/// Secrets") are for that cloud: someone who chose GKE does not run them.
/// They become segments of the cloud axis (the step's other lines run with
/// every choice); the plan says what a choice leaves to be done by hand.
fn program_lines(runbook: &mut Runbook) {
    let Some(cloud) = axes::kind_named("cloud") else {
        return;
    };
    // The cloud axis's variable and its value for each option, from the
    // groups read so far.
    let mut axis: Option<(String, Vec<(OptionRef, String)>)> = None;
    for step in &runbook.steps {
        let choices = step
            .alternative
            .iter()
            .map(|a| (&a.variable, &a.value))
            .chain(
                step.segments
                    .iter()
                    .filter(|g| !g.menu)
                    .map(|g| (&g.variable, &g.value)),
            );
        for (variable, value) in choices {
            let Some(option) = axes::names_one(value, cloud) else {
                continue;
            };
            let (axis_variable, values) =
                axis.get_or_insert_with(|| (variable.clone(), Vec::new()));
            if axis_variable == variable && !values.iter().any(|(o, _)| *o == option) {
                values.push((option, value.clone()));
            }
        }
    }
    let Some((variable, values)) = axis.filter(|(_, v)| v.len() >= 2) else {
        return;
    };
    for step in &mut runbook.steps {
        if step.alternative.is_some() || !step.segments.is_empty() {
            continue;
        }
        let text = step.text.as_str();
        let mut segments: Vec<Segment> = Vec::new();
        for command in &step.script.commands {
            let Some(program) = command.argvs.first().and_then(|a| a.first()) else {
                continue;
            };
            let Some(value) = axes::cloud_of_program(program)
                .and_then(|o| values.iter().find(|(v, _)| *v == o))
                .map(|(_, value)| value)
            else {
                continue;
            };
            let line_start = text[..command.span.start].rfind('\n').map_or(0, |i| i + 1);
            // With the comment lines right above it: they say what it does.
            let mut start = line_start;
            while start > 0 {
                let above = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
                if !text[above..start].trim_start().starts_with('#') {
                    break;
                }
                start = above;
            }
            let end = text[command.span.end..]
                .find('\n')
                .map_or(text.len(), |i| command.span.end + i + 1);
            if let Some(last) = segments.last_mut()
                && last.value == *value
                && text[last.span.end..start].trim().is_empty()
            {
                last.span = Span::new(last.span.start, end);
                continue;
            }
            let label = text[start..end].lines().next().unwrap_or_default().trim();
            segments.push(Segment {
                label: label.trim_end_matches('\\').trim_end().to_owned(),
                variable: variable.clone(),
                value: value.clone(),
                span: Span::new(start, end),
                menu: false,
                program: Some(program.to_string()),
            });
        }
        step.segments = segments;
    }
}

/// Values written in `alt=` that the front matter does not allow: after
/// the variables (and their declarations) are known.
pub fn check_declared(runbook: &mut Runbook) {
    let mut found = Vec::new();
    for step in &runbook.steps {
        let Some(alt) = step
            .alternative
            .as_ref()
            .filter(|a| a.read_from == ReadFrom::Annotation)
        else {
            continue;
        };
        if let Some(decl) = runbook
            .variable(&alt.variable)
            .and_then(|v| v.declared.as_ref())
            && !decl.values.is_empty()
            && !decl.values.contains(&alt.value)
        {
            found.push(
                Diagnostic::error(
                    "variable-value",
                    format!(
                        "`{}` is not an allowed value of {}",
                        alt.value, alt.variable
                    ),
                )
                .at(alt.span)
                .help(format!("allowed: {}", decl.values.join(", "))),
            );
        }
    }
    runbook.diagnostics.extend(found);
}

/// The groups, from what the steps and segments say, in document order.
fn groups(runbook: &Runbook) -> Vec<AlternativeGroup> {
    let mut groups: BTreeMap<String, AlternativeGroup> = BTreeMap::new();
    let mut add = |variable: &str, value: &str, step: usize, read_from: ReadFrom| {
        let group = groups
            .entry(variable.to_owned())
            .or_insert_with(|| AlternativeGroup {
                variable: variable.to_owned(),
                options: Vec::new(),
                detected: read_from != ReadFrom::Annotation,
                axis: None,
            });
        group.detected &= read_from != ReadFrom::Annotation;
        match group.options.iter_mut().find(|(v, _)| v == value) {
            Some((_, steps)) => {
                if !steps.contains(&step) {
                    steps.push(step);
                }
            }
            None => group.options.push((value.to_owned(), vec![step])),
        }
    };
    for (i, step) in runbook.steps.iter().enumerate() {
        for alt in step.within.iter().chain(&step.alternative) {
            add(&alt.variable, &alt.value, i, alt.read_from);
        }
        for segment in &step.segments {
            add(&segment.variable, &segment.value, i, ReadFrom::Comment);
        }
    }
    let mut groups: Vec<AlternativeGroup> = groups.into_values().collect();
    for group in &mut groups {
        for (_, steps) in &mut group.options {
            steps.sort_unstable();
        }
        group
            .options
            .sort_by_key(|(_, steps)| steps.first().copied());
        let values: Vec<&str> = group.options.iter().map(|(v, _)| v.as_str()).collect();
        // A nested group (`os/linux`) is chosen by its own name, not its kind's.
        group.axis = axes::kind_of(&values)
            .map(|(kind, _)| axes::KINDS[kind].name)
            .filter(|_| !group.variable.contains('/'));
    }
    groups.sort_by_key(|g| g.options.first().and_then(|(_, s)| s.first().copied()));
    groups
}

/// The steps of a section and everything under it that no group holds yet
/// and whose author did not say when they run (`when=`).
fn free_steps(runbook: &Runbook, section: usize) -> Vec<usize> {
    free_steps_within(runbook, section, None)
}

type Pinned = (String, Vec<(String, Vec<usize>)>);

/// A sibling section's steps and the env-prefix literals they pin.
struct Pins<'a> {
    child: usize,
    steps: Vec<usize>,
    /// (name, value) pairs, sorted, without repeats: one list per section
    /// rather than a map of sets.
    literals: Vec<(&'a str, &'a str)>,
}

impl<'a> Pins<'a> {
    /// The one value the section pins `name` to, if it pins exactly one.
    fn only_value(&self, name: &str) -> Option<&'a str> {
        let from = self.literals.partition_point(|&(n, _)| n < name);
        match self.literals[from..] {
            [(n, v), ref rest @ ..]
                if n == name && rest.first().is_none_or(|&(m, _)| m != name) =>
            {
                Some(v)
            }
            _ => None,
        }
    }
}

/// Sibling sections whose steps pin one variable to different literals.
fn pinned_siblings(runbook: &Runbook, parent: usize) -> Option<Pinned> {
    let children = &runbook.sections[parent].children;
    // Per child: its steps (without explicit `alt=`) and the literals they pin.
    let mut pinned: Vec<Pins> = Vec::new();
    for &child in children {
        let steps = free_steps(runbook, child);
        let mut literals: Vec<(&str, &str)> = Vec::new();
        for &s in &steps {
            for a in &runbook.steps[s].script.assignments {
                if let (AssignmentKind::EnvPrefix, Some(value)) = (a.kind, a.literal.as_deref()) {
                    literals.push((a.name.as_str(), value));
                }
            }
        }
        literals.sort_unstable();
        literals.dedup();
        if !steps.is_empty() {
            pinned.push(Pins {
                child,
                steps,
                literals,
            });
        }
    }
    if pinned.len() < 2 {
        return None;
    }
    // Candidates: pinned to exactly one value in every child, all
    // different, each named by its section's title ("Google Kubernetes
    // Engine (GKE)" ↔ gke): independent procedures that happen to pin
    // different values (cluster-1, cluster-2…) are not alternatives. The
    // first such variable in name order is the group's.
    let mut names: Vec<&str> = pinned[0].literals.iter().map(|&(n, _)| n).collect();
    names.dedup();
    let name = names.into_iter().find(|&name| {
        let mut values = Vec::with_capacity(pinned.len());
        for p in &pinned {
            match p.only_value(name) {
                Some(value) => values.push(value),
                None => return false,
            }
        }
        let unique: FxHashSet<&str> = values.iter().copied().collect();
        unique.len() == values.len()
            && pinned.iter().zip(&values).all(|(p, value)| {
                contains_ignore_ascii_case(&runbook.sections[p.child].title, value)
            })
    })?;
    let options = pinned
        .iter()
        .map(|p| {
            let value = p.only_value(name).unwrap_or_default();
            (value.to_owned(), p.steps.clone())
        })
        .collect();
    Some((name.to_owned(), options))
}

/// Whether `needle` is in `haystack`, ASCII letters in either case.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Sibling sections whose titles name different options of one axis
/// ("AWS Secrets Manager", "GCP Secret Manager", "Azure Key Vault"): their
/// steps are alternatives on that axis. Siblings that name none (a
/// "Prerequisites" beside them) run whatever is chosen.
fn titled_siblings(runbook: &mut Runbook, parent: usize) {
    let children = &runbook.sections[parent].children;
    if children.len() < 2 {
        return;
    }
    // Inside one option of a group (all of the parent's steps chosen by
    // os=linux), its steps are free for a group of their own, nested.
    let enclosing = enclosing_choice(runbook, parent);
    let enclosing = enclosing.as_ref();
    // Each child's title words, once: the children with steps no group holds.
    let titled: Vec<(usize, Vec<String>)> = children
        .iter()
        .filter(|&&c| has_free_steps_within(runbook, c, enclosing))
        .map(|&c| (c, axes::words(&runbook.sections[c].title)))
        .collect();
    if titled.len() < 2 {
        return;
    }
    let mut best: Option<Vec<(usize, OptionRef)>> = None;
    for kind in 0..axes::KINDS.len() {
        let named: Vec<(usize, OptionRef)> = titled
            .iter()
            .filter_map(|(c, words)| match axes::named_in(words, kind).as_slice() {
                [one] => Some((*c, *one)),
                _ => None,
            })
            .collect();
        let distinct: FxHashSet<OptionRef> = named.iter().map(|(_, o)| *o).collect();
        let same_titles = || {
            let rest =
                |&(c, _): &(usize, OptionRef)| axes::other_words(&runbook.sections[c].title, kind);
            named.iter().map(rest).collect::<FxHashSet<_>>().len() == 1
        };
        if distinct.len() >= 2
            && (!axes::KINDS[kind].same_titles || same_titles())
            && best.as_ref().is_none_or(|b| named.len() > b.len())
        {
            best = Some(named);
        }
    }
    let Some(best) = best else {
        return;
    };
    // A group on the axis of a choice it lies inside is a choice of its own
    // (openSUSE or Fedora inside os=linux): named after that choice.
    let variable = |kind: usize| {
        let around = enclosing.into_iter().chain(
            enclosing
                .map(|_| &runbook.steps[first_step_under(runbook, parent)].within[..])
                .unwrap_or_default(),
        );
        match around
            .into_iter()
            .find(|c| axes::names_one(&c.value, kind).is_some())
        {
            Some(clash) => format!("{}/{}", axes::KINDS[kind].name, clash.value),
            None => axes::KINDS[kind].name.to_owned(),
        }
    };
    let named: Vec<(usize, OptionRef, String)> = best
        .into_iter()
        .map(|(child, option)| (child, option, variable(option.kind)))
        .collect();
    for (child, option, variable) in named {
        for s in free_steps_within(runbook, child, enclosing) {
            let span = runbook.file.first_line(runbook.steps[s].span);
            let step = &mut runbook.steps[s];
            if let Some(outer) = step.alternative.take() {
                step.within.push(outer);
            }
            step.alternative = Some(AltChoice {
                variable: variable.clone(),
                value: option.name().to_owned(),
                span,
                read_from: ReadFrom::Title,
                label: None,
            });
        }
    }
}

/// The choice every step under `section` is in, when they are all in one
/// (and there is a step): the option a nested group lies inside.
fn enclosing_choice(runbook: &Runbook, section: usize) -> Option<AltChoice> {
    let mut found: Option<&AltChoice> = None;
    for &s in &runbook.subtree(section) {
        for &i in &runbook.sections[s].steps {
            let alt = runbook.steps[i].alternative.as_ref()?;
            match found {
                Some(f) if f.variable != alt.variable || f.value != alt.value => return None,
                Some(_) => {}
                None => found = Some(alt),
            }
        }
    }
    found.cloned()
}

/// The first step under `section` (there is one when
/// [`enclosing_choice`] found a choice).
fn first_step_under(runbook: &Runbook, section: usize) -> usize {
    runbook
        .subtree(section)
        .iter()
        .find_map(|&s| runbook.sections[s].steps.first().copied())
        .unwrap_or(0)
}

/// Whether a step is free for a group: in none, or only in `enclosing`
/// (the option the group would lie inside), and without `when=`.
fn free_within(step: &Step, enclosing: Option<&AltChoice>) -> bool {
    step.when.is_none()
        && match (&step.alternative, enclosing) {
            (None, _) => true,
            (Some(alt), Some(outer)) => alt.variable == outer.variable && alt.value == outer.value,
            (Some(_), None) => false,
        }
}

fn free_steps_within(
    runbook: &Runbook,
    section: usize,
    enclosing: Option<&AltChoice>,
) -> Vec<usize> {
    runbook
        .subtree(section)
        .iter()
        .flat_map(|&s| runbook.sections[s].steps.iter().copied())
        .filter(|&s| free_within(&runbook.steps[s], enclosing))
        .collect()
}

fn has_free_steps_within(runbook: &Runbook, section: usize, enclosing: Option<&AltChoice>) -> bool {
    let s = &runbook.sections[section];
    s.steps
        .iter()
        .any(|&i| free_within(&runbook.steps[i], enclosing))
        || s.children
            .iter()
            .any(|&c| has_free_steps_within(runbook, c, enclosing))
}

/// Sibling sections titled as numbered options ("Method 1: Kustomize",
/// "Method 2: Helm"): their steps are alternatives, chosen by the number
/// (`--choose installation-methods=2`, or words of the title); the axis is
/// named after the parent section's id.
fn numbered_siblings(runbook: &mut Runbook, parent: usize) {
    let children = &runbook.sections[parent].children;
    if children.len() < 2 {
        return;
    }
    let numbered: Vec<usize> = children
        .iter()
        .copied()
        .filter(|&c| is_numbered_option(&runbook.sections[c].title))
        .filter(|&c| has_free_steps_within(runbook, c, None))
        .collect();
    let mut variable = runbook.sections[parent].id.clone();
    if numbered.len() < 2 || variable.is_empty() {
        return;
    }
    // A step of the parent section has the same id (its menu would be
    // chosen by it): the sections' choice is told apart.
    if runbook.steps.iter().any(|s| s.id == variable) {
        variable.push_str("/sections");
    }
    for (n, child) in numbered.into_iter().enumerate() {
        let title = runbook.sections[child].title.clone();
        for s in free_steps(runbook, child) {
            let span = runbook.file.first_line(runbook.steps[s].span);
            runbook.steps[s].alternative = Some(AltChoice {
                variable: variable.clone(),
                value: (n + 1).to_string(),
                span,
                read_from: ReadFrom::Title,
                label: Some(title.clone()),
            });
        }
    }
}

/// Words a label may have besides the option's name (`# For EKS
/// clusters:`).
const LABEL_FILLERS: &[&str] = &[
    "for", "on", "using", "with", "if", "via", "in", "the", "only", "cluster", "clusters", "users",
    "user", "version", "and", "or",
];

/// The words of a comment line that can be a label: a short comment
/// (`# For EKS clusters:`), not a shebang.
fn label_words_of(line: &str) -> Option<Vec<String>> {
    let comment = line.trim().strip_prefix('#')?;
    if comment.starts_with('!') {
        return None;
    }
    let comment = comment.trim_start_matches('#');
    // `# GKE: Create preemptible node pool`: a label, then what its lines do.
    if let Some((head, _)) = comment.split_once(':') {
        let words = axes::words(head);
        if (1..=3).contains(&words.len()) {
            return Some(words);
        }
    }
    // A label is short: a long comment is prose, whatever it names.
    if comment.len() > 60 {
        return None;
    }
    let words = axes::words(comment);
    (!words.is_empty() && words.len() <= 5).then_some(words)
}

/// The option of `kind` a label's words name, if they name one and little
/// else.
fn label_option_in(words: &[String], kind: usize) -> Option<OptionRef> {
    let option = match axes::named_in(words, kind).as_slice() {
        [one] => *one,
        _ => return None,
    };
    let own = |w: &str| {
        option
            .words()
            .iter()
            .any(|name| name.split(' ').any(|n| n == w))
    };
    let other = words
        .iter()
        .filter(|w| !own(w) && !LABEL_FILLERS.contains(&w.as_str()))
        .count();
    (other <= 1).then_some(option)
}

/// The option of `kind` a comment line labels, if it is a label.
fn label_option(line: &str, kind: usize) -> Option<OptionRef> {
    label_option_in(&label_words_of(line)?, kind)
}

/// Lines of a block labelled as alternatives of one axis (`# GKE` …
/// `# EKS` … `# AKS` …): each label's lines run to the next label; the
/// last one's to the block's end, or to a blank line before a comment that
/// is not a label (what follows belongs to every choice). Lines before the
/// first label run whatever is chosen. Labels inside a command (a heredoc)
/// are text, not labels.
fn labelled_lines(step: &Step) -> Vec<Segment> {
    let text = step.text.as_str();
    // Two comment lines that name an option at least, before anything else
    // is collected (most blocks have none).
    let naming = comment_lines(text)
        .filter(|l| axes::names_any(l))
        .take(2)
        .count();
    if naming < 2 {
        return Vec::new();
    }
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    let inside_command = |offset: usize| {
        step.script
            .commands
            .iter()
            .any(|c| c.span.start < offset && offset < c.span.end)
    };
    // The comment lines outside commands that can be labels, read once.
    let comments: Vec<(usize, Vec<String>)> = (0..lines.len())
        .filter(|&i| lines[i].1.trim_start().starts_with('#'))
        .filter_map(|i| label_words_of(lines[i].1).map(|w| (i, w)))
        .filter(|(i, _)| !inside_command(lines[*i].0))
        .collect();
    if comments.len() < 2 {
        return Vec::new();
    }
    let mut best: Option<Vec<(usize, OptionRef)>> = None;
    for kind in 0..axes::KINDS.len() {
        let labels: Vec<(usize, OptionRef)> = comments
            .iter()
            .filter_map(|(i, words)| label_option_in(words, kind).map(|o| (*i, o)))
            .collect();
        let distinct: FxHashSet<OptionRef> = labels.iter().map(|(_, o)| *o).collect();
        if distinct.len() >= 2 && best.as_ref().is_none_or(|b| labels.len() > b.len()) {
            best = Some(labels);
        }
    }
    let Some(labels) = best else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (n, &(line, option)) in labels.iter().enumerate() {
        let end_line = match labels.get(n + 1) {
            Some(&(next, _)) => next,
            None => (line + 1..lines.len())
                .find(|&i| {
                    lines[i].1.trim().is_empty()
                        && lines.get(i + 1).is_some_and(|(_, l)| {
                            l.trim_start().starts_with('#')
                                && label_option(l, option.kind).is_none()
                        })
                })
                .unwrap_or(lines.len()),
        };
        let start = lines[line].0;
        let end = lines
            .get(end_line)
            .map_or(text.len(), |(offset, _)| *offset);
        out.push(Segment {
            label: lines[line].1.trim().to_owned(),
            variable: option.kind().name.to_owned(),
            value: option.name().to_owned(),
            span: Span::new(start, end),
            menu: false,
            program: None,
        });
    }
    out
}

/// Lines of a block between blank lines (a blank line inside a command,
/// in a heredoc, does not end one).
struct Paragraph<'a> {
    span: Span,
    /// Its first line, when that is a comment: what it says it is.
    label: Option<&'a str>,
    /// The commands that start in it.
    commands: Vec<usize>,
}

fn paragraphs<'a>(step: &'a Step) -> Vec<Paragraph<'a>> {
    let text = step.text.as_str();
    let inside_command = |offset: usize| {
        step.script
            .commands
            .iter()
            .any(|c| c.span.start < offset && offset < c.span.end)
    };
    let mut out: Vec<Paragraph> = Vec::new();
    let mut open: Option<(usize, Option<&str>)> = None;
    let mut at = 0;
    let close = |start: usize, end: usize, label: Option<&'a str>, out: &mut Vec<Paragraph<'a>>| {
        let commands = (0..step.script.commands.len())
            .filter(|&i| (start..end).contains(&step.script.commands[i].span.start))
            .collect();
        out.push(Paragraph {
            span: Span::new(start, end),
            label,
            commands,
        });
    };
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty() && !inside_command(at);
        match (&open, blank) {
            (Some((start, label)), true) => {
                close(*start, at, *label, &mut out);
                open = None;
            }
            (None, false) => {
                let trimmed = line.trim();
                let label =
                    (trimmed.starts_with('#') && !trimmed.starts_with("#!")).then_some(trimmed);
                open = Some((at, label));
            }
            _ => {}
        }
        at += line.len();
    }
    if let Some((start, label)) = open {
        close(start, text.len(), label, &mut out);
    }
    out
}

/// The words of a comment label, lowercase.
/// The first two words of a label, as written (no allocation: this runs
/// on every comment line).
fn first_words(label: &str) -> (&str, &str) {
    let mut words = label
        .trim_start_matches('#')
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    (words.next().unwrap_or(""), words.next().unwrap_or(""))
}

/// `# Option 1: …`, `# Method 2`, `# Approach A`.
fn is_numbered_option(label: &str) -> bool {
    let (first, second) = first_words(label);
    ["option", "method", "approach", "alternative", "way"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
        && (second.parse::<u32>().is_ok()
            || (second.len() == 1 && second.as_bytes()[0].is_ascii_alphabetic()))
}

/// `# Or apply directly`, `# Alternatively, …`.
fn is_or(label: &str) -> bool {
    let (first, _) = first_words(label);
    first.eq_ignore_ascii_case("or") || first.eq_ignore_ascii_case("alternatively")
}

/// A block whose commands are offered as alternatives, as a person reads
/// it: paragraphs labelled `# Option 1` / `# Option 2`, a paragraph
/// labelled `# Or …` after another, or paragraphs that change the same
/// object in different ways (`rollout undo` and `rollout undo
/// --to-revision=3`). Each entry runs to the next labelled paragraph;
/// the rest of the block (`rollout history`) runs with every entry.
fn menu(step: &Step) -> Vec<Segment> {
    // Cheap tests first: a label that offers a choice, or two risky
    // commands on one object.
    let labelled = comment_lines(step.text.as_str()).any(|l| {
        let l = l.trim_start();
        is_numbered_option(l) || is_or(l)
    });
    if !labelled && !same_object_twice(step) {
        return Vec::new();
    }
    let paragraphs = paragraphs(step);
    // Entries as ranges of paragraphs.
    let mut entries: Vec<(usize, usize)> = Vec::new();
    let until_label = |from: usize| {
        (from + 1..paragraphs.len())
            .find(|&j| paragraphs[j].label.is_some())
            .unwrap_or(paragraphs.len())
    };
    let numbered: Vec<usize> = (0..paragraphs.len())
        .filter(|&i| paragraphs[i].label.is_some_and(is_numbered_option))
        .collect();
    if numbered.len() >= 2 {
        entries = numbered.iter().map(|&i| (i, until_label(i))).collect();
    } else {
        for k in (1..paragraphs.len()).filter(|&k| paragraphs[k].label.is_some_and(is_or)) {
            if !entries.iter().any(|&(a, b)| (a..b).contains(&(k - 1))) {
                entries.push((k - 1, k));
            }
            entries.push((k, until_label(k)));
        }
    }
    if entries.is_empty() {
        entries = same_object(step, &paragraphs);
    }
    entries.retain(|&(a, b)| (a..b).any(|p| !paragraphs[p].commands.is_empty()));
    if entries.len() < 2 {
        return Vec::new();
    }
    let text = step.text.as_str();
    entries
        .iter()
        .enumerate()
        .map(|(n, &(a, b))| {
            let first = &paragraphs[a];
            let label = first.label.map(str::to_owned).unwrap_or_else(|| {
                let line = text[first.span.start..first.span.end]
                    .lines()
                    .next()
                    .unwrap_or("");
                line.trim().to_owned()
            });
            Segment {
                label,
                variable: step.id.clone(),
                program: None,
                value: (n + 1).to_string(),
                // With the blank lines after it: a left-out entry leaves one gap.
                span: Span::new(
                    first.span.start,
                    paragraphs.get(b).map_or(text.len(), |next| next.span.start),
                ),
                menu: true,
            }
        })
        .collect()
}

/// Whether two risky commands of the step change one object in different
/// ways (see [`same_object`]), without reading paragraphs.
fn same_object_twice(step: &Step) -> bool {
    let risky: Vec<&[compact_str::CompactString]> = step
        .script
        .commands
        .iter()
        .filter(|c| !c.risks.is_empty())
        .filter_map(|c| c.argvs.first().map(Vec::as_slice))
        .collect();
    risky.iter().enumerate().any(|(i, a)| {
        risky[i + 1..]
            .iter()
            .any(|b| a != b && object(a) == object(b))
    })
}

/// What a command acts on: its words other than options (`kubectl rollout
/// undo deploy/x` for `… --to-revision=3` too).
fn object(argv: &[compact_str::CompactString]) -> Vec<&str> {
    argv.iter()
        .map(|w| w.as_str())
        .filter(|w| !w.starts_with('-'))
        .collect()
}

/// Paragraphs that change one object in different ways: commands a risk
/// rule matches whose words other than options are the same, and whose
/// options differ (`rollout undo deploy/x` and `rollout undo deploy/x
/// --to-revision=3`). Each such paragraph is an entry.
fn same_object(step: &Step, paragraphs: &[Paragraph]) -> Vec<(usize, usize)> {
    let mut by_object: BTreeMap<Vec<&str>, Vec<(usize, &[compact_str::CompactString])>> =
        BTreeMap::new();
    for (p, paragraph) in paragraphs.iter().enumerate() {
        for &c in &paragraph.commands {
            let command = &step.script.commands[c];
            let Some(argv) = command.argvs.first().filter(|_| !command.risks.is_empty()) else {
                continue;
            };
            by_object.entry(object(argv)).or_default().push((p, argv));
        }
    }
    for uses in by_object.values() {
        let mut found: Vec<usize> = uses.iter().map(|(p, _)| *p).collect();
        found.dedup();
        let differ = uses.iter().any(|(_, argv)| *argv != uses[0].1);
        if found.len() >= 2 && differ {
            return found.into_iter().map(|p| (p, p + 1)).collect();
        }
    }
    Vec::new()
}

/// Groups on the same axis choose together: a group read from titles,
/// comments or unnamed tabs joins the group of that axis a variable pins
/// (`CLOUD_PROVIDER`: gke, eks, aks), taking its values; without one, it is
/// named after the axis (`cloud`) and its values after the options.
fn share_axes(runbook: &mut Runbook) {
    let unnamed = |variable: &str, read_from: ReadFrom| {
        matches!(read_from, ReadFrom::Title | ReadFrom::Comment)
            || (read_from == ReadFrom::Tab
                && (variable == "TAB" || variable.strip_prefix("TAB_").is_some()))
    };
    // Every group's values, with whether a variable names it.
    let mut values: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
    for step in &runbook.steps {
        let choices = step
            .within
            .iter()
            .chain(&step.alternative)
            .map(|a| (&a.variable, &a.value, unnamed(&a.variable, a.read_from)))
            .chain(
                step.segments
                    .iter()
                    .filter(|s| !s.menu)
                    .map(|s| (&s.variable, &s.value, true)),
            );
        for (variable, value, unnamed) in choices {
            // `os/linux` (nested in the choice it is named after) and a
            // section's numbered options are choices of their own.
            if variable.contains('/') {
                continue;
            }
            let entry = values
                .entry(variable.clone())
                .or_insert((unnamed, Vec::new()));
            entry.0 &= unnamed;
            if !entry.1.contains(value) {
                entry.1.push(value.clone());
            }
        }
    }
    // Per axis, the first variable (in name order) that names a group on it,
    // and its value for each option.
    let mut named: BTreeMap<usize, (String, Vec<(OptionRef, String)>)> = BTreeMap::new();
    for (variable, (unnamed, vals)) in &values {
        if *unnamed {
            continue;
        }
        let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
        if let Some((kind, options)) = axes::kind_of(&refs) {
            named.entry(kind).or_insert_with(|| {
                (
                    variable.clone(),
                    options.into_iter().zip(vals.iter().cloned()).collect(),
                )
            });
        }
    }
    // Where each unnamed group's choices go: (variable, value) by (old variable, old value).
    let mut renamed: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for (variable, (unnamed, vals)) in &values {
        if !*unnamed {
            continue;
        }
        let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
        let Some((kind, options)) = axes::kind_of(&refs) else {
            continue;
        };
        for (value, option) in vals.iter().zip(options) {
            let to = match named.get(&kind) {
                Some((var, map)) => (
                    var.clone(),
                    map.iter()
                        .find(|(o, _)| *o == option)
                        .map_or_else(|| option.name().to_owned(), |(_, v)| v.clone()),
                ),
                None => (axes::KINDS[kind].name.to_owned(), option.name().to_owned()),
            };
            renamed.insert((variable.clone(), value.clone()), to);
        }
    }
    for step in &mut runbook.steps {
        let choices = step
            .within
            .iter_mut()
            .chain(step.alternative.iter_mut())
            .map(|a| (&mut a.variable, &mut a.value))
            .chain(
                step.segments
                    .iter_mut()
                    .map(|s| (&mut s.variable, &mut s.value)),
            );
        for (variable, value) in choices {
            if let Some((to_var, to_value)) = renamed.get(&(variable.clone(), value.clone())) {
                *variable = to_var.clone();
                *value = to_value.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(text: &str) -> Runbook {
        crate::model::from_text(text)
    }

    fn choices(rb: &Runbook) -> Vec<(String, Option<(String, String)>)> {
        rb.steps
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    s.alternative
                        .as_ref()
                        .map(|a| (a.variable.clone(), a.value.clone())),
                )
            })
            .collect()
    }

    #[test]
    fn sibling_sections_pinning_a_variable_are_alternatives() {
        let rb = runbook(
            "## Provision\n\n### GKE\n\n```bash\nCLOUD=gke \\\nREGION=us-central1 \\\n./p.sh\n```\n\n### Amazon EKS\n\n```bash\nCLOUD=eks \\\nREGION=us-east-1 \\\n./p.sh\n```\n",
        );
        assert_eq!(rb.alternatives.len(), 1);
        let g = &rb.alternatives[0];
        assert_eq!(g.variable, "CLOUD");
        assert_eq!(g.axis, Some("cloud"));
        assert_eq!(
            g.options,
            vec![("gke".to_owned(), vec![0]), ("eks".to_owned(), vec![1])]
        );
        assert!(rb.variable("CLOUD").is_some_and(|v| v.selects));
    }

    #[test]
    fn titles_naming_a_cloud_join_the_variable_that_pins_it() {
        let rb = runbook(concat!(
            "## Provision\n\n### GKE\n\n```bash\nCLOUD=gke ./p.sh\n```\n\n### EKS\n\n```bash\nCLOUD=eks ./p.sh\n```\n\n",
            "## Secrets\n\n### Prerequisites\n\n```bash\nls\n```\n\n### AWS Secrets Manager\n\n```bash\naws sm\n```\n\n### GCP Secret Manager\n\n```bash\ngcloud sm\n```\n\n### Azure Key Vault\n\n```bash\naz kv\n```\n",
        ));
        let pair = |v: &str, x: &str| Some((v.to_owned(), x.to_owned()));
        assert_eq!(
            choices(&rb),
            vec![
                ("provision/gke".to_owned(), pair("CLOUD", "gke")),
                ("provision/eks".to_owned(), pair("CLOUD", "eks")),
                ("secrets/prerequisites".to_owned(), None),
                (
                    "secrets/aws-secrets-manager".to_owned(),
                    pair("CLOUD", "eks")
                ),
                (
                    "secrets/gcp-secret-manager".to_owned(),
                    pair("CLOUD", "gke")
                ),
                // No variable value names Azure: the option's own name.
                ("secrets/azure-key-vault".to_owned(), pair("CLOUD", "azure")),
            ]
        );
        assert_eq!(rb.alternatives.len(), 1);
    }

    #[test]
    fn titles_alone_make_an_axis_of_their_own_name() {
        let rb = runbook(
            "## Install\n\n### On Ubuntu\n\n```bash\napt-get install x\n```\n\n### On CentOS\n\n```bash\nyum install x\n```\n",
        );
        let g = &rb.alternatives[0];
        assert_eq!(g.variable, "os");
        assert_eq!(
            g.options,
            vec![
                ("debian".to_owned(), vec![0]),
                ("redhat".to_owned(), vec![1])
            ]
        );
        assert!(
            rb.steps[0]
                .alternative
                .as_ref()
                .is_some_and(|a| a.read_from == ReadFrom::Title)
        );
        assert!(rb.variable("os").is_some_and(|v| v.selects));
    }

    #[test]
    fn sections_that_are_not_choices_stay_steps() {
        let rb = runbook(
            "## Access\n\n### Read-Only (Developers)\n\n```bash\nls\n```\n\n### Admin\n\n```bash\nls\n```\n\n## Backup\n\n### To S3\n\n```bash\nls\n```\n\n### Verify\n\n```bash\nls\n```\n",
        );
        assert!(rb.alternatives.is_empty(), "{:?}", rb.alternatives);
        // Tools named for another reason: different tasks.
        let rb = runbook(
            "## K8s\n\n### Disabling mTLS with Helm\n\n```bash\nhelm upgrade\n```\n\n### Updating certificates using kubectl\n\n```bash\nkubectl apply\n```\n",
        );
        assert!(rb.alternatives.is_empty(), "{:?}", rb.alternatives);
        // The same task by two tools is a choice.
        let rb = runbook(
            "## Install\n\n### Install with Helm\n\n```bash\nhelm install x\n```\n\n### Install with kubectl\n\n```bash\nkubectl apply -f x.yaml\n```\n",
        );
        assert_eq!(rb.alternatives.len(), 1);
        assert_eq!(rb.alternatives[0].variable, "tool");
    }

    /// Choices inside a choice: a package format inside Linux, a
    /// distribution inside .rpm. Each step keeps the choices it lies inside;
    /// the distributions, on the os axis already chosen as linux, are a
    /// choice of their own (`os/linux`).
    #[test]
    fn groups_inside_an_option_are_choices_of_their_own() {
        let rb = runbook(concat!(
            "## macOS\n\n```bash\nbrew install x\n```\n\n",
            "## Linux\n\n### Requirements\n\n```bash\nls /dev/kvm\n```\n\n",
            "### Installation via .deb Package\n\n```bash\napt install ./x.deb\n```\n\n",
            "### Installing via .rpm Package\n\n#### openSUSE\n\n```bash\nzypper install x\n```\n\n",
            "#### Fedora\n\n```bash\ndnf install x\n```\n\n",
        ));
        let choice = |id: &str| {
            let step = rb.steps.iter().find(|s| s.id.ends_with(id)).expect(id);
            let mut all: Vec<String> = step
                .within
                .iter()
                .chain(&step.alternative)
                .map(|c| format!("{}={}", c.variable, c.value))
                .collect();
            all.dedup();
            all.join(" ")
        };
        assert_eq!(choice("macos"), "os=macos");
        assert_eq!(choice("requirements"), "os=linux");
        assert_eq!(
            choice("installation-via-deb-package"),
            "os=linux package-format=deb"
        );
        assert_eq!(
            choice("fedora"),
            "os=linux package-format=rpm os/linux=redhat"
        );
        let variables: Vec<(&str, Option<&str>)> = rb
            .alternatives
            .iter()
            .map(|g| (g.variable.as_str(), g.axis))
            .collect();
        assert_eq!(
            variables,
            [
                ("os", Some("os")),
                ("package-format", Some("package-format")),
                ("os/linux", None)
            ]
        );
    }

    #[test]
    fn labelled_lines_of_a_block_are_segments() {
        let rb = runbook(
            "## Credentials\n\n```bash\nset -e\n\n# GKE\ngcloud get-credentials \\\n  --project p\n\n# EKS\naws eks update-kubeconfig\n\n# For AKS clusters:\naz aks get-credentials\n\n# Check\nkubectl get nodes\n```\n",
        );
        let step = &rb.steps[0];
        let text = step.text.as_str();
        let parts: Vec<(&str, &str, &str)> = step
            .segments
            .iter()
            .map(|s| {
                (
                    s.label.as_str(),
                    s.value.as_str(),
                    &text[s.span.start..s.span.end],
                )
            })
            .collect();
        assert_eq!(
            parts,
            vec![
                (
                    "# GKE",
                    "gcp",
                    "# GKE\ngcloud get-credentials \\\n  --project p\n\n"
                ),
                ("# EKS", "aws", "# EKS\naws eks update-kubeconfig\n\n"),
                (
                    "# For AKS clusters:",
                    "azure",
                    "# For AKS clusters:\naz aks get-credentials\n"
                ),
            ]
        );
        assert_eq!(rb.alternatives[0].variable, "cloud");
        assert_eq!(rb.alternatives[0].options.len(), 3);
    }

    /// `# GKE: Create preemptible node pool`: the words before the colon
    /// are the label, whatever follows; a note (`# Note: on GKE …`) is not.
    #[test]
    fn a_label_can_say_what_its_lines_do_after_a_colon() {
        let rb = runbook(
            "```bash\n# GKE: Create preemptible node pool in the project\ngcloud node-pools create p\n\n# EKS: Use Spot instances in node group\n# (configure in eksctl config file)\n\n# AKS: Use Spot VMs\naz aks nodepool add\n```\n",
        );
        let values: Vec<(&str, &str)> = rb.steps[0]
            .segments
            .iter()
            .map(|s| (s.label.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                ("# GKE: Create preemptible node pool in the project", "gcp"),
                ("# EKS: Use Spot instances in node group", "aws"),
                ("# AKS: Use Spot VMs", "azure"),
            ]
        );
        let rb = runbook(
            "```bash\n# Note: on GKE this needs the beta API\ngcloud beta x\n# Note: on EKS use eksctl\neksctl y\n```\n",
        );
        assert!(rb.steps[0].segments.is_empty());
    }

    /// Comment lines are those whose first non-blank is `#`, each once.
    #[test]
    fn comment_lines_start_with_a_hash() {
        let text = "# one\necho a # not\n  ## two #\n\tcurl x#y\n#\r\nlast";
        assert_eq!(
            comment_lines(text).collect::<Vec<_>>(),
            ["# one", "  ## two #", "#\r"]
        );
        assert_eq!(comment_lines("echo $# and a#b").count(), 0);
    }

    #[test]
    fn ordinary_comments_are_not_labels() {
        let rb = runbook(
            "```bash\n# Create secrets in AWS Secrets Manager\naws sm create\n# Then copy them from GCP to the cluster\ngcloud sm get\n```\n",
        );
        assert!(rb.steps[0].segments.is_empty());
        let rb = runbook("```bash\ncat <<EOF\n# GKE\nx\n# EKS\ny\nEOF\n```\n");
        assert!(rb.steps[0].segments.is_empty());
    }

    fn entries(text: &str) -> Vec<(String, String, String)> {
        let rb = runbook(text);
        let step = &rb.steps[0];
        step.segments
            .iter()
            .map(|g| {
                let lines = &step.text.as_str()[g.span.start..g.span.end];
                (g.value.clone(), g.label.clone(), lines.to_owned())
            })
            .collect()
    }

    fn e(value: &str, label: &str, lines: &str) -> (String, String, String) {
        (value.to_owned(), label.to_owned(), lines.to_owned())
    }

    #[test]
    fn numbered_options_are_a_menu_with_the_paragraphs_that_follow_each() {
        assert_eq!(
            entries(
                "```bash\n# Option 1: in the pod\nkubectl exec p -- migrate\n\n# Option 2: as a job\nkubectl create job m\n\nkubectl logs job/m\n```\n"
            ),
            [
                e(
                    "1",
                    "# Option 1: in the pod",
                    "# Option 1: in the pod\nkubectl exec p -- migrate\n\n"
                ),
                e(
                    "2",
                    "# Option 2: as a job",
                    "# Option 2: as a job\nkubectl create job m\n\nkubectl logs job/m\n"
                ),
            ]
        );
    }

    #[test]
    fn or_offers_the_paragraph_before_it_and_the_rest_runs_with_either() {
        assert_eq!(
            entries(
                "```bash\n# Build\nmake\n\n# Apply with kustomize\nkubectl apply -k .\n\n# Or apply directly\nkubectl set image d/x x=y:1\n\n# Watch\nkubectl rollout status d/x\n```\n"
            ),
            [
                e(
                    "1",
                    "# Apply with kustomize",
                    "# Apply with kustomize\nkubectl apply -k .\n\n"
                ),
                e(
                    "2",
                    "# Or apply directly",
                    "# Or apply directly\nkubectl set image d/x x=y:1\n\n"
                ),
            ]
        );
    }

    #[test]
    fn two_ways_of_changing_one_object_are_a_menu_reading_is_not() {
        assert_eq!(
            entries(
                "```bash\n# History\nkubectl rollout history deploy/x\n\n# Previous\nkubectl rollout undo deploy/x\n\n# Specific\nkubectl rollout undo deploy/x --to-revision=3\n```\n"
            ),
            [
                e(
                    "1",
                    "# Previous",
                    "# Previous\nkubectl rollout undo deploy/x\n\n"
                ),
                e(
                    "2",
                    "# Specific",
                    "# Specific\nkubectl rollout undo deploy/x --to-revision=3\n"
                ),
            ]
        );
        // Read-only commands of one object, several ways: a sequence.
        assert!(
            entries("```bash\n# Pods\nkubectl get pods\n\n# Wide\nkubectl get pods -o wide\n```\n")
                .is_empty()
        );
        // The author says every command runs.
        assert!(entries("```bash {sequence}\n# Apply\nkubectl apply -k .\n\n# Or directly\nkubectl set image d/x x=y\n```\n").is_empty());
    }

    #[test]
    fn numbered_sections_are_alternatives_named_after_their_parent() {
        let rb = runbook(
            "## Install\n\n### Method 1: Kustomize\n\n```bash\nkubectl apply -k .\n```\n\n### Method 2: Helm\n\n```bash\nhelm install x\n```\n\n### Verify\n\n```bash\nkubectl get pods\n```\n",
        );
        let pair = |v: &str, x: &str, l: &str| Some((v.to_owned(), x.to_owned(), l.to_owned()));
        let got: Vec<Option<(String, String, String)>> = rb
            .steps
            .iter()
            .map(|s| {
                s.alternative.as_ref().map(|a| {
                    (
                        a.variable.clone(),
                        a.value.clone(),
                        a.label.clone().unwrap_or_default(),
                    )
                })
            })
            .collect();
        assert_eq!(
            got,
            vec![
                pair("install", "1", "Method 1: Kustomize"),
                pair("install", "2", "Method 2: Helm"),
                None,
            ]
        );
    }

    #[test]
    fn numbered_sections_and_a_menu_of_their_parent_are_two_choices() {
        let rb = runbook(
            "## Install\n\n```bash\n# Apply\nkubectl apply -k .\n\n# Or directly\nkubectl set image d/x x=y\n```\n\n### Method 1: A\n\n```bash\necho a\n```\n\n### Method 2: B\n\n```bash\necho b\n```\n",
        );
        let variables: Vec<&str> = rb
            .alternatives
            .iter()
            .map(|g| g.variable.as_str())
            .collect();
        assert_eq!(variables, ["install", "install/sections"]);
    }
}
