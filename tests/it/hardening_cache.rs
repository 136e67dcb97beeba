//! The cache folder tried as a careless user or a second host would:
//! `clear`, `status` and the sweeps pointed at a folder awsmfa never wrote
//! (a project, a link, another user's), a live run's folder whose pid means
//! nothing here, a lock a cold run holds while `clear` runs, and the `-v`
//! line that says why a cached session is not used.

use crate::support::*;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The user's own files where `AWSMFA_CACHE_DIR` points: names a glob for
/// `*.json` or `*.lock` would take, and a file awsmfa's run folders hold.
const PROJECT_FILES: [&str; 5] = [
    "package.json",
    "Cargo.lock",
    "yarn.lock",
    "0123456789abcdef.json",
    "notes.used",
];

fn write_project(dir: &Path) {
    for name in PROJECT_FILES {
        std::fs::write(dir.join(name), format!("{name} of the project\n")).unwrap();
    }
}

fn assert_project_kept(dir: &Path) {
    for name in PROJECT_FILES {
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).ok().as_deref(),
            Some(format!("{name} of the project\n").as_str()),
            "{name} was not kept"
        );
    }
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn clear_and_status_in_a_project_folder_touch_only_what_awsmfa_wrote() {
    let world = World::new();
    let project = world.cache_dir();
    std::fs::create_dir(&project).unwrap();
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o700)).unwrap();
    write_project(&project);
    world.run_with_code(&["exec", "--", "true"]).ok();

    let clear = world.run(&["clear"]);
    clear.ok();
    assert_project_kept(&project);
    assert_eq!(
        clear.stdout,
        "removed the cached MFA session of profile 'alice' (12h)\n"
    );
    let left = names_in(&project);
    assert!(
        !left.iter().any(|n| n.len() == 37 && n.ends_with(".json")),
        "the entry is still there: {left:?}"
    );
    assert_eq!(world.run(&["clear"]).ok().stdout, "no cached sessions\n");
    assert_project_kept(&project);

    world.run_with_code(&["exec", "--", "true"]).ok();
    let status = world.run(&["status"]);
    status.ok();
    assert_eq!(status.stdout.lines().count(), 2, "{}", status.stdout);
    assert!(
        status.stdout.lines().nth(1).unwrap().starts_with("alice "),
        "{}",
        status.stdout
    );
    let json = world.run(&["status", "--json"]);
    json.ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{}", json.stdout);
}

#[test]
fn clear_and_status_refuse_a_cache_folder_that_is_a_link_or_not_ours() {
    let world = World::new();
    // A folder with a session in it, reached through a link.
    let real = world.home().join("real");
    let mut first = world.command_with_code(&["exec", "--", "true"]);
    first.env("AWSMFA_CACHE_DIR", &real);
    world.run_command(first).ok();
    let before = names_in(&real);
    assert!(before.iter().any(|n| n.ends_with(".json")), "{before:?}");
    std::os::unix::fs::symlink(&real, world.cache_dir()).unwrap();
    for args in [&["clear"][..], &["status"], &["status", "--json"]] {
        world
            .run(args)
            .fails_with(1, "is a symbolic link, which awsmfa does not follow");
    }
    assert_eq!(
        names_in(&real),
        before,
        "clear removed files behind the link"
    );

    // The same folder, now another user's (the tests run as root, as CI does).
    std::fs::remove_file(world.cache_dir()).unwrap();
    std::fs::rename(&real, world.cache_dir()).unwrap();
    nix::unistd::chown(
        &world.cache_dir(),
        Some(nix::unistd::Uid::from_raw(65534)),
        None,
    )
    .expect("chown (the tests run as root)");
    for args in [&["clear"][..], &["status"]] {
        world.run(args).fails_with(1, "belongs to another user");
    }
    assert_eq!(names_in(&world.cache_dir()), before);
    assert_eq!(mode(&world.cache_dir()), 0o700);
}

/// A run folder as a run of awsmfa leaves it (its pid need not be one
/// here: another pid namespace, another host), with its lock file.
fn run_folder(cache: &Path, name: &str) -> (PathBuf, File) {
    let folder = cache.join(name);
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("config"), "[default]\n").unwrap();
    let lock = File::create(folder.join("lock")).unwrap();
    (folder, lock)
}

