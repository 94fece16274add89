//! A shell session across steps, like a terminal.
//!
//! Each step runs in a shell process of its own (its own process group, exit
//! status, output and timeout): a subshell forked by the run's step shell
//! (`zygote`), or a bash started for it (`WRAPPER`, for interactive steps and
//! when the fork server is off). The session lives in a state file between
//! them: when a step's shell exits, an EXIT trap writes its working
//! directory, variables (`declare -p`, so exported ones stay exported and
//! plain ones stay plain), functions and aliases; the next step's shell reads
//! the file before it runs. The dump uses builtins only (no forks).
//!
//! Chosen over running steps in one long-lived shell: with a process per
//! step, killing a step on timeout or Ctrl-C cannot take the session down
//! with it, and errexit ends the step, not the session. A step that is killed
//! keeps the session as the previous step left it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Functions both step shells define (the per-step wrapper below and the
/// zygote): saving the session, and a `trap` that keeps a step's own EXIT
/// handler from replacing the save.
///
/// `__litops_enter` takes a step that starts in the run's directory (the
/// first block under a heading, given as `__litops_start`) there, for good;
/// and a step with a directory of its own (`cwd`, given as `__litops_cd`)
/// there, where `__litops_save` goes back from first, so the session's
/// directory is what it was before the step.
/// `__litops_save FILE` dumps the session (umask 077: the dump holds every
/// value the session has). `__litops_exit STATUS FILE` is the EXIT trap: it
/// saves first (the session as the step left it), then runs the step's own
/// EXIT handler, if it set one (the usual `trap cleanup EXIT`), then exits
/// with the step's status. The `trap` function takes a step's EXIT handler
/// aside, sets `__litops_exit` as the EXIT trap (with `__litops_q`, the
/// quoted dump file or `''`: a zygote's step sets its trap only when it
/// saves the session), and passes every other trap to the builtin. `__litops_stream
/// SECONDS COMMAND…` (put in a script by `stream=`) follows a command that
/// never ends for that long, then ends it as a success.
#[macro_export]
#[doc(hidden)]
macro_rules! session_functions {
    () => {
        r#"__litops_save() {
  set +e
  umask 077
  if [ -n "${__litops_back-}" ]; then builtin cd -- "$__litops_back" 2>/dev/null; fi
  unset "${!__litops_@}"
  {
    printf 'cd -- %q 2>/dev/null || true\n' "$PWD"
    declare -p
    declare -f
    alias -p
  } > "$1"
}
__litops_exit() {
  set -- "$1" "$2" "${__litops_on_exit-}"
  if [ -n "$2" ]; then __litops_save "$2"; fi
  if [ -n "$3" ]; then eval "$3"; fi
  exit "$1"
}
__litops_enter() {
  if [ -n "${__litops_start-}" ]; then
    builtin cd -- "$__litops_start" || exit
    unset __litops_start
  fi
  if [ -n "${__litops_cd-}" ]; then
    __litops_back=$PWD
    builtin cd -- "$__litops_cd" || exit
    unset __litops_cd
  fi
}
__litops_follow() {
  local __litops_rc=0
  builtin trap : INT
  "$@" || __litops_rc=$?
  builtin trap - INT
  if [ "$__litops_rc" -eq 130 ]; then return 0; fi
  return "$__litops_rc"
}
__litops_stream() {
  local __litops_s=$1 __litops_rc=0
  shift
  timeout "$__litops_s" "$@" || __litops_rc=$?
  if [ "$__litops_rc" -eq 124 ]; then return 0; fi
  return "$__litops_rc"
}
trap() {
  case ${1-} in -l|-p|'') builtin trap "$@"; return ;; --) shift ;; esac
  local __litops_h=- __litops_s __litops_other=() __litops_x=
  if [ "$#" -ge 2 ]; then __litops_h=$1; shift; fi
  for __litops_s in "$@"; do
    case $__litops_s in
      EXIT|exit|0|SIGEXIT) __litops_x=1; if [ "$__litops_h" = - ]; then __litops_on_exit=; else __litops_on_exit=$__litops_h; fi ;;
      *) __litops_other+=("$__litops_s") ;;
    esac
  done
  if [ "${#__litops_other[@]}" -gt 0 ]; then builtin trap -- "$__litops_h" "${__litops_other[@]}"; fi
  # The step's EXIT trap runs from litops's own, set only now where the
  # step does not save the session.
  if [ -n "$__litops_x" ]; then builtin trap "__litops_exit \$? ${__litops_q-''}" EXIT; fi
}
"#
    };
}

