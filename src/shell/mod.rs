//! Bash-aware reading of a shell block.
//!
//! [`read`] splits a block into its commands (each with the comment above it
//! as its label), and finds the block's data: variable references,
//! assignments (env-prefix `CLUSTER_NAME=x \` before a command, plain and
//! `export` assignments, `read`/`for` variables), placeholders and risky
//! commands. All spans are offsets in the text given to [`read`].

pub mod classify;
pub mod context;
pub mod effects;
pub mod endless;
pub mod foreign;
pub mod lexer;
pub mod placeholder;
pub mod prompt;
pub mod quote;
pub mod remote;
pub mod risk;
pub mod terminal;

use compact_str::CompactString;
use serde::Serialize;

pub use lexer::{PlaceholderUse, Problem, Quoting, VarRef};
pub use quote::ReadAgain;
pub use risk::Risk;

use crate::source::Span;
use lexer::{Lexer, Token, Word, is_keyword, is_redirect};

/// What a shell block contains.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Script {
    pub commands: Vec<Command>,
    pub refs: Vec<VarRef>,
    pub assignments: Vec<Assignment>,
    pub placeholders: Vec<PlaceholderUse>,
    pub problems: Vec<Problem>,
    /// Names written bare where bash evaluates arithmetic (`(( N > 3 ))`,
    /// `${a[N]}`, `[[ N -eq 3 ]]`): bash evaluates such a variable's value
    /// as arithmetic too, where `a[$(cmd)]` runs `cmd`.
    #[serde(skip)]
    pub arithmetic_names: Vec<(String, Span)>,
    /// Variables bash reads again where no reference of this script
    /// shows it: declared `-i` or `-n` (what is assigned to them is read as
    /// arithmetic, or as a name), or read by another shell's code written
    /// here (`bash -c 'eval "$x"'`, the inner shell reading an exported x).
    #[serde(skip)]
    pub read_elsewhere: Vec<(String, ReadAgain)>,
    /// Values `env NAME=value cmd` sets, and where each is written.
    #[serde(skip)]
    pub env_values: Vec<(String, Span)>,
}

/// One top-level command: a line, or several joined by continuations,
/// pipes, `&&`, heredocs or a compound command (`if … fi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub span: Span,
    /// The comment lines right above the command.
    pub label: Option<String>,
    /// Argument lists of its simple commands (quotes removed), nested ones
    /// last. A short word is held inline, without an allocation of its own.
    pub argvs: Vec<Vec<CompactString>>,
    pub risks: Vec<Risk>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentKind {
    /// `NAME=value command`: the value is the command's input, overridable.
    EnvPrefix,
    /// `NAME=value` alone.
    Plain,
    /// `export`/`local`/`declare`/`readonly`, `read NAME`, `for NAME in`.
    Declared,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub name: String,
    pub kind: AssignmentKind,
    /// The whole `NAME=value` word (or the name alone for `read`/`for`).
    pub span: Span,
    /// The value as written, quotes included.
    pub value_span: Option<Span>,
    /// The value with quotes removed, if it contains no expansion.
    pub literal: Option<String>,
    /// Index of the command it belongs to.
    pub command: usize,
}

