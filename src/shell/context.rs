//! Where bash reads text as something other than words: arithmetic, and the
//! code of another shell.
//!
//! A value placed in `(( <n> > 3 ))` is evaluated by bash as arithmetic, where
//! `a[$(cmd)]` runs `cmd` whatever the quoting; one placed in
//! `bash -c 'echo <x>'`, `eval`, `ssh host '…'` or a heredoc fed to a shell
//! is quoted for this shell and then read again as code by the next one.
//! Quoting cannot make either safe, so `plan` needs to know where they are:
//! these spans, found on the top-level commands (the lexer finds `$((…))`
//! and `${a[…]}` itself).

use super::foreign::{Language, Reading};
use super::lexer::{Token, Word, is_redirect};
use super::quote::ReadAgain;
use crate::source::Span;

#[derive(Debug, Default)]
pub struct Contexts {
    pub arithmetic: Vec<Span>,
    /// Spans of code another program runs as shell, and that program.
    pub inner_shell: Vec<(Span, String)>,
    /// Spans whose expanded text bash takes as a variable's name
    /// (`declare "$N=1"`, `read "$N"`, `unset`, `[[ -v $N ]]`): a subscript
    /// in that name is evaluated, where `a[$(cmd)]` runs `cmd`.
    pub names: Vec<Span>,
    /// Another language's program text (`awk '{…}'`, a heredoc fed to
    /// `python3`), its language and how it is written.
    pub program_text: Vec<(Span, Language, Reading)>,
    /// Variables declared `-i` (every later assignment is arithmetic) or
    /// `-n` (a name): how bash reads what is assigned to them.
    pub declared: Vec<(String, ReadAgain)>,
    /// `env NAME=value cmd`: values env sets for the command (spans of the
    /// values), which bash's grouping does not see as assignments.
    pub env_values: Vec<(String, Span)>,
}

impl Contexts {
    /// Adds what was found in a substitution.
    pub fn absorb(&mut self, other: Contexts) {
        self.arithmetic.extend(other.arithmetic);
        self.inner_shell.extend(other.inner_shell);
        self.names.extend(other.names);
        self.program_text.extend(other.program_text);
        self.declared.extend(other.declared);
        self.env_values.extend(other.env_values);
    }
}

const SHELLS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh",
];

/// Programs that run the rest of their arguments as a command.
fn wrapper_skip(program: &str, args: &[&Word]) -> Option<usize> {
    let value = |i: usize| args.get(i).map_or("", |w| w.value.as_str());
    let options_then = |with_value: &[&str], extra: usize| -> usize {
        let mut i = 0;
        while i < args.len() {
            let v = value(i);
            if v == "--" {
                return i + 1 + extra;
            }
            if !v.starts_with('-') || v == "-" {
                break;
            }
            if with_value.contains(&v) {
                i += 1;
            }
            i += 1;
        }
        i + extra
    };
    Some(match program {
        "sudo" | "doas" => options_then(&["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"], 0),
        "nice" => options_then(&["-n"], 0),
        "ionice" => options_then(&["-c", "-n", "-p"], 0),
        "nohup" | "exec" | "command" | "builtin" | "time" | "setsid" | "stdbuf" | "unbuffer" => {
            options_then(&["-o", "-e", "-i", "-a"], 0)
        }
        "timeout" => options_then(&["-s", "-k", "--signal", "--kill-after"], 1),
        "xargs" => options_then(&["-I", "-n", "-P", "-d", "-E", "-L", "-s", "-a"], 0),
        "env" => {
            let mut i = options_then(&["-u", "-C", "-S"], 0);
            while value(i).contains('=') {
                i += 1;
            }
            i
        }
        "chroot" => options_then(&[], 1),
        "sshpass" => options_then(&["-p", "-f", "-d", "-P"], 0),
        "unshare" => options_then(
            &[
                "-S",
                "--setuid",
                "-G",
                "--setgid",
                "-R",
                "--root",
                "-w",
                "--wd",
                "--propagation",
            ],
            0,
        ),
        "numactl" => options_then(
            &[
                "-m",
                "--membind",
                "-N",
                "--cpunodebind",
                "-C",
                "--physcpubind",
                "-p",
                "--preferred",
                "-i",
                "--interleave",
            ],
            0,
        ),
        "setpriv" | "cgexec" | "prlimit" => options_then(&["-g", "--reuid", "--regid"], 0),
        // A priority or a CPU mask before the command.
        "chrt" | "taskset" => options_then(&["-p"], 1),
        _ => return None,
    })
}

/// What a command does with its standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Reads it as data, or not at all.
    Data,
    /// Runs it as shell code (`bash`, `ssh host`, `source /dev/stdin`).
    Shell,
    /// Runs it as a program in another language (`python3 -`, `psql`).
    Program(Language),
}

impl Input {
    /// Marks `span`, text that reaches the command's input (`how`: "a
    /// heredoc", "a pipe"…), as what the command reads it as.
    fn mark(self, out: &mut Contexts, span: Span, how: &str, reading: Reading) {
        match self {
            Input::Data => {}
            Input::Shell => out
                .inner_shell
                .push((span, format!("a shell reading {how}"))),
            Input::Program(language) => out.program_text.push((span, language, reading)),
        }
    }
}

/// The command being read, and what its end decides.
struct Current<'t> {
    words: Vec<&'t Word>,
    /// Per heredoc operator seen, what reads its body.
    heredocs: Vec<Input>,
    heredoc_ops: usize,
    herestrings: Vec<Span>,
    /// Process substitutions given as the command's input (`< <(…)`).
    input_substitutions: Vec<Span>,
    /// Where the pipeline the command is in began.
    pipe_from: Option<usize>,
    /// The first of `heredocs` the pipeline's commands gave.
    pipe_heredocs: usize,
    /// Heredoc bodies of the pipeline's commands already read (the
    /// pipeline goes on past their line: `cat <<EOF |`).
    pipe_bodies: Vec<Span>,
}

