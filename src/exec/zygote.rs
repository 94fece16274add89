//! One bash per run that forks a subshell per step.
//!
//! Starting bash costs about a millisecond; forking an already running bash
//! costs a fraction of that. The zygote is a bash with job control on
//! (`set -m`), reading step numbers on its stdin: for each it forks a
//! subshell, which as a background job leads its own process group, so
//! timeouts and Ctrl-C reach the step and everything it started, and never
//! the zygote. The subshell takes the step's exports and the session, runs
//! the step's script under errexit and pipefail, and saves the session on
//! exit, exactly as a separate bash would (see `session`). The zygote
//! answers `pid N` when the step's shell is forked and `done STATUS` when
//! the step ends. It forks the next step's shell as soon as a step ends,
//! and that shell waits for its line: the fork (a third of a step shell's
//! cost) happens while litops records the step before, not after.
//!
//! Loading the session and saving it cost more than the fork itself, and
//! most steps change nothing, so neither happens on every step: the zygote
//! loads the session once when it starts (and is started again when a step
//! changed it), and a step's shell saves it only when the step may change
//! it (`session::step_saves`). Where a session replaces a builtin the
//! zygote's loop calls, or is not in the form this reads, the zygote holds
//! none and each step's shell loads it, as before.
//!
//! Each step writes to FIFOs of its own that litops opens read-write before
//! the step starts: it never sees end-of-file, so a leftover process cannot
//! hold the step open; output written before the step ended is in the FIFO
//! by the time `done` arrives, and is drained then.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::pipe;
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::process::{Ending, Finished, Interrupts, Watch};
use crate::event::Stream;

/// The zygote's program; `$1` is the session directory.
const ZYGOTE: &str = concat!(
    r#"set -m
__litops_dir=$1
"#,
    crate::session_functions!(),
    r#"# litops gone (parent-death signal): the step in flight goes too; nothing
# runs unsupervised or unrecorded.
# Builtins by name, `rm` from the default path: the session loaded below
# may define functions and change IFS and PATH.
__litops_stop() {
  local IFS=$' \t\n'
  if [ -n "${__litops_pid:-}" ]; then builtin kill -TERM -- "-$__litops_pid" 2>/dev/null; fi
  for __litops_job in $(builtin jobs -p); do builtin kill -TERM -- "-$__litops_job" 2>/dev/null; done
  # litops cannot remove the session's files any more (they hold bound values).
  builtin command -p rm -rf -- "$__litops_dir"
  builtin exit 143
}
trap __litops_stop TERM
trap 'builtin wait; builtin exit 0' USR1
# The session as steps left it, loaded once: every step's shell inherits it.
if [ "$2" = 1 ]; then . "$__litops_dir/state.sh" 2>/dev/null; fi
# Per step: its number, whether its shell saves the session when it exits,
# whether it loads the session itself (the zygote holds none), and whether
# it has variables to export (env.sh).
# The steps' FIFOs (litops holds them open read-write) and /dev/null,
# opened once: a step's shell takes them by `dup2`, not by path.
exec 20>"$__litops_dir/out" 21>"$__litops_dir/err" 22</dev/null
# Each step's shell is forked before its step is asked for, and waits for
# its line on the zygote's stdin: the fork happens while litops records the
# step before it, not after. At the end of input the zygote goes.
while :; do
  (
    if ! IFS=" " builtin read -r __litops_n __litops_save __litops_load __litops_env; then
      # The end of input: the zygote ends after this shell. It is told
      # only while it is this shell's parent (once litops has reaped it,
      # its pid may be another process's).
      IFS=" " builtin read -r _ _ _ __litops_parent _ < "/proc/$BASHPID/stat"
      if [ "$__litops_parent" = "$$" ]; then builtin kill -USR1 "$$"; fi
      builtin exit 0
    fi
    exec <&22 >&20 2>&21 20>&- 21>&- 22<&-
    set -- "$__litops_dir" "$__litops_n"
    if [ "$__litops_env" = 1 ]; then . "$1/env.sh"; fi
    if [ "$__litops_load" = 1 ]; then . "$1/state.sh" 2>/dev/null; fi
    __litops_q=\'\'
    # An EXIT trap costs a step's shell a handler per signal and a function
    # call at its end: set where the session is saved, or by the step's own
    # `trap … EXIT` (see `trap` above).
    if [ "$__litops_save" = 1 ]; then
      builtin printf -v __litops_q %q "$1/state.sh.new"
      builtin trap "__litops_exit \$? $__litops_q" EXIT
    fi
    __litops_script="$1/step.sh"
    set --
    set -eo pipefail
    if [ -n "${__litops_start-}${__litops_cd-}" ]; then __litops_enter; fi
    . "$__litops_script"
  ) &
  __litops_pid=$!
  builtin printf 'pid %d\n' "$__litops_pid"
  builtin wait "$__litops_pid"
  __litops_rc=$?
  # Never signal a group id that may be reused once the step is gone.
  builtin unset __litops_pid
  builtin printf 'done %d\n' "$__litops_rc"
done
"#
);