/// Reads a block of bash.
pub fn read(text: &str) -> Script {
    let candidates = placeholder::find(text);
    let mut lexer = Lexer::new(text, &candidates);
    let tokens = lexer.tokens();
    let mut findings = lexer.findings;
    let mut contexts = std::mem::take(&mut findings.contexts);
    contexts.absorb(context::scan(text, &tokens));
    contexts.arithmetic.extend(compound_subscripts(text));
    let inside = |outer: Span, s: Span| outer.start <= s.start && s.end <= outer.end;
    let within = |spans: &[Span], s: Span| spans.iter().any(|&a| inside(a, s));
    let read_again_at = |s: Span| ReadAgain {
        arithmetic: within(&contexts.arithmetic, s),
        inner_shell: contexts
            .inner_shell
            .iter()
            .find(|&&(a, _)| inside(a, s))
            .map(|(_, program)| program.clone()),
        names_a_variable: within(&contexts.names, s),
        prompt: false,
        program_text: contexts
            .program_text
            .iter()
            .find(|&&(word, _, _)| inside(word, s))
            .map(|&(word, language, reading)| foreign::ProgramText {
                language,
                landing: foreign::landing(language, text, word, reading, s.start),
            }),
    };
    for p in &mut findings.placeholders {
        p.read_again.merge(&read_again_at(p.span));
    }
    for r in &mut findings.refs {
        r.read_again.merge(&read_again_at(r.span));
    }
    let mut tokens = tokens;
    let mut grouper = Grouper::new(text, &tokens);
    for index in 0..tokens.len() {
        grouper.token(index);
    }
    grouper.finish();
    let Grouper {
        mut commands,
        ranges,
        mut assignments,
        problems: grouped,
        ..
    } = grouper;
    compound_values(text, &mut assignments);
    // Argument lists last, once the tokens are free to be taken apart.
    for (command, (first, last)) in commands.iter_mut().zip(ranges) {
        command.argvs = lexer::simple_commands(&mut tokens[first..=last]);
        command.risks = risk::assess(&command.argvs, &text[command.span.start..command.span.end]);
    }
    let arithmetic_names = bare_names(text, &contexts.arithmetic);
    let mut problems = findings.problems;
    problems.extend(grouped);
    let inner_names = inner_shell_names(text, &contexts.inner_shell);
    let mut script = Script {
        commands,
        refs: findings.refs,
        assignments,
        placeholders: findings.placeholders,
        problems,
        arithmetic_names,
        read_elsewhere: contexts.declared,
        env_values: contexts.env_values,
    };
    for (name, read_again) in inner_names {
        add_read_again(&mut script.read_elsewhere, &name, &read_again);
    }
    script.flow(&[]);
    script
}

/// The variables another shell's code written here reads again
/// (`bash -c 'eval "$x"'` reads `x` as code): that shell inherits them
/// from this one, exported.
fn inner_shell_names(text: &str, inner_shell: &[(Span, String)]) -> Vec<(String, ReadAgain)> {
    let mut names = Vec::new();
    for (span, _) in inner_shell {
        let raw = text.get(span.start..span.end).unwrap_or_default();
        // Only code this shell does not expand first: what it expands is
        // its own reference, checked where it is.
        let Some(code) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) else {
            continue;
        };
        if !code.contains('$') || code.contains('\'') {
            continue;
        }
        for (name, read_again) in read(code).read_again_names() {
            add_read_again(&mut names, &name, &read_again);
        }
    }
    names
}

impl Script {
    /// The variables whose value bash reads again somewhere in the script,
    /// and how: those read with a requirement (`bash -c "echo $X"`,
    /// `${!X}`), named bare in arithmetic, or declared `-i` or `-n`.
    pub fn read_again_names(&self) -> Vec<(String, ReadAgain)> {
        let mut names: Vec<(String, ReadAgain)> = self.read_elsewhere.clone();
        let arithmetic = ReadAgain {
            arithmetic: true,
            ..ReadAgain::default()
        };
        for (name, _) in &self.arithmetic_names {
            add_read_again(&mut names, name, &arithmetic);
        }
        for r in self.refs.iter().filter(|r| !r.read_again.is_none()) {
            add_read_again(&mut names, &r.name, &r.read_again);
        }
        // Reads through a name: `${!n}` with `n=x` reads x where it is;
        // `declare -n r=x` makes every read of r one of x.
        let targets = |name: &str| -> Vec<&str> {
            self.assignments
                .iter()
                .filter(|a| a.name == name)
                .filter_map(|a| a.literal.as_deref().filter(|l| is_name(l)))
                .collect()
        };
        let mut through: Vec<(String, ReadAgain)> = Vec::new();
        for r in self.refs.iter().filter(|r| r.read_again.names_a_variable) {
            let read = ReadAgain {
                names_a_variable: false,
                ..r.read_again.clone()
            };
            if !read.is_none() {
                for target in targets(&r.name) {
                    add_read_again(&mut through, target, &read);
                }
            }
        }
        for (reference, _) in self
            .read_elsewhere
            .iter()
            .filter(|(_, d)| d.names_a_variable && !d.arithmetic)
        {
            let mut read = ReadAgain {
                arithmetic: self.arithmetic_names.iter().any(|(n, _)| n == reference),
                ..ReadAgain::default()
            };
            for r in self.refs.iter().filter(|r| &r.name == reference) {
                read.merge(&r.read_again);
            }
            if !read.is_none() {
                for target in targets(reference) {
                    add_read_again(&mut through, target, &read);
                }
            }
        }
        for (name, read) in &through {
            add_read_again(&mut names, name, read);
        }
        names
    }