impl<'t> Current<'t> {
    /// Ends the command (`goes_on`: a `|` follows, the pipeline goes on).
    /// Its heredocs and here-strings are code when it is a shell reading
    /// its input, and so is what the commands before it in the pipeline
    /// write (`echo "…" | bash`).
    fn end(&mut self, text: &str, out: &mut Contexts, goes_on: bool) {
        let first = self.words.first().map(|w| w.span.start);
        let input = command(text, out, &self.words);
        // Cleared, not replaced: the next command reuses the allocation.
        self.words.clear();
        if self.pipe_from.is_none() {
            self.pipe_heredocs = self.heredocs.len();
        }
        self.heredocs.extend(std::iter::repeat_n(
            input,
            std::mem::take(&mut self.heredoc_ops),
        ));
        for span in self.herestrings.drain(..) {
            input.mark(out, span, "a here-string", Reading::Word);
        }
        for span in self.input_substitutions.drain(..) {
            input.mark(out, span, "a process substitution", Reading::Opaque);
        }
        // `cat <<EOF | bash`, `echo "…" | python3`: what the commands
        // before it in the pipeline write is its input.
        if let (Some(from), Some(here)) = (self.pipe_from, first)
            && input != Input::Data
        {
            let from_heredoc = self.pipe_heredocs.min(self.heredocs.len());
            self.heredocs[from_heredoc..].fill(input);
            for span in self.pipe_bodies.drain(..) {
                input.mark(out, span, "a heredoc", Reading::Raw);
            }
            input.mark(out, Span::new(from, here), "a pipe", Reading::Opaque);
        }
        self.pipe_from = if goes_on {
            self.pipe_from.or(first)
        } else {
            self.pipe_bodies.clear();
            None
        };
    }

    /// A line ends inside a pipeline (`cmd |` at its end), or a subshell
    /// opens in one (`… | (bash)`): the pipeline goes on.
    fn in_open_pipeline(&self) -> bool {
        self.words.is_empty() && self.pipe_from.is_some()
    }
}

/// Scans the top-level commands of a block.
pub fn scan(text: &str, tokens: &[Token]) -> Contexts {
    let mut out = Contexts::default();
    let mut current = Current {
        words: Vec::new(),
        heredocs: Vec::new(),
        heredoc_ops: 0,
        herestrings: Vec::new(),
        input_substitutions: Vec::new(),
        pipe_from: None,
        pipe_heredocs: 0,
        pipe_bodies: Vec::new(),
    };
    let mut redirect_target = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Word(word) => {
                // `sh 0<<EOF`: the number is the redirection's, no argument.
                let fd = word.value.bytes().all(|b| b.is_ascii_digit())
                    && matches!(tokens.get(i + 1), Some(Token::Op(op, at)) if is_redirect(op) && at.start == word.span.end);
                if redirect_target {
                    redirect_target = false;
                } else if !fd {
                    current.words.push(word);
                }
            }
            Token::Op(op, span) => {
                if is_redirect(op) {
                    redirect_target = true;
                    if matches!(*op, "<<" | "<<-") {
                        current.heredoc_ops += 1;
                    }
                    if *op == "<<<"
                        && let Some(Token::Word(word)) = tokens.get(i + 1)
                    {
                        current.herestrings.push(word.span);
                    }
                    if *op == "<"
                        && let Some(Token::Word(word)) = tokens.get(i + 1)
                        && word.value.starts_with("<(")
                    {
                        current.input_substitutions.push(word.span);
                    }
                } else if *op == "("
                    && current
                        .words
                        .iter()
                        .all(|w| is_leading_keyword(&w.value) || w.value == "for")
                    && matches!(tokens.get(i + 1), Some(Token::Op("(", next)) if next.start == span.end)
                {
                    // `((…))`: up to the matching `))` in the text.
                    if let Some(end) = matching_parens(text, span.start) {
                        out.arithmetic.push(Span::new(span.start, end));
                        while i + 1 < tokens.len() && tokens[i + 1].span().end <= end {
                            i += 1;
                        }
                    }
                } else if !(*op == "(" && current.in_open_pipeline()) {
                    current.end(text, &mut out, matches!(*op, "|" | "|&"));
                }
            }
            Token::Newline(_) => {
                if !current.in_open_pipeline() {
                    current.end(text, &mut out, false);
                }
                redirect_target = false;
            }
            Token::HeredocBody(span) => {
                // Bodies come right after their command's line, which has
                // ended (`cat <<EOF | bash`: with the shell).
                if current.heredocs.is_empty() || !current.words.is_empty() {
                    current.end(text, &mut out, false);
                }
                if !current.heredocs.is_empty() {
                    match current.heredocs.remove(0) {
                        // The pipeline goes on: what reads its end decides.
                        Input::Data if current.pipe_from.is_some() => {
                            current.pipe_bodies.push(*span);
                        }
                        input => input.mark(&mut out, *span, "a heredoc", Reading::Raw),
                    }
                }
            }
            Token::Comment(_) => {}
        }
        i += 1;
    }
    current.end(text, &mut out, false);
    out
}

/// The end of `((…))` starting at `start`, past its `))`.
fn matching_parens(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'\n' if depth < 2 => return None,
            _ => {}
        }
    }
    None
}

