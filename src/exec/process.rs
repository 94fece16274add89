//! One step's process: spawn, stream, time out, interrupt, clean up.
//!
//! The step's shell leads its own process group, so a signal reaches
//! everything it started. A timeout sends SIGTERM to the group, an interrupt
//! (Ctrl-C) SIGINT; either escalates to SIGKILL after a grace period. When
//! the shell exits, whatever it left behind in its group is terminated the
//! same way, so no step leaves orphans (a process that left the group with
//! `setsid` is out of reach; that is a daemon by choice).
//!
//! Interactive steps (`interactive`) share the terminal and litops's process
//! group instead, so that the terminal's job control and Ctrl-C reach them as
//! they would from a shell prompt; in an unattended run they get a
//! pseudo-terminal of their own (`pty`).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Notify;

use super::session::WRAPPER;
use crate::event::Stream;

const PIPE_SIZE: usize = 1024 * 1024;

/// How a step's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    TimedOut,
    Interrupted,
}

/// What to run.
#[derive(Debug)]
pub struct Spawn<'a> {
    pub shell: &'a str,
    pub state: &'a Path,
    pub script: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
    pub terminal: Terminal,
    /// Between SIGTERM/SIGINT and SIGKILL.
    pub grace: Duration,
    /// Signals already acted on (see [`Watch::new`]).
    pub seen: usize,
    /// Ctrl-C ends the command that never ends, not the step (see
    /// [`Watch::follow`]).
    pub follow: bool,
}

/// Where a step's standard streams go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// stdin from /dev/null, stdout and stderr through pipes to the reporters.
    Pipes,
    /// The step shares litops's terminal (an `interactive` step, run by a person).
    Inherit,
    /// A pseudo-terminal of its own (an `interactive` step in an unattended
    /// run: `kubectl exec -it` needs a TTY even with nobody typing).
    Pty,
}

/// Ctrl-C (SIGINT) and SIGTERM received by litops, counted.
///
/// SIGTERM counts as two: it asks for the run to end, not just the step.
#[derive(Debug, Clone, Default)]
pub struct Interrupts {
    count: Arc<AtomicUsize>,
    notify: Arc<Notify>,
    /// Kept for its `Drop`.
    _handlers: Arc<Handlers>,
}

/// The signal handlers that count, removed with the last `Interrupts`.
#[derive(Debug, Default)]
struct Handlers(Vec<signal_hook_registry::SigId>);

impl Drop for Handlers {
    fn drop(&mut self) {
        for id in self.0.drain(..) {
            signal_hook_registry::unregister(id);
        }
    }
}

impl Interrupts {
    /// Takes over SIGINT and SIGTERM for the life of the runtime.
    pub fn install(runtime: &tokio::runtime::Runtime) -> std::io::Result<Interrupts> {
        use tokio::signal::unix::{SignalKind, signal};
        // The count is kept by the signal handler itself, not by a task on
        // the runtime: a check runs outside the runtime and must see a
        // signal while it runs, and the run loop between steps. Registered
        // before tokio's handler, so the count is up before a waiter wakes.
        let count = Arc::new(AtomicUsize::new(0));
        let mut handlers = Vec::new();
        for (signal, add) in [
            (libc_signal(Signal::SIGINT), 1),
            (libc_signal(Signal::SIGTERM), 2),
        ] {
            let count = Arc::clone(&count);
            // SAFETY: the action only adds to an atomic integer, which is
            // async-signal-safe; it allocates nothing and takes no lock.
            let id = unsafe {
                signal_hook_registry::register(signal, move || {
                    count.fetch_add(add, Ordering::SeqCst);
                })
            }?;
            handlers.push(id);
        }
        let interrupts = Interrupts {
            count,
            notify: Arc::default(),
            _handlers: Arc::new(Handlers(handlers)),
        };
        let _guard = runtime.enter();
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        let notify = interrupts.notify.clone();
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = sigint.recv() => {}
                    Some(()) = sigterm.recv() => {}
                    else => break,
                }
                notify.notify_one();
            }
        });
        Ok(interrupts)
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// The count itself, for a check to poll while it runs.
    pub fn counter(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.count)
    }

    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
    }

    /// Resolves once the count exceeds `seen`.
    pub(super) async fn after(&self, seen: usize) {
        loop {
            let notified = self.notify.notified();
            if self.count() > seen {
                return;
            }
            notified.await;
        }
    }
}

