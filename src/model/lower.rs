//! Document → Runbook.
//!
//! Passes, each over the result of the one before: sections and steps
//! (in document order), step ids, alternatives ([`super::alternatives`]),
//! variables (with every use), checks.

use rustc_hash::{FxHashMap, FxHashSet};

use super::annotations::{self, StepOptions};
use super::classify;
use super::*;
use crate::shell::{self, AssignmentKind};
use crate::syntax::{CodeBlock, Document, Item};

/// Builds the model. Problems are collected in `Runbook::diagnostics`.
pub fn lower(file: SourceFile, doc: Document) -> Runbook {
    let mut diagnostics = doc.diagnostics;
    let (meta, settings) = meta::read(doc.front_matter.as_ref(), &mut diagnostics);
    let mut runbook = Runbook {
        file: std::sync::Arc::new(file),
        meta,
        settings,
        sections: vec![Section {
            id: String::new(),
            title: String::new(),
            level: 0,
            span: Span::default(),
            parent: None,
            children: Vec::new(),
            steps: Vec::new(),
        }],
        steps: Vec::new(),
        variables: Vec::new(),
        alternatives: Vec::new(),
        blocks: Vec::new(),
        diagnostics,
    };
    super::dialects::runme_front_matter(&mut runbook);
    read_items(&mut runbook, &doc.items);
    values_read_again_in_other_steps(&mut runbook);
    super::dialects::tab_alternatives(&mut runbook, &doc.items);
    assign_ids(&mut runbook);
    name_placeholders_after_their_prefix(&mut runbook);
    super::alternatives::find(&mut runbook);
    collect_variables(&mut runbook);
    reserved_names(&mut runbook);
    super::alternatives::check_declared(&mut runbook);
    compile_checks(&mut runbook);
    mark_unreadable(&mut runbook);
    // Source order, whatever stage found them (stable: ties keep stage order).
    runbook
        .diagnostics
        .sort_by_key(|d| d.span.map_or(0, |s| s.start));
    runbook
}

/// The steps share one shell: a value assigned in one (`x=<v>`) is read
/// again where another reads the variable (`bash -c "echo $x"`,
/// `(( x > 3 ))`), so the placeholders and references in it are held to
/// that, through chains of assignments across steps.
fn values_read_again_in_other_steps(runbook: &mut Runbook) {
    loop {
        let mut names: Vec<(String, shell::ReadAgain)> = Vec::new();
        for step in &runbook.steps {
            for (name, read_again) in step.script.read_again_names() {
                shell::add_read_again(&mut names, &name, &read_again);
            }
        }
        if names.is_empty() {
            return;
        }
        let mut changed = false;
        for step in &mut runbook.steps {
            changed |= step.script.flow(&names);
        }
        if !changed {
            return;
        }
    }
}

/// Names the step shell keeps for itself (`__litops_on_exit` is evaluated
/// when a step ends): a runbook variable of such a name would let a value
/// bound to it run as code. Each use is an error: the step cannot run.
fn reserved_names(runbook: &mut Runbook) {
    let mut found = Vec::new();
    for var in runbook
        .variables
        .iter()
        .filter(|v| v.name.starts_with(RESERVED_PREFIX))
    {
        for u in &var.uses {
            found.push(reserved_name(&var.name).at(u.span));
        }
    }
    runbook.diagnostics.extend(found);
}

/// Pass 6: a step whose block (annotation and checks included) has an
/// error cannot run as written; the rest of the file still can.
fn mark_unreadable(runbook: &mut Runbook) {
    for d in runbook.diagnostics.iter().filter(|d| d.is_error()) {
        let Some(at) = d.span else { continue };
        if let Some(step) = runbook
            .steps
            .iter_mut()
            .find(|s| s.extent.start <= at.start && at.start < s.extent.end)
        {
            let reason = format!("{} ({})", d.message, runbook.file.location(at));
            if !step.unreadable.contains(&reason) {
                step.unreadable.push(reason);
            }
        }
    }
}

/// Adds `name` to `set`, copying it only when it is not there yet (most
/// names recur from step to step).
fn insert_new(set: &mut FxHashSet<String>, name: &str) {
    if !set.contains(name) {
        set.insert(name.to_owned());
    }
}

