//! One run per runbook and target at a time: an OS file lock (`flock`),
//! held for the life of the run and released by the kernel however the
//! process ends. The file names its holder, so a second run can say who;
//! a file left by a dead process is simply locked again (and said so).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

/// Who holds a lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub user: String,
    pub started_at: String,
    pub runbook: String,
    /// The variables of `litops.lock_key` and their values.
    pub key: String,
}

/// A held lock; dropping it releases it.
pub struct Lock {
    file: Flock<std::fs::File>,
    pub path: PathBuf,
    /// The holder before us, if it died without releasing (informational:
    /// the kernel had already released its lock).
    pub taken_over: Option<Holder>,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another run holds {}: pid {} on {} ({}), started {}{}", .path.display(), .holder.pid, .holder.host, .holder.user, .holder.started_at, if .holder.key.is_empty() { String::new() } else { format!(", for {}", .holder.key) })]
    Held { path: PathBuf, holder: Box<Holder> },
    #[error("another run holds {} (its holder is not recorded)", .0.display())]
    HeldUnknown(PathBuf),
    #[error("cannot lock {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
}

/// Where locks live: `$LITOPS_LOCK_DIR`, else `/tmp/litops-<uid>/locks`:
/// the same for a user's runs from a shell, cron or a systemd service
/// (nothing that differs between them, like `XDG_RUNTIME_DIR`, is used).
/// Runs by different users against one target need a shared
/// `LITOPS_LOCK_DIR` (a directory all of them can write, e.g. mode 1777).
pub fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LITOPS_LOCK_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    PathBuf::from(format!("/tmp/litops-{}/locks", nix::unistd::getuid()))
}

/// The lock file of a runbook and key: `<stem>-<hash>.lock`.
pub fn lock_path(dir: &Path, runbook: &Path, key: &str) -> PathBuf {
    let canonical = runbook
        .canonicalize()
        .unwrap_or_else(|_| runbook.to_owned());
    let stem = runbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "runbook".to_owned());
    let hash = crate::transcript::sha256_hex(format!("{}\n{key}", canonical.display()).as_bytes());
    dir.join(format!("{stem}-{}.lock", &hash[..16]))
}

/// Takes the lock without waiting.
pub fn acquire(path: &Path, me: &Holder) -> Result<Lock, LockError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let io = |e: std::io::Error| LockError::Io(path.to_owned(), e);
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    // Readable by all (it names a holder, nothing secret), so that users
    // sharing a lock directory can lock a file another user created: flock
    // needs only an open file, and the holder is recorded when writable.
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            std::fs::File::open(path).map_err(io)?
        }
        Err(e) => return Err(io(e)),
    };
    let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(locked) => locked,
        Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
            return Err(match read_holder(&mut file) {
                Some(holder) => LockError::Held {
                    path: path.to_owned(),
                    holder: Box::new(holder),
                },
                None => LockError::HeldUnknown(path.to_owned()),
            });
        }
        Err((_, errno)) => return Err(io(std::io::Error::from(errno))),
    };
    // Whoever wrote the file before us is gone (the kernel released the lock).
    let taken_over = read_holder(&mut file).filter(|h| h.pid != me.pid);
    let text = serde_json::to_string(me).map_err(|e| io(std::io::Error::other(e)))?;
    // Another user's file: locked, but its holder record stays as it is.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_data());
    Ok(Lock {
        file,
        path: path.to_owned(),
        taken_over,
    })
}

impl Drop for Lock {
    /// A run that ends normally leaves an empty file: a holder named in the
    /// file without a lock on it is one that died.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

fn read_holder(file: &mut std::fs::File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32) -> Holder {
        Holder {
            pid,
            host: "h".into(),
            user: "u".into(),
            started_at: "t".into(),
            runbook: "rb.md".into(),
            key: "CLUSTER=prod".into(),
        }
    }

    #[test]
    fn a_second_lock_names_the_holder_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = lock_path(dir.path(), Path::new("rb.md"), "CLUSTER=prod");
        assert_ne!(
            path,
            lock_path(dir.path(), Path::new("rb.md"), "CLUSTER=staging")
        );
        let first = acquire(&path, &holder(1)).expect("first");
        assert!(first.taken_over.is_none());
        // flock locks belong to open file descriptions: a second open conflicts.
        match acquire(&path, &holder(2)) {
            Err(LockError::Held { holder: h, .. }) => assert_eq!(h.pid, 1),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("locked twice"),
        }
        drop(first);
        let again = acquire(&path, &holder(3)).expect("released");
        assert!(
            again.taken_over.is_none(),
            "a clean release leaves no holder"
        );
        drop(again);
        // A holder that died: its record is there, its lock is not.
        let text = serde_json::to_string(&holder(4)).expect("json");
        std::fs::write(&path, text).expect("write");
        let taken = acquire(&path, &holder(5)).expect("stale lock taken over");
        assert_eq!(taken.taken_over.as_ref().map(|h| h.pid), Some(4));
    }
}
