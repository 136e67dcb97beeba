//! Long-term keys in the OS keystore: `add`, `remove`, and runs that read
//! the keys from a real GNOME Keyring over a private D-Bus session bus,
//! checked from outside with `secret-tool`.

use crate::support::keyring::Keyring;
use crate::support::*;
use rexpect::session::spawn_command;
use std::process::Command;

const CREDENTIALS_WITH_OTHERS: &str = "# alice's keys, from the console\n[alice]\n";

/// A world whose runs reach `keyring`'s bus.
fn on_bus(mut command: Command, keyring: &Keyring) -> Command {
    command.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    command
}

fn credentials(world: &World) -> String {
    std::fs::read_to_string(world.home().join("aws-credentials")).expect("credentials file")
}

/// alice's keys stored in the keystore through `add --env`, and none in the files.
fn alice_in_keystore(world: &World, keyring: &Keyring) {
    world.write_credentials("");
    let mut add = on_bus(world.command(&["add", "--env"]), keyring);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    world.run_command(add).ok();
}

#[test]
fn add_from_file_moves_the_keys_and_runs_read_them_from_the_keystore() {
    let world = World::new();
    let keyring = Keyring::start();
    let path = world.home().join("aws-credentials");
    world.write_credentials(&format!(
        "{CREDENTIALS_WITH_OTHERS}aws_access_key_id = {ALICE_KEY}\n\
         aws_secret_access_key = {ALICE_SECRET}\n; kept\nregion = eu-west-1\n\n\
         [other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n"
    ));
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();

    let run = world.run_command(on_bus(world.command(&["add", "--from-file"]), &keyring));
    run.ok();
    assert!(run.stdout.contains(ALICE_ARN), "{}", run.stdout);
    assert!(
        run.stdout.contains("removed the keys of profile 'alice'"),
        "{}",
        run.stdout
    );
    // Every other line kept, the mode too; the keys are in the keyring only.
    assert_eq!(
        credentials(&world),
        format!(
            "{CREDENTIALS_WITH_OTHERS}; kept\nregion = eu-west-1\n\n\
             [other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n"
        )
    );
    assert_eq!(mode(&path), 0o640);
    let stored = keyring.lookup("alice").expect("an entry in the keyring");
    assert!(
        stored.contains(ALICE_KEY) && stored.contains(ALICE_SECRET),
        "{stored}"
    );
    assert!(
        !Keyring::is_in(world.home(), ALICE_SECRET),
        "the secret is still in a file"
    );
    assert_eq!(
        world.sts.count("GetCallerIdentity"),
        1,
        "checked before storing"
    );

    let list = world.run(&["list"]);
    list.ok();
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with("alice"))
        .expect("alice listed");
    assert!(row.contains("keystore"), "{}", list.stdout);

    // A miss reads the keys from the keyring and signs with them.
    let exec = on_bus(
        world.command_with_code(&["exec", "--", "sh", "-c", "echo key=$AWS_ACCESS_KEY_ID"]),
        &keyring,
    );
    let run = world.run_command(exec);
    run.ok();
    assert!(run.stdout.contains("key=ASIA"), "{}", run.stdout);
    assert_eq!(world.sts.signers("GetSessionToken"), [ALICE_KEY]);
    assert!(
        !Keyring::is_in(world.home(), ALICE_SECRET),
        "the secret reached the cache"
    );
}

#[test]
fn a_cache_hit_never_touches_the_keystore() {
    let world = World::new();
    let mut keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    world
        .run_command(on_bus(
            world.command_with_code(&["exec", "--", "true"]),
            &keyring,
        ))
        .ok();
    keyring.stop();
    // The Secret Service is gone: a hit still serves, a miss cannot.
    let hit = world.run_command(on_bus(
        world.command(&["exec", "--", "sh", "-c", "echo key=$AWS_ACCESS_KEY_ID"]),
        &keyring,
    ));
    hit.ok();
    assert!(hit.stdout.contains("key=ASIA"), "{}", hit.stdout);
    let spent = code();
    let miss = world.run_command(on_bus(
        world.command(&["exec", "--refresh", "--token-code", &spent, "--", "true"]),
        &keyring,
    ));
    miss.fails_with(125, "cannot read the keys of profile 'alice'");
    assert_eq!(miss.stderr.lines().count(), 2, "{}", miss.stderr);
    assert!(
        !world.sts.codes().contains(&spent),
        "a code was spent without keys"
    );
}