fn is_upper_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Pass 5: every Rhai check and condition compiles, or says where it does not.
fn compile_checks(runbook: &mut Runbook) {
    let any = !runbook.settings.preflight.is_empty()
        || runbook
            .steps
            .iter()
            .any(|s| !s.checks.is_empty() || s.when.is_some());
    // Building the engine registers Rhai's whole library: only when needed.
    if any {
        crate::checks::with_engine(|engine| compile_with(engine, runbook));
    }
}

fn compile_with(engine: &crate::checks::Engine, runbook: &mut Runbook) {
    let mut found = Vec::new();
    for step in &runbook.steps {
        let sources = step.checks.iter().map(Check::rhai).chain(
            step.when
                .iter()
                .map(|w| crate::checks::Code::expression(&w.source, w.span)),
        );
        for source in sources {
            if let Err(diagnostic) = engine.compile(source) {
                found.push(diagnostic);
            }
        }
    }
    for p in &runbook.settings.preflight {
        if let Err(diagnostic) = engine.compile(crate::checks::Code::expression(&p.source, p.span))
        {
            found.push(diagnostic);
        }
    }
    runbook.diagnostics.extend(found);
}

/// Pass 1: the heading tree, steps and other blocks.
fn read_items(runbook: &mut Runbook, items: &[Item]) {
    let mut open: Vec<usize> = vec![0];
    let mut prose: Option<&str> = None;
    let mut last_step: Option<(usize, usize)> = None;
    // At most a step per code block: the list is made once, not doubled
    // (and copied) as it grows.
    runbook
        .steps
        .reserve(items.iter().filter(|i| matches!(i, Item::Code(_))).count());
    for (index, item) in items.iter().enumerate() {
        let section = *open.last().unwrap_or(&0);
        match item {
            Item::Heading(h) => {
                while open.len() > 1
                    && runbook.sections[*open.last().unwrap_or(&0)].level >= h.level
                {
                    open.pop();
                }
                let parent = *open.last().unwrap_or(&0);
                let title = super::dialects::heading_text(&h.text);
                let id = section_id(runbook, parent, h, &title);
                let new = runbook.sections.len();
                runbook.sections.push(Section {
                    id,
                    title,
                    level: h.level,
                    span: h.span,
                    parent: Some(parent),
                    children: Vec::new(),
                    steps: Vec::new(),
                });
                runbook.sections[parent].children.push(new);
                open.push(new);
                prose = None;
            }
            Item::Prose(p) => {
                if !is_markup_line(&p.text) {
                    prose = Some(&p.text);
                }
            }
            Item::Code(code) => {
                let lang = code.lang().unwrap_or("").to_owned();
                if lang == "rhai" {
                    attach_check(
                        runbook,
                        code,
                        section,
                        last_step.filter(|(i, _)| *i + 1 == index),
                    );
                } else {
                    match classify::read(code, &lang) {
                        Ok(reading) => {
                            let step =
                                make_step(runbook, code, section, prose.take(), &lang, reading);
                            runbook.sections[section].steps.push(runbook.steps.len());
                            last_step = Some((index, runbook.steps.len()));
                            runbook.steps.push(step);
                        }
                        Err((role, why)) => runbook.blocks.push(DocBlock {
                            lang: code.lang().map(str::to_owned),
                            section,
                            span: code.span,
                            extent: extent(code),
                            role,
                            why,
                        }),
                    }
                }
            }
            Item::Other(_) => {}
        }
    }
}

/// Hugo shortcodes and MkDocs tab/admonition markers are not prose.
fn is_markup_line(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("{{") || t.starts_with("===") || t.starts_with("!!!") || t.starts_with("???")
}

fn section_id(
    runbook: &Runbook,
    parent: usize,
    heading: &crate::syntax::Heading,
    title: &str,
) -> String {
    let slug = heading.anchor.clone().unwrap_or_else(|| slugify(title));
    let parent = &runbook.sections[parent];
    // The document title (level 1) is not part of the path.
    if heading.level == 1 || parent.level <= 1 {
        slug
    } else {
        format!("{}/{slug}", parent.id)
    }
}