/// A running zygote.
pub struct Zygote {
    /// The session it loaded when it started, if any.
    loaded: Option<String>,
    child: Child,
    stdin: ChildStdin,
    control: Lines<BufReader<ChildStdout>>,
    dir: PathBuf,
    /// The steps' stdout and stderr FIFOs, open read-write for the whole run.
    out: pipe::Receiver,
    err: pipe::Receiver,
    out_buf: Vec<u8>,
    err_buf: Vec<u8>,
}

/// One step for the zygote. Its script is already in the session directory
/// as `step.sh` (written by `Session::write_script`).
pub struct Step<'a> {
    pub n: usize,
    pub env: &'a [(String, String)],
    /// The step's shell saves the session when it exits.
    pub save: bool,
    /// The step's shell loads the session itself (the zygote holds none).
    pub load: bool,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    /// Signals already acted on (see [`process::Watch::new`]).
    pub seen: usize,
    /// See [`process::Watch::follow`].
    pub follow: bool,
}

fn broken(what: &str) -> std::io::Error {
    std::io::Error::other(format!("the step shell ended unexpectedly ({what})"))
}

impl Zygote {
    /// Starts a zygote through `setsid` (util-linux): in a session of its
    /// own it has no controlling terminal, which bash's job control needs to
    /// give each step a process group even when litops runs in a terminal,
    /// and Ctrl-C at the terminal is litops's to forward, not the zygote's.
    ///
    /// With `load`, the zygote loads the session (`state.sh`, whose text
    /// `load` is) once, and every step's shell inherits it.
    pub fn start(
        setsid: &str,
        shell: &str,
        dir: &Path,
        load: Option<String>,
    ) -> std::io::Result<Zygote> {
        let out = fifo(&dir.join("out"))?;
        let err = fifo(&dir.join("err"))?;
        let mut command = tokio::process::Command::new(setsid);
        for name in super::session::not_inherited() {
            command.env_remove(name);
        }
        let parent = nix::unistd::getpid();
        // SAFETY: between fork and exec the closure makes only
        // async-signal-safe calls (prctl, getppid) and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                // If litops dies (even by SIGKILL), the zygote hears of it.
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                if nix::unistd::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(nix::libc::ESRCH));
                }
                Ok(())
            });
        }
        let mut child = command
            .arg(shell)
            .args(["--noprofile", "--norc", "-c", ZYGOTE, "litops-zygote"])
            .arg(dir)
            .arg(if load.is_some() { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Job control notices ("[1]+ Done") go to the zygote's stderr;
            // steps have their own.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| broken("no stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| broken("no stdout"))?;
        Ok(Zygote {
            loaded: load,
            child,
            stdin,
            control: BufReader::new(stdout).lines(),
            dir: dir.to_owned(),
            out,
            err,
            out_buf: vec![0u8; 64 * 1024],
            err_buf: vec![0u8; 64 * 1024],
        })
    }

    /// Ends the zygote: at the end of its input, the next step's shell,
    /// forked already and waiting for its line, ends and tells the zygote,
    /// which waits for it and exits (so nothing is left for the sweep of
    /// what steps left behind). A zygote that does not end soon is killed.
    pub async fn stop(self) {
        let Zygote {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        if tokio::time::timeout(Duration::from_secs(1), child.wait())
            .await
            .is_err()
        {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// The session the zygote loaded when it started.
    pub fn loaded(&self) -> Option<&str> {
        self.loaded.as_deref()
    }

    /// Whether the zygote is still there to fork steps.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub async fn run(
        &mut self,
        step: Step<'_>,
        interrupts: &Interrupts,
        mut output: impl FnMut(Stream, &[u8]),
    ) -> std::io::Result<Finished> {
        let n = step.n;
        let dir = self.dir.clone();
        let path = |name: String| dir.join(name);
        // A step's shell loads its environment before the session, whose
        // values win (see `session`). In a zygote that loaded the session
        // already, a variable the session declares keeps its value and is
        // only exported, which comes to the same.
        let declared = self
            .loaded
            .as_deref()
            .and_then(super::session::declared)
            .unwrap_or_default();
        let exports: String = step
            .env
            .iter()
            .map(|(name, value)| {
                if declared.iter().any(|(declared, _)| declared == name) {
                    format!("export {name}\n")
                } else {
                    format!("export {name}={}\n", crate::shell::quote::unquoted(value))
                }
            })
            .collect();
        // Most steps get no variables: then no file is written or read.
        if !exports.is_empty() {
            super::session::private_write(&path("env.sh".to_owned()), &exports)?;
        }
        let (out, err, control) = (&mut self.out, &mut self.err, &mut self.control);
        let started = Instant::now();
        let line = format!(
            "{n} {} {} {}\n",
            u8::from(step.save),
            u8::from(step.load),
            u8::from(!exports.is_empty())
        );
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.flush().await?;
        let group = Pid::from_raw(answer(control, "pid ").await?);
        let signal_step = |signal: Signal| {
            let _ = killpg(group, signal);
        };
        // Kept from step to step: zeroing 128 KiB per step showed in profiles.
        let (out_buf, err_buf) = (&mut self.out_buf, &mut self.err_buf);
        let mut watch =
            Watch::new(interrupts, step.seen, step.timeout, step.grace).follow(step.follow);
        let status = loop {
            tokio::select! {
                n = out.read(out_buf) => match n {
                    Ok(n) if n > 0 => {
                        output(Stream::Stdout, &out_buf[..n]);
                        if n == out_buf.len() && n < PIPE_SIZE {
                            let _ = nix::fcntl::fcntl(&*out, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as i32));
                            out_buf.resize(PIPE_SIZE, 0);
                        }
                    }
                    _ => {}
                },
                n = err.read(err_buf) => match n {
                    Ok(n) if n > 0 => output(Stream::Stderr, &err_buf[..n]),
                    _ => {}
                },
                status = answer(control, "done ") => break status?,
                    signal = watch.next() => signal_step(signal),
            }
        };
        // The step has ended: what it wrote is in the FIFOs. Take it, then
        // end whatever it left behind in its group.
        drain(out, out_buf, Stream::Stdout, &mut output);
        drain(err, err_buf, Stream::Stderr, &mut output);
        signal_step(Signal::SIGTERM);
        // bash reports a death by signal N as status 128 + N, which cannot be
        // told from `exit 130`: report the status as bash gives it.
        let ending = watch.ending.unwrap_or(Ending::Exited(status));
        Ok(Finished {
            ending,
            elapsed: started.elapsed(),
            followed: watch.followed,
            output_held_open: false,
        })
    }
}

const PIPE_SIZE: usize = 1024 * 1024;

/// A FIFO, created and opened read-write: the reader never sees end-of-file,
/// whoever else opens and closes it.
fn fifo(path: &Path) -> std::io::Result<pipe::Receiver> {
    let _ = std::fs::remove_file(path);
    nix::unistd::mkfifo(
        path,
        nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
    )
    .map_err(std::io::Error::from)?;
    pipe::OpenOptions::new()
        .read_write(true)
        .open_receiver(path)
}

/// The number in the zygote's next answer line, which must start with `word`.
async fn answer(control: &mut Lines<BufReader<ChildStdout>>, word: &str) -> std::io::Result<i32> {
    let line = control
        .next_line()
        .await?
        .ok_or_else(|| broken("no answer"))?;
    line.strip_prefix(word)
        .and_then(|rest| rest.trim().parse().ok())
        .ok_or_else(|| broken(&format!("unexpected answer {line:?}")))
}

/// Everything in the FIFO now. A read of the file itself, not tokio's
/// `try_read`: that one answers "would block" without reading while the
/// runtime has not yet seen the FIFO become readable, which is the case
/// when the step's `done` came in the same read of the control pipe as its
/// `pid` (a fast step, a busy machine), and the step's last output was lost.
fn drain(
    fifo: &pipe::Receiver,
    buf: &mut [u8],
    stream: Stream,
    output: &mut impl FnMut(Stream, &[u8]),
) {
    use std::os::fd::AsFd;
    // The FIFO is non-blocking (tokio opened it so): this ends at EAGAIN.
    while let Ok(n) = nix::unistd::read(fifo.as_fd(), buf) {
        if n == 0 {
            break;
        }
        output(stream, &buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output written just before the step's `done` is taken, even when
    /// the runtime has not polled the FIFO since it was written.
    #[test]
    fn drain_takes_what_the_runtime_has_not_seen_yet() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out");
        let got = runtime.block_on(async {
            let fifo = fifo(&path).expect("fifo");
            // Written by the step, with no await in between: the runtime
            // has not turned, and knows nothing of it.
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut w| std::io::Write::write_all(&mut w, b"last line\n"))
                .expect("write");
            let mut buf = vec![0u8; 64];
            let mut got = Vec::new();
            drain(&fifo, &mut buf, Stream::Stdout, &mut |_, data: &[u8]| {
                got.extend_from_slice(data)
            });
            got
        });
        assert_eq!(got, b"last line\n");
    }

    /// Runs `script` as one step that does not save the session; its
    /// output and how it ended.
    fn run_unsaved(script: &str) -> (Vec<u8>, Ending) {
        let _alone = super::super::tests::CHILDREN.lock();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let interrupts = Interrupts::install(&runtime).expect("signals");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("step.sh"), script).expect("script");
        runtime.block_on(async {
            let mut zygote = Zygote::start("setsid", "bash", dir.path(), None).expect("zygote");
            let mut got = Vec::new();
            let step = Step {
                n: 1,
                env: &[],
                save: false,
                load: false,
                timeout: Some(Duration::from_secs(20)),
                grace: Duration::from_secs(1),
                seen: 0,
                follow: false,
            };
            let finished = zygote
                .run(step, &interrupts, |_, data: &[u8]| {
                    got.extend_from_slice(data)
                })
                .await
                .expect("runs");
            zygote.stop().await;
            (got, finished.ending)
        })
    }

    /// Each step's shell is forked before its line comes: at the end of
    /// input, the zygote ends instead of forking more.
    #[test]
    fn the_zygote_ends_at_the_end_of_its_input() {
        let _alone = super::super::tests::CHILDREN.lock();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("dir");
        runtime.block_on(async {
            let zygote = Zygote::start("setsid", "bash", dir.path(), None).expect("zygote");
            let Zygote {
                stdin, mut child, ..
            } = zygote;
            drop(stdin);
            let ended = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            assert!(
                matches!(ended, Ok(Ok(status)) if status.success()),
                "the zygote did not exit by itself: {ended:?}"
            );
        });
    }

    /// A step that saves nothing gets no EXIT trap of litops's, but one it
    /// sets itself still runs, after the step, keeping the step's status.
    #[test]
    fn a_step_that_saves_nothing_still_runs_its_own_exit_trap() {
        let (out, ending) = run_unsaved("trap 'echo cleaned' EXIT\necho working\nexit 3\n");
        assert_eq!(String::from_utf8_lossy(&out), "working\ncleaned\n");
        assert_eq!(ending, Ending::Exited(3));
        let (out, ending) = run_unsaved("echo before\nfalse\necho never\n");
        assert_eq!(String::from_utf8_lossy(&out), "before\n");
        assert_eq!(ending, Ending::Exited(1));
    }
}
