//! Files only the user may read. On Windows a user profile's folders
//! (`%USERPROFILE%`, `%LOCALAPPDATA%`) are private to the user by their
//! inherited ACLs, so there are no modes to set or check; links are still
//! never followed.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;
use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
use windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT;
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// Opens `path` for reading without following a link: a link opens as
/// itself, which is not a regular file, and is refused as such.
pub fn open_unfollowed(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Opens `path` for reading, following links.
pub fn open_without_waiting(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Opens (creating it) a file to lock, as `open_unfollowed` opens.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Creates a new file (private by the folder's ACL).
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Puts `from` in the place of `to` in one step. std renames with POSIX
/// semantics where Windows has them (10 and later), so a reader holding
/// `to` open (every reader opens with FILE_SHARE_DELETE) does not block
/// it; where it has not (older Windows, Wine), the rename is refused while
/// a reader holds the file, for the moment its read takes: try again for
/// up to two seconds.
pub fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match std::fs::rename(from, to) {
            Err(e)
                if e.kind() == io::ErrorKind::PermissionDenied
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            outcome => return outcome,
        }
    }
}

/// Whether `path` still names the open `file` (it was not removed, or
/// replaced by another file, since it was opened): the same volume and
/// file index.
pub fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, GetFileInformationByHandle,
    };
    fn id(file: &File) -> Option<(u32, u32, u32)> {
        let mut info = BY_HANDLE_FILE_INFORMATION::default();
        // SAFETY: the handle stays open while `file` is borrowed, and
        // `info` is a valid out pointer.
        let known = unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } != 0;
        known.then_some((
            info.dwVolumeSerialNumber,
            info.nFileIndexHigh,
            info.nFileIndexLow,
        ))
    }
    // Opened for its attributes only, as itself if it is a link.
    let Ok(named) = OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
    else {
        return false;
    };
    id(file).is_some_and(|open| id(&named) == Some(open))
}

/// Whether this user owns the file: the ACLs of the user's own folders
/// already keep others out, and owners are not compared here.
pub fn is_ours(_meta: &Metadata) -> bool {
    true
}

/// Never: there are no modes (see the module's note).
pub fn not_private(_meta: &Metadata) -> Option<String> {
    None
}

/// The permission bits a Unix user would expect, for messages.
pub fn mode_of(meta: &Metadata) -> u32 {
    if meta.is_dir() { 0o700 } else { 0o600 }
}

/// Never: there are no modes.
pub fn shared(_meta: &Metadata) -> bool {
    false
}

/// Nothing to do: there are no modes (a file is private by its folder's ACL).
pub fn make_file_private(_file: &File) -> io::Result<Option<u32>> {
    Ok(None)
}

/// Creates a folder (private by its parent's ACL).
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir(path)
}

/// A new folder named `prefix…` in `parent`, removed when dropped
/// (private by its parent's ACL).
pub fn private_temp_dir(parent: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir_in(parent)
}

/// Nothing to do: there are no modes.
pub fn make_private(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Nothing to do: Windows sets no such limit on sockets.
pub fn raise_open_files_limit() {}

/// Whether the process `pid`, which left files behind, no longer runs.
pub fn process_is_gone(pid: u32) -> bool {
    // SAFETY: OpenProcess takes plain values; a null handle means no such
    // process (or none we may query: ours always can be).
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if handle.is_null() {
        return true;
    }
    let mut code = 0u32;
    // SAFETY: `handle` is a valid process handle, `code` a valid out pointer.
    let known = unsafe { GetExitCodeProcess(handle, &mut code) } != 0;
    // SAFETY: `handle` is ours and closed once.
    unsafe { CloseHandle(handle) };
    known && code != STILL_ACTIVE as u32
}