fn make_step(
    runbook: &mut Runbook,
    code: &CodeBlock,
    section: usize,
    prose: Option<&str>,
    lang: &str,
    mut reading: classify::Reading,
) -> Step {
    let text = reading.text;
    let d = &mut runbook.diagnostics;
    let attrs = code
        .annotation
        .iter()
        .flat_map(|a| a.attrs.iter())
        .chain(code.info.attrs.iter());
    let options: StepOptions = annotations::read(attrs, d);
    let script = reading
        .script
        .take()
        .unwrap_or_else(|| shell::read(text.as_str()));
    for problem in &script.problems {
        d.push(
            Diagnostic::warning(
                "shell-syntax",
                format!("bash would not read this: {}", problem.message),
            )
            .at(text.source_span(problem.span))
            .help("litops reads the rest of the block; fix the script or mark the block `skip`"),
        );
    }
    let gate = Gate::of(options.confirm, &script.commands);
    let checks = [
        (options.check, CheckOrigin::Annotation),
        (options.until.clone(), CheckOrigin::Until),
    ]
    .into_iter()
    .filter_map(|(e, origin)| {
        e.map(|e| Check {
            text: MappedText::contiguous(&e.source, e.span.start),
            source: e.source,
            span: e.span,
            origin,
        })
    })
    .collect();
    if let (Some(_), None, None) = (options.interval, options.retry, &options.until) {
        runbook.diagnostics.push(
            Diagnostic::warning(
                "annotation-value",
                "`interval` has no effect without `retry` or `until`",
            )
            .at(runbook.file.first_line(code.span))
            .help("add retry=N (attempts) or until=\"EXPR\" (a condition to wait for)"),
        );
    }
    let retry = (options.retry.is_some() || options.until.is_some()).then(|| Retry {
        attempts: options.retry.unwrap_or(DEFAULT_ATTEMPTS),
        interval: options.interval.unwrap_or(DEFAULT_INTERVAL),
    });
    // Input to a REPL is not bash: a person types it (unless marked `skip`).
    let mode = match options.mode {
        Mode::Run if !reading.repl.is_empty() => Mode::Manual,
        mode => mode,
    };
    let mut step = Step {
        id: options
            .name
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default(),
        explicit_id: options.name.is_some(),
        section,
        summary: prose.and_then(first_sentence),
        lang: lang.to_owned(),
        span: code.span,
        extent: extent(code),
        unreadable: Vec::new(),
        text,
        script,
        gate,
        timeout: options.timeout,
        interactive: options.interactive,
        stream: options.stream,
        mode,
        when: options.when,
        alternative: options.alt,
        within: Vec::new(),
        segments: Vec::new(),
        sequence: options.sequence,
        background: options.background,
        continue_on_error: options.continue_on_error,
        checks,
        retry,
        container: code.container.clone(),
        tags: options.tags,
        exclude_from_run_all: options.exclude_from_run_all,
        cwd: options.cwd,
        uses: Vec::new(),
        inferred: reading.inferred,
        output: reading.output,
        repl: reading.repl,
        checkpoints: Vec::new(),
        remote: None,
    };
    step.remote = super::remote::find(&step);
    if !options.no_checkpoint && step.mode == Mode::Run {
        step.checkpoints = super::checkpoints::find(&step);
    }
    step
}

/// The block and the annotation comment above it.
fn extent(code: &CodeBlock) -> Span {
    let start = code
        .annotation
        .as_ref()
        .map_or(code.span.start, |a| a.span.start.min(code.span.start));
    Span::new(start, code.span.end)
}

fn first_sentence(text: &str) -> Option<String> {
    let text = text.trim();
    let end = text
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .next()
        .unwrap_or(text.len());
    let sentence = text[..end].trim().trim_end_matches(':').trim();
    if sentence.is_empty() {
        return None;
    }
    // At most 120 characters, copied once.
    Some(match sentence.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &sentence[..cut]),
        None => sentence.to_owned(),
    })
}

