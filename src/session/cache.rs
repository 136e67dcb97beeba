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
const ENTRY_SUFFIX: &str = ".json";
const LOCK_SUFFIX: &str = ".lock";
const USED_CODE_PREFIX: &str = "mfa-";
const TEMP_PREFIX: &str = ".tmp-";
/// Folders of running `exec --server` runs: `.run-PID-…`.
const RUN_PREFIX: &str = ".run-";
/// Temporary files older than this were left by a killed run.
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
            id: hex(&hash.finalize()[..16]),
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
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Never follow or chmod what another user may have planted
                // where the folder should be (a shared /tmp, say).
                let meta = fs::symlink_metadata(&self.dir).map_err(failed)?;
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
                if sys::not_private(&meta).is_some() {
                    sys::make_private(&self.dir).map_err(failed)?;
                }
                Ok(())
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// Removes the private folders of `exec --server` runs that no longer
    /// exist (a run killed with SIGKILL cannot remove its own).
    pub fn sweep_dead_runs(&self) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in dir.flatten() {
            let name = item.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix(RUN_PREFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse().ok());
            if pid.is_some_and(sys::process_is_gone) {
                let _ = fs::remove_dir_all(item.path());
            }
        }
    }

    /// A private folder for one run's files (`exec --server`), removed when
    /// dropped.
    pub fn run_dir(&self) -> Result<tempfile::TempDir> {
        self.create_dir()?;
        sys::private_temp_dir(&self.dir, &format!("{RUN_PREFIX}{}-", std::process::id())).map_err(
            |e| {
                Error::Cache(format!(
                    "cannot create a folder in {}: {}",
                    self.dir.display(),
                    crate::io_reason(&e)
                ))
            },
        )
    }

    /// Removes temporary files that killed runs left behind.
    fn remove_stale_temporaries(&self) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for item in dir.flatten() {
            let stale = item.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                && item
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP);
            if stale {
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
        let file = match open_lock_file(&path) {
            Ok(file) => file,
            Err(why) => {
                // Something else stands where the lock file should be: it is
                // ours to replace (the folder is private), once.
                crate::say!(
                    "awsmfa: warning: ignoring lock file {}: {why}; replacing it",
                    path.display()
                );
                let _ = fs::remove_file(&path);
                match open_lock_file(&path) {
                    Ok(file) => file,
                    // A folder, say: run unlocked rather than not at all.
                    Err(why) => {
                        crate::say!(
                            "awsmfa: warning: cannot use lock file {}: {why}; going on without it",
                            path.display()
                        );
                        return Ok(Lock { _lock: None });
                    }
                }
            }
        };
        let cannot = |e: std::io::Error| {
            Error::Cache(format!(
                "cannot lock {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        };
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _lock: Some(file) }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(cannot(e)),
        }
        // Block in a helper thread so the wait can be bounded; if it times
        // out, the process exits and the thread with it.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(file.lock().map(|()| file));
        });
        let mut result = receiver.recv_timeout(QUIET_WAIT.min(self.lock_wait));
        if matches!(result, Err(mpsc::RecvTimeoutError::Timeout)) {
            crate::say!(
                "awsmfa: waiting for another awsmfa run to get a session for profile '{profile}'"
            );
            result = receiver.recv_timeout(self.lock_wait.saturating_sub(QUIET_WAIT));
        }
        match result {
            Ok(Ok(file)) => Ok(Lock { _lock: Some(file) }),
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
        self.dir
            .join(format!("{USED_CODE_PREFIX}{}.used", hex(&digest[..16])))
    }

    /// Every entry file with what could be read of it, for `status` and `clear`.
    pub fn entries(&self) -> Vec<(PathBuf, Result<Entry, String>)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<_> = dir
            .flatten()
            .map(|item| item.path())
            .filter(|path| is_entry_name(path))
            .map(|path| {
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
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return (0, 0);
        };
        let now = SystemTime::now();
        let (mut temps, mut locks) = (0, 0);
        for item in dir.flatten() {
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with(TEMP_PREFIX)
                && item
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP)
            {
                temps += 1;
            } else if name.ends_with(LOCK_SUFFIX)
                && !path.with_extension(&ENTRY_SUFFIX[1..]).exists()
            {
                locks += 1;
            }
        }
        (temps, locks)
    }

    /// Removes lock files that have no entry beside them.
    pub fn remove_orphan_locks(&self) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in dir.flatten() {
            let path = item.path();
            let is_lock = path.to_str().is_some_and(|p| p.ends_with(LOCK_SUFFIX));
            if is_lock && !path.with_extension(&ENTRY_SUFFIX[1..]).exists() {
                let _ = fs::remove_file(path);
            }
        }
    }

    /// Removes an entry and its lock file.
    pub fn remove(&self, entry_path: &Path) -> Result<()> {
        fs::remove_file(entry_path).map_err(|e| {
            Error::Cache(format!(
                "cannot remove {}: {}",
                entry_path.display(),
                crate::io_reason(&e)
            ))
        })?;
        let _ = fs::remove_file(entry_path.with_extension(&LOCK_SUFFIX[1..]));
        Ok(())
    }
}

fn is_entry_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(ENTRY_SUFFIX) && !n.starts_with('.'))
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