#[test]
fn a_change_of_keys_never_reuses_a_session() {
    let world = World::new();
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    let exec = || {
        world
            .run_command(on_bus(
                world.command_with_code(&["exec", "--", "true"]),
                &keyring,
            ))
            .ok();
    };
    exec();
    exec();
    assert_eq!(
        world.sts.count("GetSessionToken"),
        1,
        "the second run reused the session"
    );
    world.sts.add_alice_key("AKIANEWKEY", "new-secret");
    world.secret("new-secret");
    let mut add = on_bus(world.command(&["add", "--env"]), &keyring);
    add.env("AWS_ACCESS_KEY_ID", "AKIANEWKEY")
        .env("AWS_SECRET_ACCESS_KEY", "new-secret");
    let run = world.run_command(add);
    run.ok();
    assert!(
        run.stdout.contains("removed 1 cached session"),
        "{}",
        run.stdout
    );
    exec();
    assert_eq!(
        world.sts.signers("GetSessionToken"),
        [ALICE_KEY, "AKIANEWKEY"],
        "the new keys got a session of their own"
    );
}

#[test]
fn add_checks_the_keys_and_writes_a_new_profile() {
    let world = World::new();
    let keyring = Keyring::start();
    world.secret("wrong-secret");
    let mut add = on_bus(
        world.command(&["add", "--env", "--profile", "work"]),
        &keyring,
    );
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret");
    let run = world.run_command(add);
    run.fails_with(1, "the keys do not work, nothing was stored");
    assert_eq!(keyring.lookup("work"), None);

    let mut add = on_bus(
        world.command(&[
            "add",
            "--env",
            "--profile",
            "work",
            "--mfa-serial",
            ALICE_SERIAL,
        ]),
        &keyring,
    );
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    let run = world.run_command(add);
    run.ok();
    let config = std::fs::read_to_string(world.config_path()).unwrap();
    assert!(
        config.starts_with(ALICE_CONFIG)
            && config.ends_with(&format!("[profile work]\nmfa_serial = {ALICE_SERIAL}\n")),
        "{config}"
    );
    let exec = on_bus(
        world.command_with_code(&["exec", "--profile", "work", "--", "true"]),
        &keyring,
    );
    world.run_command(exec).ok();

    // Keys that are temporary, and keys already in the files, are refused.
    let mut add = on_bus(world.command(&["add", "--env", "--profile", "x"]), &keyring);
    add.env("AWS_ACCESS_KEY_ID", "ASIATEMPORARY")
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET)
        .env("AWS_SESSION_TOKEN", "t");
    world
        .run_command(add)
        .fails_with(1, "temporary credentials");
    let mut add = on_bus(world.command(&["add", "--env"]), &keyring);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    world
        .run_command(add)
        .fails_with(1, "already has keys in the AWS files");
    assert_eq!(
        world.sts.count("GetCallerIdentity"),
        2,
        "refused before any call"
    );
}

#[test]
fn add_asks_on_the_terminal_without_echo() {
    let world = World::new();
    let keyring = Keyring::start();
    world.write_credentials("");
    let mut terminal = spawn_command(
        on_bus(world.terminal_command(&["add"]), &keyring),
        Some(20_000),
    )
    .expect("spawn on a pty");
    // Information for the person typing, not in the `awsmfa: ` form of a failure.
    let before = terminal.exp_string("Access key ID: ").unwrap();
    assert!(
        before.contains("The keys of profile 'alice' (neither is shown as you type)")
            && !before.contains("awsmfa: "),
        "{before}"
    );
    terminal.send_line(ALICE_KEY).unwrap();
    terminal.exp_string("Secret access key: ").unwrap();
    terminal.send_line(ALICE_SECRET).unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("stored the keys of"), "{rest}");
    assert!(
        !rest.contains(ALICE_SECRET),
        "the secret was echoed: {rest}"
    );
    assert!(
        keyring
            .lookup("alice")
            .is_some_and(|s| s.contains(ALICE_SECRET))
    );
}