/// Marks the contexts of one simple command; whether its standard input is
/// read as shell code (for a heredoc given to it).
fn command(text: &str, out: &mut Contexts, words: &[&Word]) -> Input {
    // Assignments before the command, and keywords that lead into one.
    let mut start = 0;
    while let Some(w) = words.get(start) {
        let v = w.value.as_str();
        if let Some(subscript) = subscript_of_assignment(w) {
            out.arithmetic.push(subscript);
        }
        code_value(text, out, w);
        if matches!(
            v,
            "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{"
        ) || is_assignment(w)
        {
            start += 1;
        } else {
            break;
        }
    }
    let words = &words[start..];
    let Some(first) = words.first() else {
        return Input::Data;
    };
    let args = &words[1..];
    let program = match first.value.as_str() {
        // The operator's shell, whatever it is.
        "$SHELL" | "${SHELL}" | "$BASH" | "${BASH}" => "bash",
        // `$SH -c '…'`, `$(which sh) -c '…'`: a program named by an
        // expansion and given `-c` is taken for a shell.
        word if word.starts_with(['$', '`']) && shell_options(args).0 => "sh",
        word => super::program_name(word),
    };
    // `env -S 'A=1 cmd …'`: env splits the string into a command line.
    if program == "env"
        && let Some(pos) = args
            .iter()
            .position(|w| w.value == "-S" || w.value == "--split-string")
        && let Some(line) = args.get(pos + 1)
    {
        out.inner_shell.push((line.span, "env -S".to_owned()));
    }
    if let Some(skip) = wrapper_skip(program, args) {
        if program == "env" {
            for w in &args[..skip.min(args.len())] {
                code_value(text, out, w);
                if let Some(name) = super::assignment_name(&w.value) {
                    let at = name_part(text, w).end + 1;
                    out.env_values
                        .push((name.to_owned(), Span::new(at.min(w.span.end), w.span.end)));
                }
            }
        }
        let rest = args.get(skip..).unwrap_or(&[]);
        // `exec 3<<EOF`: a heredoc kept open for commands this reader does
        // not follow (`sh <&3`).
        if program == "exec" && rest.is_empty() {
            return Input::Shell;
        }
        let reads_input = command(text, out, rest);
        // `… | xargs -I{} sh -c 'echo {}'`, `… | xargs sh -c`: what xargs
        // reads becomes the shell's code.
        if program == "xargs"
            && reads_input == Input::Data
            && let Some(code_given) = shell_with_c(rest)
        {
            let replaces = args[..skip.min(args.len())].iter().any(|w| {
                let v = w.value.as_str();
                v.starts_with("-I")
                    || v.starts_with("-i")
                    || v.starts_with("--replace")
                    || v == "-J"
            });
            if replaces || !code_given {
                return Input::Shell;
            }
        }
        return reads_input;
    }
    if !SHELLS.contains(&program) {
        shell_code_anywhere(out, args);
    }
    if Language::of(program).is_some() {
        out.program_text.extend(
            super::foreign::programs(program, args)
                .into_iter()
                .map(|(span, language)| (span, language, Reading::Word)),
        );
        out.program_text.extend(
            super::foreign::programs_substituted(program, args)
                .into_iter()
                .map(|(span, language)| (span, language, Reading::Opaque)),
        );
        if let Some(language) = super::foreign::program_on_input(program, args) {
            return Input::Program(language);
        }
    }
    match program {
        "let" => out.arithmetic.extend(args.iter().map(|w| w.span)),
        // The handler is code the shell runs later.
        "trap" => {
            if let Some(w) = args.iter().find(|w| !w.value.starts_with('-')) {
                out.inner_shell.push((w.span, "trap".to_owned()));
            }
        }
        // `source <(…)`: what the substitution writes is code.
        "source" | "." => {
            if let Some(w) = args.first().filter(|w| w.value.starts_with("<(")) {
                out.inner_shell.push((w.span, program.to_owned()));
            }
            // `source /dev/stdin <<EOF`: its input is code.
            if args.first().is_some_and(|w| {
                matches!(
                    w.value.as_str(),
                    "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
                )
            }) {
                return Input::Shell;
            }
        }
        // `flock FILE -c CMD`, `script -c CMD`, `runuser -c CMD`,
        // `sg GROUP -c CMD`: a shell runs CMD.
        "flock" | "script" | "runuser" | "sg" => {
            attached_commands(out, program, args);
            // `script -qc CMD`: short flags run together.
            let is_c = |v: &str| {
                v == "--command"
                    || v == "-c"
                    || (matches!(program, "script" | "flock")
                        && v.starts_with('-')
                        && !v.starts_with("--")
                        && v.contains('c'))
            };
            // `runuser -u USER -- cmd …`: a command of its own.
            if program == "runuser"
                && let Some(dash) = args.iter().position(|w| w.value == "--")
            {
                return command(text, out, &args[dash + 1..]);
            }
            if let Some(pos) = args.iter().position(|w| is_c(&w.value))
                && let Some(code) = args.get(pos + 1)
            {
                out.inner_shell.push((code.span, format!("{program} -c")));
            } else if program == "sg" {
                // `sg GROUP 'cmd'`: `/bin/sh -c` runs the rest.
                out.inner_shell
                    .extend(args.iter().skip(1).map(|w| (w.span, "sg".to_owned())));
            }
        }
        "wait" => {
            if let Some(pos) = args.iter().position(|w| w.value == "-p")
                && let Some(name) = args.get(pos + 1)
            {
                out.names.push(name.span);
            }
        }
        "declare" | "typeset" | "local" | "export" | "readonly" => {
            let flag = |f: char| {
                args.iter()
                    .any(|w| w.value.starts_with('-') && w.value.contains(f))
            };
            let integer = flag('i');
            let nameref = flag('n');
            if integer || nameref {
                let read_again = ReadAgain {
                    arithmetic: integer,
                    names_a_variable: nameref,
                    ..ReadAgain::default()
                };
                out.declared
                    .extend(args.iter().filter(|w| !w.value.starts_with('-')).map(|w| {
                        let name = super::assignment_name(&w.value).unwrap_or(&w.value);
                        (name.to_owned(), read_again.clone())
                    }));
            }
            // A nameref's value is a name too; an array's value is read
            // again as `(…)` when it looks like one.
            let whole_name = nameref || flag('a') || flag('A');
            for w in args.iter().filter(|w| !w.value.starts_with('-')) {
                if let Some(subscript) = subscript_of_assignment(w) {
                    out.arithmetic.push(subscript);
                }
                if integer && w.value.contains('=') {
                    out.arithmetic.push(w.span);
                }
                out.names.push(if whole_name {
                    w.span
                } else {
                    name_part(text, w)
                });
                code_value(text, out, w);
            }
        }
        "read" | "unset" | "mapfile" | "readarray" => {
            // Options whose value is text, and `read -a NAME`.
            let text_value: &[&str] = match program {
                "read" => &["-p", "-d", "-t", "-n", "-N", "-u", "-i"],
                "unset" => &[],
                _ => &["-d", "-n", "-O", "-s", "-u", "-C", "-c"],
            };
            let mut i = 0;
            while let Some(w) = args.get(i) {
                let v = w.value.as_str();
                // `mapfile -C CALLBACK`: code it runs.
                if v == "-C"
                    && program != "read"
                    && let Some(callback) = args.get(i + 1)
                {
                    out.inner_shell
                        .push((callback.span, format!("{program} -C")));
                }
                if text_value.contains(&v) {
                    i += 2;
                    continue;
                }
                if v == "-a" {
                    if let Some(name) = args.get(i + 1) {
                        out.names.push(name.span);
                    }
                    i += 2;
                    continue;
                }
                if !v.starts_with('-') {
                    out.names.push(w.span);
                }
                i += 1;
            }
        }
        "test" | "[" => names_after_v(out, args),
        // `printf -v a[i] …`: the subscript is arithmetic (the name itself
        // is no value).
        // A name given as a value is a name (`printf -v "$N"`).
        "printf" => {
            if let Some(pos) = args.iter().position(|w| w.value == "-v")
                && let Some(name) = args.get(pos + 1)
            {
                let raw = text.get(name.span.start..name.span.end).unwrap_or_default();
                if let Some(open) = raw.find('[') {
                    out.arithmetic
                        .push(Span::new(name.span.start + open, name.span.end));
                } else if raw.contains(['$', '<', '`']) {
                    out.names.push(name.span);
                }
            }
        }
        "[[" => {
            names_after_v(out, args);
            for (i, w) in args.iter().enumerate() {
                if matches!(
                    w.value.as_str(),
                    "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge"
                ) {
                    if let Some(left) = i.checked_sub(1).and_then(|j| args.get(j)) {
                        out.arithmetic.push(left.span);
                    }
                    if let Some(right) = args.get(i + 1) {
                        out.arithmetic.push(right.span);
                    }
                }
            }
        }
        // `find … -exec sh -c '… {}' \;`: the names find passes become code,
        // and they come from its starting points and tests.
        "find" => {
            let mut at = 0;
            while let Some(exec) = args[at..]
                .iter()
                .position(|w| matches!(w.value.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir"))
            {
                let from = at + exec + 1;
                let end = args[from..]
                    .iter()
                    .position(|w| matches!(w.value.as_str(), ";" | "+"))
                    .map_or(args.len(), |e| from + e);
                let run = &args[from..end];
                command(text, out, run);
                if shell_with_c(run) == Some(true) && run.iter().any(|w| w.value.contains("{}")) {
                    out.inner_shell.extend(
                        args[..from - 1]
                            .iter()
                            .map(|w| (w.span, "find -exec sh -c".to_owned())),
                    );
                }
                at = end;
            }
        }
        "tmux" => tmux(out, args),
        // `ansible all -m shell -a 'cmd'`, `salt '*' cmd.run 'cmd'`: a shell
        // on each host runs it.
        "ansible" | "salt" | "salt-call" | "salt-ssh" => {
            for (i, w) in args.iter().enumerate() {
                let code = match w.value.as_str() {
                    "-a" | "--args" if program == "ansible" => args.get(i + 1),
                    "cmd.run" | "cmd.shell" | "cmd.script" => args.get(i + 1),
                    _ => None,
                };
                if let Some(code) = code {
                    out.inner_shell
                        .push((code.span, format!("{program} {}", w.value)));
                }
            }
        }
        // `make -f - <<EOF`: recipes are shell; `make deploy ENV=x`: a
        // variable set here is expanded into the recipes' shell lines.
        // `just recipe ARG`: arguments are pasted into recipe lines.
        "make" | "gmake" | "just" => {
            let from_input = args.windows(2).any(|w| {
                matches!(w[0].value.as_str(), "-f" | "--file" | "--justfile")
                    && matches!(w[1].value.as_str(), "-" | "/dev/stdin")
            });
            if from_input {
                return Input::Shell;
            }
            let label = format!("{program}'s recipes");
            for w in args
                .iter()
                .filter(|w| program == "just" && !w.value.starts_with('-') || w.value.contains('='))
            {
                out.inner_shell.push((w.span, label.clone()));
            }
        }
        // Options whose value a program runs through a shell.
        "gdb" | "tar" | "bsdtar" | "zip" | "rsync" | "ssh" | "scp" | "sftp" => {
            command_options(out, program, args);
            if program == "ssh" && ssh_reads_input(out, args) {
                return Input::Shell;
            }
        }
        // `complete -C CMD`, `compgen -C CMD`: a command run to complete.
        // `-W WORDS`: bash expands the list, `$(…)` included.
        "complete" | "compgen" => {
            for (i, w) in args.iter().enumerate() {
                if matches!(w.value.as_str(), "-C" | "-W")
                    && let Some(code) = args.get(i + 1)
                {
                    out.inner_shell
                        .push((code.span, format!("{program} {}", w.value)));
                }
            }
        }
        // `alias name='cmd …'`: code, run where the alias is used.
        "alias" => out.inner_shell.extend(
            args.iter()
                .filter(|w| !w.value.starts_with('-'))
                .map(|w| (w.span, "alias".to_owned())),
        ),
        // Commands run on another machine or in Tcl: `vagrant ssh -c`,
        // `gcloud compute ssh --command`, `expect -c`.
        "vagrant" | "gcloud" | "expect" => {
            for (i, w) in args.iter().enumerate() {
                let v = w.value.as_str();
                let code = match v {
                    "-c" if program != "gcloud" => args.get(i + 1).map(|w| w.span),
                    "--command" => args.get(i + 1).map(|w| w.span),
                    _ if v.starts_with("--command=") => Some(w.span),
                    _ => None,
                };
                if let Some(span) = code {
                    out.inner_shell.push((
                        span,
                        format!("{program} {}", v.split('=').next().unwrap_or(v)),
                    ));
                }
            }
        }
        // `screen -X stuff 'cmd\n'` types into the shell of a window.
        "screen" => {
            if let Some(stuff) = args.iter().position(|w| w.value == "stuff") {
                out.inner_shell.extend(
                    args[stuff + 1..]
                        .iter()
                        .map(|w| (w.span, "screen stuff".to_owned())),
                );
            }
        }
        "git" => git(out, args),
        "eval" => out
            .inner_shell
            .extend(args.iter().map(|w| (w.span, "eval".to_owned()))),
        "watch" => {
            let skip = args
                .iter()
                .position(|w| !w.value.starts_with('-'))
                .unwrap_or(args.len());
            let skip = skip.max(option_values(args, &["-n", "-d", "--interval"]));
            out.inner_shell.extend(
                args[skip.min(args.len())..]
                    .iter()
                    .map(|w| (w.span, "watch".to_owned())),
            );
        }
        "su" => {
            attached_commands(out, program, args);
            if let Some(pos) = args
                .iter()
                .position(|w| matches!(w.value.as_str(), "-c" | "--command" | "--session-command"))
                && let Some(code) = args.get(pos + 1)
            {
                out.inner_shell.push((code.span, "su -c".to_owned()));
            }
        }
        "kubectl" | "oc" | "docker" | "podman" | "nerdctl" | "crictl" => {
            // `docker run --entrypoint sh img -c '…'`: the entrypoint is
            // given the rest.
            if let Some(pos) = args
                .iter()
                .position(|w| w.value == "--entrypoint" || w.value.starts_with("--entrypoint="))
            {
                let entrypoint = match args[pos].value.strip_prefix("--entrypoint=") {
                    Some(value) => value,
                    None => args.get(pos + 1).map_or("", |w| w.value.as_str()),
                };
                if SHELLS.contains(&super::program_name(entrypoint))
                    && let Some(c) = args.iter().skip(pos + 1).position(|w| w.value == "-c")
                    && let Some(code) = args.get(pos + 1 + c + 1)
                {
                    out.inner_shell
                        .push((code.span, format!("{program} --entrypoint")));
                }
            }
            // `… exec [-i] X -- cmd…`: the rest is a command of its own.
            if let Some(dash) = args.iter().position(|w| w.value == "--") {
                return command(text, out, &args[dash + 1..]);
            }
            if matches!(program, "docker" | "podman" | "nerdctl")
                && args
                    .first()
                    .is_some_and(|w| matches!(w.value.as_str(), "exec" | "run"))
            {
                // Options with values come before the container or image
                // (`-u root`, `-e A=1`): the command starts at the first
                // shell named after them, if any.
                if let Some(shell) = args
                    .iter()
                    .skip(2)
                    .position(|w| SHELLS.contains(&super::program_name(&w.value)))
                {
                    return command(text, out, &args[shell + 2..]);
                }
                if let Some(container) = args.iter().skip(1).position(|w| !w.value.starts_with('-'))
                {
                    return command(text, out, &args[container + 2..]);
                }
            }
        }
        _ if SHELLS.contains(&program) => {
            let (code, i) = shell_options(args);
            match (code, args.get(i)) {
                (true, Some(code)) => out.inner_shell.push((code.span, format!("{program} -c"))),
                // `bash <(…)`: what the substitution writes is the script.
                (false, Some(script)) if script.value.starts_with("<(") => {
                    out.inner_shell.push((script.span, program.to_owned()));
                }
                // `sh /dev/stdin <<EOF`: the script is its input.
                (false, Some(script))
                    if matches!(
                        script.value.as_str(),
                        "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
                    ) =>
                {
                    return Input::Shell;
                }
                // A script file: its input is not code.
                (false, Some(_)) => return Input::Data,
                // No code given: the shell reads its input.
                (_, None) => return Input::Shell,
            }
        }
        // A program this reader does not know that runs a command given
        // after it (`nsenter -t 1 -m -- sh -c '…'`, `gosu app bash -c '…'`,
        // `ip netns exec ns sh -c '…'`): the word after a shell's `-c` is
        // code wherever it is.
        // `at now <<EOF`, `crontab -`: commands for later, run by a shell.
        "at" | "batch" => return Input::Shell,
        "crontab" if args.is_empty() || args.iter().any(|w| w.value == "-") => {
            return Input::Shell;
        }
        _ => {}
    }
    Input::Data
}

/// The word after `SHELL [options] -c` among `args`, as that shell's code.
fn shell_code_anywhere(out: &mut Contexts, args: &[&Word]) {
    // Most commands have no `-c` at all: that is looked for first.
    let c_flag =
        |v: &str| v.len() > 1 && v.starts_with('-') && !v.starts_with("--") && v.contains('c');
    if !args.iter().any(|w| c_flag(&w.value)) {
        return;
    }
    for (i, w) in args.iter().enumerate() {
        let shell = super::program_name(&w.value);
        if SHELLS.contains(&shell)
            && let (true, j) = shell_options(&args[i + 1..])
            && let Some(code) = args.get(i + 1 + j)
        {
            out.inner_shell.push((code.span, format!("{shell} -c")));
            return;
        }
    }
}

/// A shell's options (`-o pipefail`, `-O extglob`, `+o`, long ones): whether
/// `-c` is among them, and the index of the first word after them.
fn shell_options(args: &[&Word]) -> (bool, usize) {
    let mut code = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        if v == "--" || v == "-" {
            return (code, i + 1);
        }
        if matches!(v, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 2;
            continue;
        }
        if v.len() < 2 || !(v.starts_with('-') || v.starts_with('+')) {
            break;
        }
        code |= v.starts_with('-') && !v.starts_with("--") && v.contains('c');
        i += 1;
    }
    (code, i)
}

/// For a command line that is a shell given `-c`: whether it is given its
/// code as an argument (else another program supplies it).
fn shell_with_c(words: &[&Word]) -> Option<bool> {
    let (first, args) = words.split_first()?;
    if !SHELLS.contains(&super::program_name(&first.value)) {
        return None;
    }
    let (code, i) = shell_options(args);
    code.then_some(i < args.len())
}

/// `su --command=CMD`, `runuser --session-command=CMD`: code in the option.
fn attached_commands(out: &mut Contexts, program: &str, args: &[&Word]) {
    for w in args
        .iter()
        .filter(|w| w.value.starts_with("--command=") || w.value.starts_with("--session-command="))
    {
        out.inner_shell
            .push((w.span, format!("{program} --command")));
    }
}

/// tmux runs a shell command given to these subcommands (and types the
/// keys of `send-keys` into one).
fn tmux(out: &mut Contexts, args: &[&Word]) {
    const RUN: &[&str] = &[
        "new-session",
        "new",
        "new-window",
        "neww",
        "split-window",
        "splitw",
        "respawn-pane",
        "respawnp",
        "respawn-window",
        "respawnw",
        "run-shell",
        "run",
        "send-keys",
        "send",
        "display-popup",
        "popup",
        "pipe-pane",
        "pipep",
        "if-shell",
        "if",
        // Formats run `#(…)` through a shell; hooks, bindings and some
        // options hold commands.
        "display-message",
        "display",
        "set-hook",
        "bind-key",
        "bind",
        "set-option",
        "set",
        "set-window-option",
        "setw",
    ];
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        // `tmux -c CMD` runs CMD with the default shell.
        if v == "-c"
            && let Some(code) = args.get(i + 1)
        {
            out.inner_shell.push((code.span, "tmux -c".to_owned()));
            return;
        }
        if matches!(v, "-L" | "-S" | "-f" | "-T") {
            i += 2;
            continue;
        }
        if !v.starts_with('-') {
            break;
        }
        i += 1;
    }
    let Some(sub) = args.get(i) else { return };
    if RUN.contains(&sub.value.as_str()) {
        // Options and their values included: a session name is a plain
        // word anyway.
        let label = format!("tmux {}", sub.value);
        out.inner_shell
            .extend(args[i + 1..].iter().map(|w| (w.span, label.clone())));
    }
}

