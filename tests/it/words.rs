//! What a user reads: refusals before a code is spent, hints that lead
//! somewhere, and messages in words (issue 19).

use crate::support::*;

const SECURITY_KEY: &str = "arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEF";

#[test]
fn a_security_key_is_refused_before_any_code_source_with_doctors_words() {
    let world = World::new();
    let ran = world.home().join("mfa-process-ran");
    let script = world.home().join("mfa-code");
    executable(
        &script,
        &format!("#!/bin/sh\ntouch '{}'\necho 123456\n", ran.display()),
    );
    world.write_config(&format!(
        "[profile alice]\nmfa_serial = {SECURITY_KEY}\nmfa_process = {}\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n",
        script.display()
    ));
    world.sts.add_role(ADMIN, None);
    let doctor = world.run(&["doctor", "--json"]);
    let checks: serde_json::Value = serde_json::from_str(&doctor.stdout).expect("doctor's JSON");
    let device = checks
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == "MFA device"))
        .unwrap_or_else(|| panic!("no device check: {}", doctor.stdout));
    assert_eq!(device["status"], "fail");
    let words = device["detail"].as_str().expect("detail").to_owned();
    assert!(
        words.contains("security keys cannot serve API calls"),
        "{words}"
    );

    for (args, status) in [
        (&["exec", "--", "true"][..], 125),
        (&["export"][..], 1),
        (&["credential-process"][..], 1),
        (&["login", "--profile", "admin", "--stdout"][..], 1),
    ] {
        let run = world.run(args);
        run.fails_with(status, &words);
        assert!(
            run.stderr.contains("hint: register a virtual"),
            "{args:?}: {}",
            run.stderr
        );
        let given = world.run_with_code(args);
        given.fails_with(status, &words);
    }
    assert!(!ran.exists(), "mfa_process ran for a security key");
    assert!(world.sts.codes().is_empty(), "a code reached STS");
}

#[test]
fn a_rejected_code_names_both_causes_and_where_to_find_the_device() {
    let world = World::new();
    let run = world.run(&["exec", "--token-code", WRONG_CODE, "--", "true"]);
    run.fails_with(
        125,
        "STS rejected the MFA code for arn:aws:iam::123456789012:mfa/alice",
    );
    let hint = run.stderr.lines().nth(1).unwrap_or_default();
    for words in [
        "the code was wrong",
        "mfa_serial is not this user's device (wrong account or name)",
        "Security credentials",
        "aws iam list-mfa-devices",
    ] {
        assert!(hint.contains(words), "'{words}' not in: {hint}");
    }
}

#[test]
fn clear_says_what_it_removed_in_words() {
    let world = world_with_admin();
    world
        .run_with_code(&["exec", "--profile", "admin", "--", "true"])
        .ok();
    let run = world.run(&["clear", "--profile", "admin"]);
    run.ok();
    assert_eq!(
        run.stdout,
        format!("removed the cached role session of profile 'admin' ({ADMIN}, 1h)\n")
    );
    let run = world.run(&["clear", "--profile", "alice"]);
    run.ok();
    assert_eq!(
        run.stdout,
        "removed the cached MFA session of profile 'alice' (12h)\n"
    );
    assert!(world.cache_entries().is_empty());
}

#[test]
fn clear_of_an_unknown_profile_suggests_the_nearest() {
    let world = world_with_admin();
    world
        .run_with_code(&["exec", "--profile", "admin", "--", "true"])
        .ok();
    world
        .run(&["clear", "--profile", "admni"])
        .fails_with(1, "profile 'admni' is not in");
    let run = world.run(&["clear", "--profile", "admni"]);
    assert!(
        run.stderr.contains("hint: did you mean 'admin'?"),
        "{}",
        run.stderr
    );
    assert_eq!(world.cache_entries().len(), 2, "nothing removed");

    // A profile since removed from the files: its sessions can still go.
    world.write_config(ALICE_CONFIG);
    world.run(&["clear", "--profile", "admin"]).ok();
    assert_eq!(world.cache_entries().len(), 1);
}

#[test]
fn aws_vault_habits_get_a_pointer_in_every_command() {
    let world = world_with_admin();
    for (args, hint) in [
        (
            &["login", "admin"][..],
            "write awsmfa login --profile admin",
        ),
        (&["clear", "admin"], "write awsmfa clear --profile admin"),
        (&["export", "admin"], "write awsmfa export --profile admin"),
        (
            &["credential-process", "admin"],
            "write awsmfa credential-process --profile admin",
        ),
        (
            &["exec", "--mfa-token", "123456", "--", "true"],
            "--token-code",
        ),
        (&["exec", "-t", "123456", "--", "true"], "--token-code"),
        (&["export", "--mfa-token=123456"], "--token-code"),
        (&["login", "-t123456", "--profile", "admin"], "--token-code"),
        (&["exec", "--json"], "awsmfa credential-process"),
        (
            &["exec", "--json", "--", "true"],
            "awsmfa credential-process",
        ),
    ] {
        let run = world.run(args);
        run.fails_with(2, "unexpected argument");
        let second = run.stderr.lines().nth(1).unwrap_or_default();
        assert!(
            second.starts_with("hint: ") && second.contains(hint),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("123456"),
            "the code is repeated: {}",
            run.stderr
        );
    }
    assert!(world.sts.calls().is_empty());
}