#[test]
fn the_sweep_spares_a_live_run_in_another_pid_namespace() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let cache = world.cache_dir();
    // No such pid here; the run lives elsewhere and holds its lock.
    let (live, live_lock) = run_folder(&cache, ".run-2000000000-Abc123");
    live_lock.lock().unwrap();
    // A run that has ended: its lock file is free.
    let (ended, _free) = run_folder(&cache, ".run-2000000001-Def456");
    // Not a run's folder at all, whatever its pid says.
    let other = cache.join(".run-notes");
    std::fs::create_dir(&other).unwrap();

    world.run(&["exec", "--server", "--", "true"]).ok();
    assert!(
        live.join("config").exists(),
        "the live run's copies were swept: {:?}",
        names_in(&cache)
    );
    assert!(!ended.exists(), "the ended run's folder was not swept");
    assert!(other.exists());

    // Once that run ends, the next sweep takes its folder.
    drop(live_lock);
    world.run(&["exec", "--server", "--", "true"]).ok();
    assert!(!live.exists(), "{:?}", names_in(&cache));
}

#[test]
fn a_run_folder_holds_its_lock_while_the_run_lives() {
    let world = World::new();
    let mut run = world
        .command_with_code(&[
            "exec",
            "--server",
            "--",
            "sh",
            "-c",
            "echo go; exec sleep 30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(run.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "go\n");
    let folder = names_in(&world.cache_dir())
        .into_iter()
        .find(|n| n.starts_with(".run-"))
        .expect("the run's folder");
    let lock = File::open(world.cache_dir().join(&folder).join("lock")).expect("its lock file");
    let held = matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock));
    let _ = run.kill();
    let _ = run.wait();
    assert!(held, "the run does not hold its folder's lock");
}

#[test]
fn clear_during_a_cold_run_leaves_its_lock_and_the_next_run_waits() {
    let world = World::new();
    // A slow STS keeps the first run inside the lock.
    world.sts.set_delay(Duration::from_secs(3));
    let spawn = || {
        world
            .command_with_code(&["exec", "--", "printenv", "AWS_ACCESS_KEY_ID"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let deadline = Instant::now() + Duration::from_secs(10);
    let held = || {
        std::fs::read_dir(world.cache_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".lock"))
            .filter_map(|e| File::open(e.path()).ok())
            .any(|f| matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)))
    };
    while !held() {
        assert!(Instant::now() < deadline, "the first run never locked");
        std::thread::sleep(Duration::from_millis(10));
    }
    let clear = world.run(&["clear"]);
    clear.ok();
    assert_eq!(clear.stdout, "no cached sessions\n");
    assert!(held(), "clear removed the lock a cold run holds");
    let second = spawn();
    let outputs = [first, second].map(|child| child.wait_with_output().unwrap());
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(outputs[0].stdout, outputs[1].stdout, "two sessions");
    assert_eq!(world.sts.count("GetSessionToken"), 1, "two codes spent");
}

/// The one entry's expiry moved to `seconds` from now.
fn expire_in(world: &World, seconds: i64) {
    let entry = world.cache_entries().pop().expect("an entry");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json["expires_at"] = serde_json::json!(now + seconds);
    std::fs::write(&entry, json.to_string()).unwrap();
}

#[test]
fn the_verbose_line_says_in_words_why_a_cached_session_is_not_used() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    expire_in(&world, -10);
    let run = world.run_with_code(&["exec", "-v", "--", "true"]);
    run.ok();
    let line = |run: &Run| {
        run.stderr
            .lines()
            .find(|l| l.contains("the cached MFA session of profile 'alice'"))
            .unwrap_or_else(|| panic!("no reason given: {}", run.stderr))
            .to_owned()
    };
    assert!(
        line(&run).ends_with("the cached MFA session of profile 'alice' has expired"),
        "{}",
        run.stderr
    );
    expire_in(&world, 100);
    let run = world.run_with_code(&["exec", "-v", "--", "true"]);
    run.ok();
    assert!(
        line(&run).ends_with("has 1m left, less than the minimum 15m"),
        "{}",
        run.stderr
    );
}