/// Git subcommands that run a command through a shell: `rebase -x CMD`,
/// `submodule foreach CMD`, `filter-branch --tree-filter CMD`,
/// `difftool -x CMD`.
fn git_subcommand(out: &mut Contexts, sub: &str, args: &[&Word]) {
    let label = format!("git {sub}");
    if sub == "submodule" && args.first().is_some_and(|w| w.value == "foreach") {
        out.inner_shell.extend(
            args[1..]
                .iter()
                .filter(|w| !w.value.starts_with('-'))
                .map(|w| (w.span, label.clone())),
        );
        return;
    }
    let takes = |v: &str| match sub {
        "rebase" => matches!(v, "-x" | "--exec"),
        "difftool" | "mergetool" => matches!(v, "-x" | "--extcmd" | "-t" | "--tool"),
        "filter-branch" => v.starts_with("--") && v.ends_with("-filter"),
        _ => false,
    };
    for (i, w) in args.iter().enumerate() {
        let v = w.value.as_str();
        if let Some((flag, _)) = v.split_once('=')
            && takes(flag)
        {
            out.inner_shell.push((w.span, label.clone()));
        } else if takes(v)
            && let Some(code) = args.get(i + 1)
        {
            out.inner_shell.push((code.span, label.clone()));
        }
    }
}