    /// How bash reads again a value bound to `name` and written at `value`
    /// (an env-prefix value `NAME=…`): as its variable is read anywhere in
    /// the script, as a placeholder written there is, and as the program
    /// that runs such a variable does (`PS4`, `GIT_SSH_COMMAND`).
    pub fn read_again_of(&self, name: &str, value: Span) -> ReadAgain {
        let mut read_again = ReadAgain {
            inner_shell: context::code_variable(name),
            ..ReadAgain::default()
        };
        for (_, known) in self.read_again_names().iter().filter(|(n, _)| n == name) {
            read_again.merge(known);
        }
        for p in self
            .placeholders
            .iter()
            .filter(|p| value.start <= p.span.start && p.span.end <= value.end)
        {
            read_again.merge(&p.read_again);
        }
        read_again
    }

    /// A value assigned to a variable is read again wherever the variable
    /// is (`x=<v>; bash -c "echo $x"`, `n=<n>; (( n + 1 ))`, `M=$N;
    /// ${!M}`): marks the placeholders and references in such values, through
    /// chains of assignments, for this script's names and `others` (those
    /// of the runbook's other steps). Whether anything changed.
    pub fn flow(&mut self, others: &[(String, ReadAgain)]) -> bool {
        let mut changed_any = false;
        loop {
            let mut names = self.read_again_names();
            for (name, read_again) in others {
                add_read_again(&mut names, name, read_again);
            }
            if names.is_empty() {
                return changed_any;
            }
            let inside = |outer: Span, s: Span| outer.start <= s.start && s.end <= outer.end;
            let mut changed = false;
            let values = self
                .assignments
                .iter()
                .filter_map(|a| Some((a.name.as_str(), a.value_span?)))
                .chain(self.env_values.iter().map(|(n, v)| (n.as_str(), *v)));
            for (name, value) in values {
                let Some((_, need)) = names.iter().find(|(n, _)| n == name) else {
                    continue;
                };
                for p in self
                    .placeholders
                    .iter_mut()
                    .filter(|p| inside(value, p.span))
                {
                    changed |= p.read_again.merge(need);
                }
                for r in self.refs.iter_mut().filter(|r| inside(value, r.span)) {
                    changed |= r.read_again.merge(need);
                }
            }
            if !changed {
                return changed_any;
            }
            changed_any = true;
        }
    }
}

/// Adds how bash reads `name` again to what is known of it.
pub fn add_read_again(names: &mut Vec<(String, ReadAgain)>, name: &str, read_again: &ReadAgain) {
    match names.iter_mut().find(|(n, _)| n == name) {
        Some((_, known)) => {
            known.merge(read_again);
        }
        None => names.push((name.to_owned(), read_again.clone())),
    }
}