fn attach_check(
    runbook: &mut Runbook,
    code: &CodeBlock,
    section: usize,
    step: Option<(usize, usize)>,
) {
    runbook.blocks.push(DocBlock {
        lang: Some("rhai".to_owned()),
        section,
        span: code.span,
        extent: extent(code),
        role: BlockRole::Check,
        why: match step {
            Some(_) => "a check of the step before it".to_owned(),
            None => "a check that follows no shell block (check-orphan)".to_owned(),
        },
    });
    match step {
        Some((_, step)) => {
            // The check is part of the step: its errors are the step's.
            let extent = &mut runbook.steps[step].extent;
            extent.end = extent.end.max(code.span.end);
            runbook.steps[step].checks.push(Check {
            source: code.content.as_str().to_owned(),
            text: code.content.clone(),
            span: code.span,
            origin: CheckOrigin::Block,
            });
        }
        None => runbook.diagnostics.push(
            Diagnostic::error("check-orphan", "this `rhai` check does not follow a shell block")
                .at(runbook.file.first_line(code.span))
                .help("put the ```rhai block directly after the ```bash block it checks, with nothing in between"),
        ),
    }
}

/// Pass 2: derived ids (`section-path`, then `-2`, `-3`…) and duplicates.
fn assign_ids(runbook: &mut Runbook) {
    let fallback = runbook
        .sections
        .iter()
        .find(|s| s.level == 1)
        .map(|s| s.id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "step".to_owned());
    // Steps counted per section, by the section's index.
    let mut per_section: Vec<usize> = vec![0; runbook.sections.len()];
    for step in runbook.steps.iter_mut().filter(|s| !s.explicit_id) {
        let Some(n) = per_section.get_mut(step.section) else {
            continue;
        };
        *n += 1;
        let base = match &runbook.sections[step.section].id {
            id if id.is_empty() => fallback.clone(),
            id => id.clone(),
        };
        step.id = if *n == 1 { base } else { format!("{base}-{n}") };
    }
    // Names the author wrote come first: an id made from a heading gives
    // way to them (`setup` under "Setup" becomes `setup-2` when a block is
    // named `setup`), and only two written names can clash.
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    for i in 0..runbook.steps.len() {
        if !runbook.steps[i].explicit_id {
            continue;
        }
        let id = runbook.steps[i].id.clone();
        let Some(&first) = seen.get(&id) else {
            seen.insert(id, i);
            continue;
        };
        let first_at = runbook.file.location(runbook.steps[first].span);
        runbook.diagnostics.push(
            Diagnostic::error(
                "step-duplicate-id",
                format!("step id `{id}` is already used"),
            )
            .at(runbook.file.first_line(runbook.steps[i].span))
            .label("second step with this id")
            .help(format!(
                "the first is at {first_at}; step ids must be unique, rename one of them"
            )),
        );
    }
    for i in 0..runbook.steps.len() {
        if runbook.steps[i].explicit_id {
            continue;
        }
        // Most ids are free: looked up before anything is copied.
        if !seen.contains_key(runbook.steps[i].id.as_str()) {
            seen.insert(runbook.steps[i].id.clone(), i);
            continue;
        }
        let id = runbook.steps[i].id.clone();
        // Two headings with the same path, or a written name: number it.
        let mut n = 2;
        while seen.contains_key(&format!("{id}-{n}")) {
            n += 1;
        }
        let unique = format!("{id}-{n}");
        runbook.steps[i].id = unique.clone();
        seen.insert(unique, i);
    }
}

/// Variables every shell can be expected to provide.
pub(super) const AMBIENT: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "LOGNAME",
    "SHELL",
    "HOSTNAME",
    "UID",
    "EUID",
    "PPID",
    "RANDOM",
    "SECONDS",
    "LINENO",
    "IFS",
    "TMPDIR",
    "TERM",
    "LANG",
    "LC_ALL",
    "EDITOR",
    "BASH",
    "BASH_SOURCE",
    "BASH_VERSION",
    "BASHPID",
    "FUNCNAME",
    "PIPESTATUS",
    "REPLY",
    "OPTARG",
    "OPTIND",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "COLUMNS",
    "LINES",
    "PS1",
    "PS2",
    "PS4",
    "SHLVL",
    "BASH_REMATCH",
];