/// Variables a step shell must not take from the environment litops was
/// started with: `BASH_ENV` and `ENV` (bash sources them before anything:
/// code outside the plan) and the step shells' own `__litops_…` names
/// (`__litops_on_exit` is evaluated at the step's end, `__litops_cd` moves
/// it). litops sets the ones a step needs itself.
pub fn not_inherited() -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStrExt;
    let mut names: Vec<std::ffi::OsString> = vec!["BASH_ENV".into(), "ENV".into()];
    names.extend(
        std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| name.as_bytes().starts_with(b"__litops_")),
    );
    names
}

/// The per-step wrapper: `$1` is the state file, `$2` the step's script.
/// The script is sourced, so `cd`, `export`, assignments and functions
/// happen in this shell and are saved on exit, and error messages name the
/// script's own lines.
///
/// The state is one `declare -p` (a single builtin: a loop filtering names
/// cost more than the bash start-up itself). Restoring it re-declares bash's
/// own variables too; the read-only ones refuse quietly (`2>/dev/null`) and
/// the rest (`SHLVL`, `_`, `PWD`…) are harmless or set again right after.
/// The dump goes to `state.new`; litops moves it into place when the step's
/// shell has exited (a rename in bash would cost a `mv` process per step),
/// so a step killed mid-dump leaves the previous state intact.
pub const WRAPPER: &str = concat!(
    r#"if [ -f "$1" ]; then . "$1" 2>/dev/null; fi
"#,
    session_functions!(),
    r#"__litops_script=$2
builtin printf -v __litops_q %q "$1.new"
builtin trap "__litops_exit \$? $__litops_q" EXIT
set -eo pipefail
__litops_enter
. "$__litops_script"
"#
);

/// The files of one run's session, in a private temporary directory.
#[derive(Debug)]
pub struct Session {
    dir: tempfile::TempDir,
    state: PathBuf,
    /// What `state.sh` holds, if anything.
    written: std::cell::RefCell<Option<String>>,
}

