//! A tolerant bash lexer.
//!
//! It knows enough of bash to split a block into commands and to see data:
//! quoting (`'…'`, `"…"`, `$'…'`), escapes and line continuations, heredocs
//! (`<<EOF`, `<<'EOF'`, `<<-EOF`), `$(…)`, backticks, `${…}`, `$((…))`,
//! comments, operators and redirections. It records, with spans, every
//! variable reference and every placeholder together with the quoting it sits
//! in, which is what a safe substitution needs later.
//!
//! Runbook snippets are often half-valid bash. The lexer never fails: an
//! unclosed quote or heredoc becomes a [`Problem`] and reading goes on.
//! (A full bash parser was weighed — see the commit that added this module —
//! but one that rejects `<pod-name>` or a missing `fi` would lose the rest of
//! the block; here each problem costs only itself.)

use compact_str::CompactString;
use serde::Serialize;

use super::context::Contexts;
use super::placeholder::Candidate;
use super::quote::ReadAgain;
use crate::source::Span;

/// The quoting around a position, as bash would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quoting {
    Unquoted,
    Double,
    Single,
    /// `$'…'`
    AnsiC,
    /// The body of a heredoc whose delimiter is unquoted (expansions happen).
    Heredoc,
    /// The body of a heredoc whose delimiter is quoted (taken literally).
    HeredocLiteral,
}

/// `$NAME`, `${NAME}`, `${NAME:-default}`…
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VarRef {
    pub name: String,
    pub span: Span,
    pub quoting: Quoting,
    /// `${NAME:-…}`, `${NAME-…}`, `${NAME:=…}`, `${NAME+…}`: never "unbound".
    pub has_default: bool,
    /// Where bash reads its value again: `${!NAME}` takes it as a name,
    /// `${NAME@P}` as a prompt, `(( NAME ))` as arithmetic.
    #[serde(skip)]
    pub read_again: ReadAgain,
    /// The default of `${NAME:-default}` (or `-`, `:=`, `=`) when it is
    /// plain text: what the script uses when nobody gives a value.
    pub default: Option<String>,
}

/// A placeholder occurrence with its quoting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceholderUse {
    pub name: String,
    pub text: String,
    pub span: Span,
    pub quoting: Quoting,
    /// For a heredoc body, its delimiter: a value must not contain it as a line.
    pub heredoc_delimiter: Option<String>,
    /// How many backtick substitutions it sits in: bash removes one level of
    /// backslashes before `$`, `` ` `` and `\` for each.
    pub backticks: u8,
    /// Inside backticks that hold escaped backticks (a nesting this lexer
    /// does not follow): no value but plain words is safe there.
    pub deep: bool,
    /// Where bash (or the program it starts) reads the value again.
    #[serde(skip)]
    pub read_again: ReadAgain,
    /// It begins a word of the command (`delete pod <name>`), where a value
    /// starting with `-` would be read as an option.
    pub starts_word: bool,
}

/// Something the lexer could not read as bash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub message: String,
    pub span: Span,
    /// The text ends inside something still open (a quote, a substitution,
    /// a heredoc): bash would read the next line as more of it.
    pub open: bool,
}

/// A word, with quotes removed from `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub span: Span,
    /// Held inline when short (most words): no allocation per word.
    pub value: CompactString,
    /// Contains `$…` or backticks (its value is not known before running).
    pub expands: bool,
    /// Argument lists of the simple commands inside `$(…)`, backticks or
    /// `<(…)` in this word.
    pub nested: Vec<Vec<CompactString>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Op(&'static str, Span),
    Newline(Span),
    Comment(Span),
    HeredocBody(Span),
}

impl Token {
    pub fn span(&self) -> Span {
        match self {
            Token::Word(w) => w.span,
            Token::Op(_, s) | Token::Newline(s) | Token::Comment(s) | Token::HeredocBody(s) => *s,
        }
    }
}

/// A part of a word that is not plain text, as [`Findings::regions`]
/// records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// `'…'`, `"…"`, `$'…'`, `$"…"`, quotes included.
    Quoted,
    /// `$NAME`, `${…}`, `$1`, `$?`, `$((…))`.
    Expansion,
    /// `$(…)`, `` `…` ``, `<(…)`, `>(…)`: `inner` is the command text
    /// between the opening and the closing (or the end, if never closed).
    Substitution { inner: Span },
}