/// Git settings whose value is a command git runs through a shell
/// (`alias.x = !cmd`, `core.sshCommand`, a credential helper) or a file it
/// reads more settings or hooks from.
fn git_setting_runs(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let (first, rest) = key.split_once('.').unwrap_or((&key, ""));
    let last = rest.rsplit('.').next().unwrap_or_default();
    match first {
        "alias" | "pager" => true,
        "core" => matches!(
            last,
            "sshcommand" | "pager" | "editor" | "fsmonitor" | "hookspath" | "askpass" | "gitproxy"
        ),
        "sequence" => last == "editor",
        "include" | "includeif" => last == "path",
        "credential" => last == "helper",
        "gpg" => last == "program",
        "diff" => matches!(last, "external" | "textconv" | "command"),
        "filter" => matches!(last, "clean" | "smudge" | "process"),
        "merge" => last == "driver",
        "difftool" | "mergetool" => last == "cmd",
        "remote" => matches!(last, "uploadpack" | "receivepack"),
        "uploadpack" => last == "packobjectshook",
        _ => false,
    }
}

/// A key not written out (a placeholder, a variable) may be any of them.
fn git_key_may_run(key: &str) -> bool {
    key.contains(['$', '<', '`']) || git_setting_runs(key)
}

/// `git -c alias.x='!cmd' x`, `git config core.sshCommand "ssh -i …"`:
/// values git later runs through a shell.
fn git(out: &mut Contexts, args: &[&Word]) {
    // `ext::CMD`: a remote git reaches by running CMD (when allowed).
    for w in args.iter().filter(|w| w.value.contains("ext::")) {
        out.inner_shell
            .push((w.span, "git's ext:: transport".to_owned()));
    }
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        if v == "-c"
            && let Some(setting) = args.get(i + 1)
        {
            let key = setting.value.split('=').next().unwrap_or_default();
            if git_key_may_run(key) {
                out.inner_shell
                    .push((setting.span, format!("git -c {key}")));
            }
            i += 2;
            continue;
        }
        if matches!(
            v,
            "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--config-env"
        ) {
            i += 2;
            continue;
        }
        if !v.starts_with('-') {
            break;
        }
        i += 1;
    }
    let sub = args.get(i).map_or("", |w| w.value.as_str());
    git_subcommand(out, sub, args.get(i + 1..).unwrap_or(&[]));
    if sub != "config" {
        return;
    }
    let rest = &args[i + 1..];
    let mut k = 0;
    while let Some(w) = rest.get(k) {
        let v = w.value.as_str();
        if matches!(
            v,
            "-f" | "--file" | "--blob" | "--type" | "--default" | "--comment"
        ) {
            k += 2;
            continue;
        }
        // `git config set KEY VALUE` (git 2.46 and later).
        if !v.starts_with('-') && !matches!(v, "set" | "--add") {
            break;
        }
        k += 1;
    }
    if let Some(key) = rest.get(k)
        && git_key_may_run(&key.value)
    {
        let label = format!("git config {}", key.value);
        out.inner_shell
            .extend(rest[k + 1..].iter().map(|w| (w.span, label.clone())));
    }
}