/// One value, one variable: a placeholder written as the whole value of an
/// env prefix (`GCP_PROJECT_ID=your-project-id ./provision.sh`) is that
/// variable's missing value, so the same placeholder anywhere in the
/// runbook (`--project=your-project-id`) is that variable too, and binding
/// `GCP_PROJECT_ID` fills them all. The first prefix that names a
/// placeholder wins.
fn name_placeholders_after_their_prefix(runbook: &mut Runbook) {
    let mut names: FxHashMap<String, String> = FxHashMap::default();
    for step in &runbook.steps {
        for a in &step.script.assignments {
            let Some(value) = a.value_span.filter(|_| a.kind == AssignmentKind::EnvPrefix) else {
                continue;
            };
            let text = &step.text.as_str()[value.start..value.end];
            let unquoted = text.trim_matches(|c| c == '"' || c == '\'');
            let whole = step.script.placeholders.iter().find(|p| {
                value.start <= p.span.start && p.span.end <= value.end && p.text == unquoted
            });
            if let Some(p) = whole
                && p.name != a.name
            {
                names
                    .entry(p.name.clone())
                    .or_insert_with(|| a.name.clone());
            }
        }
    }
    if names.is_empty() {
        return;
    }
    for step in &mut runbook.steps {
        for p in &mut step.script.placeholders {
            if let Some(name) = names.get(&p.name) {
                p.name.clone_from(name);
            }
        }
    }
}