#[test]
fn remove_confirms_deletes_and_forgets_the_sessions() {
    let world = World::new();
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    world
        .run_command(on_bus(
            world.command_with_code(&["exec", "--", "true"]),
            &keyring,
        ))
        .ok();
    assert_eq!(world.cache_entries().len(), 1);
    world
        .run_command(on_bus(world.command(&["remove"]), &keyring))
        .fails_with(1, "there is no terminal to confirm on");
    assert!(
        keyring.lookup("alice").is_some(),
        "deleted without confirmation"
    );

    // Back to the file, then gone from the keyring and the cache; a file
    // others could read is made private as it gets the secret, and said so.
    let path = world.home().join("aws-credentials");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let run = world.run_command(on_bus(
        world.command(&["remove", "--to-file", "--force"]),
        &keyring,
    ));
    run.ok();
    assert_eq!(keyring.lookup("alice"), None);
    assert!(
        world.cache_entries().is_empty(),
        "the old sessions are still cached"
    );
    assert_eq!(credentials(&world), alice_credentials());
    assert_eq!(mode(&path), 0o600);
    assert!(
        run.stderr.contains(
            "awsmfa: ~/aws-credentials could be read by group or others (mode 644); it holds the \
             secret key now, so it is private (mode 600)"
        ),
        "{}",
        run.stderr
    );
    world
        .run_command(on_bus(world.command(&["remove", "--force"]), &keyring))
        .fails_with(1, "profile 'alice' keeps its keys in");
    let run = world.run_command(on_bus(
        world.command(&["remove", "--force", "--profile", "alcie"]),
        &keyring,
    ));
    run.fails_with(1, "profile 'alcie' is not in");
    assert!(
        run.stderr.contains("hint: did you mean 'alice'?"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_locked_missing_or_foreign_keystore_is_one_line() {
    let world = World::new();
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    keyring.lock();
    let spent = code();
    let run = world.run_command(on_bus(
        world.command(&["exec", "--token-code", &spent, "--", "true"]),
        &keyring,
    ));
    run.fails_with(125, "is locked or refused access");
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
    assert!(!world.sts.codes().contains(&spent));
    let doctor = world.run_command(on_bus(world.command(&["doctor"]), &keyring));
    assert_eq!(doctor.status, 1, "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("is locked or refused access"),
        "{}",
        doctor.stdout
    );

    // No Secret Service on the session bus at all.
    let mut add = world.command(&["add", "--env", "--profile", "x"]);
    add.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    let run = world.run_command(add);
    run.fails_with(1, "no keystore answers");
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
}

#[test]
fn an_entry_awsmfa_did_not_write_is_named() {
    let world = World::new();
    let keyring = Keyring::start();
    world.write_credentials("");
    keyring.store("alice", "not json");
    let run = world.run_command(on_bus(
        world.command_with_code(&["exec", "--", "true"]),
        &keyring,
    ));
    run.fails_with(
        125,
        "the keystore entry of profile 'alice' is not one awsmfa wrote",
    );
    assert!(!run.stderr.contains("not json"));
}

/// `add` finds out that no keystore answers before it asks for a key or
/// calls STS, and says whose keys they are before it stores them, whether
/// they were typed, in the environment or in the file.
#[test]
fn add_asks_the_keystore_first_and_names_whose_keys_before_storing() {
    let world = World::new();
    world.write_credentials("");
    // No D-Bus session at all: no keystore answers.
    let mut add = world.command(&["add", "--env"]);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let run = world.run_command(add);
    run.fails_with(1, "no keystore answers");
    assert!(world.sts.calls().is_empty(), "STS was called first");
    // At a terminal, before the keys are asked for.
    let mut terminal = spawn_command(
        {
            let mut command = world.terminal_command(&["add"]);
            command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
            command
        },
        Some(10_000),
    )
    .expect("spawn on a pty");
    let before = terminal.exp_string("no keystore answers").unwrap();
    assert!(!before.to_lowercase().contains("access key id"), "{before}");
    let _ = terminal.exp_eof();

    let keyring = Keyring::start();
    let mut add = on_bus(world.command(&["add", "--env"]), &keyring);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    let run = world.run_command(add);
    run.ok();
    assert!(
        run.stderr
            .contains(&format!("the keys (AKIA…0001) are those of {ALICE_ARN}")),
        "{}",
        run.stderr
    );
}