/// `-v NAME` (set?) and `-R NAME` (a nameref?) in `test`, `[` and `[[`.
fn names_after_v(out: &mut Contexts, args: &[&Word]) {
    for pair in args.windows(2) {
        if matches!(pair[0].value.as_str(), "-v" | "-R") {
            out.names.push(pair[1].span);
        }
    }
}

/// Variables whose value other programs run through a shell (`git` runs
/// `GIT_SSH_COMMAND`, `less` runs `LESSOPEN`, `sudo -A` runs `SUDO_ASKPASS`)
/// or read as their own options (`PERL5OPT`, `NODE_OPTIONS`).
const COMMAND_VARIABLES: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_EXTERNAL_DIFF",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_ASKPASS",
    "GIT_PROXY_COMMAND",
    "GIT_CONFIG_PARAMETERS",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "SYSTEMD_PAGER",
    "KUBE_EDITOR",
    "LESSOPEN",
    "LESSCLOSE",
    "FZF_DEFAULT_COMMAND",
    "PERL5OPT",
    "PERL5DB",
    "RUBYOPT",
    "NODE_OPTIONS",
    "PSQL_PAGER",
    "RSYNC_RSH",
    "GIT_SSH",
    "BROWSER",
];

/// What runs a variable's value as code, if something does: bash expands
/// a prompt (`PS4`, `$(…)` included) and runs `PROMPT_COMMAND`, imports
/// `BASH_FUNC_name%%` as a function; other programs run the
/// [`COMMAND_VARIABLES`]. Such a value is code, whatever its quoting.
pub fn code_variable(name: &str) -> Option<String> {
    if matches!(name, "PS0" | "PS1" | "PS2" | "PS4" | "PROMPT_COMMAND") {
        Some(format!("{name}, a prompt bash expands,"))
    } else if matches!(name, "BASH_ENV" | "ENV") {
        // Expanded, `$(…)` included, then sourced.
        Some(format!("{name}, a file name bash expands and sources,"))
    } else if name.starts_with("BASH_FUNC_") {
        Some(format!("{name}, a function bash imports,"))
    } else if name.starts_with("GIT_CONFIG_VALUE_") || name.starts_with("GIT_CONFIG_KEY_") {
        // `GIT_CONFIG_KEY_0=alias.x GIT_CONFIG_VALUE_0='!cmd'`.
        Some(format!("{name}, a git setting,"))
    } else if COMMAND_VARIABLES.contains(&name) {
        Some(format!("{name}, which programs run as a command,"))
    } else {
        None
    }
}

