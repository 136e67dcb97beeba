//! The cache's decisions at their edges: which entry is used, which file is
//! awsmfa's, what a sweep removes and what it leaves, and what a lock waits
//! for. On real files in a temporary folder.

use super::*;

/// 2033-05-18T03:33:20Z.
const NOW: u64 = 2_000_000_000;

fn at(unix: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
}

fn cache(dir: &Path) -> Cache {
    Cache {
        dir: dir.join("c"),
        lock_wait: Duration::from_secs(10),
    }
}

fn credentials(key: &str, expires_at: u64) -> Credentials {
    Credentials {
        access_key_id: key.into(),
        secret_access_key: crate::secret::Secret::new("s"),
        session_token: crate::secret::Secret::new("t"),
        expires_at,
    }
}

fn entry(profile: &str, expires_at: u64) -> Entry {
    let mut entry = Entry::new(
        profile,
        Kind::Session,
        None,
        "arn:aws:iam::123456789012:mfa/a",
        credentials("ASIA", expires_at),
    );
    entry.duration = Some(3600);
    entry
}

fn key(name: &str) -> SessionKey {
    SessionKey::new(Kind::Session, &[name])
}

/// Sets when `path` (a file or, on Unix, a folder) was last modified.
#[cfg(unix)]
fn modified(path: &Path, when: SystemTime) {
    File::open(path).unwrap().set_modified(when).unwrap();
}

#[cfg(unix)]
fn ago(seconds: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(seconds)
}

fn private_file(path: &Path, bytes: &[u8]) {
    sys::create_private_file(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn kinds_are_named_in_json_and_in_sentences() {
    assert_eq!(Kind::Session.name(), "session");
    assert_eq!(Kind::Role.name(), "role");
    assert_eq!(Kind::Session.describe(), "MFA session");
    assert_eq!(Kind::Role.describe(), "role session");
}

#[test]
fn a_key_is_32_hex_digits_of_its_kind_and_every_part_apart() {
    let id = key("k").id().to_owned();
    assert_eq!(id.len(), ID_LEN);
    assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert_eq!(key("k").id(), id);
    assert_ne!(SessionKey::new(Kind::Role, &["k"]).id(), id);
    // Parts are kept apart: ("ab", "c") is not ("a", "bc"), nor "abc".
    let ab_c = SessionKey::new(Kind::Session, &["ab", "c"]);
    let a_bc = SessionKey::new(Kind::Session, &["a", "bc"]);
    let abc = SessionKey::new(Kind::Session, &["abc"]);
    assert_ne!(ab_c.id(), a_bc.id());
    assert_ne!(ab_c.id(), abc.id());
    assert_ne!(
        SessionKey::new(Kind::Session, &[]).id(),
        SessionKey::new(Kind::Session, &[""]).id()
    );
    assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    assert_eq!(hex(&[]), "");
}

#[test]
fn an_entry_is_used_while_it_has_the_minimum_left_at_most_half_its_length() {
    // An hour-long session asked for 15 minutes: 900 s.
    let hour = entry("p", NOW + 900);
    assert!(hour.usable(900, at(NOW)));
    assert!(hour.usable(900, at(NOW - 1)));
    assert!(!hour.usable(900, at(NOW + 1)));
    // Asked for more than half: half, 1800 s.
    let hour = entry("p", NOW + 1800);
    assert!(hour.usable(3600, at(NOW)));
    assert!(!hour.usable(3600, at(NOW + 1)));
    let mut old = entry("p", NOW + 1800);
    old.duration = None;
    assert!(
        !old.usable(3600, at(NOW)),
        "an older entry: the whole minimum"
    );
}

#[test]
fn the_cache_folder_is_the_settings_or_the_platforms() {
    let settings = Settings::resolve(&crate::settings::Flags::default(), &|name| match name {
        "HOME" => Some("/h".into()),
        "AWSMFA_CACHE_DIR" => Some("/var/c".into()),
        "AWSMFA_LOCK_TIMEOUT" => Some("7".into()),
        _ => None,
    })
    .unwrap();
    let cache = Cache::new(&settings).unwrap();
    assert_eq!(cache.dir(), Path::new("/var/c"));
    assert_eq!(cache.lock_wait, Duration::from_secs(7));
    let settings = Settings::resolve(&crate::settings::Flags::default(), &|name| match name {
        "HOME" => Some("/h".into()),
        _ => None,
    })
    .unwrap();
    if let Ok(cache) = Cache::new(&settings) {
        assert!(cache.dir().ends_with("awsmfa"), "{}", cache.dir().display());
        assert_eq!(cache.lock_wait, crate::settings::DEFAULT_LOCK_TIMEOUT);
    }
}

#[test]
fn a_stored_entry_is_read_back_under_its_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    assert!(cache.load(&key("a")).unwrap().is_none());
    // The folder and its parents are made on the first store.
    cache.store(&key("a"), &entry("alice", NOW)).unwrap();
    let read = cache.load(&key("a")).unwrap().unwrap();
    assert_eq!(
        (read.profile.as_str(), read.credentials.expires_at),
        ("alice", NOW)
    );
    assert_eq!(read.duration, Some(3600));
    assert!(cache.load(&key("b")).unwrap().is_none());
    assert_eq!(
        names_in(&cache.dir),
        [format!("{}.json", key("a").id())],
        "no temporary file is left"
    );
    // Stored again: replaced.
    cache.store(&key("a"), &entry("bob", NOW)).unwrap();
    assert_eq!(cache.load(&key("a")).unwrap().unwrap().profile, "bob");
}

#[test]
fn an_entry_of_exactly_the_largest_size_is_written_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    let sized = |size: usize| {
        let mut entry = entry("p", NOW);
        let bare = serde_json::to_vec(&entry).unwrap().len() - 1;
        entry.credentials.session_token = crate::secret::Secret::new("t".repeat(size - bare));
        assert_eq!(serde_json::to_vec(&entry).unwrap().len(), size);
        entry
    };
    let largest = MAX_ENTRY_SIZE as usize;
    cache.store(&key("a"), &sized(largest)).unwrap();
    assert!(cache.load(&key("a")).unwrap().is_some());
    let error = cache.store(&key("b"), &sized(largest + 1)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the session is too large to cache (65537 bytes, at most 65536)"
    );
}

