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
pub const WRAPPER: &str = r#"if [ -f "$1" ]; then . "$1" 2>/dev/null; fi
__litops_state=$1
__litops_script=$2
__litops_save() {
  set +e
  {
    printf 'cd -- %q 2>/dev/null || true\n' "$PWD"
    declare -p
    declare -f
    alias -p
  } > "$__litops_state.new"
}
trap '__litops_rc=$?; __litops_save; exit $__litops_rc' EXIT
set -eo pipefail
. "$__litops_script"
"#;

/// The files of one run's session, in a private temporary directory.
#[derive(Debug)]
pub struct Session {
    dir: tempfile::TempDir,
    state: PathBuf,
}

impl Session {
    /// A private directory, in memory (`/dev/shm`) where there is one: steps
    /// write their script and session dump there each time, and creating
    /// files on a disk file system was half of litops's own cost per step.
    pub fn new() -> std::io::Result<Session> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(PREFIX);
        let parent = session_parent();
        let dir = builder.tempdir_in(&parent).or_else(|_| builder.tempdir())?;
        // Who owns it: a later run removes it if this process dies (SIGKILL)
        // without removing it itself.
        std::fs::write(dir.path().join("owner"), std::process::id().to_string())?;
        let state = dir.path().join("state.sh");
        Ok(Session { dir, state })
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
        std::fs::write(&self.state, &state)?;
        Ok(Some(state))
    }

    /// Starts from a saved state (a resumed run).
    pub fn restore(&self, state: &str) -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&self.state)?;
        file.write_all(clean_dump(state).as_bytes())
    }

    /// Where a step's shell writes the session when it exits.
    pub fn dump_file(&self) -> PathBuf {
        self.state.with_extension("sh.new")
    }

    /// Writes a step's script (mode 0600: it may hold bound secrets), and
    /// empties the dump file, so that only this step's dump can be taken.
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
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(script.as_bytes())?;
        Ok(path)
    }
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

/// The exported variables of a dump (`declare -x NAME="value"` lines), for
/// checks' `env()`.
pub fn exported(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("cd -- ") {
            continue;
        }
        let Some(rest) = line.strip_prefix("declare -") else {
            break;
        };
        let Some((flags, assignment)) = rest.split_once(' ') else {
            continue;
        };
        if !flags.contains('x') || flags.contains('a') || flags.contains('A') {
            continue;
        }
        let Some((name, value)) = assignment.split_once('=') else {
            continue;
        };
        if let Some(value) = unquote(value) {
            out.push((name.to_owned(), value));
        }
    }
    out
}

/// A value as `declare -p` quotes it: "..." or $'...'.
fn unquote(value: &str) -> Option<String> {
    let mut out = String::new();
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some(n @ ('"' | '\\' | '$' | '`'))) => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        return Some(out);
    }
    let inner = value.strip_prefix("$'")?.strip_suffix('\'')?;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('e' | 'E') => out.push('\u{1b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn bash_variables_are_dropped_and_functions_kept() {
        let dump = "cd -- /tmp 2>/dev/null || true\ndeclare -a BASH_ARGC=([0]=\"2\")\ndeclare -x PATH=\"/bin\"\ndeclare -- X=$'a\\ndeclare -- BASH_ARGC=1'\ndeclare -ir PPID=\"1\"\ndeclare -- _=\"x\"\nf () \n{ \n    declare -- BASH_ARGC=1\n}\n";
        assert_eq!(
            clean_dump(dump),
            "cd -- /tmp 2>/dev/null || true\ndeclare -x PATH=\"/bin\"\ndeclare -- X=$'a\\ndeclare -- BASH_ARGC=1'\nf () \n{ \n    declare -- BASH_ARGC=1\n}\n"
        );
    }
}