/// `PS4=…`, `GIT_SSH_COMMAND=…`: the value is code (see [`code_variable`]).
fn code_value(text: &str, out: &mut Contexts, w: &Word) {
    let name = match super::assignment_name(&w.value) {
        Some(name) => name,
        // `env 'BASH_FUNC_f%%=() { …; }' bash`: not a shell name.
        None => match w.value.split_once('=') {
            Some((name, _)) if name.starts_with("BASH_FUNC_") => name,
            _ => return,
        },
    };
    if let Some(label) = code_variable(name) {
        let name_end = name_part(text, w).end;
        out.inner_shell
            .push((Span::new(name_end, w.span.end), label));
    }
}

/// The part of `NAME=value` before its first `=` (all of a word without
/// one), as written.
fn name_part(text: &str, w: &Word) -> Span {
    let raw = text.get(w.span.start..w.span.end).unwrap_or_default();
    Span::new(
        w.span.start,
        w.span.start + raw.find('=').unwrap_or(raw.len()),
    )
}

/// Index of the first argument past the options that take a value.
fn option_values(args: &[&Word], with_value: &[&str]) -> usize {
    let mut i = 0;
    while i < args.len() && args[i].value.starts_with('-') {
        if with_value.contains(&args[i].value.as_str()) {
            i += 1;
        }
        i += 1;
    }
    i
}

/// `ssh host cmd…`: the command is code for the remote shell. Whether ssh
/// gives the remote shell its input instead (no command).
fn ssh_reads_input(out: &mut Contexts, args: &[&Word]) -> bool {
    match ssh_host(args) {
        Some(h) if h + 1 < args.len() => {
            out.inner_shell.extend(
                args[h + 1..]
                    .iter()
                    .map(|w| (w.span, format!("ssh {}", args[h].value))),
            );
            false
        }
        Some(_) => true,
        None => false,
    }
}