#[test]
fn an_entry_of_another_version_or_beyond_the_last_expiry_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.store(&key("a"), &entry("p", NOW)).unwrap();
    let path = cache.entry_path(&key("a"));
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let write = |json: &serde_json::Value| {
        fs::remove_file(&path).unwrap();
        private_file(&path, json.to_string().as_bytes());
    };
    json["version"] = 2.into();
    write(&json);
    assert_eq!(
        cache.load(&key("a")).err().unwrap(),
        "its version 2 is not 1"
    );
    json["version"] = 1.into();
    json["expires_at"] = (super::super::LATEST_EXPIRY + 1).into();
    write(&json);
    assert_eq!(
        cache.load(&key("a")).err().unwrap(),
        "its expiry is out of range"
    );
    json["expires_at"] = super::super::LATEST_EXPIRY.into();
    write(&json);
    assert!(cache.load(&key("a")).unwrap().is_some());
    fs::remove_file(&path).unwrap();
    private_file(&path, b"[]");
    assert_eq!(
        cache.load(&key("a")).err().unwrap(),
        "it is not a valid cache entry"
    );
}

#[cfg(unix)]
#[test]
fn an_entry_others_can_read_or_that_is_no_file_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.store(&key("a"), &entry("p", NOW)).unwrap();
    let path = cache.entry_path(&key("a"));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(cache.load(&key("a")).is_err());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(cache.load(&key("a")).unwrap().is_some());
    let folder = cache.entry_path(&key("b"));
    fs::create_dir(&folder).unwrap();
    assert_eq!(
        cache.load(&key("b")).err().unwrap(),
        "it is not a regular file"
    );
    // A link is not followed, even to a good entry.
    std::os::unix::fs::symlink(&path, cache.entry_path(&key("c"))).unwrap();
    assert!(cache.load(&key("c")).is_err());
}

