//! Files litops writes where someone else may have been first: the new
//! content goes into a temporary file beside the target (created
//! exclusively, private) and is renamed over it. A symbolic link at the
//! target is replaced, never written through, and a reader sees the old
//! file or the new one, never half of one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Replaces `path` with `text`, mode `mode`, synced to disk.
pub fn replace(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    write_beside(path, text, mode, true)
}

/// [`replace`] without waiting for the disk: for files made again from
/// their sources at will (a rendered site's thousand pages).
pub fn replace_unsynced(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    write_beside(path, text, mode, false)
}

fn write_beside(path: &Path, text: &str, mode: u32, sync: bool) -> std::io::Result<()> {
    if is_stream(path) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .write_all(text.as_bytes());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(std::io::Error::other("a directory is in the way"));
    }
    // tempfile creates with O_EXCL and mode 0600 under a random name.
    let mut temp = tempfile::Builder::new()
        .prefix(".litops-")
        .tempfile_in(dir)?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    temp.write_all(text.as_bytes())?;
    if sync {
        temp.as_file().sync_all()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A device or stream named as such (`/dev/null`, `/dev/stdout`,
/// `/proc/self/fd/3`), which the user means to write to: renaming a file
/// over it would replace the device (for root, `/dev/null` itself). Only
/// paths written under `/dev/` or `/proc/self/fd/`, and never a block
/// device or a regular file: a link planted elsewhere is still replaced,
/// never written through.
fn is_stream(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let named = path.starts_with("/dev") || path.starts_with("/proc/self/fd");
    named
        && std::fs::metadata(path).is_ok_and(|m| {
            let kind = m.file_type();
            kind.is_char_device() || kind.is_fifo() || kind.is_socket()
        })
}
