//! The session cache: one JSON file per session key in a private folder,
//! checked before use (owner, mode, version), written atomically, and an
//! advisory lock per key that serialises the runs that would refresh it.

use super::Credentials;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::sys;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

const VERSION: u32 = 1;
/// The names awsmfa gives what it writes (`Name`): `ID.json`, `ID.lock`,
/// `mfa-ID.used`, `.tmp-RANDOM`, `.run-PID-RANDOM/`, where ID is `ID_LEN`
/// lowercase hex digits and RANDOM is `RANDOM_LEN` letters and digits.
const ENTRY_SUFFIX: &str = ".json";
const LOCK_SUFFIX: &str = ".lock";
const USED_CODE_PREFIX: &str = "mfa-";
const USED_CODE_SUFFIX: &str = ".used";
const TEMP_PREFIX: &str = ".tmp-";
/// Folders of running `exec --server` (and `login`) runs: `.run-PID-…`.
const RUN_PREFIX: &str = ".run-";
/// The file in a run's folder that the run holds locked for its whole life.
const RUN_LOCK: &str = "lock";
const ID_LEN: usize = 32;
const RANDOM_LEN: usize = 6;
/// Temporary files older than this were left by a killed run (and a run's
/// folder older than this without its lock file by a run killed at once,
/// or by a version of awsmfa before run locks).
const STALE_TEMP: Duration = Duration::from_secs(60);
/// Waits shorter than this are not worth a message.
pub const QUIET_WAIT: Duration = Duration::from_millis(500);
const MAX_ENTRY_SIZE: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Session,
    Role,
}

impl Kind {
    /// `session` or `role`, as `status --json` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::Role => "role",
        }
    }

    /// `MFA session` or `role session`: in sentences, `-v`, and `status`'s
    /// KIND column.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Session => crate::words::MFA_SESSION,
            Kind::Role => crate::words::ROLE_SESSION,
        }
    }
}

/// What makes one session different from another. File names are a hash of
/// it, so they carry nothing secret.
#[derive(Debug)]
pub struct SessionKey {
    id: String,
}