/// `a=(x "y z")`, `declare -A m=([k]=v)`: the list is the value (the
/// grouper sees `a=` and then the list's tokens).
fn compound_values(text: &str, assignments: &mut [Assignment]) {
    let bytes = text.as_bytes();
    for a in assignments {
        let Some(value) = a.value_span.filter(|v| v.is_empty()) else {
            continue;
        };
        if bytes.get(value.end) != Some(&b'(') {
            continue;
        }
        let mut quote: Option<u8> = None;
        let mut i = value.end + 1;
        while i < bytes.len() {
            match (quote, bytes[i]) {
                (None, b'\\') => i += 1,
                (None, b'\'' | b'"') => quote = Some(bytes[i]),
                (Some(q), b) if b == q => quote = None,
                (Some(b'"'), b'\\') => i += 1,
                (None, b')') => {
                    a.value_span = Some(Span::new(value.start, i + 1));
                    break;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// The subscripts of compound array assignments (`a=([i]=x)`, `a+=(…)`):
/// bash evaluates them as arithmetic for an indexed array. Quoted text in
/// the list is skipped.
fn compound_subscripts(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = memchr::memmem::find(&bytes[at..], b"=(") {
        let open = at + found + 1;
        at = open + 1;
        let name_end = if open >= 2 && bytes[open - 2] == b'+' {
            open - 2
        } else {
            open - 1
        };
        if name_end == 0
            || !(bytes[name_end - 1] == b'_' || bytes[name_end - 1].is_ascii_alphanumeric())
        {
            continue;
        }
        let mut i = open + 1;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None => match b {
                    b'\'' | b'"' => quote = Some(b),
                    b')' => break,
                    b'[' => {
                        if let Some(close) = bytes[i..].iter().position(|&c| c == b']') {
                            if bytes.get(i + close + 1) == Some(&b'=') {
                                spans.push(Span::new(i, i + close + 1));
                            }
                            i += close;
                        }
                    }
                    _ => {}
                },
            }
            i += 1;
        }
        at = at.max(i);
    }
    spans
}

/// The names written bare (not after `$`) in the arithmetic spans.
fn bare_names(text: &str, spans: &[Span]) -> Vec<(String, Span)> {
    let bytes = text.as_bytes();
    let mut names: Vec<(String, Span)> = Vec::new();
    for span in spans {
        let mut i = span.start;
        while i < span.end.min(bytes.len()) {
            let starts = bytes[i] == b'_' || bytes[i].is_ascii_alphabetic();
            let after_name_or_sigil = i > 0
                && (bytes[i - 1] == b'$'
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1].is_ascii_alphanumeric());
            if !starts || after_name_or_sigil {
                i += 1;
                continue;
            }
            let end = (i..span.end.min(bytes.len()))
                .find(|&j| !(bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric()))
                .unwrap_or(span.end.min(bytes.len()));
            let name = Span::new(i, end);
            if !names.iter().any(|(_, s)| *s == name) {
                names.push((text[i..end].to_owned(), name));
            }
            i = end;
        }
    }
    names
}

/// Folds tokens into commands, tracking compound-command nesting.
struct Grouper<'t> {
    text: &'t str,
    /// Commands without their argument lists and risks yet.
    commands: Vec<Command>,
    /// The first and last token of each command.
    ranges: Vec<(usize, usize)>,
    assignments: Vec<Assignment>,
    problems: Vec<Problem>,
    /// Open compound commands: (kind, span of the opening keyword).
    open: Vec<(&'static str, Span)>,
    start: Option<usize>,
    end: usize,
    /// Index of the current command's last token.
    last: usize,
    tokens: &'t [Token],
    /// Index of the current command's first token.
    first: Option<usize>,
    label: Vec<String>,
    previous_newline: bool,
    continues: bool,
    command_position: bool,
    redirect_target: bool,
    loop_variable: bool,
    /// The assignment of a `for` loop's variable while its list is read:
    /// what the list holds is assigned to the variable.
    loop_list: Option<usize>,
    simple_words: Vec<&'t Word>,
    prefix: Vec<&'t Word>,
}

impl<'t> Grouper<'t> {
    fn new(text: &'t str, tokens: &'t [Token]) -> Grouper<'t> {
        Grouper {
            text,
            commands: Vec::new(),
            ranges: Vec::new(),
            assignments: Vec::new(),
            problems: Vec::new(),
            open: Vec::new(),
            start: None,
            end: 0,
            last: 0,
            tokens,
            first: None,
            label: Vec::new(),
            previous_newline: true,
            continues: false,
            command_position: true,
            redirect_target: false,
            loop_variable: false,
            loop_list: None,
            // Reused by every simple command: room for a usual one at once.
            simple_words: Vec::with_capacity(8),
            prefix: Vec::new(),
        }
    }

    fn token(&mut self, index: usize) {
        let tokens = self.tokens;
        let token = &tokens[index];
        match token {
            Token::Comment(span) => {
                if self.start.is_none() {
                    let line = self.text[span.start..span.end]
                        .trim_start_matches('#')
                        .trim();
                    if !self.text[span.start..].starts_with("#!") && !line.is_empty() {
                        self.label.push(line.to_owned());
                    }
                }
                self.previous_newline = false;
                return;
            }
            Token::Newline(_) => {
                self.loop_list = None;
                self.end_simple();
                if self.start.is_none() {
                    if self.previous_newline {
                        self.label.clear();
                    }
                } else if self.open.is_empty() && !self.continues {
                    self.end_command();
                }
                self.previous_newline = true;
                self.command_position = true;
                return;
            }
            _ => {}
        }
        self.previous_newline = false;
        if self.start.is_none() {
            self.start = Some(token.span().start);
            self.first = Some(index);
        }
        self.end = token.span().end;
        self.last = index;
        match token {
            Token::Word(word) => self.word(word),
            Token::Op(op, span) => self.operator(op, *span),
            _ => {}
        }
    }

    fn word(&mut self, word: &'t Word) {
        self.continues = false;
        if self.redirect_target {
            self.redirect_target = false;
            return;
        }
        if self.loop_variable {
            self.loop_variable = false;
            self.assign(&word.value, AssignmentKind::Declared, word.span, None, None);
            self.loop_list = Some(self.assignments.len() - 1);
            return;
        }
        if let Some(i) = self.loop_list {
            if word.value == "do" {
                self.loop_list = None;
            } else if let Some(a) = self.assignments.get_mut(i)
                && !(word.value == "in" && a.value_span.is_none())
            {
                let from = a.value_span.map_or(word.span.start, |v| v.start);
                a.value_span = Some(Span::new(from, word.span.end));
            }
        }
        let starts_simple = self.simple_words.is_empty() && self.prefix.is_empty();
        if self.command_position && starts_simple && is_keyword(&word.value) {
            self.keyword(&word.value, word.span);
            return;
        }
        // Only an unquoted `NAME=` makes an assignment: `'NAME=x' cmd` runs
        // a command of that name.
        let raw = &self.text[word.span.start..word.span.end];
        if self.simple_words.is_empty() && assignment_name(raw).is_some() {
            self.prefix.push(word);
            return;
        }
        self.simple_words.push(word);
        self.command_position = false;
    }

    fn keyword(&mut self, keyword: &str, span: Span) {
        let (opens, closes): (Option<&'static str>, Option<&'static str>) = match keyword {
            "if" => (Some("if"), None),
            "for" | "select" => {
                self.loop_variable = true;
                (Some("loop"), None)
            }
            "while" | "until" => (Some("loop"), None),
            "case" => (Some("case"), None),
            "{" => (Some("{"), None),
            "fi" => (None, Some("if")),
            "done" => (None, Some("loop")),
            "esac" => (None, Some("case")),
            "}" => (None, Some("{")),
            _ => (None, None),
        };
        if let Some(kind) = opens {
            self.open.push((kind, span));
        }
        if let Some(kind) = closes {
            self.close(kind, keyword, span);
        }
        // `case WORD in`: the word is not in command position.
        self.command_position = keyword != "case";
    }

    fn close(&mut self, kind: &'static str, written: &str, span: Span) {
        match self.open.last() {
            Some((open, _)) if *open == kind => {
                self.open.pop();
            }
            _ => self.problems.push(Problem {
                message: format!("`{written}` closes nothing that is open"),
                span,
                open: false,
            }),
        }
    }

    fn operator(&mut self, op: &'static str, span: Span) {
        self.loop_list = None;
        if is_redirect(op) {
            self.redirect_target = true;
            return;
        }
        self.end_simple();
        self.command_position = true;
        match op {
            "|" | "||" | "&&" | "|&" => self.continues = true,
            "(" => self.open.push(("(", span)),
            // In `case`, `pattern)` closes nothing.
            ")" if self.open.last().is_some_and(|(k, _)| *k == "case") => {}
            ")" => self.close("(", ")", span),
            _ => {}
        }
    }

    fn end_simple(&mut self) {
        // Taken for the loops below and given back emptied: the next simple
        // command reuses the allocations.
        let mut prefix = std::mem::take(&mut self.prefix);
        let mut words = std::mem::take(&mut self.simple_words);
        self.assign_simple(&prefix, &words);
        prefix.clear();
        words.clear();
        self.prefix = prefix;
        self.simple_words = words;
    }

    fn assign_simple(&mut self, prefix: &[&'t Word], words: &[&'t Word]) {
        let kind = if words.is_empty() {
            AssignmentKind::Plain
        } else {
            AssignmentKind::EnvPrefix
        };
        for word in prefix {
            self.assign_word(word, kind);
        }
        let program = words.first().map(|w| w.value.as_str());
        match program {
            Some("export" | "local" | "declare" | "typeset" | "readonly") => {
                for word in words[1..].iter().filter(|w| !w.value.starts_with('-')) {
                    self.assign_word(word, AssignmentKind::Declared);
                }
            }
            // `printf -v NAME FORMAT ARGS…`: NAME gets what the rest makes.
            Some("printf") => {
                if let Some(v) = words.iter().position(|w| w.value == "-v")
                    && let Some(name) = words.get(v + 1)
                    && is_name(&name.value)
                    && let (Some(first), Some(last)) = (words.get(v + 2), words.last())
                {
                    let value = Span::new(first.span.start, last.span.end);
                    self.assign(
                        &name.value,
                        AssignmentKind::Declared,
                        name.span,
                        Some(value),
                        None,
                    );
                }
            }
            Some("read" | "mapfile" | "readarray") => {
                let mut skip_value = false;
                for word in &words[1..] {
                    if skip_value {
                        skip_value = false;
                    } else if word.value.starts_with('-') {
                        // Options of `read` that take a value.
                        skip_value = matches!(
                            word.value.as_str(),
                            "-p" | "-d" | "-n" | "-N" | "-t" | "-u" | "-a"
                        );
                    } else if assignment_name(&format!("{}=", word.value)).is_some() {
                        self.assign(&word.value, AssignmentKind::Declared, word.span, None, None);
                    }
                }
            }
            _ => {}
        }
    }

    fn assign_word(&mut self, word: &'t Word, kind: AssignmentKind) {
        let raw = &self.text[word.span.start..word.span.end];
        // `export "NAME=x"` declares all the same; a quoted prefix does not.
        let quoted_ok = kind == AssignmentKind::Declared;
        let Some(name) = assignment_name(raw)
            .or_else(|| quoted_ok.then(|| assignment_name(&word.value)).flatten())
        else {
            if kind == AssignmentKind::Declared && is_name(&word.value) {
                self.assign(&word.value, kind, word.span, None, None);
            }
            return;
        };
        let eq = raw
            .find('=')
            .map_or(word.span.end, |i| word.span.start + i + 1);
        let value_span = Span::new(eq, word.span.end);
        let literal = (!word.expands).then(|| {
            let value = &word.value;
            value
                .split_once('=')
                .map_or(String::new(), |(_, v)| v.to_owned())
        });
        self.assign(name, kind, word.span, Some(value_span), literal);
    }

    fn assign(
        &mut self,
        name: &str,
        kind: AssignmentKind,
        span: Span,
        value_span: Option<Span>,
        literal: Option<String>,
    ) {
        self.assignments.push(Assignment {
            name: name.to_owned(),
            kind,
            span,
            value_span,
            literal,
            command: self.commands.len(),
        });
    }

    fn end_command(&mut self) {
        let Some(start) = self.start.take() else {
            return;
        };
        let span = Span::new(start, self.end);
        let first = self.first.take().unwrap_or(self.last);
        // One comment line (the usual label) is the label as it is.
        let label = match self.label.len() {
            0 => None,
            1 => self.label.pop(),
            _ => Some(std::mem::take(&mut self.label).join(" ")),
        };
        self.ranges.push((first, self.last));
        self.commands.push(Command {
            span,
            label,
            argvs: Vec::new(),
            risks: Vec::new(),
        });
        self.continues = false;
    }

    fn finish(&mut self) {
        self.end_simple();
        for (kind, span) in std::mem::take(&mut self.open) {
            let closer = match kind {
                "if" => "fi",
                "loop" => "done",
                "case" => "esac",
                "{" => "}",
                _ => ")",
            };
            self.problems.push(Problem {
                message: format!("this is never closed with `{closer}`"),
                span,
                // Bash would read on, as for an open quote.
                open: true,
            });
        }
        self.end_command();
    }
}

/// A script as commands are typed: `$ ` before each line, except the lines
/// that continue a command begun above (a heredoc's body, a `\`
/// continuation, a quoted string over lines), indented under it.
pub fn typed_lines(script: &str) -> Vec<String> {
    let text = script.trim_end_matches('\n');
    let commands = read(text).commands;
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        let continues = commands
            .iter()
            .any(|c| c.span.start < at && at < c.span.end);
        out.push(if continues {
            format!("    {line}")
        } else {
            format!("  $ {line}")
        });
        at += line.len() + 1;
    }
    out
}