#[cfg(unix)]
#[test]
fn a_folder_of_ours_that_others_may_enter_is_made_private_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    assert!(!cache.check_dir().unwrap(), "no folder yet");
    fs::create_dir(&cache.dir).unwrap();
    fs::set_permissions(&cache.dir, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(cache.check_dir().unwrap());
    let mode = fs::metadata(&cache.dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[cfg(unix)]
#[test]
fn a_cache_folder_that_is_a_link_or_a_file_is_refused_and_never_listed() {
    let dir = tempfile::tempdir().unwrap();
    let real = cache(dir.path());
    real.store(&key("a"), &entry("p", NOW)).unwrap();
    let linked = Cache {
        dir: dir.path().join("link"),
        lock_wait: Duration::from_secs(1),
    };
    std::os::unix::fs::symlink(&real.dir, &linked.dir).unwrap();
    let error = linked.check_dir().unwrap_err().to_string();
    assert!(error.contains("is a symbolic link"), "{error}");
    assert!(linked.entries().is_empty());
    assert!(linked.store(&key("b"), &entry("p", NOW)).is_err());
    let file = Cache {
        dir: dir.path().join("file"),
        lock_wait: Duration::from_secs(1),
    };
    fs::write(&file.dir, b"").unwrap();
    let error = file.check_dir().unwrap_err().to_string();
    assert!(error.contains("is not a folder"), "{error}");
    assert!(file.entries().is_empty());
}

#[test]
fn entries_are_listed_in_order_with_what_could_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    assert!(cache.entries().is_empty());
    for name in ["a", "b", "c"] {
        cache.store(&key(name), &entry(name, NOW)).unwrap();
    }
    fs::write(cache.dir.join("package.json"), b"{}").unwrap();
    let broken = cache.entry_path(&key("b"));
    fs::remove_file(&broken).unwrap();
    private_file(&broken, b"nonsense");
    let entries = cache.entries();
    assert_eq!(entries.len(), 3, "package.json is not awsmfa's");
    let paths: Vec<&PathBuf> = entries.iter().map(|(p, _)| p).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    for (path, entry) in &entries {
        if *path == broken {
            assert_eq!(
                entry.as_ref().err().unwrap(),
                "it is not a valid cache entry"
            );
        } else {
            assert!(entry.is_ok());
        }
    }
}

#[test]
fn what_is_older_than_a_minute_is_stale_and_nothing_dated_later() {
    let now = at(NOW);
    assert!(!is_stale(at(NOW - 59), now));
    assert!(!is_stale(at(NOW - 60), now));
    assert!(is_stale(at(NOW - 60) - Duration::from_nanos(1), now));
    assert!(is_stale(at(NOW - 61), now));
    assert!(!is_stale(at(NOW), now));
    assert!(!is_stale(at(NOW + 3600), now), "a clock set back");
}

#[cfg(unix)]
#[test]
fn a_store_sweeps_old_temporary_files_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.store(&key("a"), &entry("p", NOW)).unwrap();
    let old = cache.dir.join(".tmp-aB3xY9");
    let young = cache.dir.join(".tmp-cD4zW0");
    let theirs = cache.dir.join("notes.tmp");
    for path in [&old, &young, &theirs] {
        private_file(path, b"x");
    }
    modified(&old, ago(120));
    modified(&theirs, ago(120));
    assert_eq!(cache.leftovers(), (1, 0));
    cache.store(&key("b"), &entry("p", NOW)).unwrap();
    assert!(!old.exists());
    assert!(young.exists() && theirs.exists());
    assert_eq!(cache.leftovers(), (0, 0));
}

#[test]
fn a_lock_without_its_entry_is_an_orphan_removed_unless_held() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.store(&key("a"), &entry("p", NOW)).unwrap();
    drop(cache.lock(&key("a"), "p").unwrap());
    drop(cache.lock(&key("b"), "p").unwrap());
    let held = cache.lock(&key("c"), "p").unwrap();
    let lock = |name: &str| cache.dir.join(format!("{}.lock", key(name).id()));
    assert_eq!(cache.leftovers(), (0, 2));
    cache.remove_orphan_locks();
    assert!(lock("a").exists(), "its entry is there");
    assert!(!lock("b").exists());
    assert!(lock("c").exists(), "a run holds it");
    drop(held);
    cache.remove_orphan_locks();
    assert!(!lock("c").exists());
    assert_eq!(cache.leftovers(), (0, 0));
}