/// Options whose value the program runs through a shell: `gdb -ex 'shell
/// …'`, `tar --to-command=…`, `zip -TT …`, `rsync -e …`, `ssh -o
/// ProxyCommand=…`.
fn command_options(out: &mut Contexts, program: &str, args: &[&Word]) {
    let separate: &[&str] = match program {
        "gdb" => &["-ex", "--eval-command", "-iex", "--init-eval-command"],
        "tar" | "bsdtar" => &[
            "--to-command",
            "-I",
            "--use-compress-program",
            "-F",
            "--info-script",
            "--new-volume-script",
        ],
        "zip" => &["-TT", "--unzip-command"],
        "rsync" => &["-e", "--rsh", "--rsync-path"],
        _ => &[],
    };
    let attached: &[&str] = match program {
        "gdb" => &["--eval-command=", "--init-eval-command="],
        "tar" | "bsdtar" => &[
            "--to-command=",
            "--use-compress-program=",
            "--checkpoint-action=exec",
            "--info-script=",
            "--new-volume-script=",
        ],
        "zip" => &["--unzip-command="],
        "rsync" => &["--rsh=", "--rsync-path="],
        _ => &[],
    };
    let label = |flag: &str| format!("{program} {flag}");
    for (i, w) in args.iter().enumerate() {
        let v = w.value.as_str();
        if separate.contains(&v)
            && let Some(code) = args.get(i + 1)
        {
            out.inner_shell.push((code.span, label(v)));
        }
        if attached.iter().any(|a| v.starts_with(a)) {
            out.inner_shell
                .push((w.span, label(v.split('=').next().unwrap_or(v))));
        }
        // `ssh -o ProxyCommand=…` (also `-oProxyCommand=…`), for ssh, scp
        // and sftp: commands ssh runs locally (or, RemoteCommand, remotely).
        if matches!(program, "ssh" | "scp" | "sftp") {
            let option = match v.strip_prefix("-o") {
                Some("") => args.get(i + 1).copied(),
                Some(_) => Some(*w),
                None => None,
            };
            if let Some(option) = option {
                let key = option
                    .value
                    .trim_start_matches("-o")
                    .split(['=', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if matches!(
                    key.as_str(),
                    "proxycommand" | "localcommand" | "knownhostscommand" | "remotecommand"
                ) || key.contains(['$', '<'])
                {
                    out.inner_shell
                        .push((option.span, format!("{program} -o {key}")));
                }
            }
        }
    }
}

/// The index of ssh's destination among its arguments.
fn ssh_host(args: &[&Word]) -> Option<usize> {
    const WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if v == "--" {
            return (i + 1 < args.len()).then_some(i + 1);
        }
        if let Some(flags) = v.strip_prefix('-').filter(|f| !f.is_empty()) {
            // `-p 22`, but `-p22` carries its value.
            if flags.len() == 1 && WITH_VALUE.contains(flags) {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some(i);
    }
    None
}

/// Keywords after which a command starts.
fn is_leading_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{" | "time"
    )
}

fn is_assignment(word: &Word) -> bool {
    super::assignment_name(&word.value).is_some()
}

/// The span of `[…]` in `a[…]=value`.
fn subscript_of_assignment(word: &Word) -> Option<Span> {
    if !is_assignment(word) {
        return None;
    }
    let open = word.value.find('[')?;
    let eq = word.value.find('=')?;
    if open > eq {
        return None;
    }
    // Positions in the value are positions in the raw text only up to the
    // first quote; a subscript comes first, so it is written plainly.
    let close = word.value[open..eq].rfind(']')? + open;
    Some(Span::new(
        word.span.start + open,
        word.span.start + close + 1,
    ))
}

#[cfg(test)]
mod tests {
    /// (script, arithmetic, inner shell) of the placeholder `<v>`.
    #[test]
    fn each_context_is_found() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("echo <v>", false, None),
            ("(( <v> > 3 ))", true, None),
            ("if (( <v> > 3 )); then :; fi", true, None),
            ("for (( i = 0; i < <v>; i++ )); do :; done", true, None),
            ("echo $(( <v> + 1 ))", true, None),
            ("let n=<v>", true, None),
            ("declare -i n=<v>", true, None),
            ("local -ri n=<v>", true, None),
            ("a[<v>]=1", true, None),
            ("echo \"${a[<v>]}\"", true, None),
            ("echo \"${s:<v>:2}\"", true, None),
            ("[[ <v> -gt 3 ]]", true, None),
            ("[[ <v> == 3 ]]", false, None),
            ("printf -v <v> %s x", false, None),
            ("printf -v 'a[<v>]' %s x", true, None),
            ("bash -c 'echo <v>'", false, Some("bash -c")),
            ("bash -lc 'echo <v>'", false, Some("bash -c")),
            ("bash -o pipefail -c 'echo <v>'", false, Some("bash -c")),
            ("bash +O extglob -ec 'echo <v>'", false, Some("bash -c")),
            ("bash -c -- 'echo <v>'", false, Some("bash -c")),
            ("bash -o pipefail script.sh <v>", false, None),
            (
                "bash <<< 'echo <v>'",
                false,
                Some("a shell reading a here-string"),
            ),
            ("cat <<< 'echo <v>'", false, None),
            (
                "echo \"echo <v>\" | bash",
                false,
                Some("a shell reading a pipe"),
            ),
            ("echo <v> | grep x", false, None),
            ("source <(echo \"echo <v>\")", false, Some("source")),
            ("trap 'echo <v>' EXIT", false, Some("trap")),
            (
                "PS4='+ <v> ' bash -x run.sh",
                false,
                Some("PS4, a prompt bash expands,"),
            ),
            ("sg root -c 'echo <v>'", false, Some("sg -c")),
            ("script -qc 'echo <v>' /dev/null", false, Some("script -c")),
            ("flock -n x.lock -c 'echo <v>'", false, Some("flock -c")),
            ("sg root 'echo <v>'", false, Some("sg")),
            ("runuser -u root -- sh -c 'echo <v>'", false, Some("sh -c")),
            ("unshare -m sh -c 'echo <v>'", false, Some("sh -c")),
            (
                "docker exec -u root ctr sh -c 'echo <v>'",
                false,
                Some("sh -c"),
            ),
            (
                "docker run --rm -e A=1 alpine sh -c 'echo <v>'",
                false,
                Some("sh -c"),
            ),
            ("$SHELL -c 'echo <v>'", false, Some("bash -c")),
            ("mapfile -C 'echo <v>' -c 1 z", false, Some("mapfile -C")),
            ("env -S 'A=<v> printenv A'", false, Some("env -S")),
            ("docker run --rm alpine echo <v>", false, None),
            ("bash script.sh <v>", false, None),
            ("eval \"echo <v>\"", false, Some("eval")),
            (
                "ssh -i key -p 22 admin@host \"echo <v>\"",
                false,
                Some("ssh admin@host"),
            ),
            ("sudo -u app sh -c 'echo <v>'", false, Some("sh -c")),
            (
                "env A=1 timeout 5 bash -c 'echo <v>'",
                false,
                Some("bash -c"),
            ),
            (
                "kubectl exec -it pod -- sh -c 'echo <v>'",
                false,
                Some("sh -c"),
            ),
            ("kubectl exec pod -- echo <v>", false, None),
            ("docker exec -i web sh -c 'echo <v>'", false, Some("sh -c")),
            ("watch -n 5 'kubectl get <v>'", false, Some("watch")),
            ("su - app -c 'echo <v>'", false, Some("su -c")),
            ("echo \"$(sh -c 'echo <v>')\"", false, Some("sh -c")),
            (
                "bash <<EOF\necho <v>\nEOF",
                false,
                Some("a shell reading a heredoc"),
            ),
            (
                "ssh host <<'EOF'\necho <v>\nEOF",
                false,
                Some("a shell reading a heredoc"),
            ),
            ("cat <<EOF\necho <v>\nEOF", false, None),
            (
                "cat <<EOF | bash\necho <v>\nEOF",
                false,
                Some("a shell reading a heredoc"),
            ),
            ("cat <<EOF | grep x\necho <v>\nEOF", false, None),
            (
                "echo <v> | xargs -I{} sh -c 'echo {}'",
                false,
                Some("a shell reading a pipe"),
            ),
            (
                "echo <v> | xargs -n1 sh -c",
                false,
                Some("a shell reading a pipe"),
            ),
            ("echo <v> | xargs sh -c 'echo \"$@\"' _", false, None),
            ("echo <v> | xargs -n1 kubectl delete pod", false, None),
            (
                "find /srv/<v> -name '*.log' -exec sh -c 'gzip {}' \\;",
                false,
                Some("find -exec sh -c"),
            ),
            ("find /srv/<v> -name '*.log' -exec gzip {} +", false, None),
            ("find . -exec sh -c 'echo <v>' \\;", false, Some("sh -c")),
            (
                "tmux new-session -d -s ops 'echo <v>'",
                false,
                Some("tmux new-session"),
            ),
            (
                "tmux send-keys -t ops 'echo <v>' Enter",
                false,
                Some("tmux send-keys"),
            ),
            ("tmux kill-session -t <v>", false, None),
            (
                "screen -S ops -X stuff 'echo <v>\n'",
                false,
                Some("screen stuff"),
            ),
            (
                "git -c alias.x='!echo <v>' x",
                false,
                Some("git -c alias.x"),
            ),
            ("git -c user.name=<v> commit", false, None),
            (
                "git config --global core.sshCommand 'ssh -i <v>'",
                false,
                Some("git config core.sshCommand"),
            ),
            ("git config --global user.email <v>", false, None),
            (
                "nsenter -t 1 -m -u -n -- sh -c 'echo <v>'",
                false,
                Some("sh -c"),
            ),
            ("gosu app bash -c 'echo <v>'", false, Some("bash -c")),
            ("ip netns exec blue sh -ec 'echo <v>'", false, Some("sh -c")),
            ("nsenter -t 1 -m -- cat <v>", false, None),
            (
                "docker compose exec web sh -c 'echo <v>'",
                false,
                Some("sh -c"),
            ),
            ("git rebase -x 'make <v>' main", false, Some("git rebase")),
            (
                "git submodule foreach 'echo <v>'",
                false,
                Some("git submodule"),
            ),
            (
                "git filter-branch --tree-filter 'rm -f <v>' HEAD",
                false,
                Some("git filter-branch"),
            ),
            (
                "rsync --rsync-path='sudo <v>' a b:",
                false,
                Some("rsync --rsync-path"),
            ),
            (
                "ansible all -m shell -a 'echo <v>'",
                false,
                Some("ansible -a"),
            ),
            ("salt '*' cmd.run 'echo <v>'", false, Some("salt cmd.run")),
            ("csh -c 'echo <v>'", false, Some("csh -c")),
            ("git log --grep <v>", false, None),
        ];
        for (script, arithmetic, inner) in cases {
            let read = crate::shell::read(script);
            let Some(p) = read.placeholders.first() else {
                panic!("no placeholder in {script:?}");
            };
            assert_eq!(
                p.read_again.arithmetic, *arithmetic,
                "arithmetic: {script:?}"
            );
            assert_eq!(
                p.read_again.inner_shell.as_deref(),
                *inner,
                "inner shell: {script:?}"
            );
        }
    }
}