/// `NAME` of `NAME=…` or `NAME+=…`, if the word is an assignment.
/// (`NAME[i]=…` names `NAME`.) One pass over the name's bytes: this runs
/// for every word at the start of every command.
pub fn assignment_name(word: &str) -> Option<&str> {
    let bytes = word.as_bytes();
    let end = bytes.iter().position(|&b| !NAME_BYTE[b as usize])?;
    let name = &word[..end];
    let assigns = match bytes[end] {
        b'=' => true,
        b'+' => bytes.get(end + 1) == Some(&b'='),
        b'[' => memchr::memchr(b'=', &bytes[end..]).is_some(),
        _ => false,
    };
    // All of `name` is name bytes already: a name if it does not start
    // with a digit (and is not empty).
    let starts_name = bytes.first().is_some_and(|b| !b.is_ascii_digit()) && end > 0;
    (assigns && starts_name).then_some(name)
}

/// The bytes of names (and of SQL words): ASCII letters, digits and `_`
/// (a table: one load per byte where most words of most commands are read).
pub(crate) const NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    table
};

/// A variable name: letters, digits and `_`, not starting with a digit.
pub fn is_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes
        .first()
        .is_some_and(|b| *b == b'_' || b.is_ascii_alphabetic())
        && bytes
            .iter()
            .all(|b| *b == b'_' || b.is_ascii_alphanumeric())
}