#[test]
fn removing_an_entry_removes_its_free_lock() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    for name in ["a", "b"] {
        cache.store(&key(name), &entry("p", NOW)).unwrap();
    }
    drop(cache.lock(&key("a"), "p").unwrap());
    let held = cache.lock(&key("b"), "p").unwrap();
    cache.remove(&cache.entry_path(&key("a"))).unwrap();
    cache.remove(&cache.entry_path(&key("b"))).unwrap();
    assert_eq!(names_in(&cache.dir), [format!("{}.lock", key("b").id())]);
    drop(held);
    let error = cache.remove(&cache.entry_path(&key("a"))).unwrap_err();
    assert!(error.to_string().starts_with("cannot remove "), "{error}");
}

#[test]
fn a_used_code_is_known_for_its_device_only() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    let device = "arn:aws:iam::123456789012:mfa/a";
    assert!(!cache.is_used_code(device, "123456"));
    cache.remember_used_code(device, "123456").unwrap();
    assert!(cache.is_used_code(device, "123456"));
    assert!(!cache.is_used_code(device, "654321"));
    assert!(!cache.is_used_code("arn:aws:iam::123456789012:mfa/b", "123456"));
    cache.remember_used_code(device, "654321").unwrap();
    assert!(!cache.is_used_code(device, "123456"), "only the last one");
    assert!(cache.is_used_code(device, "654321"));
    // Kept as a hash, never the code.
    let stored = fs::read_to_string(cache.used_code_path(device)).unwrap();
    assert_eq!(stored, used_code_digest(device, "654321"));
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains("654321"));
}

#[test]
fn waiting_for_a_lock_ends_when_it_is_let_go_or_at_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let cache = std::sync::Arc::new(cache(dir.path()));
    let within = Duration::from_secs(5);
    assert!(cache.wait_while_locked(&key("a"), within), "no lock file");
    let held = cache.lock(&key("a"), "p").unwrap();
    let started = std::time::Instant::now();
    assert!(!cache.wait_while_locked(&key("a"), Duration::from_millis(100)));
    assert!(started.elapsed() >= Duration::from_millis(100));
    // Let go after a while: the wait sees it.
    let letting_go = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(held);
    });
    let started = std::time::Instant::now();
    assert!(cache.wait_while_locked(&key("a"), within));
    assert!(started.elapsed() >= Duration::from_millis(150));
    letting_go.join().unwrap();
    assert!(cache.wait_while_locked(&key("a"), within), "free");
}

#[test]
fn a_lock_another_run_holds_is_waited_for_up_to_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let quick = Cache {
        dir: dir.path().join("c"),
        lock_wait: Duration::from_millis(300),
    };
    let held = quick.lock(&key("a"), "p").unwrap();
    let error = match quick.lock(&key("a"), "alice") {
        Ok(_) => panic!("locked a held lock"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        error,
        "gave up after 0 s waiting for another awsmfa run to get a session for profile 'alice'"
    );
    drop(held);
    assert!(quick.lock(&key("a"), "alice").unwrap()._lock.is_some());
}

#[test]
fn a_lock_file_that_cannot_be_had_lets_the_run_go_on_unlocked() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.create_dir().unwrap();
    // A folder with something in it stands where the lock file goes.
    let path = cache.dir.join(format!("{}.lock", key("a").id()));
    fs::create_dir(&path).unwrap();
    fs::write(path.join("x"), b"").unwrap();
    assert!(cache.lock(&key("a"), "p").unwrap()._lock.is_none());
}

#[cfg(unix)]
#[test]
fn a_link_where_the_lock_file_goes_is_replaced_by_a_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.create_dir().unwrap();
    let target = dir.path().join("elsewhere");
    fs::write(&target, b"keep").unwrap();
    let path = cache.dir.join(format!("{}.lock", key("b").id()));
    std::os::unix::fs::symlink(&target, &path).unwrap();
    assert!(cache.lock(&key("b"), "p").unwrap()._lock.is_some());
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(fs::read(&target).unwrap(), b"keep");
}

