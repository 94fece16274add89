//! The program text of other languages: `awk '{…}'`, `sed 's/…/…/'`, a `jq`
//! filter, `perl -e`, `python -c`. Shell quoting keeps a value one word for
//! bash, but the program then reads that word as code: with
//! `awk "BEGIN { print <x> }"`, the value `system("id")` runs `id`. A value
//! there is data only as an integer, or as a plain word inside one of the
//! language's strings or patterns, without the character that ends it.
//! Which words hold program text, and where in it a value lands, is found
//! here with a small reader per language (not the language's parser: what
//! it does not recognise is code).

use super::lexer::Word;
use super::quote::{is_integer, is_plain};
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Awk,
    Sed,
    Perl,
    Ruby,
    Python,
    Node,
    Php,
    Lua,
    Jq,
    Yq,
    /// SQL for a database's client (`psql`, `mysql`, `sqlite3`).
    Sql,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Language::Awk => "awk",
            Language::Sed => "sed",
            Language::Perl => "perl",
            Language::Ruby => "ruby",
            Language::Python => "python",
            Language::Node => "node",
            Language::Php => "php",
            Language::Lua => "lua",
            Language::Jq => "jq",
            Language::Yq => "yq",
            Language::Sql => "SQL",
        }
    }

    /// The language of a program's text, by the program's name.
    pub fn of(program: &str) -> Option<Language> {
        Some(match program {
            "awk" | "gawk" | "mawk" | "nawk" => Language::Awk,
            "sed" | "gsed" => Language::Sed,
            "perl" => Language::Perl,
            "ruby" => Language::Ruby,
            "node" | "nodejs" => Language::Node,
            "php" => Language::Php,
            "lua" | "luajit" => Language::Lua,
            "jq" | "gojq" | "jaq" => Language::Jq,
            "yq" => Language::Yq,
            "psql" | "mysql" | "mariadb" | "sqlite3" | "clickhouse-client" => Language::Sql,
            p if p.starts_with("python") || p.starts_with("pypy") => Language::Python,
            _ => return None,
        })
    }
}

/// Where a value lands in a program's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// In a string, or text the program takes as it is (sed's `a` text, a
    /// label, a file name, a comment).
    Literal,
    /// In a pattern or substitution that this character ends.
    Pattern(char),
    /// In an SQL string or quoted name, which this character ends: the
    /// text is taken as it is up to there (no interpolation).
    Verbatim(char),
    /// Anywhere else: code.
    Code,
}

/// A value's place in another language's program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramText {
    pub language: Language,
    pub landing: Landing,
}

impl ProgramText {
    /// Whether this place takes fewer values than `other`.
    pub fn is_stricter_than(&self, other: &ProgramText) -> bool {
        let rank = |l: Landing| match l {
            Landing::Verbatim(_) => 0,
            Landing::Literal => 1,
            Landing::Pattern(_) => 2,
            Landing::Code => 3,
        };
        rank(self.landing) > rank(other.landing)
    }

    /// Whether `value` stays data there.
    pub fn takes(&self, value: &str) -> bool {
        is_integer(value)
            || match self.landing {
                Landing::Literal => is_plain(value),
                Landing::Pattern(end) => is_plain(value) && !value.contains(end),
                // MySQL takes a backslash as an escape in strings.
                Landing::Verbatim(end) => !value.contains([end, '\\', '\0']),
                // A name in SQL (`CREATE DATABASE <name>`) is no code.
                Landing::Code => {
                    self.language == Language::Sql
                        && !value.is_empty()
                        && value
                            .chars()
                            .all(|c| c == '_' || c == '.' || c.is_ascii_alphanumeric())
                }
            }
    }
}

/// How a program's text is written where litops sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// A shell word: the program reads it with the shell's quotes removed.
    Word,
    /// A heredoc's body: the program reads it as written.
    Raw,
    /// What a command writes (a pipe, a process substitution): where a
    /// value lands in the program cannot be seen, so it lands in code.
    Opaque,
}

/// The files that name a program's standard input.
fn is_stdin(path: &str) -> bool {
    matches!(path, "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0")
}

