//! `awsmfa rotate` against the stand-in's IAM (reached through
//! AWS_ENDPOINT_URL_IAM): five steps on the MFA session, each failure
//! leaving a stored key that works.

use crate::support::keyring::Keyring;
use crate::support::*;
use rexpect::session::spawn_command;
use std::process::Command;
use std::time::{Duration, Instant};

const CREDENTIALS: &str = "# work laptop\n[other]\nregion = eu-west-1\n\n[alice]\n";

fn with_iam(world: &World, mut command: Command) -> Command {
    command.env("AWS_ENDPOINT_URL_IAM", &world.sts.url);
    command
}

fn credentials_path(world: &World) -> std::path::PathBuf {
    world.home().join("aws-credentials")
}

fn credentials(world: &World) -> String {
    std::fs::read_to_string(credentials_path(world)).expect("credentials")
}

/// The one key the stand-in's IAM holds for alice, other than `old`.
fn new_key(world: &World) -> String {
    let keys = world.sts.access_keys(ALICE_ARN);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys[0], ALICE_KEY);
    keys[0].clone()
}

#[test]
fn rotate_replaces_the_key_in_the_credentials_file() {
    let world = World::new();
    world.write_credentials(&format!(
        "{CREDENTIALS}aws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n; end\n"
    ));
    std::fs::set_permissions(
        credentials_path(&world),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    world.run_with_code(&["exec", "--", "true"]).ok();
    world.sts.set_key_delay(Duration::from_millis(1500));
    let started = Instant::now();
    let run = world.run_command(with_iam(&world, world.command_with_code(&["rotate", "-v"])));
    run.ok();
    let new = new_key(&world);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "did not wait for the new key"
    );
    assert!(
        run.stderr.contains("waiting for IAM to serve the new key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("5/5 IAM DeleteAccessKey"),
        "-v shows each step: {}",
        run.stderr
    );
    assert!(
        run.stdout.contains(&format!("{ALICE_KEY} → {new}")),
        "{}",
        run.stdout
    );
    // Every other line kept; the new secret stored, never shown.
    let text = credentials(&world);
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .expect("a secret")
        .to_owned();
    assert_eq!(
        text,
        format!(
            "{CREDENTIALS}aws_access_key_id = {new}\naws_secret_access_key = {secret}\n; end\n"
        )
    );
    // The file now holds a new secret: group and others are kept out, and told so.
    assert_eq!(mode(&credentials_path(&world)), 0o600);
    assert!(
        run.stderr.contains(
            "awsmfa: ~/aws-credentials could be read by group or others (mode 640); it holds the \
             new secret key, so it is now private (mode 600)"
        ),
        "{}",
        run.stderr
    );
    world.secret(&secret);
    world.check_no_secrets(&run.stderr, &[]);
    assert!(!run.stdout.contains(&secret));
    // IAM was called on the MFA session, never with the long-term key.
    for action in ["ListAccessKeys", "CreateAccessKey", "DeleteAccessKey"] {
        let signers = world.sts.signers(action);
        assert!(
            !signers.is_empty() && signers.iter().all(|k| k.starts_with("ASIA")),
            "{action}: {signers:?}"
        );
    }
    // The old key's session is gone: the next run needs a code, and signs with the new key.
    assert!(world.cache_entries().is_empty());
    world
        .run(&["exec", "--", "true"])
        .fails_with(125, "an MFA code is needed");
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.signers("GetSessionToken").last(), Some(&new));
}

#[test]
fn rotate_replaces_the_key_in_the_keystore() {
    let world = World::new();
    let keyring = Keyring::start();
    world.write_credentials("");
    let mut add = world.command(&["add", "--env"]);
    add.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
        .env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    world.run_command(add).ok();
    let mut rotate = with_iam(&world, world.command_with_code(&["rotate"]));
    rotate.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let run = world.run_command(rotate);
    run.ok();
    let new = new_key(&world);
    let stored = keyring.lookup("alice").expect("an entry");
    assert!(
        stored.contains(&new) && !stored.contains(ALICE_KEY),
        "{stored}"
    );
    assert_eq!(credentials(&world), "", "the files were touched");
    let mut exec = world.command_with_code(&["exec", "--", "true"]);
    exec.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    world.run_command(exec).ok();
    assert_eq!(world.sts.signers("GetSessionToken").last(), Some(&new));
}

#[test]
fn a_user_with_two_keys_gets_both_named_and_nothing_created() {
    let world = World::new();
    world
        .sts
        .add_alice_key("AKIASPAREKEY00000001", "spare-secret");
    let run = world.run_command(with_iam(&world, world.command_with_code(&["rotate"])));
    run.fails_with(1, "already has two access keys");
    assert!(
        run.stderr.contains(ALICE_KEY) && run.stderr.contains("AKIASPAREKEY00000001"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("aws iam delete-access-key --access-key-id AKIASPAREKEY00000001")
    );
    assert_eq!(world.sts.count("CreateAccessKey"), 0);
    assert_eq!(credentials(&world), alice_credentials());
}

#[test]
fn a_new_key_that_never_works_is_deleted_and_the_old_one_kept() {
    let world = World::new();
    world.sts.set_key_delay(Duration::from_secs(3600));
    let mut rotate = with_iam(&world, world.command_with_code(&["rotate"]));
    rotate.env("AWSMFA_ROTATE_WAIT", "2");
    let run = world.run_command(rotate);
    run.fails_with(1, "did not become usable within 2 s");
    assert!(run.stderr.contains("it was deleted"), "{}", run.stderr);
    assert_eq!(world.sts.access_keys(ALICE_ARN), [ALICE_KEY]);
    assert_eq!(credentials(&world), alice_credentials());
    // Nothing cached was lost either: the old key's session still serves.
    world.run(&["exec", "--", "true"]).ok();
}

#[test]
fn a_refused_deletion_leaves_the_new_key_stored_and_names_the_old_one() {
    let world = World::new();
    world.sts.refuse_key_deletion();
    let run = world.run_command(with_iam(&world, world.command_with_code(&["rotate"])));
    run.fails_with(1, "deleting the old key");
    let keys = world.sts.access_keys(ALICE_ARN);
    let new = keys
        .iter()
        .find(|k| *k != ALICE_KEY)
        .expect("a new key")
        .clone();
    assert!(
        run.stderr.contains(&format!("{new} is stored")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "hint: delete it: aws iam delete-access-key --access-key-id {ALICE_KEY}"
        )),
        "{}",
        run.stderr
    );
    assert!(credentials(&world).contains(&new));
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.signers("GetSessionToken").last(), Some(&new));
}