impl Session {
    /// A private directory, in memory (`/dev/shm`) where there is one: steps
    /// write their script and session dump there each time, and creating
    /// files on a disk file system was half of litops's own cost per step.
    pub fn new() -> std::io::Result<Session> {
        use std::os::unix::fs::PermissionsExt;
        let mut builder = tempfile::Builder::new();
        // Private: its files hold bound values, secrets included.
        builder
            .prefix(PREFIX)
            .permissions(std::fs::Permissions::from_mode(0o700));
        let parent = session_parent();
        let dir = builder.tempdir_in(&parent).or_else(|_| builder.tempdir())?;
        // Who owns it: a later run removes it if this process dies (SIGKILL)
        // without removing it itself.
        private_write(&dir.path().join("owner"), &std::process::id().to_string())?;
        let state = dir.path().join("state.sh");
        Ok(Session {
            dir,
            state,
            written: std::cell::RefCell::new(None),
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_file(&self) -> &Path {
        &self.state
    }

    /// After a step's shell has exited normally: its dump, cleaned, becomes
    /// the session state. (Files are rewritten in place, never created anew,
    /// and a killed step's dump is never read.)
    /// Returns the new state, or `None` when the step left none.
    pub fn commit(&self) -> std::io::Result<Option<String>> {
        let text = match std::fs::read_to_string(self.dump_file()) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // Empty: the step's shell never dumped (it `exec`ed another program).
        if text.is_empty() {
            return Ok(None);
        }
        let state = clean_dump(&text);
        self.write_state(&state)?;
        Ok(Some(state))
    }

    /// Starts from a saved state (a resumed run).
    pub fn restore(&self, state: &str) -> std::io::Result<()> {
        self.write_state(&clean_dump(state))
    }

    /// Most steps leave the session as they found it: then nothing is written.
    fn write_state(&self, state: &str) -> std::io::Result<()> {
        if self.written.borrow().as_deref() == Some(state) {
            return Ok(());
        }
        // Forgotten first: a failed write leaves no claim on the file's text.
        *self.written.borrow_mut() = None;
        private_write(&self.state, state)?;
        *self.written.borrow_mut() = Some(state.to_owned());
        Ok(())
    }

    /// What `state.sh` holds: the session the next step starts from.
    pub fn state(&self) -> std::cell::Ref<'_, Option<String>> {
        self.written.borrow()
    }

    /// Where a step's shell writes the session when it exits.
    pub fn dump_file(&self) -> PathBuf {
        self.state.with_extension("sh.new")
    }

    /// Writes a step's script (mode 0600: it may hold bound secrets), and
    /// empties the dump file, so that only this step's dump can be taken.
    /// Writes a private file of the session directory by name.
    pub fn write_file(&self, name: &str, text: &str) -> std::io::Result<PathBuf> {
        let path = self.dir.path().join(name);
        private_write(&path, text)?;
        Ok(path)
    }

    pub fn write_script(&self, script: &str) -> std::io::Result<PathBuf> {
        match std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(self.dump_file())
        {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let path = self.dir.path().join("step.sh");
        private_write(&path, script)?;
        Ok(path)
    }
}

/// Writes a file of the session directory, mode 0600, never through a
/// symbolic link (the directory is private; this is the second wall).
pub fn private_write(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    file.write_all(text.as_bytes())
}

const PREFIX: &str = "litops-session-";

/// In memory where there is `/dev/shm`.
fn session_parent() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Removes what runs killed outright left behind (see `sweep`): called when
/// a run or resume starts, even one refused before its first step.
pub fn sweep_stale() {
    sweep(&session_parent());
}

/// Removes session directories whose owner died without removing them
/// (they hold scripts with bound values). Only this user's, only dead owners.
fn sweep(parent: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let me = nix::unistd::getuid().as_raw();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        if entry.metadata().map(|m| m.uid()).ok() != Some(me) {
            continue;
        }
        let owner = std::fs::read_to_string(path.join("owner"))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok());
        let Some(pid) = owner else { continue };
        let dead = matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        );
        if dead {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// bash's own variables, which a later shell must not be handed back:
/// restoring some is fatal (`BASH_ARGC` while a file is being sourced), others
/// read-only or meaningless in another process.
const BASH_OWN: &[&str] = &[
    "BASH",
    "BASHOPTS",
    "BASHPID",
    "BASH_ALIASES",
    "BASH_ARGC",
    "BASH_ARGV",
    "BASH_ARGV0",
    "BASH_CMDS",
    "BASH_COMMAND",
    "BASH_EXECUTION_STRING",
    "BASH_LINENO",
    "BASH_REMATCH",
    "BASH_SOURCE",
    "BASH_SUBSHELL",
    "BASH_VERSINFO",
    "BASH_VERSION",
    "COMP_WORDBREAKS",
    "DIRSTACK",
    "EPOCHREALTIME",
    "EPOCHSECONDS",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "HISTCMD",
    "HOSTNAME",
    "HOSTTYPE",
    "LINENO",
    "MACHTYPE",
    "OPTERR",
    "OPTIND",
    "OSTYPE",
    "PIPESTATUS",
    "PPID",
    "RANDOM",
    "SECONDS",
    "SHELLOPTS",
    "SHLVL",
    "SRANDOM",
    "UID",
    "_",
];

/// Variables whose value is run as code by their mere presence: the
/// steps' shells' own (`__litops_on_exit` is evaluated when a step ends,
/// `__litops_cd` moves it), the files bash sources (`BASH_ENV`, `ENV`),
/// the prompts bash expands with command substitution (`PS4` under
/// `set -x`), and the libraries every program loads (`LD_PRELOAD`,
/// `LD_AUDIT`), and those other programs run as a command
/// (`GIT_SSH_COMMAND`, `EDITOR`…, see [`crate::shell::context::code_variable`]).
/// A session read back from a transcript never sets them: that would run
/// text from disk.
const RUN_AS_CODE: &[&str] = &[
    "BASH_ENV",
    "ENV",
    "PS0",
    "PS1",
    "PS2",
    "PS4",
    "PROMPT_COMMAND",
    "LD_PRELOAD",
    "LD_AUDIT",
];

fn is_run_as_code(name: &str) -> bool {
    name.starts_with("__litops_")
        || RUN_AS_CODE.contains(&name)
        || crate::shell::context::code_variable(name).is_some()
}

/// Drops bash's own variables from a dump. Variables come first, one
/// `declare` per line (`declare -p` quotes newlines as `$'\n'`); the
/// function definitions after them are left as they are.
pub fn clean_dump(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_variables = true;
    for line in text.split_inclusive('\n') {
        if in_variables && !line.starts_with("cd -- ") {
            match line.strip_prefix("declare ") {
                Some(rest) => {
                    let name = rest
                        .split_once(' ')
                        .map_or(rest, |(_, name)| name)
                        .split(['=', '\n'])
                        .next()
                        .unwrap_or("");
                    if BASH_OWN.contains(&name) {
                        continue;
                    }
                }
                None => in_variables = false,
            }
        }
        out.push_str(line);
    }
    out
}

/// A variable of a session, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    pub exported: bool,
}

/// A session as data: the working directory and scalar variables. This is
/// what a transcript records and what `resume` restores; nothing read back
/// from a transcript is run as shell text (see [`restore_script`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    pub cwd: Option<String>,
    pub variables: Vec<Variable>,
    /// Names of what could not be taken as data (arrays, functions,
    /// aliases, lines of another form): never restored.
    pub skipped: Vec<String>,
}

/// Reads a dump (`declare -p` and `printf %q` forms, or the form
/// [`restore_script`] writes) strictly as data.
pub fn parse(text: &str) -> Saved {
    let mut saved = Saved::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("cd -- ") {
            let path = rest.strip_suffix(" 2>/dev/null || true").unwrap_or(rest);
            saved.cwd = unquote(path);
            continue;
        }
        if let Some(names) = line.strip_prefix("# not recorded: ") {
            saved.skipped.extend(names.split(", ").map(str::to_owned));
            continue;
        }
        let Some(rest) = line.strip_prefix("declare -") else {
            // Functions and aliases come after the variables.
            if let Some(name) = line.strip_suffix(" () ") {
                saved.skipped.push(format!("function {name}"));
            } else if let Some(alias) = line.strip_prefix("alias ") {
                let name = alias.split('=').next().unwrap_or(alias);
                saved.skipped.push(format!("alias {name}"));
            }
            continue;
        };
        let Some((flags, assignment)) = rest.split_once(' ') else {
            continue;
        };
        let (name, value) = assignment.split_once('=').unwrap_or((assignment, ""));
        if !crate::shell::is_name(name) || BASH_OWN.contains(&name) {
            continue;
        }
        // Scalars only (exported, integer, read-only, case flags); arrays
        // and namerefs are not data this reader takes. Nor values that
        // are code once set, whatever they hold (see `RUN_AS_CODE`).
        if !flags.chars().all(|c| "-xirlut".contains(c)) || is_run_as_code(name) {
            saved.skipped.push(name.to_owned());
            continue;
        }
        // `declare -- NAME` without a value: declared, never set.
        let Some(value) = (if assignment.contains('=') {
            unquote(value)
        } else {
            Some(String::new())
        }) else {
            saved.skipped.push(name.to_owned());
            continue;
        };
        saved.variables.push(Variable {
            name: name.to_owned(),
            value,
            exported: flags.contains('x'),
        });
    }
    saved
}