/// A program's name without its directory: `/usr/bin/kubectl` is `kubectl`.
pub fn program_name(word: &str) -> &str {
    memchr::memrchr(b'/', word.as_bytes()).map_or(word, |slash| &word[slash + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_taken_as_names_and_prompts() {
        let script = read(
            "declare \"$A=1\" b=\"$B\"\ndeclare -n r=\"$C\"\nread -r -p \"$D\" \"$E\"\nunset \"$F\"\n[[ -v $G ]]\necho \"${!H}\" \"${I@P}\" \"${J@Q}\"\nread <k>\n",
        );
        let flagged: Vec<(&str, bool, bool)> = script
            .refs
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.read_again.names_a_variable,
                    r.read_again.prompt,
                )
            })
            .collect();
        assert_eq!(
            flagged,
            [
                ("A", true, false),
                ("B", false, false),
                ("C", true, false),
                ("D", false, false),
                ("E", true, false),
                ("F", true, false),
                ("G", true, false),
                ("H", true, false),
                ("I", false, true),
                ("J", false, false),
            ]
        );
        assert!(script.placeholders[0].read_again.names_a_variable);
    }

    #[test]
    fn names_bare_in_arithmetic_and_what_flows_into_them() {
        let script = read(
            "n=<n>\nM=$N\nX=$Y\n(( n + M > 3 ))\necho $(( $Z + 0x1F )) \"${arr[i]}\" \"${#list[@]}\"\n",
        );
        let names: Vec<&str> = script
            .arithmetic_names
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["i", "n", "M"]);
        let old_form = read("echo $[<a> + 1]\nx=([<b>]=1 [0]=<c>)\n");
        let arithmetic: Vec<bool> = old_form
            .placeholders
            .iter()
            .map(|p| p.read_again.arithmetic)
            .collect();
        assert_eq!(arithmetic, [true, true, false]);
        assert!(
            script.placeholders[0].read_again.arithmetic,
            "n=<n> flows into (( n … ))"
        );
        let arithmetic: Vec<(&str, bool)> = script
            .refs
            .iter()
            .map(|r| (r.name.as_str(), r.read_again.arithmetic))
            .collect();
        assert_eq!(
            arithmetic,
            [
                ("N", true),
                ("Y", false),
                ("Z", true),
                ("arr", false),
                ("list", false)
            ]
        );
    }

    fn texts(src: &str) -> Vec<String> {
        read(src)
            .commands
            .iter()
            .map(|c| src[c.span.start..c.span.end].to_owned())
            .collect()
    }

    #[test]
    fn commands_split_at_top_level_newlines() {
        let src =
            "cd a\n\nkubectl get \\\n  pods | grep x &&\n  echo ok\nif true; then\n  echo y\nfi\n";
        assert_eq!(
            texts(src),
            vec![
                "cd a",
                "kubectl get \\\n  pods | grep x &&\n  echo ok",
                "if true; then\n  echo y\nfi"
            ]
        );
    }

    #[test]
    fn comments_become_labels_until_a_blank_line() {
        let src = "# one\n# two\nls\n\n# orphan\n\n# three\npwd # trailing\n# dangling\n";
        let labels: Vec<Option<String>> = read(src).commands.into_iter().map(|c| c.label).collect();
        assert_eq!(labels, vec![Some("one two".into()), Some("three".into())]);
    }

    #[test]
    fn env_prefix_plain_and_declared_assignments() {
        let src = "CLOUD=gke \\\nNAME=\"clipper prod\" \\\n./provision.sh\nID=$(az show)\nexport A=1 B\nread -r -p 'x' ANSWER\nfor i in 1 2; do echo $i; done\n";
        let s = read(src);
        let got: Vec<(&str, AssignmentKind, Option<&str>)> = s
            .assignments
            .iter()
            .map(|a| (a.name.as_str(), a.kind, a.literal.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("CLOUD", AssignmentKind::EnvPrefix, Some("gke")),
                ("NAME", AssignmentKind::EnvPrefix, Some("clipper prod")),
                ("ID", AssignmentKind::Plain, None),
                ("A", AssignmentKind::Declared, Some("1")),
                ("B", AssignmentKind::Declared, None),
                ("ANSWER", AssignmentKind::Declared, None),
                ("i", AssignmentKind::Declared, None),
            ]
        );
        let value = s.assignments[1].value_span.expect("value");
        assert_eq!(&src[value.start..value.end], "\"clipper prod\"");
    }

    #[test]
    fn arguments_that_look_like_assignments_are_arguments() {
        let src = "kubectl get pods -o custom-columns=\\\nNAME:.metadata.name,\\\nCPU=x\nhelm install x --set a=b\n";
        let s = read(src);
        assert!(s.assignments.is_empty(), "{:?}", s.assignments);
        assert_eq!(s.commands.len(), 2);
    }

    #[test]
    fn heredoc_stays_inside_its_command() {
        let src = "kubectl apply -f - <<EOF\nkind: Secret\n\n# not a label\nEOF\n\nkubectl get secret x\n";
        let t = texts(src);
        assert_eq!(t.len(), 2);
        assert!(t[0].ends_with("# not a label\nEOF\n"));
    }

    #[test]
    fn risks_are_found_per_command() {
        let s = read("kubectl get pods\nkubectl rollout undo deployment/x -n y\n");
        assert!(s.commands[0].risks.is_empty());
        assert_eq!(s.commands[1].risks[0].rule, "kubectl-rollout-undo");
    }

    #[test]
    fn assignment_names() {
        let cases = [
            ("A=1", Some("A")),
            ("_x+=1", Some("_x")),
            ("ARR[$i]=v", Some("ARR")),
            ("A+1=x", None),
            ("1A=x", None),
            ("=x", None),
            ("A", None),
            ("A-B=1", None),
            ("é=1", None),
            ("", None),
        ];
        for (word, name) in cases {
            assert_eq!(assignment_name(word), name, "{word}");
        }
    }

    #[test]
    fn unbalanced_compounds_are_problems() {
        let s = read("if true; then\n  echo x\n");
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.commands.len(), 1);
        let s = read("echo a\nfi\n");
        assert_eq!(s.problems[0].message, "`fi` closes nothing that is open");
    }

    #[test]
    fn functions_and_case() {
        let src = "f() {\n  echo $1\n}\ncase $X in\n  a) echo a ;;\n  *) echo b ;;\nesac\nf x\n";
        let t = texts(src);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(read(src).problems.is_empty());
    }
}