impl SessionKey {
    /// `parts` are everything that makes a session differ: kind, source key,
    /// MFA serial, role ARN, external id, session name, duration, and the
    /// key of what it was derived from.
    pub fn new(kind: Kind, parts: &[&str]) -> SessionKey {
        let mut hash = Sha256::new();
        hash.update(format!("awsmfa-v{VERSION}:{kind:?}"));
        for part in parts {
            hash.update([0]);
            hash.update(part.as_bytes());
        }
        SessionKey {
            id: hex(&hash.finalize()[..ID_LEN / 2]),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A cached session as stored on disk.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    pub version: u32,
    pub profile: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub mfa_serial: String,
    /// The session length asked for, in seconds (absent in older entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    #[serde(flatten)]
    pub credentials: Credentials,
}

impl Entry {
    /// Whether a run would reuse this entry at `now` (`super::usable`).
    pub fn usable(&self, asked_min_ttl: u64, now: SystemTime) -> bool {
        super::usable(&self.credentials, self.duration, asked_min_ttl, now)
    }
}

impl Entry {
    pub fn new(
        profile: &str,
        kind: Kind,
        role_arn: Option<&str>,
        mfa_serial: &str,
        credentials: Credentials,
    ) -> Entry {
        Entry {
            version: VERSION,
            profile: profile.to_owned(),
            kind,
            role_arn: role_arn.map(str::to_owned),
            mfa_serial: mfa_serial.to_owned(),
            duration: None,
            credentials,
        }
    }
}

pub struct Cache {
    dir: PathBuf,
    lock_wait: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    Synced,
    Unsynced,
}

/// Held while a run fetches and stores a session; released on drop.
pub struct Lock {
    /// The locked file (unlocked when closed); `None` when no lock file
    /// could be had: the run goes on unlocked.
    _lock: Option<File>,
}

/// One run's private folder (`exec --server`'s copies of the AWS files,
/// `login`'s page), removed when dropped. The run holds a lock on a file in
/// it for its whole life: that, not a pid, tells a sweep that the run
/// lives, in another pid namespace or on another host sharing the cache.
pub struct RunDir {
    // Fields drop in order: the lock file is closed before the folder goes
    // (Windows removes no folder with a file open in it).
    _lock: Option<File>,
    dir: tempfile::TempDir,
}

impl RunDir {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Keeps the folder after the run (removed later, or by a sweep).
    pub fn keep(self) -> PathBuf {
        drop(self._lock);
        self.dir.keep()
    }
}

/// What awsmfa names a file or folder in the cache folder. Nothing else
/// there is read, counted or removed: the folder may hold files of the
/// user's own (`AWSMFA_CACHE_DIR` pointed at a project).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    Entry,
    Lock,
    UsedCode,
    Temporary,
    Run,
}

impl Name {
    fn of(name: &std::ffi::OsStr) -> Option<Name> {
        let name = name.to_str()?;
        let id = |s: &str| {
            s.len() == ID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        // tempfile's random part (`RANDOM_LEN` here; any length in older
        // leftovers).
        let random = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        let pid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if name.strip_suffix(ENTRY_SUFFIX).is_some_and(id) {
            Some(Name::Entry)
        } else if name.strip_suffix(LOCK_SUFFIX).is_some_and(id) {
            Some(Name::Lock)
        } else if name
            .strip_prefix(USED_CODE_PREFIX)
            .and_then(|n| n.strip_suffix(USED_CODE_SUFFIX))
            .is_some_and(id)
        {
            Some(Name::UsedCode)
        } else if name.strip_prefix(TEMP_PREFIX).is_some_and(random) {
            Some(Name::Temporary)
        } else if name
            .strip_prefix(RUN_PREFIX)
            .and_then(|n| n.split_once('-'))
            .is_some_and(|(p, r)| pid(p) && random(r))
        {
            Some(Name::Run)
        } else {
            None
        }
    }
}

impl Cache {
    /// `AWSMFA_CACHE_DIR`, else the platform's cache folder + `awsmfa`.
    /// Nothing is created until something is stored.
    pub fn new(settings: &Settings) -> Result<Cache> {
        let dir = match &settings.cache_dir {
            Some(dir) => dir.clone(),
            None => dirs::cache_dir()
                .ok_or_else(|| {
                    Error::Cache("cannot find a cache folder; set AWSMFA_CACHE_DIR".into())
                })?
                .join("awsmfa"),
        };
        Ok(Cache {
            dir,
            lock_wait: settings.lock_timeout,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, key: &SessionKey) -> PathBuf {
        self.dir.join(format!("{}{ENTRY_SUFFIX}", key.id))
    }

    /// The cached session for `key`: `Ok(None)` when there is none, `Err`
    /// with the reason when there is one that must not be used.
    pub fn load(&self, key: &SessionKey) -> Result<Option<Entry>, String> {
        read_entry(&self.entry_path(key))
    }

    /// Says in one line why an entry is not used.
    pub fn warn_unusable(&self, key: &SessionKey, why: &str) {
        crate::say!(
            "awsmfa: warning: ignoring cache file {}: {why}; getting a new session",
            self.entry_path(key).display()
        );
    }

    /// Writes `entry` under `key`: a 0600 temporary file in the same folder,
    /// synced to disk, then renamed over the old one, so no reader sees half
    /// a file whatever is killed when.
    pub fn store(&self, key: &SessionKey, entry: &Entry) -> Result<()> {
        let json = serde_json::to_vec(entry)
            .map_err(|e| Error::Cache(format!("cannot encode a cache entry: {e}")))?;
        if json.len() as u64 > MAX_ENTRY_SIZE {
            return Err(Error::Cache(format!(
                "the session is too large to cache ({} bytes, at most {MAX_ENTRY_SIZE})",
                json.len()
            )));
        }
        self.write_atomically(&self.entry_path(key), &json, Durability::Synced)?;
        self.remove_stale_temporaries();
        Ok(())
    }

    /// The rename alone makes a write atomic for every reader; the sync adds
    /// survival of a power loss. Costing milliseconds, it is kept for what
    /// took an MFA code to get. After a crash, anything unsynced that comes
    /// back damaged fails the checks in `read_entry` and is replaced.
    fn write_atomically(&self, path: &Path, contents: &[u8], durability: Durability) -> Result<()> {
        self.create_dir()?;
        // Under a file-size limit (ulimit -f), a write past it would kill the
        // run with SIGXFSZ after the code is spent; ignored, it fails with
        // EFBIG instead, and the session is used uncached.
        let _no_sigxfsz = sys::no_file_size_signal();
        let failed = |e: std::io::Error| {
            Error::Cache(format!(
                "cannot write {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        };
        // tempfile creates the file with mode 0600 from the start.
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .rand_bytes(RANDOM_LEN)
            .tempfile_in(&self.dir)
            .map_err(failed)?;
        temp.write_all(contents).map_err(failed)?;
        if durability == Durability::Synced {
            temp.as_file().sync_data().map_err(failed)?;
        }
        // Renamed over the old entry; dropped (removed) if that fails.
        let temp = temp.into_temp_path();
        sys::replace_file(&temp, path).map_err(failed)?;
        let _ = temp.keep();
        Ok(())
    }

    fn create_dir(&self) -> Result<()> {
        let failed = |e: std::io::Error| {
            Error::Cache(format!(
                "cannot create the cache folder {}: {}",
                self.dir.display(),
                crate::io_reason(&e)
            ))
        };
        if let Some(parent) = self.dir.parent() {
            fs::create_dir_all(parent).map_err(failed)?;
        }
        match sys::create_private_dir(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.check_dir().map(drop),
            Err(e) => Err(failed(e)),
        }
    }

    /// The checks on the folder before anything in it is written, listed
    /// (`status`) or removed (`clear`): those of `checked`, and a folder of
    /// ours that others may enter is made private again. Whether there is
    /// a folder.
    pub fn check_dir(&self) -> Result<bool> {
        let Some(meta) = self.checked()? else {
            return Ok(false);
        };
        if sys::not_private(&meta).is_some() {
            sys::make_private(&self.dir).map_err(|e| {
                Error::Cache(format!(
                    "cannot make the cache folder {} private: {}",
                    self.dir.display(),
                    crate::io_reason(&e)
                ))
            })?;
        }
        Ok(true)
    }

    /// Never follow or trust what another user may have planted where the
    /// folder should be (a shared /tmp, say): the folder's metadata if it is
    /// a folder of ours, `None` if there is none.
    fn checked(&self) -> Result<Option<fs::Metadata>> {
        let meta = match fs::symlink_metadata(&self.dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Cache(format!(
                    "cannot use the cache folder {}: {}",
                    self.dir.display(),
                    crate::io_reason(&e)
                )));
            }
        };
        let refuse = |why: &str| {
            Error::Cache(format!(
                "the cache folder {} {why}; set AWSMFA_CACHE_DIR to a folder of your own",
                self.dir.display()
            ))
        };
        if meta.file_type().is_symlink() {
            return Err(refuse("is a symbolic link, which awsmfa does not follow"));
        }
        if !meta.is_dir() {
            return Err(refuse("is not a folder"));
        }
        if !sys::is_ours(&meta) {
            return Err(refuse("belongs to another user"));
        }
        Ok(Some(meta))
    }

    /// The names in the folder that awsmfa made, of the kind `wanted`:
    /// nothing at all in a folder that fails `checked`. (Its mode is left
    /// to `check_dir`: `doctor` reports it as it is.)
    fn names(&self, wanted: Name) -> Vec<fs::DirEntry> {
        if !matches!(self.checked(), Ok(Some(_))) {
            return Vec::new();
        }
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|item| Name::of(&item.file_name()) == Some(wanted))
            .collect()
    }

    /// Removes the private folders of runs that have ended (a run killed
    /// with SIGKILL cannot remove its own): those whose lock file nobody
    /// holds. A run's pid says nothing here: the run may live in another
    /// pid namespace (a container) or on another host sharing the cache.
    pub fn sweep_dead_runs(&self) {
        let now = SystemTime::now();
        for item in self.names(Name::Run) {
            let Ok(meta) = item.metadata() else { continue };
            if !meta.is_dir() || !sys::is_ours(&meta) {
                continue;
            }
            let path = item.path();
            let ended = match sys::open_unfollowed(&path.join(RUN_LOCK)) {
                // The run locks the file before it is there under this name
                // (`run_dir`), and a folder is never used again: once free,
                // it stays free.
                Ok(lock) => lock.try_lock_shared().is_ok(),
                // Killed before it locked, or from before run locks: judged
                // by its age and, as then, its pid.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let old = meta.modified().is_ok_and(|t| is_stale(t, now));
                    old && run_pid(&item.file_name()).is_some_and(sys::process_is_gone)
                }
                Err(_) => false,
            };
            if ended {
                let _ = fs::remove_dir_all(path);
            }
        }
    }

    /// A private folder for one run's files, removed when dropped, with
    /// its lock held (see `RunDir`).
    pub fn run_dir(&self) -> Result<RunDir> {
        self.create_dir()?;
        let dir = sys::private_temp_dir(&self.dir, &format!("{RUN_PREFIX}{}-", std::process::id()))
            .map_err(|e| {
                Error::Cache(format!(
                    "cannot create a folder in {}: {}",
                    self.dir.display(),
                    crate::io_reason(&e)
                ))
            })?;
        Ok(RunDir {
            _lock: lock_run(dir.path()),
            dir,
        })
    }

    /// Removes temporary files that killed runs left behind.
    fn remove_stale_temporaries(&self) {
        for item in self.names(Name::Temporary) {
            if is_stale_temporary(&item) {
                let _ = fs::remove_file(item.path());
            }
        }
    }

    /// Waits quietly, up to `within`, while another run holds the lock for
    /// `key` (it is getting that session right now), creating nothing.
    /// Whether the lock is free by then (or there is none).
    pub fn wait_while_locked(&self, key: &SessionKey, within: Duration) -> bool {
        let path = self.dir.join(format!("{}{LOCK_SUFFIX}", key.id));
        let Ok(file) = sys::open_unfollowed(&path) else {
            return true;
        };
        let ours = file
            .metadata()
            .is_ok_and(|m| m.is_file() && sys::is_ours(&m));
        if !ours {
            return true;
        }
        let deadline = std::time::Instant::now() + within;
        loop {
            match file.try_lock_shared() {
                // Free: closing the file lets go of it again.
                Ok(()) => return true,
                Err(TryLockError::Error(_)) => return true,
                Err(TryLockError::WouldBlock) => {}
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Takes the advisory lock for `key`. When another run holds it, says
    /// once what it waits for, then waits up to a bound.
    pub fn lock(&self, key: &SessionKey, profile: &str) -> Result<Lock> {
        self.create_dir()?;
        let path = self.dir.join(format!("{}{LOCK_SUFFIX}", key.id));
        let started = std::time::Instant::now();
        let mut said = false;
        // `clear` removes a lock file only while holding it; a run that
        // opened it just before then gets a lock on a file no longer there,
        // while the next run locks a new one: only the file at the name
        // counts. Bounded: a third miss in a row goes on with what it has.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Some(file) = open_lock(&path) else {
                return Ok(Lock { _lock: None });
            };
            let file = self.wait_for(file, &path, profile, started, &mut said)?;
            if attempts == 3 || sys::is_same_file(&file, &path) {
                return Ok(Lock { _lock: Some(file) });
            }
        }
    }

    /// Locks `file`, waiting (up to the bound counted from `started`) while
    /// another run holds it; says once, after `QUIET_WAIT`, what it waits for.
    fn wait_for(
        &self,
        file: File,
        path: &Path,
        profile: &str,
        started: std::time::Instant,
        said: &mut bool,
    ) -> Result<File> {
        let cannot = |e: std::io::Error| {
            Error::Cache(format!(
                "cannot lock {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        };
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(cannot(e)),
        }
        // Block in a helper thread so the wait can be bounded; if it times
        // out, the process exits and the thread with it.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(file.lock().map(|()| file));
        });
        let left = |until: Duration| until.saturating_sub(started.elapsed());
        let mut result = receiver.recv_timeout(left(QUIET_WAIT.min(self.lock_wait)));
        if matches!(result, Err(mpsc::RecvTimeoutError::Timeout)) && !*said {
            *said = true;
            crate::say!(
                "awsmfa: waiting for another awsmfa run to get a session for profile '{profile}'"
            );
        }
        if matches!(result, Err(mpsc::RecvTimeoutError::Timeout)) {
            result = receiver.recv_timeout(left(self.lock_wait));
        }
        match result {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(e)) => Err(cannot(e)),
            Err(_) => Err(Error::Cache(format!(
                "gave up after {} s waiting for another awsmfa run to get a session for profile '{profile}'",
                self.lock_wait.as_secs()
            ))),
        }
    }

    /// Whether `code` is the last one STS accepted for this MFA device.
    pub fn is_used_code(&self, serial: &str, code: &str) -> bool {
        let path = self.used_code_path(serial);
        let Ok(Some(stored)) = read_private(&path, 256) else {
            return false;
        };
        stored.trim_ascii() == used_code_digest(serial, code).as_bytes()
    }

    /// Remembers, as a hash, the code STS just accepted for this device.
    pub fn remember_used_code(&self, serial: &str, code: &str) -> Result<()> {
        self.write_atomically(
            &self.used_code_path(serial),
            used_code_digest(serial, code).as_bytes(),
            Durability::Unsynced,
        )
    }

    fn used_code_path(&self, serial: &str) -> PathBuf {
        let digest = Sha256::digest(format!("awsmfa-device:{serial}").as_bytes());
        self.dir.join(format!(
            "{USED_CODE_PREFIX}{}{USED_CODE_SUFFIX}",
            hex(&digest[..ID_LEN / 2])
        ))
    }

    /// Every entry file with what could be read of it, for `status` and
    /// `clear` (none when the folder fails `checked`).
    pub fn entries(&self) -> Vec<(PathBuf, Result<Entry, String>)> {
        let mut entries: Vec<_> = self
            .names(Name::Entry)
            .into_iter()
            .map(|item| {
                let path = item.path();
                let entry = read_entry(&path).and_then(|e| e.ok_or_else(|| "vanished".into()));
                (path, entry)
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// What killed runs left behind: temporary files older than a minute,
    /// and lock files with no entry beside them (both harmless).
    pub fn leftovers(&self) -> (usize, usize) {
        let temps = self.names(Name::Temporary);
        let temps = temps.iter().filter(|item| is_stale_temporary(item));
        (temps.count(), self.orphan_locks().len())
    }

    fn orphan_locks(&self) -> Vec<PathBuf> {
        self.names(Name::Lock)
            .into_iter()
            .map(|item| item.path())
            .filter(|path| !path.with_extension(&ENTRY_SUFFIX[1..]).exists())
            .collect()
    }

    /// Removes lock files that have no entry beside them and no holder (a
    /// cold run holds one before its entry is there).
    pub fn remove_orphan_locks(&self) {
        for path in self.orphan_locks() {
            remove_lock_file(&path);
        }
    }

    /// Removes an entry and its lock file (unless a run holds it).
    pub fn remove(&self, entry_path: &Path) -> Result<()> {
        fs::remove_file(entry_path).map_err(|e| {
            Error::Cache(format!(
                "cannot remove {}: {}",
                entry_path.display(),
                crate::io_reason(&e)
            ))
        })?;
        remove_lock_file(&entry_path.with_extension(&LOCK_SUFFIX[1..]));
        Ok(())
    }
}

/// Removes a lock file while holding it, so never one a run holds; a run
/// that was about to lock it finds it gone and locks the new one
/// (`Cache::lock`).
fn remove_lock_file(path: &Path) {
    // Opened for writing, as `lock` opens it: NFS takes an exclusive lock
    // only on such a file.
    let Ok(file) = sys::open_lock_file(path) else {
        return;
    };
    let ours = file
        .metadata()
        .is_ok_and(|m| m.is_file() && sys::is_ours(&m));
    if ours && file.try_lock().is_ok() {
        let _ = fs::remove_file(path);
    }
}

/// A temporary file of ours older than `STALE_TEMP`: a killed run's.
fn is_stale_temporary(item: &fs::DirEntry) -> bool {
    let now = SystemTime::now();
    item.metadata().is_ok_and(|m| {
        m.is_file() && sys::is_ours(&m) && m.modified().is_ok_and(|t| is_stale(t, now))
    })
}

/// Whether what was last modified at `modified` is older than `STALE_TEMP`
/// at `now` (never what is dated after `now`).
fn is_stale(modified: SystemTime, now: SystemTime) -> bool {
    now.duration_since(modified).unwrap_or_default() > STALE_TEMP
}

/// The pid in a run folder's name (`.run-PID-…`).
fn run_pid(name: &std::ffi::OsStr) -> Option<u32> {
    name.to_str()?
        .strip_prefix(RUN_PREFIX)?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Locks a new run folder's lock file for the run's life. It is locked
/// under another name, then renamed, so a sweep never finds it unlocked
/// while the run lives. `None` when that cannot be done (a file system
/// without locks): the run goes on, its folder judged as before run locks.
fn lock_run(dir: &Path) -> Option<File> {
    let new = dir.join(format!("{RUN_LOCK}.new"));
    let file = sys::open_lock_file(&new).ok()?;
    file.try_lock().ok()?;
    sys::replace_file(&new, &dir.join(RUN_LOCK)).ok()?;
    Some(file)
}

/// Reads a cache entry: `Ok(None)` when there is none, `Err` with the reason
/// when there is one that must not be used.
fn read_entry(path: &Path) -> Result<Option<Entry>, String> {
    let Some(bytes) = read_private(path, MAX_ENTRY_SIZE)? else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let versioned: Versioned =
        serde_json::from_slice(&bytes).map_err(|_| "it is not a valid cache entry".to_owned())?;
    if versioned.version != VERSION {
        return Err(format!(
            "its version {} is not {VERSION}",
            versioned.version
        ));
    }
    let entry: Entry =
        serde_json::from_slice(&bytes).map_err(|_| "it is not a valid cache entry")?;
    if entry.credentials.expires_at > super::LATEST_EXPIRY {
        return Err("its expiry is out of range".into());
    }
    Ok(Some(entry))
}

/// Reads a file only if it is a regular file of ours that nobody else can
/// read; `Ok(None)` when it does not exist.
fn read_private(path: &Path, max: u64) -> Result<Option<Vec<u8>>, String> {
    let mut file = match sys::open_unfollowed(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::io_reason(&e)),
    };
    let meta = file.metadata().map_err(|e| crate::io_reason(&e))?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    if !sys::is_ours(&meta) {
        return Err("it belongs to another user".into());
    }
    if let Some(why) = sys::not_private(&meta) {
        return Err(why);
    }
    if meta.len() > max {
        return Err("it is too large".into());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| crate::io_reason(&e))?;
    Ok(Some(bytes))
}

/// Opens (creating it) the lock file for a key; anything else standing
/// there is replaced, once. `None` when even that fails (a folder, say): the
/// run goes on unlocked rather than not at all.
fn open_lock(path: &Path) -> Option<File> {
    match open_lock_file(path) {
        Ok(file) => Some(file),
        Err(why) => {
            // It is ours to replace: the folder is private.
            crate::say!(
                "awsmfa: warning: ignoring lock file {}: {why}; replacing it",
                path.display()
            );
            let _ = fs::remove_file(path);
            match open_lock_file(path) {
                Ok(file) => Some(file),
                Err(why) => {
                    crate::say!(
                        "awsmfa: warning: cannot use lock file {}: {why}; going on without it",
                        path.display()
                    );
                    None
                }
            }
        }
    }
}

/// Opens (creating it) the lock file: a regular file of ours, opened
/// without following a link or waiting on a FIFO.
fn open_lock_file(path: &Path) -> Result<File, String> {
    let file = sys::open_lock_file(path).map_err(|e| crate::io_reason(&e))?;
    let meta = file.metadata().map_err(|e| crate::io_reason(&e))?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    if !sys::is_ours(&meta) {
        return Err("it belongs to another user".into());
    }
    Ok(file)
}

fn used_code_digest(serial: &str, code: &str) -> String {
    hex(&Sha256::digest(
        format!("awsmfa-used-code:{serial}:{code}").as_bytes(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An entry file holding `bytes`, as a run of ours would have left it.
    fn entry_file(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join("entry.json");
        let _ = fs::remove_file(&path);
        sys::create_private_file(&path)
            .and_then(|mut file| file.write_all(bytes))
            .unwrap();
        path
    }

    /// Whatever an entry says, using it must not panic.
    fn use_it(path: &Path) {
        if let Ok(Some(entry)) = read_entry(path) {
            let _ = entry.credentials.expiration();
            let _ = entry.credentials.seconds_left(SystemTime::now());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let dir = tempfile::tempdir().unwrap();
            use_it(&entry_file(dir.path(), &bytes));
        }

        /// Entries shaped like ours, with values of every kind: one is
        /// used exactly when its version is ours, every field is there with
        /// its type, and its expiry is one RFC 3339 can write.
        #[test]
        fn entries_are_used_exactly_when_they_are_right(
            version in prop_oneof![Just(VERSION), any::<u32>()],
            expires_at in prop_oneof![
                Just(4_000_000_000u64), any::<u64>(), Just(0u64),
                Just(super::super::LATEST_EXPIRY), Just(super::super::LATEST_EXPIRY + 1),
            ],
            profile in ".{0,40}",
            key in "\\PC{0,40}",
            kind in prop_oneof![Just("session".to_owned()), Just("role".to_owned()), "[a-z]{0,8}"],
            drop_field in prop_oneof![Just(None), (0usize..7).prop_map(Some)],
            duration in prop_oneof![Just(serde_json::Value::Null), (0u64..200_000).prop_map(serde_json::Value::from), Just(serde_json::json!("1h"))],
        ) {
            let mut json = serde_json::json!({
                "version": version, "profile": profile, "kind": kind, "mfa_serial": "m",
                "access_key_id": key, "secret_access_key": "s", "session_token": "t",
                "expires_at": expires_at,
            });
            if !duration.is_null() {
                json["duration"] = duration.clone();
            }
            const FIELDS: [&str; 7] = ["version", "profile", "kind", "mfa_serial", "access_key_id", "secret_access_key", "expires_at"];
            if let Some(field) = drop_field {
                json.as_object_mut().unwrap().remove(FIELDS[field]);
            }
            let dir = tempfile::tempdir().unwrap();
            let read = read_entry(&entry_file(dir.path(), json.to_string().as_bytes()));
            let right = version == VERSION
                && drop_field.is_none()
                && (kind == "session" || kind == "role")
                && expires_at <= super::super::LATEST_EXPIRY
                && !duration.is_string();
            match read {
                Ok(Some(entry)) => {
                    prop_assert!(right, "used a wrong entry: {json}");
                    prop_assert_eq!(entry.credentials.expires_at, expires_at);
                    prop_assert_eq!(entry.credentials.access_key_id, key);
                    prop_assert_eq!(entry.profile, profile);
                    use_it(&entry_file(dir.path(), json.to_string().as_bytes()));
                }
                Ok(None) => prop_assert!(false, "the file is there"),
                Err(_) => prop_assert!(!right, "refused a right entry: {json}"),
            }
        }
    }

    #[test]
    fn only_the_names_awsmfa_makes_are_its_own() {
        let key = SessionKey::new(Kind::Session, &["k"]);
        let named = |name: &str| Name::of(std::ffi::OsStr::new(name));
        assert_eq!(named(&format!("{}.json", key.id())), Some(Name::Entry));
        assert_eq!(named(&format!("{}.lock", key.id())), Some(Name::Lock));
        let cache = Cache {
            dir: PathBuf::from("c"),
            lock_wait: crate::settings::DEFAULT_LOCK_TIMEOUT,
        };
        let used = cache.used_code_path("arn:aws:iam::1:mfa/a");
        assert_eq!(Name::of(used.file_name().unwrap()), Some(Name::UsedCode));
        assert_eq!(named(".tmp-aB3xY9"), Some(Name::Temporary));
        assert_eq!(named(".run-4242-aB3xY9"), Some(Name::Run));
        for theirs in [
            "package.json",
            "Cargo.lock",
            "yarn.lock",
            "composer.lock",
            "0123456789abcdef.json",
            "0123456789ABCDEF0123456789ABCDEF.json",
            "0123456789abcdef0123456789abcdef0.json",
            ".0123456789abcdef0123456789abcde.json",
            "mfa-notes.used",
            ".tmp-",
            ".tmp-my notes",
            ".tmp-a/b",
            ".run-notes",
            ".run--aB3xY9",
            ".run-42-",
            "config",
        ] {
            assert_eq!(named(theirs), None, "{theirs}");
        }
    }

    /// A run that opened the lock file just before `clear` removed it ends
    /// up holding a file no longer there: it must lock the one at the name.
    #[test]
    fn a_lock_on_a_removed_lock_file_is_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = std::sync::Arc::new(Cache {
            dir: dir.path().join("c"),
            lock_wait: Duration::from_secs(10),
        });
        let key = SessionKey::new(Kind::Session, &["k"]);
        let path = cache.dir.join(format!("{}{LOCK_SUFFIX}", key.id()));
        let first = cache.lock(&key, "p").unwrap();
        let (sender, receiver) = mpsc::channel();
        let waiter = {
            let cache = cache.clone();
            std::thread::spawn(move || {
                let key = SessionKey::new(Kind::Session, &["k"]);
                let lock = cache.lock(&key, "p");
                let _ = sender.send(());
                lock.map(drop)
            })
        };
        // The waiter has opened the old file and waits on it.
        std::thread::sleep(Duration::from_millis(200));
        fs::remove_file(&path).unwrap();
        let newer = open_lock_file(&path).unwrap();
        newer.lock().unwrap();
        drop(first);
        assert!(
            receiver.recv_timeout(Duration::from_millis(500)).is_err(),
            "locked a file that is no longer there"
        );
        drop(newer);
        receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap().unwrap();
    }

    #[test]
    fn hostile_shapes_are_refused_quickly() {
        let dir = tempfile::tempdir().unwrap();
        let deep = "[".repeat(60_000);
        let started = std::time::Instant::now();
        assert!(read_entry(&entry_file(dir.path(), deep.as_bytes())).is_err());
        let big = vec![b' '; MAX_ENTRY_SIZE as usize + 1];
        assert_eq!(
            read_entry(&entry_file(dir.path(), &big)).err().as_deref(),
            Some("it is too large")
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn an_entry_too_large_to_read_back_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: dir.path().join("c"),
            lock_wait: crate::settings::DEFAULT_LOCK_TIMEOUT,
        };
        let credentials = Credentials {
            access_key_id: "ASIA".into(),
            secret_access_key: crate::secret::Secret::new("s"),
            session_token: crate::secret::Secret::new("t".repeat(MAX_ENTRY_SIZE as usize)),
            expires_at: 4_000_000_000,
        };
        let key = SessionKey::new(Kind::Session, &["k"]);
        let entry = Entry::new("p", Kind::Session, None, "m", credentials);
        let error = cache.store(&key, &entry).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the session is too large to cache")
        );
        assert!(cache.load(&key).unwrap().is_none());
    }
}

#[cfg(test)]
mod edge_tests;