#[test]
fn a_run_folder_is_named_for_the_run_and_locked_while_it_lives() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    let run = cache.run_dir().unwrap();
    let name = run.path().file_name().unwrap().to_owned();
    assert_eq!(Name::of(&name), Some(Name::Run));
    assert_eq!(run_pid(&name), Some(std::process::id()));
    assert!(run.path().join(RUN_LOCK).is_file());
    assert!(!run.path().join("lock.new").exists());
    cache.sweep_dead_runs();
    assert!(run.path().is_dir(), "its run holds the lock");
    let kept = run.keep();
    assert!(kept.is_dir());
    cache.sweep_dead_runs();
    assert!(!kept.exists(), "kept, and no longer locked: ended");
}

#[cfg(unix)]
#[test]
fn a_run_folder_without_a_lock_is_judged_by_its_age_and_pid() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.create_dir().unwrap();
    let gone = i32::MAX as u32;
    assert!(sys::process_is_gone(gone));
    let folder = |pid: u32, random: &str, age: u64| {
        let path = cache.dir.join(format!(".run-{pid}-{random}"));
        fs::create_dir(&path).unwrap();
        modified(&path, ago(age));
        path
    };
    let old_gone = folder(gone, "aaaaaa", 120);
    let young_gone = folder(gone, "bbbbbb", 10);
    let old_alive = folder(std::process::id(), "cccccc", 120);
    let theirs = cache.dir.join(".run-notes");
    fs::create_dir(&theirs).unwrap();
    modified(&theirs, ago(120));
    let file = cache.dir.join(format!(".run-{gone}-dddddd"));
    fs::write(&file, b"").unwrap();
    modified(&file, ago(120));
    cache.sweep_dead_runs();
    assert!(!old_gone.exists());
    assert!(young_gone.exists(), "it may be locking its file right now");
    assert!(old_alive.exists(), "its process lives");
    assert!(theirs.exists() && file.exists(), "not awsmfa's run folders");
}

#[test]
fn a_run_folder_whose_lock_is_free_is_removed_whatever_its_age() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.create_dir().unwrap();
    let path = cache
        .dir
        .join(format!(".run-{}-eeeeee", std::process::id()));
    fs::create_dir(&path).unwrap();
    let lock = sys::open_lock_file(&path.join(RUN_LOCK)).unwrap();
    lock.lock().unwrap();
    cache.sweep_dead_runs();
    assert!(path.exists(), "held");
    drop(lock);
    cache.sweep_dead_runs();
    assert!(!path.exists(), "free, though young and of a live pid");
}

#[test]
fn the_pid_of_a_run_folder_is_the_number_after_run() {
    let pid = |name: &str| run_pid(std::ffi::OsStr::new(name));
    assert_eq!(pid(".run-4242-aB3xY9"), Some(4242));
    assert_eq!(pid(".run-0-x"), Some(0));
    assert_eq!(pid(".run-x-4242"), None);
    assert_eq!(pid(".tmp-4242-x"), None);
    assert_eq!(pid(".run-99999999999-x"), None);
}

#[cfg(unix)]
#[test]
fn a_cache_folder_that_cannot_be_made_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A name longer than a file system takes: not "already there".
    let cache = Cache {
        dir: dir.path().join("x".repeat(300)),
        lock_wait: Duration::from_secs(1),
    };
    let error = cache.store(&key("a"), &entry("p", NOW)).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "cannot create the cache folder {}: ",
            cache.dir.display()
        )),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn a_cache_folder_that_cannot_be_looked_at_is_an_error_not_an_absence() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), b"").unwrap();
    let cache = Cache {
        dir: dir.path().join("file").join("c"),
        lock_wait: Duration::from_secs(1),
    };
    let error = cache.check_dir().unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "cannot use the cache folder {}: ",
            cache.dir.display()
        )),
        "{error}"
    );
    assert!(cache.entries().is_empty());
}

#[cfg(unix)]
#[test]
fn a_run_folder_whose_lock_cannot_be_opened_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path());
    cache.create_dir().unwrap();
    let gone = i32::MAX as u32;
    // Old, of a pid that is gone, but its lock is a link: not judged by age.
    let path = cache.dir.join(format!(".run-{gone}-ffffff"));
    fs::create_dir(&path).unwrap();
    std::os::unix::fs::symlink("/nonexistent", path.join(RUN_LOCK)).unwrap();
    modified(&path, ago(120));
    cache.sweep_dead_runs();
    assert!(path.exists());
}