/// What the lexer collected besides tokens.
#[derive(Debug, Default)]
pub struct Findings {
    pub refs: Vec<VarRef>,
    pub placeholders: Vec<PlaceholderUse>,
    pub problems: Vec<Problem>,
    /// Where bash reads text again, at every depth: arithmetic the lexer
    /// finds itself (`$((…))`, subscripts of `${…}`), and what
    /// [`super::context`] finds on the commands of substitutions.
    pub contexts: Contexts,
    /// Quotes, expansions and substitutions, at every depth (those inside
    /// a substitution or a quote too), in the order they end: what a
    /// highlighter colours, read the way the rest of litops reads it
    /// (`"a \"b\" c"` is one string). Recorded by a [`Lexer::highlighting`]
    /// lexer only.
    pub regions: Vec<(Span, Region)>,
    /// The tokens of the command lists inside substitutions, at every
    /// depth, words without their values: with [`Lexer::tokens`], every
    /// token of the text, so a highlighter reads it once. Recorded by a
    /// [`Lexer::highlighting`] lexer only.
    pub nested_tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    End,
    /// `)` closing `$(`, `<(` or `>(`.
    Paren,
}

struct PendingHeredoc {
    delimiter: String,
    literal: bool,
    strip_tabs: bool,
    span: Span,
}

pub struct Lexer<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    limit: usize,
    candidates: &'s [Candidate],
    pending: Vec<PendingHeredoc>,
    /// Backtick substitutions open at the current position.
    backticks: u8,
    /// Inside backticks whose text holds escaped backticks.
    deep: bool,
    /// The last `token_list(Stop::Paren)` ended at its `)` (not at the end).
    closed: bool,
    /// Record [`Findings::regions`] and [`Findings::nested_tokens`]: only a
    /// highlighter reads them (see [`Lexer::highlighting`]).
    highlighting: bool,
    pub findings: Findings,
}