fn libc_signal(signal: Signal) -> std::ffi::c_int {
    signal as std::ffi::c_int
}

/// When to signal a running step: its timeout (SIGTERM), Ctrl-C (SIGINT),
/// SIGKILL after the grace period, and at once on a second Ctrl-C. Shared by
/// every way of running a step.
pub struct Watch<'a> {
    interrupts: &'a Interrupts,
    seen: usize,
    deadline: Option<tokio::time::Instant>,
    grace: Duration,
    kill_at: Option<tokio::time::Instant>,
    hard_killed: bool,
    /// Why the step was signalled, if it was.
    pub ending: Option<Ending>,
    /// Forward Ctrl-C without ending the step (see [`Watch::follow`]).
    follow: bool,
    last_follow: Option<tokio::time::Instant>,
    /// Ctrl-Cs forwarded to end a followed command, the step going on.
    pub followed: usize,
}

impl<'a> Watch<'a> {
    /// `seen`: the signals the run had acted on when it decided to start
    /// the step; one that came since (while the step was being started)
    /// ends it at once.
    pub fn new(
        interrupts: &'a Interrupts,
        seen: usize,
        timeout: Option<Duration>,
        grace: Duration,
    ) -> Watch<'a> {
        Watch {
            interrupts,
            seen,
            deadline: timeout.map(|t| tokio::time::Instant::now() + t),
            grace,
            kill_at: None,
            hard_killed: false,
            ending: None,
            follow: false,
            last_follow: None,
            followed: 0,
        }
    }

    /// A person follows a command that never ends (`logs -f`) in this step:
    /// Ctrl-C goes to the step as SIGINT, which ends that command
    /// (`__litops_follow` in the step's shell), and the step goes on. A
    /// second Ctrl-C within a second ends the step as usual.
    pub fn follow(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// The next signal to send. Cancel-safe: nothing changes until a branch
    /// completes, and each branch completes once (a branch that stayed ready
    /// would starve the caller's other branches).
    pub async fn next(&mut self) -> Signal {
        tokio::select! {
            () = sleep_until(self.deadline), if self.ending.is_none() => {
                self.ending = Some(Ending::TimedOut);
                self.kill_at = Some(tokio::time::Instant::now() + self.grace);
                Signal::SIGTERM
            }
            () = self.interrupts.after(self.seen), if self.ending.is_none() => {
                let now = tokio::time::Instant::now();
                let again = self
                    .last_follow
                    .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1));
                if self.follow && !again {
                    self.seen += 1;
                    self.followed += 1;
                    self.last_follow = Some(now);
                    return Signal::SIGINT;
                }
                self.ending = Some(Ending::Interrupted);
                self.kill_at = Some(tokio::time::Instant::now() + self.grace);
                Signal::SIGINT
            }
            () = self.interrupts.after(self.seen + 1),
                if self.ending == Some(Ending::Interrupted) && !self.hard_killed => {
                self.hard_killed = true;
                Signal::SIGKILL
            }
            () = sleep_until(self.kill_at) => {
                self.kill_at = None;
                Signal::SIGKILL
            }
        }
    }
}

/// How a step's process went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub ending: Ending,
    pub elapsed: Duration,
    /// Ctrl-Cs that ended a followed command, the step going on.
    pub followed: usize,
    /// A process outside the step's group kept its output open after it
    /// ended (a daemon that did not close stdout); litops stopped reading.
    pub output_held_open: bool,
}

/// The shell's arguments: the wrapper, the state file and the step's script.
pub fn shell_args<'a>(spawn: &Spawn<'a>) -> [&'a std::ffi::OsStr; 6] {
    [
        "--noprofile".as_ref(),
        "--norc".as_ref(),
        "-c".as_ref(),
        WRAPPER.as_ref(),
        "litops-step".as_ref(),
        spawn.state.as_os_str(),
    ]
}

