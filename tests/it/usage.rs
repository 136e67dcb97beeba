//! Usage errors: a flag's value that cannot be right is said in one line,
//! in the words that were typed, with exit status 2, before any file is
//! read or any code spent; an MFA code given on the command line is never
//! repeated. The variables that stand in for flags stay setting errors.

use crate::support::*;

/// One line on stderr, `awsmfa: WORDS…`, and exit status 2.
fn usage_error(run: &Run, words: &str) {
    assert_eq!(run.status, 2, "{words}: {}", run.stderr);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [format!("awsmfa: {words}")],
        "not one line in the words typed"
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn malformed_flag_values_are_usage_errors_in_the_words_typed() {
    let world = World::new();
    let six_digits = "--token-code: an MFA code is exactly 6 digits";
    let cases: &[(&[&str], &str)] = &[
        (&["exec", "--token-code", "12345", "--", "true"], six_digits),
        (
            &["exec", "--token-code", "1234567", "--", "true"],
            six_digits,
        ),
        (&["exec", "--token-code=abcdef", "--", "true"], six_digits),
        (&["exec", "--token-code", "", "--", "true"], six_digits),
        (&["export", "--token-code", "12 345"], six_digits),
        (
            &["credential-process", "--token-code", "x23456"],
            six_digits,
        ),
        (
            &["exec", "--duration", "10m", "--", "true"],
            "--duration: '10m' is less than the 15 minutes STS allows",
        ),
        (
            &["exec", "--duration", "899", "--", "true"],
            "--duration: '899' is less than the 15 minutes STS allows",
        ),
        (
            &["export", "--duration", "0"],
            "--duration: '0' is less than the 15 minutes STS allows",
        ),
        (
            &["exec", "--duration", "37h", "--", "true"],
            "--duration: '37h' is more than the 36 hours STS allows",
        ),
        (
            &["credential-process", "--duration", "129601"],
            "--duration: '129601' is more than the 36 hours STS allows",
        ),
        (
            &["rotate", "--duration", "2d"],
            "--duration: '2d' is more than the 36 hours STS allows",
        ),
        (
            &["login", "--duration", "13h"],
            "--duration: '13h' is more than the 12 hours STS allows a role",
        ),
        (
            &["exec", "--duration", "-5m", "--", "true"],
            "--duration: '-5m' is negative; give a length such as 15m, 1h, 12h",
        ),
        (
            &["exec", "--duration", "soon", "--", "true"],
            "--duration: 'soon' is not seconds or a duration like 15m, 1h, 12h",
        ),
        (
            &["exec", "--min-ttl", "soon", "--", "true"],
            "--min-ttl: 'soon' is not seconds or a duration like 15m, 1h, 12h",
        ),
        (
            &["exec", "--min-ttl", "-1", "--", "true"],
            "--min-ttl: '-1' is negative; give a length such as 15m, 1h, 12h",
        ),
        (
            &["exec", "--region", "eu west 1", "--", "true"],
            "--region: 'eu west 1' is not a region name, such as eu-west-1",
        ),
        (
            &["exec", "--region", "foo", "--", "true"],
            "--region: 'foo' is not a region name, such as eu-west-1",
        ),
        (
            &["exec", "--region", "us-east-1x", "--", "true"],
            "--region: 'us-east-1x' is not a region name, such as eu-west-1",
        ),
        (
            &["add", "--mfa-serial", "my phone"],
            "--mfa-serial: 'my phone' is not an MFA device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME)",
        ),
    ];
    for (args, words) in cases {
        // `run` checks that no code given reaches stderr.
        let run = world.run(args);
        usage_error(&run, words);
    }
    assert!(world.sts.calls().is_empty(), "no call");
    assert!(world.cache_entries().is_empty());
}

#[test]
fn a_code_on_the_command_line_is_never_repeated() {
    let world = World::new();
    // A code a digit short: not even clap's "invalid value '…'" shows it.
    let run = world.run(&["exec", "--token-code", "98765", "--", "true"]);
    assert!(!run.stderr.contains("98765"), "{}", run.stderr);
    assert!(!run.stderr.contains("invalid value"), "{}", run.stderr);
    assert_eq!(run.status, 2);
}

#[test]
fn a_role_asked_for_longer_than_sts_allows_is_a_usage_error() {
    let world = world_with_admin();
    let audit = "arn:aws:iam::123456789012:role/audit";
    world.write_config(&format!(
        "{ALICE_CONFIG}\
         [profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile audit]\nrole_arn = {audit}\nsource_profile = admin\n"
    ));
    world.sts.add_role(audit, None);
    for (typed, profile) in [("13h", "admin"), ("780m", "admin")] {
        let run = world.run_with_code(&[
            "exec",
            "--profile",
            profile,
            "--duration",
            typed,
            "--",
            "true",
        ]);
        usage_error(
            &run,
            &format!(
                "--duration: '{typed}' is more than the 12 hours STS allows a role (profile 'admin')"
            ),
        );
    }
    // A role whose source is a role: STS's one hour for chained roles.
    for command in [
        &[
            "exec",
            "--profile",
            "audit",
            "--duration",
            "2h",
            "--",
            "true",
        ][..],
        &[
            "login",
            "--profile",
            "audit",
            "--duration",
            "7200",
            "--stdout",
        ],
    ] {
        let run = world.run_with_code(command);
        let typed = command[4];
        usage_error(
            &run,
            &format!(
                "--duration: '{typed}' is longer than STS's one-hour limit for chained roles (the \
                 source of profile 'audit' is itself a role)"
            ),
        );
    }
    // The variable says the same, as the setting error it is.
    let mut command = world.command_with_code(&["exec", "--profile", "admin", "--", "true"]);
    command.env("AWSMFA_DURATION", "13h");
    world.run_command(command).fails_with(
        125,
        "AWSMFA_DURATION: '13h' is more than the 12 hours STS allows a role (profile 'admin')",
    );
    assert!(world.sts.calls().is_empty(), "no code spent");
    // Within the bounds, the same flag works.
    world
        .run_with_code(&[
            "exec",
            "--profile",
            "admin",
            "--duration",
            "12h",
            "--",
            "true",
        ])
        .ok();
}

#[test]
fn the_variables_stay_setting_errors() {
    // SPEC: a malformed AWSMFA_TOKEN_CODE or AWSMFA_DURATION is refused
    // before any call, as a setting (exec 125, the others 1), not a usage error.
    let world = World::new();
    for (name, value, says) in [
        (
            "AWSMFA_TOKEN_CODE",
            "12345",
            "AWSMFA_TOKEN_CODE: an MFA code is exactly 6 digits",
        ),
        (
            "AWSMFA_DURATION",
            "10m",
            "AWSMFA_DURATION: '10m' is less than the 15 minutes STS allows",
        ),
        (
            "AWSMFA_DURATION",
            "37h",
            "AWSMFA_DURATION: '37h' is more than the 36 hours STS allows",
        ),
    ] {
        for (args, status) in [(&["exec", "--", "true"][..], 125), (&["export"], 1)] {
            let mut command = world.command(args);
            command.env(name, value);
            let run = world.run_command(command);
            run.fails_with(status, says);
            assert!(!run.stderr.contains("12345"), "{}", run.stderr);
        }
    }
    assert!(world.sts.calls().is_empty());
}