const OPERATORS: &[&str] = &[
    ";;&", "<<<", "<<-", "&>>", "||", "&&", "|&", ";;", ";&", "<<", ">>", "<&", ">&", "<>", ">|",
    "&>", "|", "&", ";", "(", ")", "<", ">",
];

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str, candidates: &'s [Candidate]) -> Lexer<'s> {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            limit: src.len(),
            candidates,
            pending: Vec::new(),
            backticks: 0,
            deep: false,
            closed: false,
            highlighting: false,
            findings: Findings::default(),
        }
    }

    /// A lexer that also records what a highlighter colours
    /// ([`Findings::regions`], [`Findings::nested_tokens`]); planning has
    /// no use for them and does not pay for them.
    pub fn highlighting(mut self) -> Lexer<'s> {
        self.highlighting = true;
        self
    }

    /// Arithmetic and inner-shell code in the commands of a substitution
    /// (`$(bash -c '…')`), as for top-level ones; the tokens themselves,
    /// lightly, for [`Findings::nested_tokens`].
    fn nested_contexts(&mut self, tokens: &[Token]) {
        if self.highlighting {
            self.findings
                .nested_tokens
                .extend(tokens.iter().map(|token| match token {
                    Token::Word(word) => {
                        Token::Word(Word::empty(word.span.start).ending(word.span.end))
                    }
                    other => other.clone(),
                }));
        }
        let found = super::context::scan(self.src, tokens);
        self.findings.contexts.absorb(found);
    }

    /// All top-level tokens of the text.
    pub fn tokens(&mut self) -> Vec<Token> {
        // About a token per five bytes in runbook blocks: room for them at
        // once instead of growing the list step by step.
        self.token_list(Stop::End, self.src.len() / 5)
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.limit).then(|| self.bytes[self.pos])
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        let i = self.pos + offset;
        (i < self.limit).then(|| self.bytes[i])
    }

    fn problem(&mut self, message: impl Into<String>, span: Span) {
        self.findings.problems.push(Problem {
            message: message.into(),
            span,
            open: false,
        });
    }

    /// A problem that is the text ending inside a construct.
    fn unclosed(&mut self, message: impl Into<String>, span: Span) {
        self.findings.problems.push(Problem {
            message: message.into(),
            span,
            open: true,
        });
    }

    fn token_list(&mut self, stop: Stop, capacity: usize) -> Vec<Token> {
        let open = self.pos;
        let mut tokens = Vec::with_capacity(capacity);
        let mut parens = 0usize;
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else {
                if stop == Stop::Paren {
                    self.unclosed(
                        "`$(` is never closed",
                        Span::new(open.saturating_sub(2), self.pos),
                    );
                }
                self.closed = false;
                break;
            };
            let start = self.pos;
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.read_heredoc_bodies(&mut tokens);
                    tokens.push(Token::Newline(Span::new(start, start + 1)));
                }
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                    tokens.push(Token::Comment(Span::new(start, self.pos)));
                }
                b')' if stop == Stop::Paren && parens == 0 => {
                    self.pos += 1;
                    self.closed = true;
                    break;
                }
                _ if self.placeholder_here().is_some() => {
                    tokens.push(Token::Word(self.word(Quoting::Unquoted)));
                }
                b'<' | b'>' if self.peek_at(1) == Some(b'(') => {
                    // Process substitution: a word holding a command list.
                    self.pos += 2;
                    let mut inner = self.token_list(Stop::Paren, 0);
                    self.substitution(start, 2);
                    self.nested_contexts(&inner);
                    tokens.push(Token::Word(Word {
                        span: Span::new(start, self.pos),
                        value: CompactString::from(&self.src[start..self.pos]),
                        expands: true,
                        nested: simple_commands(&mut inner),
                    }));
                }
                b'|' | b'&' | b';' | b'(' | b')' | b'<' | b'>' => {
                    let op = self.operator();
                    match op {
                        "(" => parens += 1,
                        ")" => parens = parens.saturating_sub(1),
                        "<<" | "<<-" => self.heredoc_operator(op == "<<-", &mut tokens, start),
                        _ => {}
                    }
                    if op != "<<" && op != "<<-" {
                        tokens.push(Token::Op(op, Span::new(start, self.pos)));
                    }
                }
                _ => {
                    let word = self.word(Quoting::Unquoted);
                    tokens.push(Token::Word(word));
                }
            }
        }
        tokens
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if c == b' ' || c == b'\t' || c == b'\r' {
                self.pos += 1;
            } else if c == b'\\' && self.peek_at(1) == Some(b'\n') {
                self.pos += 2;
            } else {
                break;
            }
        }
    }

    fn operator(&mut self) -> &'static str {
        let rest = &self.bytes[self.pos..self.limit];
        let op = OPERATORS
            .iter()
            .find(|op| rest.starts_with(op.as_bytes()))
            .copied()
            .unwrap_or(";");
        self.pos += op.len();
        op
    }

    fn heredoc_operator(&mut self, strip_tabs: bool, tokens: &mut Vec<Token>, start: usize) {
        tokens.push(Token::Op(
            if strip_tabs { "<<-" } else { "<<" },
            Span::new(start, self.pos),
        ));
        self.skip_blanks();
        if self.peek().is_none_or(|c| c == b'\n') {
            self.problem(
                "heredoc operator without a delimiter word",
                Span::new(start, self.pos),
            );
            return;
        }
        let word = self.word(Quoting::Unquoted);
        let raw = &self.src[word.span.start..word.span.end];
        let literal = raw.contains(['\'', '"', '\\']);
        self.pending.push(PendingHeredoc {
            delimiter: word.value.to_string(),
            literal,
            strip_tabs,
            span: Span::new(start, word.span.end),
        });
        tokens.push(Token::Word(word));
    }

    /// After a newline: the bodies of the heredocs opened on the line just read.
    fn read_heredoc_bodies(&mut self, tokens: &mut Vec<Token>) {
        for heredoc in std::mem::take(&mut self.pending) {
            let body_start = self.pos;
            let mut line_start = self.pos;
            let mut body_end = None;
            while line_start < self.limit {
                let line_end = self.src[line_start..self.limit]
                    .find('\n')
                    .map_or(self.limit, |i| line_start + i);
                let mut line = &self.src[line_start..line_end];
                if heredoc.strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                if line.trim_end_matches('\r') == heredoc.delimiter {
                    body_end = Some((line_start, (line_end + 1).min(self.limit)));
                    break;
                }
                line_start = (line_end + 1).min(self.limit);
                if line_end == self.limit {
                    break;
                }
            }
            let (end, next) = body_end.unwrap_or_else(|| {
                self.unclosed(
                    format!(
                        "heredoc is never ended: no line `{}` follows",
                        heredoc.delimiter
                    ),
                    heredoc.span,
                );
                (self.limit, self.limit)
            });
            let quoting = if heredoc.literal {
                Quoting::HeredocLiteral
            } else {
                Quoting::Heredoc
            };
            self.scan_body(body_start, end, quoting, &heredoc.delimiter);
            tokens.push(Token::HeredocBody(Span::new(body_start, next)));
            self.pos = next;
        }
    }

    /// Placeholders and, for an expanding heredoc, expansions in a body.
    fn scan_body(&mut self, start: usize, end: usize, quoting: Quoting, delimiter: &str) {
        let saved = (self.pos, self.limit);
        self.pos = start;
        self.limit = end;
        while let Some(c) = self.peek() {
            if let Some(candidate) = self.placeholder_here() {
                self.record_placeholder(candidate, quoting, Some(delimiter));
                self.pos = candidate.span.end;
            } else if quoting == Quoting::Heredoc && c == b'\\' {
                self.skip_escape();
            } else if quoting == Quoting::Heredoc && (c == b'$' || c == b'`') {
                let mut scratch = Word::empty(self.pos);
                self.expansion(quoting, &mut scratch);
            } else {
                // Nothing to look at before the next placeholder or, in a
                // body that expands, the next `\`, `$` or backtick.
                let from = self.pos + 1;
                let stop = self.next_placeholder_start(from);
                let rest = &self.bytes[from..stop];
                self.pos = match quoting {
                    Quoting::Heredoc => memchr::memchr3(b'\\', b'$', b'`', rest),
                    _ => None,
                }
                .map_or(stop, |i| from + i);
            }
        }
        self.pos = saved.0;
        self.limit = saved.1;
    }

    fn placeholder_here(&self) -> Option<&'s Candidate> {
        let index = self
            .candidates
            .binary_search_by(|c| c.span.start.cmp(&self.pos))
            .ok()?;
        let candidate = &self.candidates[index];
        (candidate.span.end <= self.limit).then_some(candidate)
    }

    /// The start of the first placeholder at or after `from` (at most
    /// `self.limit`, with `from` at most that too).
    fn next_placeholder_start(&self, from: usize) -> usize {
        let next = self.candidates.partition_point(|c| c.span.start < from);
        self.candidates
            .get(next)
            .map_or(self.limit, |c| c.span.start.min(self.limit))
    }

    /// Where the plain text from `self.pos` ends: at the next byte in
    /// `special`, the next placeholder or the limit, but past the character
    /// at `self.pos` whatever it is. A run of plain text is then taken at
    /// once instead of a character at a time (all of `special` is ASCII, so
    /// the run ends on a character boundary).
    fn plain_run_end(&self, special: impl Fn(u8) -> bool) -> usize {
        let first = self.char_at(self.pos).len_utf8();
        let from = (self.pos + first).min(self.limit);
        let stop = self.next_placeholder_start(from);
        self.bytes[from..stop]
            .iter()
            .position(|&b| special(b))
            .map_or(stop, |i| from + i)
    }

    /// At a placeholder: record it with its quoting and take it as literal text.
    fn take_placeholder(&mut self, quoting: Quoting, word: &mut Word) -> bool {
        let Some(candidate) = self.placeholder_here() else {
            return false;
        };
        self.record_placeholder(candidate, quoting, None);
        // Nothing of the word before it (quotes add nothing to its value):
        // the value is where an option could be.
        if word.value.is_empty()
            && let Some(p) = self.findings.placeholders.last_mut()
        {
            p.starts_word = true;
        }
        word.value.push_str(&candidate.text);
        self.pos = candidate.span.end;
        true
    }

    fn record_placeholder(
        &mut self,
        candidate: &Candidate,
        quoting: Quoting,
        delimiter: Option<&str>,
    ) {
        self.findings.placeholders.push(PlaceholderUse {
            name: candidate.name.clone(),
            text: candidate.text.clone(),
            span: candidate.span,
            quoting,
            heredoc_delimiter: delimiter.map(str::to_owned),
            backticks: self.backticks,
            deep: self.deep,
            read_again: ReadAgain::default(),
            starts_word: false,
        });
    }

    /// A word starting at the current position.
    fn word(&mut self, quoting: Quoting) -> Word {
        let mut word = Word::empty(self.pos);
        while let Some(c) = self.peek() {
            if self.take_placeholder(quoting, &mut word) {
                continue;
            }
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'|' | b'&' | b';' | b'(' | b')' | b'<' | b'>' => {
                    break;
                }
                b'\\' => {
                    if self.peek_at(1).is_some_and(|c| c != b'\n') {
                        word.value.push(self.char_at(self.pos + 1));
                    }
                    self.skip_escape();
                }
                b'\'' => self.single_quoted(&mut word),
                b'"' => self.double_quoted(&mut word),
                b'$' | b'`' => self.expansion(Quoting::Unquoted, &mut word),
                _ => self.take_plain(&mut word, |b| {
                    matches!(
                        b,
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b'|'
                            | b'&'
                            | b';'
                            | b'('
                            | b')'
                            | b'<'
                            | b'>'
                            | b'\\'
                            | b'\''
                            | b'"'
                            | b'$'
                            | b'`'
                    )
                }),
            }
        }
        word.span.end = self.pos;
        word
    }

    /// Adds the plain text from here to the word (see [`Self::plain_run_end`]).
    fn take_plain(&mut self, word: &mut Word, special: impl Fn(u8) -> bool) {
        let end = self.plain_run_end(special);
        match self.src.get(self.pos..end) {
            Some(run) => {
                word.value.push_str(run);
                self.pos = end;
            }
            // Not at a character boundary (never expected): as before, one
            // character at a time.
            None => {
                let ch = self.char_at(self.pos);
                word.value.push(ch);
                self.pos += ch.len_utf8();
            }
        }
    }

    /// Past a backslash and the character it escapes (never into the middle
    /// of a UTF-8 sequence).
    fn skip_escape(&mut self) {
        self.pos += 1;
        if self.pos < self.limit {
            self.pos += self.char_at(self.pos).len_utf8();
        }
        self.pos = self.pos.min(self.limit);
    }

    fn char_at(&self, i: usize) -> char {
        self.src
            .get(i..)
            .and_then(|s| s.chars().next())
            .unwrap_or(' ')
    }

    fn single_quoted(&mut self, word: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        loop {
            if self.take_placeholder(Quoting::Single, word) {
                continue;
            }
            match self.peek() {
                None => {
                    self.unclosed("single quote is never closed", Span::new(start, start + 1));
                    break;
                }
                Some(b'\'') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.take_plain(word, |b| b == b'\''),
            }
        }
        self.region(start, Region::Quoted);
    }

    fn double_quoted(&mut self, word: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        loop {
            if self.take_placeholder(Quoting::Double, word) {
                continue;
            }
            match self.peek() {
                None => {
                    self.unclosed("double quote is never closed", Span::new(start, start + 1));
                    break;
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => match self.peek_at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(c @ (b'$' | b'`' | b'"' | b'\\')) => {
                        word.value.push(c as char);
                        self.pos += 2;
                    }
                    _ => {
                        word.value.push('\\');
                        self.pos += 1;
                    }
                },
                Some(b'$' | b'`') => self.expansion(Quoting::Double, word),
                Some(_) => self.take_plain(word, |b| matches!(b, b'"' | b'\\' | b'$' | b'`')),
            }
        }
        self.region(start, Region::Quoted);
    }

    /// Records what was read from `start` to here.
    fn region(&mut self, start: usize, region: Region) {
        if self.highlighting {
            self.findings
                .regions
                .push((Span::new(start, self.pos), region));
        }
    }

    /// Records the substitution from `start` to here, whose opening is
    /// `open` bytes long (`$(`, `<(`, `` ` ``).
    fn substitution(&mut self, start: usize, open: usize) {
        let inner_end = if self.closed { self.pos - 1 } else { self.pos };
        let inner = Span::new((start + open).min(inner_end), inner_end);
        self.region(start, Region::Substitution { inner });
    }

    /// At `$` or a backtick.
    fn expansion(&mut self, quoting: Quoting, word: &mut Word) {
        let start = self.pos;
        if self.peek() == Some(b'`') {
            self.backticks(word);
            return;
        }
        match self.peek_at(1) {
            Some(b'\'') if quoting == Quoting::Unquoted => {
                self.pos += 1;
                self.ansi_c(word);
                self.region(start, Region::Quoted);
            }
            Some(b'"') if quoting == Quoting::Unquoted => {
                self.pos += 1;
                self.double_quoted(word);
                self.region(start, Region::Quoted);
            }
            Some(b'(') if self.peek_at(2) == Some(b'(') => {
                self.arithmetic(word, quoting);
                self.region(start, Region::Expansion);
            }
            Some(b'[') => {
                self.arithmetic(word, quoting);
                self.region(start, Region::Expansion);
            }
            Some(b'(') => {
                self.pos += 2;
                let mut inner = self.token_list(Stop::Paren, 0);
                self.substitution(start, 2);
                self.nested_contexts(&inner);
                word.nested.extend(simple_commands(&mut inner));
                word.expands = true;
                word.value.push_str(&self.src[start..self.pos]);
            }
            Some(b'{') => {
                self.braced(word, quoting);
                self.region(start, Region::Expansion);
            }
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {
                self.pos += 1;
                let name_start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c == b'_' || c.is_ascii_alphanumeric())
                {
                    self.pos += 1;
                }
                self.findings.refs.push(VarRef {
                    name: self.src[name_start..self.pos].to_owned(),
                    span: Span::new(start, self.pos),
                    quoting,
                    has_default: false,
                    read_again: ReadAgain::default(),
                    default: None,
                });
                self.region(start, Region::Expansion);
                word.expands = true;
                word.value.push_str(&self.src[start..self.pos]);
            }
            Some(c) if c.is_ascii_digit() || b"?#@*$!-".contains(&c) => {
                self.pos += 2;
                self.region(start, Region::Expansion);
                word.expands = true;
                word.value.push_str(&self.src[start..self.pos]);
            }
            _ => {
                self.pos += 1;
                word.value.push('$');
            }
        }
    }

    fn ansi_c(&mut self, word: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None => {
                    self.unclosed(
                        "`$'` quote is never closed",
                        Span::new(start - 1, start + 1),
                    );
                    return;
                }
                Some(b'\\') => {
                    let start = self.pos;
                    self.skip_escape();
                    word.value.push_str(&self.src[start..self.pos]);
                }
                Some(b'\'') => {
                    self.pos += 1;
                    return;
                }
                Some(_) => {
                    let ch = self.char_at(self.pos);
                    word.value.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn backticks(&mut self, word: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        let mut end = None;
        let mut i = self.pos;
        while i < self.limit {
            match self.bytes[i] {
                b'\\' => i += 2,
                b'`' => {
                    end = Some(i);
                    break;
                }
                _ => i += 1,
            }
        }
        let Some(end) = end else {
            self.unclosed(
                "backtick substitution is never closed",
                Span::new(start, start + 1),
            );
            self.pos = self.limit;
            return;
        };
        let saved = (self.limit, self.deep);
        self.limit = end;
        self.backticks = self.backticks.saturating_add(1);
        // Escaped backticks nest a level this lexer does not follow; an
        // escaped `"` inside double quotes opens quotes it does not see.
        let inner = &self.src[self.pos..end];
        self.deep |= inner.contains("\\`") || inner.contains("\\\"");
        let mut inner = self.token_list(Stop::End, 0);
        self.nested_contexts(&inner);
        self.backticks -= 1;
        (self.limit, self.deep) = saved;
        self.pos = end + 1;
        if self.highlighting {
            self.findings.regions.push((
                Span::new(start, self.pos),
                Region::Substitution {
                    inner: Span::new(start + 1, end),
                },
            ));
        }
        word.nested.extend(simple_commands(&mut inner));
        word.expands = true;
        word.value.push_str(&self.src[start..self.pos]);
    }

    /// `$((…))`, and the old form `$[…]`: variables named with `$` inside
    /// are references.
    fn arithmetic(&mut self, word: &mut Word, quoting: Quoting) {
        let start = self.pos;
        let (open, close, mut depth) = if self.peek_at(1) == Some(b'[') {
            (b'[', b']', 1usize)
        } else {
            (b'(', b')', 2usize)
        };
        self.pos += 1 + depth;
        while let Some(c) = self.peek() {
            if let Some(candidate) = self.placeholder_here() {
                self.record_placeholder(candidate, quoting, None);
                self.pos = candidate.span.end;
                continue;
            }
            match c {
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        break;
                    }
                }
                b'$' => {
                    let mut scratch = Word::empty(self.pos);
                    self.expansion(quoting, &mut scratch);
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        if depth != 0 {
            let (opener, len) = if open == b'[' {
                ("`$[`", 2)
            } else {
                ("`$((`", 3)
            };
            self.unclosed(
                format!("{opener} is never closed"),
                Span::new(start, start + len),
            );
        }
        self.findings
            .contexts
            .arithmetic
            .push(Span::new(start, self.pos));
        word.expands = true;
        word.value.push_str(&self.src[start..self.pos]);
    }

    /// `${NAME}`, `${NAME:-word}`, `${#NAME}`, `${NAME%%pattern}`…
    fn braced(&mut self, word: &mut Word, quoting: Quoting) {
        let start = self.pos;
        self.pos += 2;
        let mut indirect = false;
        if matches!(self.peek(), Some(b'#' | b'!')) && self.peek_at(1).is_some_and(|c| c != b'}') {
            indirect = self.peek() == Some(b'!');
            self.pos += 1;
        }
        let name_start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c == b'_' || c.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        let name = &self.src[name_start..self.pos];
        let operator = &self.bytes[self.pos..self.limit];
        let has_default = [&b":-"[..], b"-", b":=", b"=", b":+", b"+", b":?"]
            .iter()
            .any(|op| operator.starts_with(op));
        let default_op = [&b":-"[..], b"-", b":=", b"="]
            .iter()
            .find(|op| operator.starts_with(op))
            .map(|op| op.len());
        let is_name = name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
        let ref_index = is_name.then(|| {
            self.findings.refs.push(VarRef {
                name: name.to_owned(),
                span: Span::new(start, start),
                quoting,
                has_default,
                read_again: ReadAgain {
                    names_a_variable: indirect,
                    prompt: operator.starts_with(b"@P"),
                    ..ReadAgain::default()
                },
                default: None,
            });
            self.findings.refs.len() - 1
        });
        let default_start = self.pos + default_op.unwrap_or(0);
        // `${a[…]}` and `${a:offset:length}` are arithmetic (for indexed
        // arrays), up to the closing brace.
        let arithmetic = is_name
            && (self.peek() == Some(b'[')
                || (self.peek() == Some(b':')
                    && !matches!(self.peek_at(1), Some(b'-' | b'=' | b'+' | b'?'))));
        let arithmetic_start = self.pos;
        // The rest, up to the matching brace, is a word of its own.
        let mut depth = 1usize;
        loop {
            if arithmetic && let Some(candidate) = self.placeholder_here() {
                self.record_placeholder(candidate, quoting, None);
                self.pos = candidate.span.end;
                continue;
            }
            match self.peek() {
                None => {
                    self.unclosed("`${` is never closed", Span::new(start, start + 2));
                    break;
                }
                Some(b'}') => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        break;
                    }
                }
                Some(b'{') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b'\\') => self.skip_escape(),
                Some(b'\'') if quoting == Quoting::Unquoted => {
                    let mut scratch = Word::empty(self.pos);
                    self.single_quoted(&mut scratch);
                }
                Some(b'"') => {
                    let mut scratch = Word::empty(self.pos);
                    self.double_quoted(&mut scratch);
                }
                Some(b'$' | b'`') => {
                    let mut scratch = Word::empty(self.pos);
                    self.expansion(quoting, &mut scratch);
                    word.nested.extend(scratch.nested);
                }
                Some(_) => self.pos += 1,
            }
        }
        if arithmetic {
            self.findings
                .contexts
                .arithmetic
                .push(Span::new(arithmetic_start, self.pos));
        }
        if let Some(i) = ref_index {
            self.findings.refs[i].span = Span::new(start, self.pos);
            if default_op.is_some() {
                let text = self
                    .src
                    .get(default_start..self.pos.saturating_sub(1))
                    .unwrap_or("");
                if !text.contains(['$', '`', '"', '\'', '\\']) {
                    self.findings.refs[i].default = Some(text.to_owned());
                }
            }
        }
        word.expands = true;
        word.value.push_str(&self.src[start..self.pos]);
    }
}

