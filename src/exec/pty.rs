//! Running an `interactive` step in a pseudo-terminal of its own, for runs
//! where litops has no terminal to lend (unattended). The step's shell leads
//! a new session with the PTY as its controlling terminal, so `kubectl exec
//! -it` and friends find a TTY; everything it writes comes back as stdout.
//! Timeouts and interrupts signal the session's process group, as for piped
//! steps.

use std::io::Read;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::process::{Ending, Finished, Interrupts, Spawn, Watch, shell_args};
use crate::event::Stream;

fn io_error(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

pub async fn run(
    spawn: Spawn<'_>,
    interrupts: &Interrupts,
    mut output: impl FnMut(Stream, &[u8]),
) -> std::io::Result<Finished> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(io_error)?;
    let mut command = CommandBuilder::new(spawn.shell);
    for name in super::session::not_inherited() {
        command.env_remove(name);
    }
    command.args(shell_args(&spawn));
    command.arg(spawn.script);
    command.cwd(std::env::current_dir()?);
    for (name, value) in spawn.env {
        command.env(name, value);
    }
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(command).map_err(io_error)?;
    // Only the child holds the terminal's slave side: reading the master then
    // ends when every process of the step has let go of it.
    drop(pair.slave);
    let group = child.process_id().map(|id| Pid::from_raw(id as i32));
    let signal_step = |signal: Signal| {
        if let Some(group) = group {
            let _ = killpg(group, signal);
        }
    };
    let mut reader = pair.master.try_clone_reader().map_err(io_error)?;
    let (chunks, mut received) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || chunks.blocking_send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut watch = Watch::new(interrupts, spawn.seen, spawn.timeout, spawn.grace);
    let mut poll = tokio::time::interval(Duration::from_millis(20));
    let status = loop {
        tokio::select! {
            Some(chunk) = received.recv() => output(Stream::Stdout, &chunk),
            _ = poll.tick() => {
                if let Some(status) = child.try_wait()? {
                    break status;
                }
            }
            signal = watch.next() => signal_step(signal),
        }
    };
    // End what the step left in its session, then take the rest of the output.
    signal_step(Signal::SIGTERM);
    let mut held_open = false;
    let until = tokio::time::Instant::now() + spawn.grace;
    loop {
        tokio::select! {
            chunk = received.recv() => match chunk {
                Some(chunk) => output(Stream::Stdout, &chunk),
                None => break,
            },
            () = tokio::time::sleep_until(until) => {
                signal_step(Signal::SIGKILL);
                held_open = true;
                break;
            }
        }
    }
    drop(pair.master);
    let ending = watch.ending.unwrap_or(if status.signal().is_some() {
        Ending::Signaled(0)
    } else {
        Ending::Exited(i32::try_from(status.exit_code()).unwrap_or(i32::MAX))
    });
    Ok(Finished {
        ending,
        elapsed: started.elapsed(),
        followed: watch.followed,
        output_held_open: held_open,
    })
}