/// The language of the program a command reads on its standard input
/// (`python3 - <<EOF`, `perl <<EOF`, `psql <<EOF`, `awk -f /dev/stdin`).
pub fn program_on_input(program: &str, args: &[&Word]) -> Option<Language> {
    let language = Language::of(program)?;
    let file_flag = |flags: &[&str]| {
        args.windows(2)
            .find(|pair| flags.contains(&pair[0].value.as_str()))
            .map(|pair| pair[1].value.as_str())
    };
    match language {
        Language::Awk | Language::Sed | Language::Jq | Language::Yq => {
            file_flag(&["-f", "--file", "--from-file"])
                .is_some_and(is_stdin)
                .then_some(language)
        }
        Language::Sql => {
            if !programs(program, args).is_empty() {
                return None;
            }
            match file_flag(&["-f", "--file"]) {
                Some(file) => is_stdin(file).then_some(language),
                None => Some(language),
            }
        }
        _ => {
            if !programs(program, args).is_empty() {
                return None;
            }
            // `python3 -m module`, `python3 --version`: not the input.
            if args.iter().any(|w| {
                matches!(
                    w.value.as_str(),
                    "-m" | "--version" | "-V" | "--help" | "-h"
                )
            }) {
                return None;
            }
            match args
                .iter()
                .find(|w| !w.value.starts_with('-') || w.value == "-")
            {
                None => Some(language),
                Some(w) if is_stdin(&w.value) => Some(language),
                Some(_) => None,
            }
        }
    }
}

/// Process substitutions a command reads as its program (`awk -f <(…)`,
/// `sed -f <(…)`, `python3 <(…)`, `psql -f <(…)`): program text nobody
/// sees written.
pub fn programs_substituted(program: &str, args: &[&Word]) -> Vec<(Span, Language)> {
    let Some(language) = Language::of(program) else {
        return Vec::new();
    };
    let after_f = args
        .windows(2)
        .filter(|pair| matches!(pair[0].value.as_str(), "-f" | "--file" | "--from-file"))
        .map(|pair| pair[1]);
    let script = args.iter().copied().find(|w| !w.value.starts_with('-'));
    after_f
        .chain(script)
        .filter(|w| w.value.starts_with("<("))
        .map(|w| (w.span, language))
        .collect()
}

/// The spans of a command's arguments that are program text, and its
/// language (`program` is the command's name, without its directory).
pub fn programs(program: &str, args: &[&Word]) -> Vec<(Span, Language)> {
    let Some(language) = Language::of(program) else {
        return Vec::new();
    };
    let spans: Vec<Span> = match language {
        Language::Awk => {
            let given = after(args, &["-e", "--source"], None);
            if !given.is_empty() {
                given
            } else if has(args, &["-f", "--file"]) {
                Vec::new()
            } else {
                operand(args, &[("-F", 1), ("-v", 1), ("-i", 1), ("-l", 1)])
            }
        }
        Language::Sed => {
            let mut given = after(args, &["-e", "--expression"], None);
            given.extend(args.iter().filter_map(|w| {
                let rest = w.value.strip_prefix("--expression=")?;
                let skip = w.value.len() - rest.len();
                Some(Span::new(w.span.start + skip, w.span.end))
            }));
            if !given.is_empty() {
                given
            } else if has(args, &["-f", "--file"])
                || args.iter().any(|w| w.value.starts_with("--file="))
            {
                Vec::new()
            } else {
                operand(args, &[("-l", 1), ("--line-length", 1)])
            }
        }
        // `-e CODE`, `-ne CODE`, `-lane CODE`.
        Language::Perl | Language::Ruby => after(args, &["-e", "-E"], Some(&['e', 'E'])),
        Language::Python => after(args, &["-c"], Some(&['c'])),
        Language::Node => after(args, &["-e", "--eval", "-p", "--print", "-pe"], None),
        Language::Php => after(args, &["-r"], None),
        Language::Lua => after(args, &["-e"], None),
        Language::Jq => {
            if has(args, &["-f", "--from-file"]) {
                Vec::new()
            } else {
                operand(
                    args,
                    &[
                        ("--arg", 2),
                        ("--argjson", 2),
                        ("--slurpfile", 2),
                        ("--rawfile", 2),
                        ("--indent", 1),
                        ("-L", 1),
                    ],
                )
            }
        }
        Language::Sql => {
            let mut given = match program {
                "psql" => after(args, &["-c", "--command"], None),
                "sqlite3" => {
                    // `sqlite3 [options] DB SQL`.
                    let operands: Vec<&&Word> =
                        args.iter().filter(|w| !w.value.starts_with('-')).collect();
                    operands.get(1).map(|w| vec![w.span]).unwrap_or_default()
                }
                "clickhouse-client" => after(args, &["-q", "--query"], None),
                _ => after(args, &["-e", "--execute"], None),
            };
            given.extend(args.iter().filter_map(|w| {
                let rest = ["--command=", "--execute=", "--query="]
                    .iter()
                    .find_map(|p| w.value.strip_prefix(p))?;
                let skip = w.value.len() - rest.len();
                Some(Span::new(w.span.start + skip, w.span.end))
            }));
            given
        }
        Language::Yq => {
            let sub = usize::from(
                args.first()
                    .is_some_and(|w| matches!(w.value.as_str(), "e" | "eval" | "ea" | "eval-all")),
            );
            operand(
                &args[sub.min(args.len())..],
                &[
                    ("-o", 1),
                    ("-p", 1),
                    ("-I", 1),
                    ("--output-format", 1),
                    ("--input-format", 1),
                    ("--indent", 1),
                    ("--front-matter", 1),
                    ("--arg", 2),
                    ("--argjson", 2),
                ],
            )
        }
    };
    spans.into_iter().map(|s| (s, language)).collect()
}

