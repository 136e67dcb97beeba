//! Files only the user may read: opened without following a link or
//! waiting on a FIFO, and judged by owner and mode before they are trusted.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Opens `path` for reading: never through a symbolic link, and never
/// waiting on a FIFO or a device someone put there.
pub fn open_unfollowed(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
}

/// Opens `path` for reading, following links (the AWS files are often
/// links to dotfiles), but never waiting on a FIFO someone put there.
pub fn open_without_waiting(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
}

/// Opens (creating it, mode 0600) a file to lock, as `open_unfollowed` opens.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
}

/// Creates a new file only the user may read (0600 from the start).
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Puts `from` in the place of `to` in one step (`rename(2)`): a reader
/// sees the old file or the new one, never a part.
pub fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Whether `path` still names the open `file` (it was not removed, or
/// replaced by another file, since it was opened).
pub fn is_same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Whether this user owns what `meta` describes.
pub fn is_ours(meta: &Metadata) -> bool {
    meta.uid() == nix::unistd::geteuid().as_raw()
}

/// Why a file of ours is not private (group or others may use it), if it is not.
pub fn not_private(meta: &Metadata) -> Option<String> {
    shared(meta).then(|| {
        format!(
            "group or others may access it (mode {:o})",
            meta.mode() & 0o777
        )
    })
}

/// The permission bits, for messages (`700`).
pub fn mode_of(meta: &Metadata) -> u32 {
    meta.mode() & 0o777
}

/// Whether group or others may use what `meta` describes.
pub fn shared(meta: &Metadata) -> bool {
    meta.mode() & 0o077 != 0
}

/// Takes group's and others' access away from an open file (it is to hold
/// a secret key), keeping the owner's: the mode it had, when they had any.
pub fn make_file_private(file: &File) -> io::Result<Option<u32>> {
    let meta = file.metadata()?;
    if !shared(&meta) {
        return Ok(None);
    }
    file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o700))?;
    Ok(Some(meta.mode() & 0o777))
}

/// Creates a folder only the user may enter (0700 from the start).
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().mode(0o700).create(path)
}

/// A new folder named `prefix…` in `parent` that only the user may enter
/// (0700 from the start: tempfile alone would leave it to the umask),
/// removed when dropped.
pub fn private_temp_dir(parent: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(parent)
}

/// Makes a folder of ours private again (0700).
pub fn make_private(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

/// The soft limit on open files before `raise_open_files_limit`, for the
/// command to get back (0: not raised).
static SOFT_OPEN_FILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Raises the soft limit on open files to the hard one (`ulimit -Sn`), so
/// a flood of connections to the endpoint cannot use up what is left. The
/// command started afterwards gets the limit it would have had.
pub fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
        && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok()
    {
        SOFT_OPEN_FILES.store(soft, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Puts back the soft limit `raise_open_files_limit` raised, if it did:
/// for a child between fork and exec (only an atomic load and setrlimit(2)).
pub(super) fn restore_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let soft = SOFT_OPEN_FILES.load(std::sync::atomic::Ordering::SeqCst);
    if soft > 0
        && let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, soft, hard);
    }
}

/// Whether the process `pid`, which left files behind, no longer exists.
pub fn process_is_gone(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return true;
    };
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) == Err(nix::errno::Errno::ESRCH)
}
