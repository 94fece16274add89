//! Processes a step started that left its process group.
//!
//! Each step runs in a process group that litops ends when the step ends;
//! a process that starts a session of its own (`setsid`, a double-forking
//! daemon) is out of that group's reach. litops makes itself their
//! subreaper (Linux `PR_SET_CHILD_SUBREAPER`): when the step that started
//! them is gone they become litops's children instead of init's, and the
//! run ends them when it ends, so nothing a runbook started outlives it
//! unsupervised. (A process that another service adopts, such as a unit
//! `systemd-run` starts or a container `docker run -d` starts, is not a
//! descendant and is not touched.)

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Makes litops the subreaper of what its steps leave behind.
pub fn adopt() {
    if let Err(err) = nix::sys::prctl::set_child_subreaper(true) {
        tracing::debug!(%err, "no subreaper: processes that leave their group outlive the run");
    }
}

/// litops's children right now that a step left: each step (and the step
/// shell) runs in a process group of its own, so a child in litops's own
/// group was started by litops's host (a hook, or a program that calls
/// [`crate::exec::run`] as a library) and is none of the run's business.
fn children() -> Vec<Pid> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    let own_group = nix::unistd::getpgrp();
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                    .map(Pid::from_raw)
                    .filter(|&pid| process_group(pid) != Some(own_group)),
            );
        }
    }
    out
}

/// A process's group, from `/proc/PID/stat` (after the command name, which
/// may hold spaces and parentheses: state, parent, group).
fn process_group(pid: Pid) -> Option<Pid> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let group = after_name.split_whitespace().nth(2)?.parse().ok()?;
    Some(Pid::from_raw(group))
}

/// Ends every child litops still has (called when no step runs and the
/// step shell is gone, so each one is a leftover): SIGTERM, then SIGKILL
/// after `grace`; their own children, adopted in turn, go the same way.
/// Returns how many were ended.
pub fn end_all(grace: Duration) -> usize {
    let mut ended = 0;
    for _round in 0..8 {
        let left = children();
        if left.is_empty() {
            break;
        }
        for &pid in &left {
            let _ = kill(pid, Signal::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        let mut alive = left.clone();
        while !alive.is_empty() && Instant::now() < deadline {
            alive.retain(|&pid| !reaped(pid));
            if !alive.is_empty() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        for &pid in &alive {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
        ended += left.len();
    }
    ended
}

fn reaped(pid: Pid) -> bool {
    !matches!(
        waitpid(pid, Some(WaitPidFlag::WNOHANG)),
        Ok(nix::sys::wait::WaitStatus::StillAlive)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_in_litops_own_group_are_not_the_runs_leftovers() {
        use std::os::unix::process::CommandExt;
        let _alone = crate::exec::tests::CHILDREN.lock();
        let mut ours = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep starts");
        let mut left = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep starts");
        assert_eq!(end_all(Duration::from_secs(1)), 1);
        // Ended and reaped by `end_all`: nothing left to wait for.
        assert!(left.try_wait().is_err());
        assert_eq!(
            ours.try_wait().ok().flatten(),
            None,
            "the host's child runs on"
        );
        let _ = ours.kill();
        let _ = ours.wait();
    }
}