fn has(args: &[&Word], flags: &[&str]) -> bool {
    args.iter().any(|w| flags.contains(&w.value.as_str()))
}

/// The words after the given flags, or after a run of short flags ending
/// in one of `cluster_ends` (`perl -lne CODE`).
fn after(args: &[&Word], flags: &[&str], cluster_ends: Option<&[char]>) -> Vec<Span> {
    let is_flag = |v: &str| {
        flags.contains(&v)
            || cluster_ends.is_some_and(|ends| {
                v.strip_prefix('-').is_some_and(|f| {
                    !f.starts_with('-')
                        && f.chars().all(|c| c.is_ascii_alphabetic())
                        && f.ends_with(ends)
                })
            })
    };
    args.windows(2)
        .filter(|pair| is_flag(&pair[0].value))
        .map(|pair| pair[1].span)
        .collect()
}

/// The first word past the options (given with how many values each takes).
fn operand(args: &[&Word], with_values: &[(&str, usize)]) -> Vec<Span> {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        if v == "--" {
            i += 1;
            break;
        }
        if !v.starts_with('-') || v == "-" {
            break;
        }
        let values = with_values
            .iter()
            .find(|(flag, _)| *flag == v)
            .map_or(0, |(_, n)| *n);
        i += 1 + values;
    }
    args.get(i).map(|w| vec![w.span]).unwrap_or_default()
}

/// Where a value written at `at` (an offset in `text`) lands in the
/// program written at `word` (its raw span, shell quoting included).
pub fn landing(language: Language, text: &str, word: Span, reading: Reading, at: usize) -> Landing {
    let raw = text.get(word.start..word.end).unwrap_or_default();
    let chars = match reading {
        Reading::Word => unquote(raw, word.start),
        Reading::Raw => raw
            .char_indices()
            .map(|(i, c)| (c, word.start + i))
            .collect(),
        Reading::Opaque => return Landing::Code,
    };
    let Some(k) = chars.iter().position(|&(_, offset)| offset >= at) else {
        return Landing::Code;
    };
    let program: Vec<char> = chars.iter().map(|&(c, _)| c).collect();
    match language {
        Language::Sed => sed(&program, k),
        Language::Sql => sql(&program, k),
        _ => code(language, &program, k),
    }
}

/// The characters a program receives from a shell word, each with its
/// offset in the script (quotes removed, backslashes as bash reads them).
fn unquote(raw: &str, base: usize) -> Vec<(char, usize)> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    let mut quote: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '\\') => {
                if let Some((j, next)) = chars.next() {
                    out.push((next, base + j));
                }
            }
            (Some('"'), '\\') => match chars.peek() {
                Some(&(j, next @ ('"' | '\\' | '$' | '`'))) => {
                    chars.next();
                    out.push((next, base + j));
                }
                _ => out.push((c, base + i)),
            },
            _ => out.push((c, base + i)),
        }
    }
    out
}

/// The first `end` at or after `from` not escaped by a backslash (the
/// length when there is none).
fn closing(p: &[char], from: usize, end: char) -> usize {
    let mut i = from;
    while i < p.len() {
        match p[i] {
            '\\' => i += 2,
            c if c == end => return i,
            _ => i += 1,
        }
    }
    p.len()
}

