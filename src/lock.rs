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
    /// This user's file (only then is the holder written and cleared).
    own: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another run holds {}: pid {} on {} ({}), started {}{}", .path.display(), .holder.pid, .holder.host, .holder.user, .holder.started_at, if .holder.key.is_empty() { String::new() } else { format!(", for {}", .holder.key) })]
    Held { path: PathBuf, holder: Box<Holder> },
    #[error("another run holds {} (its holder is not recorded)", .0.display())]
    HeldUnknown(PathBuf),
    #[error("cannot lock {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    #[error("refusing the lock directory {}: {}", .0.display(), .1)]
    Unsafe(PathBuf, String),
    #[error("refusing the lock file {}: {}", .0.display(), .1)]
    UnsafeFile(PathBuf, String),
}

/// Where locks live: `$LITOPS_LOCK_DIR`, else `/tmp/litops-<uid>/locks`:
/// the same for a user's runs from a shell, cron or a systemd service
/// (nothing that differs between them, like `XDG_RUNTIME_DIR`, is used).
/// Runs by different users against one target need a shared
/// `LITOPS_LOCK_DIR`, a directory an administrator created (see
/// [`verify_dir`]).
pub fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LITOPS_LOCK_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    default_dir()
}

fn default_dir() -> PathBuf {
    PathBuf::from(format!("/tmp/litops-{}/locks", nix::unistd::getuid()))
}

/// The lock file of a runbook and key: `<stem>-<hash>.lock`, named after
/// the runbook's real path, so that a symbolic link to it (of any name)
/// takes the same lock.
pub fn lock_path(dir: &Path, runbook: &Path, key: &str) -> PathBuf {
    let canonical = runbook
        .canonicalize()
        .unwrap_or_else(|_| runbook.to_owned());
    let stem = canonical
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "runbook".to_owned());
    let hash = crate::transcript::sha256_hex(format!("{}\n{key}", canonical.display()).as_bytes());
    dir.join(format!("{stem}-{}.lock", &hash[..16]))
}

/// Makes sure a lock directory is safe before a lock file is opened in it.
///
/// The default, per-user directory (`/tmp/litops-<uid>/locks`) is created
/// when missing, and must be this user's own, mode 0700, no symbolic link:
/// in `/tmp` anyone could have made it first. A shared `LITOPS_LOCK_DIR`
/// must already exist (an administrator made it): every directory on its
/// path is a real directory (no symbolic link), owned by root or this user,
/// and not writable by others unless sticky.
pub fn verify_dir(dir: &Path) -> Result<(), LockError> {
    verify(dir, dir == default_dir())
}

/// `private`: the per-user directory and its parent, made here if missing.
fn verify(dir: &Path, private: bool) -> Result<(), LockError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let me = nix::unistd::getuid().as_raw();
    let refuse = |path: &Path, why: String| LockError::Unsafe(path.to_owned(), why);
    if private {
        for d in [dir.parent().unwrap_or(dir), dir] {
            match std::fs::DirBuilder::new().mode(0o700).create(d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(LockError::Io(d.to_owned(), e)),
            }
            let meta = std::fs::symlink_metadata(d).map_err(|e| LockError::Io(d.to_owned(), e))?;
            if !meta.file_type().is_dir() {
                return Err(refuse(d, "it is not a directory (a symbolic link?)".into()));
            }
            if meta.uid() != me {
                return Err(refuse(
                    d,
                    format!("it belongs to uid {}, not to you", meta.uid()),
                ));
            }
            if meta.mode() & 0o077 != 0 {
                return Err(refuse(
                    d,
                    format!("its mode is {:o}, not 700", meta.mode() & 0o7777),
                ));
            }
        }
        return Ok(());
    }
    if !dir.is_absolute() {
        return Err(refuse(
            dir,
            "LITOPS_LOCK_DIR must be an absolute path".into(),
        ));
    }
    let mut path = PathBuf::new();
    for part in dir.components() {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                refuse(
                    dir,
                    "it does not exist; a shared lock directory is created by an administrator (docs/scheduling.md)".into(),
                )
            } else {
                LockError::Io(path.clone(), e)
            }
        })?;
        if !meta.file_type().is_dir() {
            return Err(refuse(
                &path,
                "it is not a directory (a symbolic link?)".into(),
            ));
        }
        if meta.uid() != me && meta.uid() != 0 {
            return Err(refuse(
                &path,
                format!("it belongs to uid {}, neither you nor root", meta.uid()),
            ));
        }
        if meta.mode() & 0o002 != 0 && meta.mode() & 0o1000 == 0 {
            return Err(refuse(
                &path,
                "anyone can write it and it is not sticky".into(),
            ));
        }
    }
    Ok(())
}

/// Takes the lock without waiting.
pub fn acquire(path: &Path, me: &Holder) -> Result<Lock, LockError> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let io = |e: std::io::Error| LockError::Io(path.to_owned(), e);
    if let Some(dir) = path.parent() {
        verify_dir(dir)?;
    }
    // Never through a symbolic link, never blocked by a FIFO put in its
    // place, never truncated on open. Readable by all (it names a holder,
    // nothing secret), so that users sharing a lock directory can lock a
    // file another user created: flock needs only an open file.
    let flags = nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(flags)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)
            .map_err(io)?,
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(LockError::UnsafeFile(
            path.to_owned(),
            "it is not a regular file".into(),
        ));
    }
    // Only a file of this user's is ever written: the holder record of
    // another user's file stays as it is.
    let own = meta.uid() == nix::unistd::getuid().as_raw();
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
    if own {
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_data());
    }
    Ok(Lock {
        file,
        path: path.to_owned(),
        taken_over,
        own,
    })
}

impl Drop for Lock {
    /// A run that ends normally leaves an empty file: a holder named in the
    /// file without a lock on it is one that died.
    fn drop(&mut self) {
        if self.own {
            let _ = self.file.set_len(0);
        }
    }
}

fn read_holder(file: &mut std::fs::File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(64 * 1024).read_to_string(&mut text).ok()?;
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

    /// H2: in `/tmp` anyone can make the per-user directory first.
    #[test]
    fn h2_a_private_lock_directory_that_is_not_private_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let parent = tmp.path().join("litops-uid");
        let dir = parent.join("locks");
        // Made here when missing, private.
        verify(&dir, true).expect("created");
        let mode = std::fs::metadata(&parent)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // Opened up by someone: refused.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(matches!(verify(&dir, true), Err(LockError::Unsafe(..))));
        // A symbolic link in its place: refused.
        std::fs::remove_dir(&dir).expect("rmdir");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, &dir).expect("symlink");
        assert!(matches!(verify(&dir, true), Err(LockError::Unsafe(..))));
        // Another user's (root can make one to try): refused.
        if nix::unistd::getuid().is_root() {
            std::fs::remove_file(&dir).expect("rm");
            std::fs::create_dir(&dir).expect("mkdir");
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
            nix::unistd::chown(&dir, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
            assert!(matches!(verify(&dir, true), Err(LockError::Unsafe(..))));
        }
    }
}
