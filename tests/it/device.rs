//! The MFA device found, not looked up: a user profile with long-term keys
//! and no `mfa_serial` gets its device from IAM ListMFADevices (signed with
//! the long-term key, allowed without MFA), before any code is asked for.

use crate::support::*;
use rexpect::session::spawn_command;

const NO_SERIAL: &str = "# alice's laptop\n[profile alice]\nregion = eu-west-1\n";
const BACKUP: &str = "arn:aws:iam::123456789012:mfa/alice-backup";
const FIDO: &str = "arn:aws:iam::123456789012:u2f/user/alice/key-AAAAAAAAAAAAAAAAAAAA";

fn world_without_serial() -> World {
    let world = World::new();
    world.write_config(NO_SERIAL);
    world
}

#[test]
fn without_a_terminal_the_hint_is_the_line_with_the_real_device() {
    let world = world_without_serial();
    let given = code();
    let run = world.run(&["exec", "--token-code", &given, "--", "true"]);
    run.fails_with(125, "profile 'alice' has no mfa_serial");
    assert_eq!(
        run.stderr.lines().nth(1),
        Some(
            format!(
                "hint: add this line to [profile alice] in ~/aws-config: mfa_serial = \
                 {ALICE_SERIAL} (a virtual device of user alice, found with IAM ListMFADevices)"
            )
            .as_str()
        ),
        "{}",
        run.stderr
    );
    // One read-only call, signed with the long-term key; the code is not spent.
    assert_eq!(world.sts.signers("ListMFADevices"), [ALICE_KEY]);
    assert_eq!(world.sts.count("GetSessionToken"), 0);
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        NO_SERIAL
    );
    // The same code works once the line is there: it was never spent.
    world.write_config(&format!("{NO_SERIAL}mfa_serial = {ALICE_SERIAL}\n"));
    world
        .run(&["exec", "--token-code", &given, "--", "true"])
        .ok();
}

#[test]
fn on_a_terminal_the_one_device_is_written_and_the_run_goes_on() {
    let world = world_without_serial();
    let mut terminal = spawn_command(
        world.terminal_command(&["exec", "--", "sh", "-c", "echo key=$AWS_ACCESS_KEY_ID"]),
        Some(20_000),
    )
    .expect("a pty");
    terminal
        .exp_string(&format!(
            "IAM says its user's device is {ALICE_SERIAL} (a virtual device of user alice). \
             Write mfa_serial = {ALICE_SERIAL} into [profile alice] in ~/aws-config? [Y/n] "
        ))
        .unwrap();
    assert_eq!(world.sts.count("GetSessionToken"), 0, "no code before that");
    terminal.send_line("").unwrap();
    terminal
        .exp_string(&format!("MFA code for {ALICE_SERIAL}: "))
        .unwrap();
    terminal.send_line(&code()).unwrap();
    terminal.exp_string("key=ASIA").unwrap();
    // Every other line kept, the device added to alice's section.
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        format!("{NO_SERIAL}mfa_serial = {ALICE_SERIAL}\n")
    );
}

