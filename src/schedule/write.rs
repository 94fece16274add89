//! Writing the scheduler's files without harm to what is already there:
//! never over an existing file unless asked, never through a symlink.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Mode of every file `schedule` writes: they name paths and arguments of
/// runs that go as root, which is nobody else's business. systemd, cron,
/// docker and kubectl read them as their owner or as root.
pub const MODE: u32 = 0o600;

/// What is in the way of writing `path` without `--force`, if anything.
pub fn existing(path: &Path) -> Option<String> {
    // symlink_metadata: a dangling symlink is in the way too.
    let meta = std::fs::symlink_metadata(path).ok()?;
    let kind = if meta.file_type().is_symlink() {
        "a symlink"
    } else if meta.is_dir() {
        "a directory"
    } else {
        "a file"
    };
    Some(format!(
        "{} exists ({kind}); nothing was written (--force replaces it)",
        path.display()
    ))
}

/// Writes a new file: `O_EXCL` and `O_NOFOLLOW`, so an existing file or a
/// symlink planted where it goes is an error, not a target.
pub fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(MODE)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// `--force`: a new file beside `path`, renamed over it (see
/// [`crate::files::replace`]).
pub fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    crate::files::replace(path, text, MODE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn create_new_refuses_files_and_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("victim");
        std::fs::write(&target, "keep").expect("write");
        let link = dir.path().join("unit");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(existing(&link).is_some_and(|e| e.contains("a symlink")));
        assert!(create_new(&link, "new").is_err());
        assert!(create_new(&target, "new").is_err());
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        let fresh = dir.path().join("fresh");
        assert!(existing(&fresh).is_none());
        create_new(&fresh, "new").expect("create");
        let meta = std::fs::metadata(&fresh).expect("meta");
        assert_eq!(meta.mode() & 0o777, MODE);
    }

    #[test]
    fn replace_swaps_a_symlink_without_writing_through_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("victim");
        std::fs::write(&target, "keep").expect("write");
        let link = dir.path().join("unit");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        replace(&link, "new").expect("replace");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        let meta = std::fs::symlink_metadata(&link).expect("meta");
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o777, MODE);
        assert_eq!(std::fs::read_to_string(&link).expect("read"), "new");
        // Nothing left behind but the two files.
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2);
    }
}
