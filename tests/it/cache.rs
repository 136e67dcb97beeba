//! The session cache as a user meets it: where it is, its modes, when an
//! entry is reused, and what happens to entries that cannot be trusted.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;

fn first_entry(world: &World) -> std::path::PathBuf {
    let entries = world.cache_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn folder_and_files_are_private() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(mode(&world.cache_dir()), 0o700);
    let files: Vec<_> = std::fs::read_dir(world.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        files.len() >= 2,
        "an entry, its lock, the used-code record: {files:?}"
    );
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            !name.contains(ALICE_KEY) && !name.contains("alice"),
            "{name}"
        );
    }
    let text = std::fs::read_to_string(first_entry(&world)).unwrap();
    let entry: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(entry["version"], 1);
    assert_eq!(entry["profile"], "alice");
    assert_eq!(entry["kind"], "session");
}

#[test]
fn an_existing_open_folder_is_made_private() {
    let world = World::new();
    std::fs::create_dir(world.cache_dir()).unwrap();
    std::fs::set_permissions(world.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(mode(&world.cache_dir()), 0o700);
}

/// Moves an entry's expiry to `seconds` from now, as time passing would.
fn expire_in(world: &World, seconds: u64) {
    let entry = first_entry(world);
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    value["expires_at"] = (sts::now() + seconds).into();
    std::fs::write(&entry, value.to_string()).unwrap();
}

#[test]
fn min_ttl_decides_reuse() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    expire_in(&world, 14 * 60);
    // The default minimum is 15 minutes.
    world
        .run(&["exec", "--", "true"])
        .fails_with(125, "no terminal");
    world.run(&["exec", "--min-ttl", "10m", "--", "true"]).ok();
    let mut command = world.command(&["exec", "--", "true"]);
    command.env("AWSMFA_MIN_TTL", "600");
    world.run_command(command).ok();
    world
        .run(&["exec", "--min-ttl", "900", "--", "true"])
        .fails_with(125, "no terminal");
    expire_in(&world, 16 * 60);
    world.run(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn refresh_forces_a_new_session() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let before = std::fs::read_to_string(first_entry(&world)).unwrap();
    world
        .run_with_code(&["exec", "--refresh", "--", "true"])
        .ok();
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    let after = std::fs::read_to_string(first_entry(&world)).unwrap();
    assert_ne!(before, after, "the entry was replaced");
    world
        .run(&["exec", "--refresh", "--", "true"])
        .fails_with(125, "no terminal");
}

#[test]
fn a_new_key_serial_or_duration_never_reuses_an_entry() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();

    // Duration.
    world
        .run(&["exec", "--duration", "2h", "--", "true"])
        .fails_with(125, "no terminal");

    // A rotated long-term key.
    let rotated = (
        "AKIAALICEROTATED0002",
        "rotatedSecretKey/AAAAAAAAAAAAAAAAAAAAAAAA",
    );
    world.secret(rotated.1);
    world.sts.add_alice_key(rotated.0, rotated.1);
    world.write_credentials(&format!(
        "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        rotated.0, rotated.1
    ));
    world
        .run(&["exec", "--", "true"])
        .fails_with(125, "no terminal");
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.calls()[1].access_key_id, rotated.0);

    // Another MFA device.
    world.write_config(&ALICE_CONFIG.replace("mfa/alice", "mfa/alice-phone"));
    world
        .run(&["exec", "--", "true"])
        .fails_with(125, "no terminal");
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert_eq!(world.cache_entries().len(), 2);
}

fn corrupt_then_expect_replacement(prepare: impl Fn(&std::path::Path), warning: &str) {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let entry = first_entry(&world);
    prepare(&entry);
    let run = world.run_with_code(&["exec", "--", "true"]);
    run.ok();
    assert!(
        run.stderr
            .starts_with("awsmfa: warning: ignoring cache file ")
            && run.stderr.contains(warning),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(
        world.sts.count("GetSessionToken"),
        2,
        "a new session replaced it"
    );
    assert_eq!(mode(&entry), 0o600);
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    // And the replacement is used quietly.
    let run = world.run(&["exec", "--", "true"]);
    run.ok();
    assert_eq!(run.stderr, "");
}

#[test]
fn an_unparsable_entry_is_replaced() {
    corrupt_then_expect_replacement(
        |entry| std::fs::write(entry, "{\"version\": 1, \"profile\": ").unwrap(),
        "not a valid cache entry",
    );
}

#[test]
fn an_entry_of_an_unknown_version_is_replaced() {
    corrupt_then_expect_replacement(
        |entry| {
            let text = std::fs::read_to_string(entry).unwrap();
            std::fs::write(entry, text.replace("\"version\":1", "\"version\":99")).unwrap();
        },
        "version 99",
    );
}

#[test]
fn a_group_readable_entry_is_replaced() {
    corrupt_then_expect_replacement(
        |entry| std::fs::set_permissions(entry, std::fs::Permissions::from_mode(0o640)).unwrap(),
        "group or others may access it",
    );
}

#[test]
fn an_entry_owned_by_someone_else_is_replaced() {
    // Only root can give a file away: the tests run as root, as CI does.
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test gives a cache file to another user, which only root can do: run the tests as root, as CI does"
    );
    corrupt_then_expect_replacement(
        |entry| {
            use std::os::unix::fs::MetadataExt;
            std::os::unix::fs::chown(entry, Some(65534), Some(65534))
                .expect("chown (the tests run as root)");
            assert_eq!(std::fs::metadata(entry).unwrap().uid(), 65534);
        },
        "belongs to another user",
    );
}

#[test]
fn leftover_temporary_files_are_never_read_and_are_cleaned_up() {
    let world = World::new();
    std::fs::create_dir_all(world.cache_dir()).unwrap();
    // Named as awsmfa names its temporaries: nothing else is removed.
    let stray = world.cache_dir().join(".tmp-Kil1ed");
    std::fs::write(&stray, "{ half").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stray)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let run = world.run_with_code(&["exec", "--", "printenv", "AWSMFA_PROFILE"]);
    run.ok();
    assert_eq!(run.stdout, "alice\n");
    // Read as an entry, the torn file would have been warned about.
    assert_eq!(run.stderr, "", "the torn temporary file was read");
    assert!(!stray.exists(), "the stale temporary file was removed");
    assert_eq!(world.sts.count("GetSessionToken"), 1);

    // A run killed between its write and its rename leaves a whole, usable
    // entry under a temporary name: it is not taken for the entry either.
    let entry = first_entry(&world);
    let unrenamed = world.cache_dir().join(".tmp-killed-before-its-rename");
    std::fs::rename(&entry, &unrenamed).unwrap();
    let text = std::fs::read_to_string(&unrenamed).unwrap();
    let whole: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(whole["profile"], "alice", "{text}");
    let run = world.run(&["exec", "--", "true"]);
    run.fails_with(125, "no terminal");
    let run = world.run(&["status"]);
    run.ok();
    assert_eq!(
        run.stdout,
        format!(
            "no cached sessions in {}\n",
            world.shown(&world.cache_dir())
        ),
        "status read the temporary file: {}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}