#[test]
fn several_devices_are_a_numbered_choice_on_a_terminal_and_named_without_one() {
    let world = world_without_serial();
    world.sts.set_devices(&[FIDO, ALICE_SERIAL, BACKUP]);
    let run = world.run(&["exec", "--", "true"]);
    run.fails_with(125, "IAM user alice has 2 MFA devices");
    assert!(
        run.stderr.contains(&format!(
            "{ALICE_SERIAL} (a virtual device of user alice), {BACKUP} (a virtual device of user alice)"
        )) && !run.stderr.contains(FIDO),
        "the FIDO key is not offered: {}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        NO_SERIAL
    );

    let mut terminal = spawn_command(
        world.terminal_command(&["exec", "--", "true"]),
        Some(20_000),
    )
    .expect("a pty");
    terminal.exp_string(&format!("  2) {BACKUP}")).unwrap();
    terminal
        .exp_string("Which one should be written into [profile alice] in ~/aws-config? [1-2] ")
        .unwrap();
    terminal.send_line("2").unwrap();
    terminal
        .exp_string(&format!("MFA code for {BACKUP}: "))
        .unwrap();
    terminal.send_line(&code()).unwrap();
    terminal.exp_eof().unwrap();
    assert!(
        std::fs::read_to_string(world.config_path())
            .unwrap()
            .ends_with(&format!("mfa_serial = {BACKUP}\n"))
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn no_device_or_only_fido_keys_are_said_plainly() {
    let world = world_without_serial();
    world.sts.set_devices(&[]);
    world
        .run(&["exec", "--", "true"])
        .fails_with(125, "its IAM user has no MFA device");
    world.sts.set_devices(&[FIDO]);
    let run = world.run(&["exec", "--", "true"]);
    run.fails_with(125, "has only FIDO security keys");
    assert!(
        run.stderr
            .contains("STS takes codes only from a virtual or hardware TOTP device")
    );
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn where_iam_refuses_the_words_are_todays_and_v_says_why() {
    let world = world_without_serial();
    world.sts.refuse_device_listing();
    let run = world.run(&["exec", "-v", "--", "true"]);
    assert_eq!(run.status, 125, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("awsmfa: IAM did not list the user's MFA devices: IAM ListMFADevices at"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("awsmfa: profile 'alice' has no mfa_serial\n")
            && run
                .stderr
                .contains("mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cache_hit_never_asks_iam() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    world.run(&["exec", "--", "true"]).ok();
    world.run(&["export"]).ok();
    assert_eq!(world.sts.count("ListMFADevices"), 0);
}

/// `awsmfa add` on a profile without `mfa_serial`: the device IAM lists is
/// written into the config file before the keys are stored; two devices
/// and no terminal store nothing and write nothing.
#[test]
fn add_writes_the_users_device_before_storing_the_keys() {
    use crate::support::keyring::Keyring;
    let keyring = Keyring::start();
    let add = |world: &World| {
        let mut add = world.command(&["add", "--env"]);
        add.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
            .env("AWS_ACCESS_KEY_ID", ALICE_KEY)
            .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
        world.run_command(add)
    };

    let world = world_without_serial();
    world.write_credentials("");
    world.sts.set_devices(&[ALICE_SERIAL, BACKUP]);
    let run = add(&world);
    assert_eq!(run.status, 1, "{}", run.stderr);
    // Whose keys they are, then the error naming both devices.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.len() == 3
            && lines[0].starts_with("the keys (AKIA…0001) are those of")
            && lines[1].contains("IAM user alice has 2 MFA devices")
            && lines[1].contains(BACKUP)
            && lines[2].starts_with("hint: "),
        "{}",
        run.stderr
    );
    assert!(keyring.lookup("alice").is_none(), "nothing stored");
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        NO_SERIAL
    );

    world.sts.set_devices(&[ALICE_SERIAL]);
    let run = add(&world);
    run.ok();
    assert!(
        run.stdout.contains(&format!(
            "set mfa_serial = {ALICE_SERIAL} for profile 'alice' in ~/aws-config (the user's MFA \
             device, as IAM lists it)"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        format!("{NO_SERIAL}mfa_serial = {ALICE_SERIAL}\n")
    );
    assert!(
        keyring
            .lookup("alice")
            .is_some_and(|s| s.contains(ALICE_SECRET))
    );
    // And the next run works, with the keys from the keystore.
    let mut exec = world.command_with_code(&["exec", "--", "true"]);
    exec.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    world.run_command(exec).ok();
}

/// A code STS refuses while `mfa_serial` is not one of the user's devices
/// (an old phone): said so, with the right one; a prompt does not ask again.
#[test]
fn a_refused_code_with_someone_elses_device_names_the_users_own() {
    let world = World::new();
    let old = "arn:aws:iam::123456789012:mfa/old-phone";
    world.write_config(&format!(
        "[profile alice]\nmfa_serial = {old}\nregion = eu-west-1\n"
    ));
    let run = world.run_with_code(&["exec", "--", "true"]);
    run.fails_with(
        125,
        &format!(
            "STS refused the code: mfa_serial = {old} (profile 'alice') is not a device of this \
             IAM user, whose device is {ALICE_SERIAL} (a virtual device of user alice)"
        ),
    );
    assert!(
        run.stderr.contains(&format!(
            "hint: set mfa_serial = {ALICE_SERIAL} for profile 'alice'"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("ListMFADevices"), 1);

    let mut terminal = spawn_command(
        world.terminal_command(&["exec", "--", "true"]),
        Some(20_000),
    )
    .expect("a pty");
    terminal
        .exp_string(&format!("MFA code for {old}: "))
        .unwrap();
    terminal.send_line(&code()).unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("is not a device of this IAM user"), "{rest}");
    assert!(!rest.contains("MFA code for"), "asked again: {rest}");
    assert_eq!(world.sts.count("GetSessionToken"), 2);

    // The right device, a wrong code: STS's refusal as ever, tries left.
    world.write_config(ALICE_CONFIG);
    let run = world.run(&["exec", "--token-code", WRONG_CODE, "--", "true"]);
    assert_eq!(run.status, 125, "{}", run.stderr);
    assert!(
        run.stderr.contains("STS rejected the MFA code"),
        "{}",
        run.stderr
    );
}