/// What a transcript records of a session: the working directory and the
/// variables the steps set or changed. Left out: variables inherited
/// unchanged from litops's environment, values litops binds (they come back
/// from the bindings on resume), and any variable whose value holds a
/// secret, in any form (never written to disk, escaped or not).
pub fn record_form(
    dump: &str,
    inherited: &std::collections::BTreeMap<String, String>,
    bound: &dyn Fn(&str) -> bool,
    secret: &dyn Fn(&str, &str) -> bool,
) -> String {
    let mut saved = parse(dump);
    saved.variables.retain(|v| {
        v.name != "PWD"
            && v.name != "OLDPWD"
            && !bound(&v.name)
            && !(v.exported && inherited.get(&v.name) == Some(&v.value))
            && !secret(&v.name, &v.value)
    });
    let mut text = restore_script(&saved);
    if !saved.skipped.is_empty() {
        // Named, so that a resumed run can say what it does not restore.
        text.push_str(&format!("# not recorded: {}\n", saved.skipped.join(", ")));
    }
    text
}

/// The shell text that restores a session, written by litops from data:
/// names are checked, values single-quoted.
pub fn restore_script(saved: &Saved) -> String {
    use crate::shell::Quoting;
    use crate::shell::quote::{quote, unquoted};
    let mut out = String::new();
    if let Some(cwd) = &saved.cwd
        && !cwd.contains('\0')
    {
        out.push_str(&format!("cd -- {} 2>/dev/null || true\n", unquoted(cwd)));
    }
    for v in &saved.variables {
        let Ok(value) = quote(&v.value, Quoting::Single, None) else {
            continue;
        };
        if crate::shell::is_name(&v.name) {
            let flags = if v.exported { "-x" } else { "--" };
            out.push_str(&format!("declare {flags} {}='{value}'\n", v.name));
        }
    }
    out
}