/// Pass 3: variables, declared first, then in order of first use.
fn collect_variables(runbook: &mut Runbook) {
    let mut vars: Vec<Variable> = runbook
        .settings
        .vars
        .iter()
        .map(|decl| Variable {
            name: decl.name.clone(),
            kind: VariableKind::Input,
            declared: Some(decl.clone()),
            placeholder: None,
            secret: decl.secret || is_secret_name(&decl.name),
            optional: false,
            script_default: None,
            selects: false,
            uses: Vec::new(),
        })
        .collect();
    let mut index: FxHashMap<String, usize> = vars
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.clone(), i))
        .collect();
    let mut required: FxHashSet<String> = FxHashSet::default();
    let mut assigned: FxHashSet<String> = FxHashSet::default();
    let add = |vars: &mut Vec<Variable>,
               index: &mut FxHashMap<String, usize>,
               name: &str,
               kind: VariableKind,
               u: VarUse|
     -> usize {
        // Looked up before the name is copied: most uses are of a variable
        // seen already.
        let i = match index.get(name) {
            Some(&i) => i,
            None => {
                vars.push(Variable {
                    name: name.to_owned(),
                    kind,
                    declared: None,
                    placeholder: None,
                    secret: is_secret_name(name),
                    optional: true,
                    script_default: None,
                    selects: false,
                    uses: Vec::new(),
                });
                index.insert(name.to_owned(), vars.len() - 1);
                vars.len() - 1
            }
        };
        vars[i].uses.push(u);
        i
    };
    // Each block's events in source order; one list for all the blocks.
    enum Event<'a> {
        Ref(&'a shell::VarRef),
        Assign(&'a shell::Assignment),
        Placeholder(&'a shell::PlaceholderUse),
    }
    let mut events: Vec<(usize, Event)> = Vec::new();
    for (s, step) in runbook.steps.iter().enumerate() {
        events.clear();
        events.extend(
            step.script
                .refs
                .iter()
                .map(|r| (r.span.start, Event::Ref(r))),
        );
        events.extend(
            step.script
                .assignments
                .iter()
                // A value is read before it is assigned: `X="$X"` reads the
                // input X, so the assignment counts from the word's end.
                .map(|a| (a.span.end, Event::Assign(a))),
        );
        events.extend(
            step.script
                .placeholders
                .iter()
                .map(|p| (p.span.start, Event::Placeholder(p))),
        );
        events.sort_by_key(|(at, _)| *at);
        // Lines for a shell elsewhere read and set that shell's variables,
        // not the runbook's; placeholders in them are still values to fill.
        if let Some(remote) = &step.remote {
            let inside = |at: usize| remote.input.start <= at && at < remote.input.end;
            events.retain(|(at, e)| matches!(e, Event::Placeholder(_)) || !inside(*at));
        }
        for (_, event) in events.drain(..) {
            match event {
                Event::Ref(r) => {
                    if assigned.contains(&r.name) || AMBIENT.contains(&r.name.as_str()) {
                        continue;
                    }
                    let use_ = VarUse {
                        step: s,
                        kind: UseKind::Reference,
                        span: step.source_span(r.span),
                        literal: None,
                    };
                    let i = add(&mut vars, &mut index, &r.name, VariableKind::Input, use_);
                    if vars[i].script_default.is_none() {
                        vars[i].script_default = r.default.clone();
                    }
                    if !r.has_default {
                        insert_new(&mut required, &r.name);
                    }
                }
                Event::Assign(a) if a.kind == AssignmentKind::EnvPrefix => {
                    if assigned.contains(&a.name) || a.literal.is_none() {
                        continue;
                    }
                    // A placeholder written as the value is no value.
                    let placeholder = step.script.placeholders.iter().any(|p| {
                        p.name == a.name
                            && a.value_span
                                .is_some_and(|v| v.start <= p.span.start && p.span.end <= v.end)
                    });
                    let use_ = VarUse {
                        step: s,
                        kind: UseKind::EnvPrefix,
                        span: step.source_span(a.value_span.unwrap_or(a.span)),
                        literal: a.literal.clone().filter(|_| !placeholder),
                    };
                    add(&mut vars, &mut index, &a.name, VariableKind::Input, use_);
                    insert_new(&mut required, &a.name);
                }
                Event::Assign(a) => {
                    insert_new(&mut assigned, &a.name);
                }
                Event::Placeholder(p) => {
                    let use_ = VarUse {
                        step: s,
                        kind: UseKind::Placeholder,
                        span: step.source_span(p.span),
                        literal: None,
                    };
                    let i = add(
                        &mut vars,
                        &mut index,
                        &p.name,
                        VariableKind::Placeholder,
                        use_,
                    );
                    vars[i].placeholder.get_or_insert_with(|| p.text.clone());
                    insert_new(&mut required, &p.name);
                }
            }
        }
        let selectors = step
            .within
            .iter()
            .chain(&step.alternative)
            .map(|a| (a.variable.clone(), a.span))
            // A menu is chosen for its step alone, not by a variable.
            .chain(
                step.segments
                    .iter()
                    .filter(|g| !g.menu)
                    .map(|g| (g.variable.clone(), step.source_span(g.span))),
            )
            .chain(
                step.when
                    .iter()
                    .flat_map(|w| identifiers(&w.source).into_iter().map(|n| (n, w.span))),
            );
        for (name, span) in selectors.collect::<Vec<_>>() {
            let is_alt = step
                .within
                .iter()
                .chain(&step.alternative)
                .any(|a| a.variable == name)
                || step.segments.iter().any(|g| g.variable == name && !g.menu);
            if !is_alt && !index.contains_key(&name) && !is_upper_name(&name) {
                // `when` names Rhai functions and locals too; known variables
                // and UPPER_CASE names count.
                continue;
            }
            let use_ = VarUse {
                step: s,
                kind: UseKind::Selector,
                span,
                literal: None,
            };
            let i = add(&mut vars, &mut index, &name, VariableKind::Input, use_);
            vars[i].selects |= is_alt;
            required.insert(name);
        }
    }
    for var in &mut vars {
        var.optional = var.declared.is_none() && !required.contains(&var.name);
        for u in &var.uses {
            let uses = &mut runbook.steps[u.step].uses;
            if !uses.iter().any(|(n, k)| *n == var.name && *k == u.kind) {
                uses.push((var.name.as_str().into(), u.kind));
            }
        }
    }
    runbook.variables = vars;
}

/// Upper-case identifiers outside string literals in a Rhai expression.
fn identifiers(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_string = None;
    let mut current = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if let Some(q) = in_string {
            if c == q {
                in_string = None;
            }
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            in_string = Some(c);
            continue;
        }
        if c == '_' || c.is_ascii_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            let word = std::mem::take(&mut current);
            let is_name = word.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_name && !out.contains(&word) {
                out.push(word);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(text: &str) -> Runbook {
        crate::model::from_text(text)
    }

    #[test]
    fn ids_follow_headings_without_the_title() {
        let rb = runbook(
            "# Title\n\n## Deploy\n\n### To Staging\n\n```bash\nls\n```\n\n```bash\npwd\n```\n\n## Other\n\n```bash {#named}\nls\n```\n",
        );
        let ids: Vec<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["deploy/to-staging", "deploy/to-staging-2", "named"]
        );
        assert_eq!(
            rb.section_path(rb.steps[0].section),
            vec!["Deploy", "To Staging"]
        );
    }

    #[test]
    fn duplicate_explicit_ids_are_errors() {
        let rb = runbook("```bash {#a}\nls\n```\n\n```bash {#a}\nls\n```\n");
        assert_eq!(rb.diagnostics.len(), 1);
        assert_eq!(rb.diagnostics[0].code, "step-duplicate-id");
    }

    #[test]
    fn variables_locals_and_placeholders() {
        let rb = runbook(
            "## A\n\n```bash\nID=$(az show)\necho $ID $NAME ${OPT:-x} $HOME\nkubectl logs <pod-name>\n```\n\n## B\n\n```bash\necho $ID\n```\n",
        );
        let names: Vec<(&str, VariableKind, bool)> = rb
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.kind, v.optional))
            .collect();
        assert_eq!(
            names,
            vec![
                ("NAME", VariableKind::Input, false),
                ("OPT", VariableKind::Input, true),
                ("POD_NAME", VariableKind::Placeholder, false),
            ]
        );
    }

    #[test]
    fn rhai_after_a_step_is_its_check() {
        let rb = runbook(
            "```bash\nls\n```\n```rhai\nexit_code == 0\n```\n\ntext\n\n```rhai\ntrue\n```\n",
        );
        assert_eq!(rb.steps[0].checks.len(), 1);
        assert_eq!(rb.diagnostics[0].code, "check-orphan");
    }

    #[test]
    fn sessions_without_prompts_are_output() {
        let rb = runbook("```console\nNAME READY\n```\n\n```console\n$ ls\nfile\n```\n");
        assert_eq!(rb.steps.len(), 1);
        assert_eq!(rb.steps[0].text.as_str(), "ls\n");
        assert_eq!(rb.blocks[0].role, BlockRole::Output);
    }

    #[test]
    fn errors_in_a_block_are_its_steps_errors_in_between_are_the_files() {
        let rb = runbook(
            "## A\n\n<!-- litops: bogus -->\n```bash\nls\n```\n```rhai\nexit_code ==\n```\n\n## B\n\n```bash\necho b\n```\n\ntext\n\n```rhai\ntrue\n```\n\n```yaml {bogus}\na: 1\n```\n",
        );
        assert_eq!(
            rb.steps[0].unreadable.len(),
            2,
            "{:?}",
            rb.steps[0].unreadable
        );
        assert!(rb.steps[0].unreadable[0].starts_with("unknown annotation `bogus` (t.md:3:14)"));
        assert!(rb.steps[1].unreadable.is_empty());
        // The orphan check is the file's; the yaml block's annotation is nobody's.
        let codes: Vec<&str> = rb.file_errors().iter().map(|d| d.code).collect();
        assert_eq!(codes, ["check-orphan"]);
    }

    /// A value bound to one of the step shell's own names could run
    /// (`__litops_on_exit` is evaluated when a step ends): such a step
    /// cannot run, and the front matter cannot declare one.
    #[test]
    fn the_step_shells_own_names_are_no_runbook_variables() {
        let rb = runbook(
            "---\nlitops:\n  vars:\n    __litops_cd: /\n---\n## A\n\n```bash\necho \"$__litops_on_exit\"\n```\n\n## B\n\n```bash\necho \"$LITOPS_ON_EXIT\"\n```\n",
        );
        assert_eq!(
            rb.steps[0].unreadable,
            [
                "`__litops_on_exit` is litops's own name: a runbook variable cannot use it (t.md:9:7)"
            ]
        );
        assert!(rb.steps[1].unreadable.is_empty());
        let file: Vec<(&str, String)> = rb
            .file_errors()
            .iter()
            .map(|d| (d.code, d.message.clone()))
            .collect();
        assert_eq!(
            file,
            [(
                "variable-name",
                "`__litops_cd` is litops's own name: a runbook variable cannot use it".to_owned()
            )]
        );
        assert!(rb.variable("__litops_cd").is_none());
    }
}
