//! Background helpers: a step marked `background` (Runme's key) starts a
//! process the next steps of its section use, a `kubectl port-forward`
//! most often, and the run goes on without waiting for it. The helper
//! lives until its section ends (the first step outside it) or the run
//! does; then it is stopped: SIGTERM to its shell, then to its whole
//! process group, SIGKILL to what is left once the shell has ended (after
//! the grace period at the latest). What it prints is recorded, redacted,
//! as its step's output, at each step boundary.

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::session::{self, Session};
use crate::event::{Event, Reporter, Stream};
use crate::secret::{Redactor, StreamRedactor};

/// What a helper may print between two step boundaries before the rest is
/// dropped (and the drop said).
const HELD: usize = 1024 * 1024;

#[derive(Default)]
struct Held {
    chunks: Vec<(Stream, Vec<u8>)>,
    bytes: usize,
    dropped: bool,
}

struct Helper {
    id: String,
    section: Vec<String>,
    child: Child,
    held: Arc<Mutex<Held>>,
    masks: [StreamRedactor; 2],
}

/// The helpers running, in the order they started.
#[derive(Default)]
pub struct Helpers(Vec<Helper>);

impl Helpers {
    /// Starts a helper: the step's shell with the session as it is, in a
    /// process group of its own, reading nothing.
    #[expect(
        clippy::too_many_arguments,
        reason = "one step's spawn, each used once"
    )]
    pub fn start(
        &mut self,
        shell: &str,
        session: &Session,
        id: &str,
        section: &[String],
        n: usize,
        script: &str,
        env: &[(String, String)],
    ) -> std::io::Result<u32> {
        use std::os::unix::process::CommandExt;
        // Files of its own: the next step writes `step.sh` again, and the
        // helper's shell saves nothing into the run's session.
        let script_path = session.write_file(&format!("helper-{n}.sh"), script)?;
        let state = session.write_file(
            &format!("helper-{n}-state.sh"),
            session.state().as_deref().unwrap_or_default(),
        )?;
        let mut command = std::process::Command::new(shell);
        for name in session::not_inherited() {
            command.env_remove(name);
        }
        command
            .args([
                "--noprofile",
                "--norc",
                "-c",
                session::WRAPPER,
                "litops-step",
            ])
            .arg(&state)
            .arg(&script_path)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn()?;
        let held = Arc::new(Mutex::new(Held::default()));
        for (stream, pipe) in [
            (
                Stream::Stdout,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
            (
                Stream::Stderr,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
        ] {
            let (Some(mut pipe), held) = (pipe, Arc::clone(&held)) else {
                continue;
            };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let Ok(mut held) = held.lock() else { break };
                    if held.bytes + n > HELD {
                        held.dropped = true;
                        continue;
                    }
                    held.bytes += n;
                    held.chunks.push((stream, buf[..n].to_vec()));
                }
            });
        }
        let pid = child.id();
        self.0.push(Helper {
            id: id.to_owned(),
            section: section.to_vec(),
            child,
            held,
            masks: [StreamRedactor::default(), StreamRedactor::default()],
        });
        Ok(pid)
    }

    /// Records what the helpers printed since the last boundary.
    pub fn drain(&mut self, reporter: &mut dyn Reporter, redactor: &Redactor) {
        for helper in &mut self.0 {
            drain(helper, reporter, redactor);
        }
    }

    /// Stops the helpers whose section does not hold `section` (the next
    /// step's); `None`: the run ends, all of them.
    pub fn stop_outside(
        &mut self,
        section: Option<&[String]>,
        grace: Duration,
        reporter: &mut dyn Reporter,
        redactor: &Redactor,
    ) {
        let (ending, going_on): (Vec<Helper>, Vec<Helper>) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|h| section.is_none_or(|s| !s.starts_with(&h.section)));
        self.0 = going_on;
        for mut helper in ending {
            let why = if section.is_some() {
                "its section ended"
            } else {
                "the run ended"
            };
            let message = match stop(&mut helper.child, grace) {
                Stopped::Exited(code) => {
                    format!("the background helper had exited ({code}) before {why}")
                }
                Stopped::Stopped => format!("the background helper was stopped: {why}"),
            };
            drain(&mut helper, reporter, redactor);
            reporter.event(&Event::StepNotice {
                id: helper.id.clone(),
                message,
            });
        }
    }
}

fn drain(helper: &mut Helper, reporter: &mut dyn Reporter, redactor: &Redactor) {
    let (chunks, dropped) = match helper.held.lock() {
        Ok(mut held) => {
            held.bytes = 0;
            (
                std::mem::take(&mut held.chunks),
                std::mem::take(&mut held.dropped),
            )
        }
        Err(_) => return,
    };
    for (stream, data) in chunks {
        let mask = match stream {
            Stream::Stdout => &mut helper.masks[0],
            Stream::Stderr => &mut helper.masks[1],
        };
        let shown = mask.feed(redactor, &data);
        if !shown.is_empty() {
            reporter.event(&Event::Output {
                id: helper.id.clone(),
                stream,
                data: shown.into_owned(),
            });
        }
    }
    if dropped {
        reporter.event(&Event::StepNotice {
            id: helper.id.clone(),
            message: format!("the background helper printed more than {HELD} bytes between two steps; the rest was not kept"),
        });
    }
}

enum Stopped {
    /// It had ended by itself, with this status.
    Exited(String),
    Stopped,
}

/// SIGTERM to the helper's shell, then to its process group; SIGKILL to
/// the group once the shell has ended, or after `grace`.
fn stop(child: &mut Child, grace: Duration) -> Stopped {
    if let Ok(Some(status)) = child.try_wait() {
        return Stopped::Exited(status.to_string());
    }
    let group = Pid::from_raw(child.id() as i32);
    // The shell first, alone: signalled with its command, it may see the
    // command die first and print bash's `Terminated`, a report of
    // litops's own stop, as if the helper had said it.
    // The grace period counts from here, for the shell and its group both.
    let until = Instant::now() + grace;
    let _ = nix::sys::signal::kill(group, Signal::SIGTERM);
    let shell_until = Instant::now() + grace.min(Duration::from_millis(500));
    while Instant::now() < shell_until && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = killpg(group, Signal::SIGTERM);
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            let _ = killpg(group, Signal::SIGKILL);
            return Stopped::Stopped;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
    Stopped::Stopped
}