#[cfg(test)]
mod flow_tests {
    /// A value assigned to a variable takes on how the variable is read
    /// again, through assignments of every form.
    #[test]
    fn values_flow_into_variables_read_again() {
        for script in [
            "x=<v>; bash -c \"echo $x\"",
            "export x=<v>; bash -c \"echo $x\"",
            "for x in a <v>; do eval \"$x\"; done",
            "a=(<v>); eval \"echo ${a[0]}\"",
            "a=(\"<v>\" b); eval \"echo ${a[@]}\"",
            "a+=(<v>); eval \"${a[*]}\"",
            "declare -a m=(<v>); bash -c \"${m[0]}\"",
            "declare -A m=([k]=<v>); bash -c \"${m[k]}\"",
            "x=<v>; a=($x); eval \"${a[*]}\"",
            "export x=<v>; bash -c 'eval \"$x\"'",
            "export x=<v>; sh -c 'sh -c \"echo $x\"'",
            "Y=<v> sh -c 'eval \"$Y\"'",
            "env Y=<v> bash -c 'eval \"$Y\"'",
            "x=<v>; declare -n r=x; eval \"$r\"",
            "x=<v>; n=x; eval \"${!n}\"",
            "y=\"\"; printf -v y %s <v>; eval \"$y\"",
        ] {
            let read = crate::shell::read(script);
            let p = read.placeholders.first().expect("a placeholder");
            assert!(
                p.read_again.inner_shell.is_some(),
                "{script}: {:?}",
                read.assignments
            );
        }
    }
}