/// SIGKILL while rotate waits at `action`: the key stored then still works.
fn killed_at(action: &str, stored_is_new: bool) {
    let world = World::new();
    world.sts.slow_action(action, Duration::from_secs(30));
    let mut child = with_iam(&world, world.command_with_code(&["rotate"]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("rotate");
    let started = Instant::now();
    while world.sts.count(action) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "rotate never reached {action}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = credentials(&world);
    let stored = text
        .lines()
        .find_map(|l| l.strip_prefix("aws_access_key_id = "))
        .expect("a key is stored");
    assert_eq!(stored == ALICE_KEY, !stored_is_new, "{action}: {text}");
    assert!(
        world
            .sts
            .access_keys(ALICE_ARN)
            .contains(&stored.to_owned())
    );
    let run = world.run_with_code(&["exec", "--refresh", "--", "true"]);
    run.ok();
    assert_eq!(
        world
            .sts
            .signers("GetSessionToken")
            .last()
            .map(String::as_str),
        Some(stored)
    );
}

#[test]
fn a_kill_at_any_step_leaves_a_stored_key_that_works() {
    killed_at("CreateAccessKey", false);
    killed_at("GetCallerIdentity", false);
    killed_at("DeleteAccessKey", true);
}

#[test]
fn on_a_terminal_rotate_asks_first_and_a_no_changes_nothing() {
    let world = World::new();
    let mut terminal = spawn_command(
        with_iam(&world, world.terminal_command(&["rotate"])),
        Some(20_000),
    )
    .expect("spawn on a pty");
    terminal
        .exp_string(&format!(
            "Replace the access key {ALICE_KEY} of profile 'alice' (stored in ~/aws-credentials) \
             with a new one, and delete it at IAM? [y/N] "
        ))
        .unwrap();
    terminal.send_line("n").unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("awsmfa: nothing was changed"), "{rest}");
    assert!(
        world.sts.calls().is_empty(),
        "no code was asked, no call made"
    );
    assert_eq!(credentials(&world), alice_credentials());

    // Yes: the MFA code is asked only then, and the key is replaced.
    let typed = code();
    let mut terminal = spawn_command(
        with_iam(&world, world.terminal_command(&["rotate"])),
        Some(20_000),
    )
    .expect("spawn on a pty");
    terminal.exp_string("[y/N] ").unwrap();
    terminal.send_line("y").unwrap();
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    terminal.send_line(&typed).unwrap();
    let rest = from_pty(&terminal.exp_eof().unwrap());
    let new = new_key(&world);
    assert!(rest.contains(&format!("{ALICE_KEY} → {new}")), "{rest}");
    assert!(credentials(&world).contains(&new));

    // --force does not ask.
    let run = world.run_command(with_iam(
        &world,
        world.command_with_code(&["rotate", "--force"]),
    ));
    run.ok();
    assert!(!run.stderr.contains("[y/N]"), "{}", run.stderr);
}

#[test]
fn a_dry_run_says_each_step_and_changes_nothing() {
    let world = world_with_admin();
    std::fs::set_permissions(
        credentials_path(&world),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let run = world.run_command(with_iam(
        &world,
        world.command(&["rotate", "--dry-run", "--profile", "admin"]),
    ));
    run.ok();
    // A role profile: the key replaced is its user's, said without -v.
    assert!(
        run.stderr.contains(
            "awsmfa: profile 'admin' is a role on IAM user profile 'alice': rotate replaces the \
             key of that user"
        ),
        "{}",
        run.stderr
    );
    let steps: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        steps,
        [
            format!(
                "awsmfa rotate would replace the access key {ALICE_KEY} of profile 'alice' \
                 (stored in ~/aws-credentials):"
            )
            .as_str(),
            "1/5 get the MFA session of device arn:aws:iam::123456789012:mfa/alice (cached, or a code)",
            &format!("2/5 create a new access key at IAM, {}", world.sts.url),
            "3/5 wait up to 30 s until IAM serves it",
            &format!(
                "4/5 store it in ~/aws-credentials in place of {ALICE_KEY}; ~/aws-credentials is \
                 made private (mode 644 → 600)"
            ),
            &format!("5/5 delete the old key {ALICE_KEY} at IAM, and remove its cached sessions"),
            "--dry-run: nothing was called or changed",
        ]
    );
    assert!(world.sts.calls().is_empty(), "{:?}", world.sts.calls());
    assert_eq!(credentials(&world), alice_credentials());
    assert_eq!(mode(&credentials_path(&world)), 0o644);
    assert!(world.sts.access_keys(ALICE_ARN) == [ALICE_KEY]);
}
