//! A shell session across steps, like a terminal.
//!
//! Each step runs in its own bash process (its own process group, exit
//! status, output and timeout), and the session lives in a state file
//! between them: when a step's shell exits, an EXIT trap writes its working
//! directory, variables (`declare -p`, so exported ones stay exported and
//! plain ones stay plain), functions and aliases; the next step's shell reads
//! the file before it runs. The dump uses builtins only (no forks), so a step
//! costs one `bash` process, like running `bash -c` per step by hand.
//!
//! Chosen over one long-lived bash fed through a sentinel protocol: with a
//! process per step, killing a step on timeout or Ctrl-C cannot take the
//! session down with it, and errexit ends the step, not the session.
//! A step that is killed keeps the session as the previous step left it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The per-step wrapper: `$1` is the state file, `$2` the step's script.
/// The script is sourced, so `cd`, `export`, assignments and functions
/// happen in this shell and are saved on exit, and error messages name the
/// script's own lines.
pub const WRAPPER: &str = r#"__litops_state=$1
__litops_script=$2
if [ -f "$__litops_state" ]; then . "$__litops_state"; fi
__litops_save() {
  set +e
  {
    printf 'cd -- %q 2>/dev/null || true\n' "$PWD"
    local __litops_n
    for __litops_n in "${!A@}" "${!B@}" "${!C@}" "${!D@}" "${!E@}" "${!F@}" "${!G@}" "${!H@}" "${!I@}" "${!J@}" "${!K@}" "${!L@}" "${!M@}" "${!N@}" "${!O@}" "${!P@}" "${!Q@}" "${!R@}" "${!S@}" "${!T@}" "${!U@}" "${!V@}" "${!W@}" "${!X@}" "${!Y@}" "${!Z@}" "${!a@}" "${!b@}" "${!c@}" "${!d@}" "${!e@}" "${!f@}" "${!g@}" "${!h@}" "${!i@}" "${!j@}" "${!k@}" "${!l@}" "${!m@}" "${!n@}" "${!o@}" "${!p@}" "${!q@}" "${!r@}" "${!s@}" "${!t@}" "${!u@}" "${!v@}" "${!w@}" "${!x@}" "${!y@}" "${!z@}" "${!_@}"; do
      case $__litops_n in
        __litops_*|BASH*|EUID|PPID|UID|SHELLOPTS|FUNCNAME|GROUPS|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|PIPESTATUS|EPOCHSECONDS|EPOCHREALTIME|DIRSTACK|_|COMP_*|PWD|OLDPWD|SHLVL|OPTIND|OPTARG|IFS|PS4|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE) continue ;;
      esac
      declare -p "$__litops_n" 2>/dev/null
    done
    declare -f
    alias -p
  } > "$__litops_state.new" && mv -f "$__litops_state.new" "$__litops_state"
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
    pub fn new() -> std::io::Result<Session> {
        let dir = tempfile::Builder::new()
            .prefix("litops-session-")
            .tempdir()?;
        let state = dir.path().join("state.sh");
        Ok(Session { dir, state })
    }

    pub fn state_file(&self) -> &Path {
        &self.state
    }

    /// Writes a step's script (mode 0600: it may hold bound secrets).
    pub fn write_script(&self, index: usize, script: &str) -> std::io::Result<PathBuf> {
        let path = self.dir.path().join(format!("step-{index}.sh"));
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