/// Like [`closing`], for a bracket that nests (`s{…}{…}`).
fn closing_pair(p: &[char], from: usize, open: char, close: char) -> usize {
    if open == close {
        return closing(p, from, close);
    }
    let mut depth = 0usize;
    let mut i = from;
    while i < p.len() {
        match p[i] {
            '\\' => i += 1,
            c if c == open => depth += 1,
            c if c == close => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return i,
            },
            _ => {}
        }
        i += 1;
    }
    p.len()
}

/// sed: a value is data in a regular expression or a replacement (without
/// their delimiter), and in text that runs to the end of its line (`a`,
/// `i`, `c`, labels, file names). At a command or an address it is code:
/// `1e reboot` runs a program. A command this reader does not know ends
/// the reading: what follows is code.
fn sed(p: &[char], k: usize) -> Landing {
    let mut i = 0;
    loop {
        while i < k && matches!(p[i], ' ' | '\t' | '\n' | ';' | '{' | '}' | '!') {
            i += 1;
        }
        if i >= k {
            return Landing::Code;
        }
        // Addresses: numbers, `$`, ranges and steps, `/re/`, `\cREc`.
        loop {
            match p.get(i) {
                Some(c) if c.is_ascii_digit() || matches!(c, '$' | ',' | '~' | '+' | ' ') => i += 1,
                Some('/') => {
                    let end = closing(p, i + 1, '/');
                    if k <= end {
                        return Landing::Pattern('/');
                    }
                    i = end + 1;
                }
                Some('\\') => {
                    let Some(&delimiter) = p.get(i + 1).filter(|&&d| d != '\\' && d != '\n') else {
                        return Landing::Code;
                    };
                    let end = closing(p, i + 2, delimiter);
                    if k <= end {
                        return Landing::Pattern(delimiter);
                    }
                    i = end + 1;
                }
                Some('I' | 'M') if i > 0 && p[i - 1] == '/' => i += 1,
                _ => break,
            }
            if i >= k {
                return Landing::Code;
            }
        }
        let command = p[i];
        i += 1;
        match command {
            's' | 'y' => {
                let Some(&delimiter) = p.get(i).filter(|&&d| i < k && d != '\\' && d != '\n')
                else {
                    return Landing::Code;
                };
                i += 1;
                for _ in 0..2 {
                    let end = closing(p, i, delimiter);
                    if k <= end {
                        return Landing::Pattern(delimiter);
                    }
                    i = end + 1;
                }
                // Flags (`g`, `e`, `w FILE`) up to the command's end.
                while i < p.len() && !matches!(p[i], ';' | '\n' | '}') {
                    if i >= k {
                        return Landing::Code;
                    }
                    i += 1;
                }
            }
            // Text: to the end of a line that does not end in an odd
            // number of backslashes (`a\` and `foo\` go on; `foo\\` ends).
            'a' | 'i' | 'c' => {
                let mut end = i;
                loop {
                    let line_end = p[end..]
                        .iter()
                        .position(|&c| c == '\n')
                        .map_or(p.len(), |e| end + e);
                    let backslashes = p[end..line_end]
                        .iter()
                        .rev()
                        .take_while(|&&c| c == '\\')
                        .count();
                    end = line_end;
                    if backslashes % 2 == 0 || line_end == p.len() {
                        break;
                    }
                    end += 1;
                }
                if k <= end {
                    return Landing::Literal;
                }
                i = end;
            }
            // Labels and file names: to the end of the line (a label to a
            // `;` too).
            'b' | 't' | 'T' | ':' | 'r' | 'R' | 'w' | 'W' | '#' | 'v' => {
                let end = p[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(p.len(), |e| i + e);
                let end = if matches!(command, 'b' | 't' | 'T') {
                    p[i..end]
                        .iter()
                        .position(|&c| c == ';')
                        .map_or(end, |e| i + e)
                } else {
                    end
                };
                if k <= end {
                    return Landing::Literal;
                }
                i = end;
            }
            // One letter, maybe with a number (`q 5`, `l 70`).
            '=' | 'd' | 'D' | 'F' | 'g' | 'G' | 'h' | 'H' | 'l' | 'L' | 'n' | 'N' | 'p' | 'P'
            | 'q' | 'Q' | 'x' | 'z' | 'e' => {
                while i < k && (p[i].is_ascii_digit() || p[i] == ' ') {
                    i += 1;
                }
                // `e COMMAND` runs it.
                if command == 'e' && i < p.len() && !matches!(p[i], ';' | '\n' | '}') && i <= k {
                    return Landing::Code;
                }
            }
            _ => return Landing::Code,
        }
    }
}

/// SQL: a value is data inside a plain string (`'…'`) or quoted name
/// (`"…"`, MySQL's backquotes) that it cannot end, and in a `-- ` comment;
/// elsewhere it is code, where only a number or a name is data. What
/// differs between databases ends the reading, and what follows is code:
/// a backslash (an escape for MySQL, not for PostgreSQL), a string with a
/// prefix (`E'…'`), `[…]` names, `$$…$$` quoting and psql variables, `#`
/// and `/* */` comments.
fn sql(p: &[char], k: usize) -> Landing {
    let mut i = 0;
    while i < k {
        match p[i] {
            quote @ ('\'' | '"' | '`') => {
                if i > 0 && (p[i - 1] == '_' || p[i - 1].is_alphanumeric()) {
                    return Landing::Code;
                }
                // A doubled quote stays inside: the scan reopens there.
                let end = p[i + 1..]
                    .iter()
                    .position(|&c| c == quote)
                    .map_or(p.len(), |e| i + 1 + e);
                if p[i + 1..end.min(k)].contains(&'\\') {
                    return Landing::Code;
                }
                if k <= end {
                    return Landing::Verbatim(quote);
                }
                i = end + 1;
            }
            '-' if p.get(i + 1) == Some(&'-') => {
                if !matches!(p.get(i + 2), Some(' ' | '\t')) {
                    return Landing::Code;
                }
                let end = p[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(p.len(), |e| i + e);
                if k <= end {
                    return Landing::Literal;
                }
                i = end;
            }
            '[' | '$' | '#' | '\\' | ':' => return Landing::Code,
            '/' if p.get(i + 1) == Some(&'*') => return Landing::Code,
            _ => i += 1,
        }
    }
    Landing::Code
}

/// Languages with string literals (and, for some, `/pattern/` literals and
/// Perl's quote-like operators): a value is data inside a string without
/// interpolation (`"#{…}"`, f-strings' `{…}`, jq's `\(…)`) and inside a
/// pattern. Constructs this reader does not follow (heredocs, Ruby's `%`
/// literals, template strings, long strings) end the reading: past one, a
/// value is in code.
fn code(language: Language, p: &[char], k: usize) -> Landing {
    use Language::*;
    let quotes: &[char] = match language {
        Awk | Jq | Yq => &['"'],
        _ => &['\'', '"'],
    };
    let unknown: &[&str] = match language {
        // Perl runs a pattern's `(?{ … })` and `(??{ … })` as code.
        Perl => &["<<", "__END__", "__DATA__", "(?{", "(??{", "(*{"],
        Ruby => &["%", "?", "<<", "=begin"],
        Node => &["`", "//", "/*"],
        Php => &["<<<", "?>", "//", "/*"],
        Lua => &["[[", "[=", "--"],
        _ => &[],
    };
    if !unknown.is_empty() {
        let before: String = p[..k].iter().collect();
        if unknown.iter().any(|u| before.contains(u)) {
            return Landing::Code;
        }
    }
    let patterns = matches!(language, Awk | Perl | Ruby | Node);
    let hash_comments = !matches!(language, Node | Lua);
    let sigils = matches!(language, Perl | Ruby | Php);
    let mut i = 0;
    // The last character outside literals that is not a space, and the
    // identifier ending there: what decides whether `/` starts a pattern.
    let mut previous: Option<char> = None;
    let mut word = String::new();
    let mut word_start = 0;
    // The identifier before `word`, with only spaces or `(` between: a
    // string given to `eval` or `eval(` is code.
    let mut callee = String::new();
    while i < k {
        let c = p[i];
        // `$#`, `$"`, `$'`, `$$`: a variable, no comment or quote.
        if sigils && c == '$' {
            i += 2;
            previous = Some('$');
            word.clear();
            continue;
        }
        if quotes.contains(&c) {
            // Perl's old package separator (`$main'x`), Ruby's `?'`.
            if i > 0 && (p[i - 1] == '_' || p[i - 1].is_alphanumeric()) && language != Python {
                return Landing::Code;
            }
            let triple = language == Python && p.get(i + 1) == Some(&c) && p.get(i + 2) == Some(&c);
            let (open_len, end) = if triple {
                let mut j = i + 3;
                loop {
                    let e = closing(p, j, c);
                    if e + 2 >= p.len() || (p[e + 1] == c && p[e + 2] == c) {
                        break (3, e);
                    }
                    j = e + 1;
                }
            } else {
                (1, closing(p, i + 1, c))
            };
            if k <= end {
                let inside = &p[(i + open_len).min(k)..k];
                let opened = inside.iter().filter(|&&c| c == '{').count();
                let closed = inside.iter().filter(|&&c| c == '}').count();
                let interpolates = opened > closed
                    || (matches!(language, Jq | Yq) && inside.windows(2).any(|w| w == ['\\', '(']));
                return if interpolates || EVALUATES.contains(&word.as_str()) {
                    Landing::Code
                } else {
                    Landing::Literal
                };
            }
            i = end + if triple { 3 } else { 1 };
            previous = Some(c);
            word.clear();
            continue;
        }
        if language == Perl
            && !word.is_empty()
            && !p[i - 1].is_whitespace()
            && matches!(
                word.as_str(),
                "s" | "m" | "y" | "tr" | "qr" | "q" | "qq" | "qw"
            )
            && (word_start == 0 || !"$@%&>-:".contains(p[word_start - 1]))
            && "/|!#{([<:@%^~,".contains(c)
        {
            let (open, close) = match c {
                '{' => ('{', '}'),
                '(' => ('(', ')'),
                '[' => ('[', ']'),
                '<' => ('<', '>'),
                _ => (c, c),
            };
            let parts = if matches!(word.as_str(), "s" | "y" | "tr") {
                2
            } else {
                1
            };
            let mut j = i + 1;
            for part in 0..parts {
                if part == 1 && open != close {
                    while j < p.len() && p[j].is_whitespace() {
                        j += 1;
                    }
                    if p.get(j) != Some(&open) {
                        break;
                    }
                    j += 1;
                }
                let end = closing_pair(p, j, open, close);
                if k <= end {
                    // `s/…/…/e`: the replacement is code; so is a string
                    // given to `eval` (`eval q(…)`).
                    let flags = p.get(end + 1..).unwrap_or_default();
                    let evaluated = part == 1
                        && flags
                            .iter()
                            .take_while(|c| c.is_ascii_alphabetic())
                            .any(|&c| c == 'e');
                    return if evaluated || EVALUATES.contains(&callee.as_str()) {
                        Landing::Code
                    } else {
                        Landing::Pattern(close)
                    };
                }
                j = end + 1;
            }
            i = j;
            previous = Some(close);
            word.clear();
            continue;
        }
        let variable = word_start > 0 && "$@%&".contains(p[word_start - 1]);
        if patterns && c == '/' && starts_pattern(previous, &word, variable) {
            let end = closing(p, i + 1, '/');
            if k <= end {
                return Landing::Pattern('/');
            }
            i = end + 1;
            previous = Some('/');
            word.clear();
            continue;
        }
        if hash_comments && c == '#' {
            let end = p[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(p.len(), |e| i + e);
            if k <= end {
                return Landing::Literal;
            }
            i = end;
            continue;
        }
        if c == '_' || c.is_alphanumeric() {
            if !previous.is_some_and(|p| p == '_' || p.is_alphanumeric())
                || p[i - 1].is_whitespace()
            {
                callee = std::mem::take(&mut word);
                word_start = i;
            }
            word.push(c);
        } else if !c.is_whitespace() && c != '(' {
            word.clear();
            callee.clear();
        }
        if !c.is_whitespace() {
            previous = Some(c);
        }
        i += 1;
    }
    Landing::Code
}

/// Functions that run a string given to them as code.
const EVALUATES: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "Function",
    "instance_eval",
    "class_eval",
    "module_eval",
    "require",
    "load",
    "loadstring",
    "dofile",
    "__import__",
    "import_module",
    "setTimeout",
    "setInterval",
];

/// Whether `/` starts a pattern (not a division) after this: only where a
/// division cannot be (`}` and `)` may end an operand, and a name after a
/// sigil is a variable), so that a division is never taken for a pattern.
fn starts_pattern(previous: Option<char>, word: &str, variable: bool) -> bool {
    match previous {
        None => true,
        Some(c) if "(,=~!{;&|?:[".contains(c) => true,
        Some(_) => {
            !variable
                && matches!(
                    word,
                    "if" | "unless"
                        | "and"
                        | "or"
                        | "not"
                        | "return"
                        | "split"
                        | "grep"
                        | "when"
                        | "map"
                )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Landing::{self, *};

    /// (script, where `<v>` lands), found through `shell::read`.
    #[test]
    fn where_a_value_lands_in_program_text() {
        let cases: &[(&str, Option<(&str, Landing)>)] = &[
            ("awk '{print $1}' <v>", None),
            ("awk \"BEGIN { print <v> }\"", Some(("awk", Code))),
            ("awk '/<v>/ {print $1}'", Some(("awk", Pattern('/')))),
            ("awk '$1 == \"<v>\" {print $2}'", Some(("awk", Literal))),
            ("awk -F: -v n=<v> '{print n}'", None),
            ("awk -F '\\t' '{ print \"<v>\" }' f", Some(("awk", Literal))),
            ("sed -i 's/old/<v>/g' f", Some(("sed", Pattern('/')))),
            (
                "sed -i \"s|image: .*|image: <v>|\" f",
                Some(("sed", Pattern('|'))),
            ),
            ("sed -n '<v>p' f", Some(("sed", Code))),
            ("sed -n \"1,<v>p\" f", Some(("sed", Code))),
            (
                "sed -e '/^#/d' -e 's/a/<v>/' f",
                Some(("sed", Pattern('/'))),
            ),
            ("sed '/<v>/d' f", Some(("sed", Pattern('/')))),
            ("sed '1i <v>' f", Some(("sed", Literal))),
            ("sed 's/a/b/;s/c/<v>/' f", Some(("sed", Pattern('/')))),
            ("sed 's/a/b/<v>' f", Some(("sed", Code))),
            ("sed -f script.sed <v>", None),
            ("perl -pi -e 's/old/<v>/g' f", Some(("perl", Pattern('/')))),
            ("perl -ne 'print if /<v>/' f", Some(("perl", Pattern('/')))),
            ("perl -ne 'chomp; print <v>' f", Some(("perl", Code))),
            ("perl -e 'print \"<v>\\n\"'", Some(("perl", Literal))),
            ("perl -e 'print \"@{[ <v> ]}\"'", Some(("perl", Code))),
            ("perl -pe 's{a}{<v>}g' f", Some(("perl", Pattern('}')))),
            ("perl script.pl <v>", None),
            ("python3 -c 'print(\"<v>\")'", Some(("python", Literal))),
            ("python3 -c 'print(f\"{<v>}\")'", Some(("python", Code))),
            (
                "python3 -c 'import sys; print(<v>)'",
                Some(("python", Code)),
            ),
            ("python3 script.py <v>", None),
            ("ruby -e 'puts \"#{<v>}\"'", Some(("ruby", Code))),
            ("node -e 'console.log(\"<v>\")'", Some(("node", Literal))),
            (
                "jq '.items[] | select(.name == \"<v>\")' f",
                Some(("jq", Literal)),
            ),
            ("jq -r \".<v>\" f", Some(("jq", Code))),
            ("jq --arg n <v> '.[$n]' f", None),
            ("jq -r '.a' <v>", None),
            ("yq e '.spec.replicas = <v>' -i f", Some(("yq", Code))),
            ("echo a | perl -pe 's/a/<v>/e'", Some(("perl", Code))),
            ("echo a | perl -pe 's{a}{<v>}ge'", Some(("perl", Code))),
            ("perl -e 'eval \"<v>\"'", Some(("perl", Code))),
            ("perl -e 'eval q(<v>)'", Some(("perl", Code))),
            ("python3 -c 'exec(\"<v>\")'", Some(("python", Code))),
            ("python3 -c 'print(\"<v>\")'", Some(("python", Literal))),
            (
                "python3 - <<EOF\nprint('<v>')\nEOF",
                Some(("python", Literal)),
            ),
            ("python3 <<'EOF'\nprint(<v>)\nEOF", Some(("python", Code))),
            ("perl <<< 'print \"<v>\"'", Some(("perl", Literal))),
            ("echo 'print(\"<v>\")' | python3", Some(("python", Code))),
            ("awk -f <(echo '{print \"<v>\"}') f", Some(("awk", Code))),
            (
                "sed -f - f <<EOF\ns/a/<v>/\nEOF",
                Some(("sed", Pattern('/'))),
            ),
            ("python3 script.py <<EOF\n<v>\nEOF", None),
            (
                "psql -U app <<EOF\nSELECT 1 FROM t WHERE name = '<v>';\nEOF",
                Some(("SQL", Verbatim('\''))),
            ),
            ("psql <<EOF\nCREATE DATABASE <v>;\nEOF", Some(("SQL", Code))),
            ("psql -c \"DROP ROLE <v>\"", Some(("SQL", Code))),
            ("mysql -e \"SELECT '<v>'\"", Some(("SQL", Verbatim('\'')))),
            (
                "kubectl exec -i db -- psql <<EOF\n-- for <v>\nEOF",
                Some(("SQL", Literal)),
            ),
            ("psql -f schema.sql <v>", None),
            // What the second probe confused the readers with: past it, code.
            ("perl -e 'print $#ARGV; <v>; \"z\"'", Some(("perl", Code))),
            ("perl -e 'print $\"; <v>; \"z\"'", Some(("perl", Code))),
            ("perl -e \"print \\$'; <v>; 'z'\"", Some(("perl", Code))),
            ("perl -e 'print $x{a}/2; <v>; /c/'", Some(("perl", Code))),
            ("perl -e 'print $split / 2; <v>; /c/'", Some(("perl", Code))),
            ("perl -e '\"a\" =~ /(?{ <v> })/'", Some(("perl", Code))),
            ("perl -e '\"a\" =~ m{(??{<v>})}'", Some(("perl", Code))),
            ("echo a | sed '1a\\\nfoo\\\\\n<v>'", Some(("sed", Code))),
            ("echo a | sed '1a\\\nfoo\\\n<v>'", Some(("sed", Literal))),
            ("sed 'f<v>' x", Some(("sed", Code))),
            (
                "sqlite3 <<'EOF'\nSELECT 1 AS [it's];\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "psql <<'EOF'\nSELECT 1; /* it's */\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "psql <<'EOF'\nSELECT E'a\\'';\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "psql <<'EOF'\nSELECT $$it's$$;\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "mysql <<'EOF'\nSELECT 'a\\'';\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "mysql <<'EOF'\nSELECT 1; # it's\n<v>\nEOF",
                Some(("SQL", Code)),
            ),
            (
                "psql <<'EOF'\nSELECT 'it''s', '<v>';\nEOF",
                Some(("SQL", Verbatim('\''))),
            ),
            ("jq -n '\"a\\(<v>)\"'", Some(("jq", Code))),
            (
                "python3 -c \"print('''it's'''); <v>\"",
                Some(("python", Code)),
            ),
            ("python3 -c \"print('''<v>''')\"", Some(("python", Literal))),
            ("node -e 'let s = `${<v>}`'", Some(("node", Code))),
            ("ruby -e \"puts ?'; <v>\"", Some(("ruby", Code))),
        ];
        for (script, expected) in cases {
            let read = crate::shell::read(script);
            let Some(p) = read.placeholders.first() else {
                panic!("no placeholder in {script:?}");
            };
            let found = p
                .read_again
                .program_text
                .map(|t| (t.language.name(), t.landing));
            assert_eq!(found, *expected, "{script:?}");
        }
    }

    #[test]
    fn what_stays_data_where() {
        use super::{Language::Sed, ProgramText};
        let at = |landing| ProgramText {
            language: Sed,
            landing,
        };
        assert!(at(Code).takes("42"));
        assert!(!at(Code).takes("web-1"));
        assert!(at(Literal).takes("web-1.example.com"));
        assert!(!at(Literal).takes("a\"b"));
        assert!(at(Pattern('|')).takes("registry.io/app:v1"));
        assert!(!at(Pattern('/')).takes("registry.io/app:v1"));
        let sql = |landing| ProgramText {
            language: super::Language::Sql,
            landing,
        };
        assert!(sql(Verbatim('\'')).takes("S3cr3t!$ #%&*"));
        assert!(!sql(Verbatim('\'')).takes("x'; DROP TABLE t; --"));
        assert!(!sql(Verbatim('\'')).takes("x\\"));
        assert!(sql(Code).takes("app_db"));
        assert!(!sql(Code).takes("app; DROP TABLE t"));
        assert!(!at(Code).takes("app_db"));
    }
}