/// The names a dump defines as functions and aliases: calling one may
/// change anything (see `shell::effects`).
pub fn defined_commands(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            line.strip_suffix(" () ")
                .filter(|name| !name.contains(' '))
                .or_else(|| {
                    let rest = line.strip_prefix("alias ")?;
                    Some(rest.split_once('=')?.0)
                })
        })
        .collect()
}

/// bash's builtins: the zygote's own loop calls them, so a session that
/// defines a function or alias of one of these names is not loaded into
/// the zygote (see `zygote`).
const BUILTINS: &[&str] = &[
    ".",
    ":",
    "[",
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// Whether a step's shell may inherit the session `text` from the zygote
/// rather than load it itself: its variables read as [`declared`] reads
/// them, and it redefines none of bash's builtins (litops's own `trap`
/// wrapper aside).
pub fn zygote_may_load(text: &str) -> bool {
    declared(text).is_some()
        && defined_commands(text)
            .iter()
            .all(|name| *name == "trap" || !BUILTINS.contains(name))
}

/// The variables a dump declares, with whether each is exported, read
/// from its one-line `declare -p` form; `None` when the dump has a line of
/// another form before its functions (a value over several lines, as older
/// bash prints them) or a name reference, which this does not read.
pub fn declared(text: &str) -> Option<Vec<(&str, bool)>> {
    let mut names = Vec::new();
    for line in text.lines() {
        if line.starts_with("cd -- ") {
            continue;
        }
        let Some(rest) = line.strip_prefix("declare -") else {
            // Functions and aliases follow the variables.
            if line.ends_with(" () ") || line.starts_with("alias ") {
                break;
            }
            return None;
        };
        let (flags, rest) = rest.split_once(' ')?;
        if flags.contains('n') {
            return None;
        }
        let name = rest.split('=').next().unwrap_or(rest);
        names.push((name, flags.contains('x')));
    }
    Some(names)
}

/// Whether a step's shell must save the session when it exits: unless its
/// script certainly leaves the session as it was (`shell::effects`) and
/// its environment adds nothing the session does not already export.
/// `state` is the session the step starts from.
pub fn step_saves(state: Option<&str>, script: &str, env: &[(String, String)]) -> bool {
    let commands = state.map(defined_commands).unwrap_or_default();
    let declared = state.and_then(declared).unwrap_or_default();
    let adds = |name: &str| {
        // A step started elsewhere carries its directory on.
        name == "__litops_start"
            || !name.starts_with("__litops_") && !declared.contains(&(name, true))
    };
    env.iter().any(|(name, _)| adds(name))
        || !crate::shell::effects::keeps_session(script, |name| commands.contains(&name))
}

/// The exported variables of a dump, for checks' `env()`.
pub fn exported(text: &str) -> Vec<(String, String)> {
    parse(text)
        .variables
        .into_iter()
        .filter(|v| v.exported)
        .map(|v| (v.name, v.value))
        .collect()
}

/// A value as bash quotes it: `"…"` (`declare -p`), `$'…'`, `'…'` (with
/// `'\''` joins), or backslash escapes (`printf %q`). `None` when it is none
/// of these (text that would need a shell to read).
fn unquote(value: &str) -> Option<String> {
    let mut out = String::new();
    let bytes: Vec<char> = value.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            '"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        '"' => break,
                        '\\' if matches!(bytes.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            out.push(bytes[i + 1]);
                            i += 2;
                        }
                        // Unescaped, these would expand.
                        '$' | '`' => return None,
                        c => {
                            out.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '\'' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        '\'' => break,
                        c => {
                            out.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' if bytes.get(i + 1) == Some(&'\'') => {
                // The quoted text ends at the first `'` that no backslash
                // escapes, as bash's parser finds it; escapes are read after
                // (so `$'\c\''` is one character and a quote).
                let start = i + 2;
                let mut end = start;
                loop {
                    match bytes.get(end)? {
                        '\'' => break,
                        '\\' => end += 2,
                        _ => end += 1,
                    }
                }
                out.push_str(&ansi_c(&bytes[start..end])?);
                i = end + 1;
            }
            '\\' => {
                out.push(*bytes.get(i + 1)?);
                i += 2;
            }
            c if c.is_alphanumeric() || "_@%+=:,./-".contains(c) => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The text between the quotes of `$'…'`, its escapes read as bash reads
/// them in a UTF-8 locale. `declare -p` and `printf %q` write `\a \b \t \n
/// \v \f \r \E \\ \'` and octal `\NNN` for any other byte they do not
/// print as it is (non-ASCII too, in the C locale). `None` when the value is
/// not text: bytes that are not UTF-8 (a value can hold any byte) are
/// refused rather than replaced, and so is a NUL, where bash would cut the
/// value short.
fn ansi_c(chars: &[char]) -> Option<String> {
    let mut raw: Vec<u8> = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c == '\\' {
            ansi_c_escape(chars, &mut i, &mut raw)?;
        } else {
            let mut buf = [0u8; 4];
            raw.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    if raw.contains(&0) {
        return None;
    }
    String::from_utf8(raw).ok()
}

/// One escape of `$'…'` after its backslash, as bash reads it.
fn ansi_c_escape(chars: &[char], i: &mut usize, out: &mut Vec<u8>) -> Option<()> {
    let c = *chars.get(*i)?;
    *i += 1;
    let simple = match c {
        'a' => Some(7u8),
        'b' => Some(8),
        'e' | 'E' => Some(0x1b),
        'f' => Some(12),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        'v' => Some(11),
        '\\' => Some(b'\\'),
        '\'' => Some(b'\''),
        '"' => Some(b'"'),
        '?' => Some(b'?'),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Some(());
    }
    // Up to `max` digits; how many were taken and their value.
    let digits = |i: &mut usize, radix: u32, max: usize| -> (usize, u32) {
        let mut n = 0u32;
        let mut taken = 0;
        while taken < max {
            match chars.get(*i).and_then(|c| c.to_digit(radix)) {
                Some(d) => {
                    n = n * radix + d;
                    *i += 1;
                    taken += 1;
                }
                None => break,
            }
        }
        (taken, n)
    };
    let literal = |out: &mut Vec<u8>| {
        let mut buf = [0u8; 4];
        out.push(b'\\');
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    match c {
        '0'..='7' => {
            *i -= 1;
            out.push((digits(i, 8, 3).1 & 0xff) as u8);
        }
        'x' => match digits(i, 16, 2) {
            // `\x` without a digit stays as it is written.
            (0, _) => literal(out),
            (_, n) => out.push(n as u8),
        },
        'u' | 'U' => match digits(i, 16, if c == 'u' { 4 } else { 8 }) {
            (0, _) => literal(out),
            (_, n) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from_u32(n)?.encode_utf8(&mut buf).as_bytes());
            }
        },
        // A control character: `\cA` is 1, `\c?` is DEL, `\c\\` takes both
        // backslashes; `\c` at the end stays as it is written.
        'c' => match chars.get(*i) {
            None => literal(out),
            Some(&n) => {
                *i += 1;
                if n == '\\' && chars.get(*i) == Some(&'\\') {
                    *i += 1;
                }
                if !n.is_ascii() {
                    return None;
                }
                out.push(if n == '?' { 0x7f } else { n as u8 & 0x1f });
            }
        },
        _ => literal(out),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "cd -- /srv 2>/dev/null || true
declare -x HOME=\"/root\"
declare -- PLAIN=\"x\"
declare -rx LOCKED=\"yes\"
declare -a LIST=([0]=\"a\")
greet () 
{ 
    echo hi
}
trap () 
{ 
    builtin trap \"$@\"
}
alias k='kubectl'
";

    #[test]
    fn a_dump_declares_its_variables_with_their_export() {
        assert_eq!(
            declared(DUMP),
            Some(vec![
                ("HOME", true),
                ("PLAIN", false),
                ("LOCKED", true),
                ("LIST", false)
            ])
        );
        // A value over several lines (older bash) or a name reference is
        // not read: the step shell then loads the session itself.
        assert_eq!(declared("declare -- X=\"a\nb\"\n"), None);
        assert_eq!(declared("declare -n REF=\"X\"\n"), None);
    }

    #[test]
    fn a_dump_defines_functions_and_aliases() {
        assert_eq!(defined_commands(DUMP), ["greet", "trap", "k"]);
    }

    #[test]
    fn the_zygote_loads_a_session_unless_it_replaces_a_builtin() {
        assert!(zygote_may_load(DUMP));
        assert!(!zygote_may_load(&format!(
            "{DUMP}read () \n{{ \n    :\n}}\n"
        )));
        assert!(!zygote_may_load("alias cd='echo'\n"));
        assert!(!zygote_may_load("declare -- X=\"a\nb\"\n"));
    }

    #[test]
    fn a_step_saves_the_session_when_it_may_change_it() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        let none = env(&[]);
        assert!(!step_saves(Some(DUMP), "kubectl get pods", &none));
        assert!(!step_saves(None, "true", &none));
        assert!(step_saves(Some(DUMP), "export X=1", &none));
        // A function of the session may change it.
        assert!(step_saves(Some(DUMP), "greet", &none));
        // Exported already: nothing to add. Not exported, or not there: added.
        assert!(!step_saves(Some(DUMP), "true", &env(&[("HOME", "/x")])));
        assert!(step_saves(Some(DUMP), "true", &env(&[("PLAIN", "y")])));
        assert!(step_saves(None, "true", &env(&[("REGION", "eu")])));
        // litops's own: a step started elsewhere carries its directory on.
        assert!(!step_saves(
            Some(DUMP),
            "true",
            &env(&[("__litops_cd", "/x")])
        ));
        assert!(step_saves(
            Some(DUMP),
            "true",
            &env(&[("__litops_start", "/x")])
        ));
    }

    #[test]
    fn exported_values_are_read_back() {
        let dump = "cd -- /tmp 2>/dev/null || true\ndeclare -x PATH=\"/bin\"\ndeclare -- LOCAL=\"x\"\ndeclare -x Q=\"a \\\"b\\\" \\$c\"\ndeclare -x NL=$'one\\ntwo'\ndeclare -ax ARR=([0]=\"1\")\nf () \n{ \n    :\n}\n";
        assert_eq!(
            exported(dump),
            vec![
                ("PATH".to_owned(), "/bin".to_owned()),
                ("Q".to_owned(), "a \"b\" $c".to_owned()),
                ("NL".to_owned(), "one\ntwo".to_owned()),
            ]
        );
    }

    /// What resume reads back is data, whatever the transcript says.
    #[test]
    fn a_saved_session_is_read_as_data_and_written_again_quoted() {
        let dump = "cd -- /tmp/a\\ b 2>/dev/null || true\n\
declare -x A=\"x \\\"q\\\" \\$y\"\n\
declare -- B=$'l1\\nl2\\a\\001'\n\
declare -ix N=\"5\"\n\
declare -x C=\"$(touch pwned)\"\n\
declare -a ARR=([0]=\"1\")\n\
touch pwned\n\
declare -x BASH_ARGC=\"1\"\n\
f () \n{ \n    touch pwned\n}\n\
# not recorded: function g\n";
        let saved = parse(dump);
        assert_eq!(saved.cwd.as_deref(), Some("/tmp/a b"));
        let vars: Vec<(&str, &str, bool)> = saved
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str(), v.exported))
            .collect();
        assert_eq!(
            vars,
            vec![
                ("A", "x \"q\" $y", true),
                ("B", "l1\nl2\u{7}\u{1}", false),
                ("N", "5", true),
            ]
        );
        assert_eq!(saved.skipped, vec!["C", "ARR", "function f", "function g"]);
        assert_eq!(
            restore_script(&saved),
            "cd -- '/tmp/a b' 2>/dev/null || true\ndeclare -x A='x \"q\" $y'\ndeclare -- B='l1\nl2\u{7}\u{1}'\ndeclare -x N='5'\n"
        );
    }

    /// Plain variables all the same, but their values would run: never
    /// restored, and named.
    #[test]
    fn variables_whose_values_run_as_code_are_never_read_back() {
        let dump = "declare -- __litops_on_exit=\"touch pwned\"\n\
declare -x __litops_cd=\"/\"\n\
declare -x BASH_ENV=\"/tmp/evil.sh\"\n\
declare -- PS4=\"\\$(touch pwned)\"\n\
declare -x LD_PRELOAD=\"/tmp/evil.so\"\n\
declare -x PATH=\"/opt/bin:/usr/bin\"\n\
declare -- LITOPS_ON_EXIT=\"kept\"\n";
        let saved = parse(dump);
        let names: Vec<&str> = saved.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["PATH", "LITOPS_ON_EXIT"]);
        assert_eq!(
            saved.skipped,
            [
                "__litops_on_exit",
                "__litops_cd",
                "BASH_ENV",
                "PS4",
                "LD_PRELOAD"
            ]
        );
    }

    #[test]
    fn bash_variables_are_dropped_and_functions_kept() {
        let dump = "cd -- /tmp 2>/dev/null || true\ndeclare -a BASH_ARGC=([0]=\"2\")\ndeclare -x PATH=\"/bin\"\ndeclare -- X=$'a\\ndeclare -- BASH_ARGC=1'\ndeclare -ir PPID=\"1\"\ndeclare -- _=\"x\"\nf () \n{ \n    declare -- BASH_ARGC=1\n}\n";
        assert_eq!(
            clean_dump(dump),
            "cd -- /tmp 2>/dev/null || true\ndeclare -x PATH=\"/bin\"\ndeclare -- X=$'a\\ndeclare -- BASH_ARGC=1'\nf () \n{ \n    declare -- BASH_ARGC=1\n}\n"
        );
    }

    /// What bash's `declare -p` writes for `value` in `locale`; the value
    /// goes in through the environment, so any byte but NUL goes in as it is.
    fn declare_p(value: &[u8], locale: &str) -> String {
        use std::os::unix::ffi::OsStrExt;
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", "declare -p V"])
            .env("LC_ALL", locale)
            .env("V", std::ffi::OsStr::from_bytes(value))
            .output()
            .expect("bash runs");
        String::from_utf8(out.stdout).expect("declare -p writes text")
    }

    /// Every control character (bash writes `\a \b \t \n \v \f \r \E` and
    /// octal for the others) and non-ASCII text (octal in the C locale)
    /// come back byte for byte; a value that is not UTF-8 is refused, not
    /// read with replacement characters.
    #[test]
    fn declare_p_values_come_back_byte_exact() {
        // A digit after each byte: an octal escape takes at most three.
        let mut values: Vec<Vec<u8>> = (1u8..0x20)
            .chain([0x7f])
            .map(|b| vec![b'a', b, b'7', b'z'])
            .collect();
        values.push((1u8..0x20).chain([0x7f]).collect());
        values.push("é ✓ 日本 😀 \\ ' \" $ ` ! \u{85}\u{202e}".into());
        for locale in ["C", "C.UTF-8"] {
            for value in &values {
                let dump = declare_p(value, locale);
                let expected = String::from_utf8(value.clone()).expect("UTF-8");
                assert_eq!(
                    exported(&dump),
                    vec![("V".to_owned(), expected)],
                    "{locale}: {dump:?}"
                );
            }
            for value in [&b"a\xffz"[..], b"\xc3(", b"\xed\xa0\x80", b"\xc3"] {
                let dump = declare_p(value, locale);
                let saved = parse(&dump);
                assert!(saved.variables.is_empty(), "{locale}: {dump:?}");
                assert_eq!(saved.skipped, ["V"], "{locale}: {dump:?}");
            }
        }
    }

    /// Escapes `declare -p` does not write but bash reads, compared with
    /// what bash makes of them; where bash's value would end at a NUL, the
    /// value is refused.
    #[test]
    fn ansi_c_escapes_are_read_as_bash_reads_them() {
        for quoted in [
            r"$'\x'",
            r"$'\xg'",
            r"$'\x414'",
            r"$'\u'",
            r"$'\U'",
            r"$'\u41'",
            r"$'\u00e9x'",
            r"$'\U0001F600'",
            r"$'\c?'",
            r"$'\ca\cA\c1\c['",
            r"$'\c\\x'",
            r"$'\c'",
            r"$'\c\''x",
            r#"$'\q\8\"\?\e\E\a\b\f\v'"#,
            r"$'\101\0101'",
            r"$'\777'",
            r"$'\ud800'",
            r"$'\U110000'",
            r"$'\cé'",
        ] {
            let out = std::process::Command::new("bash")
                .args(["--norc", "--noprofile", "-c"])
                .arg(format!("x={quoted}; printf %s \"$x\""))
                .env("LC_ALL", "C.UTF-8")
                .output()
                .expect("bash runs");
            assert_eq!(
                unquote(quoted),
                String::from_utf8(out.stdout).ok(),
                "{quoted}"
            );
        }
        for quoted in [r"$'a\0b'c", r"$'\x00'", r"$'\u0'", r"$'\c@'", r"$'\400'"] {
            assert_eq!(unquote(quoted), None, "{quoted}");
        }
    }
}