/// Runs a step and streams its output to `output`.
pub async fn run(
    spawn: Spawn<'_>,
    interrupts: &Interrupts,
    mut output: impl FnMut(Stream, &[u8]),
) -> std::io::Result<Finished> {
    if spawn.terminal == Terminal::Pty {
        return super::pty::run(spawn, interrupts, output).await;
    }
    let interactive = spawn.terminal == Terminal::Inherit;
    let mut command = tokio::process::Command::new(spawn.shell);
    for name in super::session::not_inherited() {
        command.env_remove(name);
    }
    command
        .args(shell_args(&spawn))
        .arg(spawn.script)
        .envs(spawn.env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true);
    if interactive {
        command
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
    } else {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
    }
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id().map(|id| Pid::from_raw(id as i32));
    // An interactive step shares our group: signal the shell alone.
    let signal_step = |signal: Signal| {
        if let Some(pid) = pid {
            let _ = if interactive {
                nix::sys::signal::kill(pid, signal)
            } else {
                killpg(pid, signal)
            };
        }
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut out_buf = vec![0u8; 64 * 1024];
    let mut err_buf = vec![0u8; 64 * 1024];
    let mut watch =
        Watch::new(interrupts, spawn.seen, spawn.timeout, spawn.grace).follow(spawn.follow);
    let mut held_open = false;
    let status = loop {
        tokio::select! {
            n = read_some(&mut stdout, &mut out_buf) => match n {
                Some(n) if n > 0 => {
                    output(Stream::Stdout, &out_buf[..n]);
                    if n == out_buf.len() && n < PIPE_SIZE {
                        widen(&stdout, &mut out_buf);
                    }
                }
                _ => stdout = None,
            },
            n = read_some(&mut stderr, &mut err_buf) => match n {
                Some(n) if n > 0 => output(Stream::Stderr, &err_buf[..n]),
                _ => stderr = None,
            },
            status = child.wait() => break status?,
            signal = watch.next() => signal_step(signal),
        }
    };
    // The shell is gone; end whatever it left in its group, then collect the
    // rest of the output (a leftover process may hold the pipes open).
    if !interactive {
        signal_step(Signal::SIGTERM);
        let mut drain_until = tokio::time::Instant::now() + spawn.grace;
        let mut killed = false;
        while stdout.is_some() || stderr.is_some() {
            tokio::select! {
                n = read_some(&mut stdout, &mut out_buf) => match n {
                    Some(n) if n > 0 => output(Stream::Stdout, &out_buf[..n]),
                    _ => stdout = None,
                },
                n = read_some(&mut stderr, &mut err_buf) => match n {
                    Some(n) if n > 0 => output(Stream::Stderr, &err_buf[..n]),
                    _ => stderr = None,
                },
                () = tokio::time::sleep_until(drain_until) => {
                    if killed {
                        // Still open after SIGKILL to the group: a process
                        // that left the group (setsid) holds the pipe. Leave it.
                        held_open = true;
                        break;
                    }
                    signal_step(Signal::SIGKILL);
                    killed = true;
                    drain_until = tokio::time::Instant::now() + Duration::from_millis(200);
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let ending = watch.ending.unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(signal)) => Ending::Signaled(signal),
            (None, None) => Ending::Exited(-1),
        }
    });
    Ok(Finished {
        ending,
        elapsed,
        followed: watch.followed,
        output_held_open: held_open,
    })
}

/// A step that fills the pipe is chatty: a bigger pipe and buffer mean fewer
/// wake-ups per byte (best effort: the kernel may cap the pipe size).
fn widen(pipe: &Option<tokio::process::ChildStdout>, buf: &mut Vec<u8>) {
    if let Some(pipe) = pipe {
        let _ = nix::fcntl::fcntl(pipe, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as i32));
    }
    buf.resize(PIPE_SIZE, 0);
}

async fn read_some<R: AsyncRead + Unpin>(reader: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    match reader {
        Some(r) => r.read(buf).await.ok(),
        None => std::future::pending().await,
    }
}

pub(super) async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
