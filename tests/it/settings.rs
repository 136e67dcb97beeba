//! The settings: a variable whose value cannot be right is named at the
//! start of any run that reads it, before any code is asked for or spent,
//! whatever the command; `doctor` lists every such variable.

use crate::support::*;

/// Variables awsmfa parses, each with a value that cannot be right.
const BAD: &[(&str, &str)] = &[
    ("AWSMFA_DURATION", "soon"),
    ("AWSMFA_MIN_TTL", "a while"),
    ("AWSMFA_LOCK_TIMEOUT", "abc"),
    ("AWSMFA_PROCESS_TIMEOUT", "abc"),
    ("AWSMFA_TOKEN_CODE", "98765"),
    ("AWS_REGION", "eu west 1"),
];

#[test]
fn a_bad_value_is_named_at_the_start_of_every_command() {
    let world = World::new();
    for (name, value) in BAD {
        for (args, status) in [
            (&["exec", "--", "true"][..], 125),
            (&["export"], 1),
            (&["credential-process"], 1),
            (&["status"], 1),
            (&["list"], 1),
            (&["clear"], 1),
        ] {
            let mut command = world.command(args);
            command.env(name, value);
            world
                .run_command(command)
                .fails_with(status, &format!("{name}: "));
        }
    }
    // Nothing was asked of STS, and nothing was cached.
    assert_eq!(world.sts.count("GetSessionToken"), 0);
    assert!(world.cache_entries().is_empty());
}

#[test]
fn a_bad_process_timeout_costs_no_code_even_with_a_code_at_hand() {
    // AWSMFA_PROCESS_TIMEOUT used to be read only when mfa_process ran.
    let world = World::new();
    world.write_config(&format!("{ALICE_CONFIG}mfa_process = echo 123456\n"));
    let mut command = world.command(&["exec", "--", "true"]);
    command.env("AWSMFA_PROCESS_TIMEOUT", "abc");
    world
        .run_command(command)
        .fails_with(125, "AWSMFA_PROCESS_TIMEOUT: 'abc' is not seconds");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn doctor_lists_every_bad_value_and_goes_on() {
    let world = World::new();
    let mut command = world.command(&["doctor"]);
    for (name, value) in BAD {
        command.env(name, value);
    }
    let run = world.run_command(command);
    assert_eq!(run.status, 1, "{}", run.stderr);
    for (name, _) in BAD {
        assert!(
            run.stdout
                .lines()
                .any(|line| line.starts_with("fail") && line.contains(&format!("{name}: "))),
            "{name} not named: {}",
            run.stdout
        );
    }
    // The checks that do not depend on those values still ran.
    assert!(
        run.stdout.lines().any(|l| l.contains("profile 'alice'")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("98765"), "repeats the code");
}