impl Word {
    fn empty(start: usize) -> Word {
        Word {
            span: Span::new(start, start),
            value: CompactString::default(),
            expands: false,
            nested: Vec::new(),
        }
    }

    fn ending(mut self, end: usize) -> Word {
        self.span.end = end;
        self
    }
}

/// The simple commands (argument lists, quotes removed) in a token list,
/// redirection targets and keywords left out; nested substitutions are
/// included after their host.
///
/// The words' values and nested lists are moved out of `tokens` (each token
/// is read for one list only), not copied.
pub fn simple_commands(tokens: &mut [Token]) -> Vec<Vec<CompactString>> {
    let mut out = Vec::new();
    let mut current: Vec<CompactString> = Vec::new();
    let mut redirect_target = false;
    let mut nested = Vec::new();
    for token in tokens {
        match token {
            Token::Word(word) => {
                nested.append(&mut word.nested);
                if redirect_target {
                    redirect_target = false;
                } else if !(current.is_empty() && is_keyword(&word.value)) {
                    // Room for a usual argument list at once, rather than
                    // growing it word by word.
                    if current.is_empty() {
                        current.reserve(8);
                    }
                    current.push(std::mem::take(&mut word.value));
                }
            }
            Token::Op(op, _) if is_redirect(op) => redirect_target = true,
            Token::Op(..) | Token::Newline(_) => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            Token::Comment(_) | Token::HeredocBody(_) => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.extend(nested);
    out
}

pub fn is_redirect(op: &str) -> bool {
    matches!(
        op,
        "<" | ">" | ">>" | "<&" | ">&" | "<>" | ">|" | "&>" | "&>>" | "<<<" | "<<" | "<<-"
    )
}

pub fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "then"
            | "else"
            | "elif"
            | "fi"
            | "for"
            | "while"
            | "until"
            | "do"
            | "done"
            | "case"
            | "esac"
            | "select"
            | "function"
            | "{"
            | "}"
            | "!"
            | "time"
            | "[["
            | "]]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> (Vec<Token>, Findings) {
        let candidates = super::super::placeholder::find(src);
        let mut lexer = Lexer::new(src, &candidates).highlighting();
        let tokens = lexer.tokens();
        (tokens, lexer.findings)
    }

    fn words(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w.value.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn regions_are_recorded_as_bash_reads_them() {
        let src = r#"a "x \"y\" $Z" 'it'\''s' $'\'' $(b "c") `d` ${e:-'f'} $1 <(g"#;
        let (_, findings) = lex(src);
        let mut found: Vec<(&str, Region)> = findings
            .regions
            .iter()
            .map(|(span, region)| (&src[span.start..span.end], *region))
            .collect();
        found.sort_by_key(|(text, _)| src.find(text));
        let at = |text: &str| src.find(text).expect("in src");
        let inner = |text: &str| Span::new(at(text), at(text) + text.len());
        assert_eq!(
            found,
            [
                (r#""x \"y\" $Z""#, Region::Quoted),
                ("$Z", Region::Expansion),
                ("'it'", Region::Quoted),
                ("'s'", Region::Quoted),
                (r"$'\''", Region::Quoted),
                (
                    r#"$(b "c")"#,
                    Region::Substitution {
                        inner: inner(r#"b "c""#)
                    }
                ),
                (r#""c""#, Region::Quoted),
                ("`d`", Region::Substitution { inner: inner("d") }),
                ("${e:-'f'}", Region::Expansion),
                ("'f'", Region::Quoted),
                ("$1", Region::Expansion),
                // Never closed: the inner text runs to the end.
                ("<(g", Region::Substitution { inner: inner("g") }),
            ]
        );
        // The words of the substitutions' commands, for a highlighter.
        let mut nested: Vec<&str> = findings
            .nested_tokens
            .iter()
            .map(|t| &src[t.span().start..t.span().end])
            .collect();
        nested.sort_by_key(|text| src.find(text));
        assert_eq!(nested, ["b", r#""c""#, "d", "g"]);
        // Planning reads neither: a lexer not asked for them leaves them out.
        let mut plain = Lexer::new(src, &[]);
        plain.tokens();
        assert!(plain.findings.regions.is_empty());
        assert!(plain.findings.nested_tokens.is_empty());
    }

    #[test]
    fn quotes_are_removed_and_escapes_applied() {
        let (t, f) = lex(r#"echo 'a b' "c $X d" e\ f "g\"h""#);
        assert_eq!(words(&t), vec!["echo", "a b", "c $X d", "e f", "g\"h"]);
        assert_eq!(f.refs.len(), 1);
        assert_eq!(f.refs[0].quoting, Quoting::Double);
    }

    #[test]
    fn single_quotes_hide_variables() {
        let (_, f) = lex("sh -c 'psql $DATABASE_URL'");
        assert!(f.refs.is_empty());
    }

    #[test]
    fn continuation_joins_lines() {
        let (t, _) = lex("kubectl get \\\n  pods");
        assert_eq!(words(&t), vec!["kubectl", "get", "pods"]);
        assert!(!t.iter().any(|t| matches!(t, Token::Newline(_))));
    }

    #[test]
    fn heredoc_bodies_are_single_tokens() {
        let src = "kubectl apply -f - <<EOF\nname: $NAME\n```\nEOF\necho done\n";
        let (t, f) = lex(src);
        let body = t.iter().find_map(|t| match t {
            Token::HeredocBody(s) => Some(*s),
            _ => None,
        });
        assert_eq!(
            body.map(|s| &src[s.start..s.end]),
            Some("name: $NAME\n```\nEOF\n")
        );
        assert_eq!(f.refs[0].name, "NAME");
        assert_eq!(f.refs[0].quoting, Quoting::Heredoc);
        assert!(words(&t).contains(&"done".to_owned()));
    }

    #[test]
    fn quoted_heredoc_is_literal_and_dash_strips_tabs() {
        let (_, f) = lex("cat <<'EOF'\n$NOT_A_REF\nEOF\n");
        assert!(f.refs.is_empty());
        let (t, f) = lex("cat <<-END\n\tx\n\tEND\nls\n");
        assert!(f.problems.is_empty());
        assert!(words(&t).contains(&"ls".to_owned()));
    }

    #[test]
    fn substitutions_nest_commands_and_references() {
        let (t, f) = lex("ID=$(az identity show --name \"$N\" | jq -r `echo .id`)");
        let Token::Word(w) = &t[0] else {
            panic!("word")
        };
        assert!(w.expands);
        let argv0: Vec<&str> = w.nested.iter().map(|c| c[0].as_str()).collect();
        assert_eq!(argv0, vec!["az", "jq", "echo"]);
        assert_eq!(f.refs[0].name, "N");
    }

    #[test]
    fn braced_references_know_defaults() {
        let (_, f) = lex("echo ${A} ${B:-x} ${#C} ${D:-$E} ${F=us-east-1}");
        let defaults: Vec<Option<&str>> = f.refs.iter().map(|r| r.default.as_deref()).collect();
        assert_eq!(
            defaults,
            vec![None, Some("x"), None, None, None, Some("us-east-1")]
        );
        let got: Vec<(&str, bool)> = f
            .refs
            .iter()
            .map(|r| (r.name.as_str(), r.has_default))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", false),
                ("B", true),
                ("C", false),
                ("D", true),
                ("E", false),
                ("F", true)
            ]
        );
    }

    #[test]
    fn placeholders_are_words_not_redirections() {
        let (t, f) = lex("kubectl describe pod <pod-name> -n x");
        assert_eq!(
            words(&t),
            vec!["kubectl", "describe", "pod", "<pod-name>", "-n", "x"]
        );
        assert_eq!(f.placeholders[0].quoting, Quoting::Unquoted);
        let (_, f) = lex("echo '{\"p\":\"your-secure-password\"}'");
        assert_eq!(f.placeholders[0].quoting, Quoting::Single);
    }

    #[test]
    fn unclosed_things_are_problems_not_panics() {
        for src in [
            "echo 'abc",
            "echo \"abc",
            "x=$(ls",
            "cat <<EOF\nno end",
            "echo ${X",
            "echo `ls",
            "$((1+",
            "a\\",
        ] {
            let (_, f) = lex(src);
            assert!(!f.problems.is_empty() || src == "a\\", "{src}");
        }
    }
}
