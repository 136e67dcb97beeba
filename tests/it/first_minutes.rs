//! The first ten minutes of a new user, coming from the AWS CLI or
//! aws-vault: usage errors, the aws-vault habit, profiles found after
//! `export` and in nested runs, short sessions, profiles of other kinds,
//! typos, codes with spaces, `list`, and why a code is asked for.

use crate::support::*;
use rexpect::session::spawn_command;

/// admin, and a role of a role on it.
fn world_with_deep() -> World {
    let world = world_with_admin();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile deep]\nrole_arn = arn:aws:iam::123456789012:role/deep\nsource_profile = admin\n"
    ));
    world
}

#[test]
fn a_mistyped_option_is_a_usage_error_that_suggests_the_right_one() {
    let world = World::new();
    let run = world.run(&["exec", "--profle", "prod", "--", "aws", "s3", "ls"]);
    run.fails_with(2, "awsmfa: unexpected argument '--profle' found");
    assert!(
        run.stderr
            .ends_with("\nhint: a similar argument exists: '--profile'\n"),
        "{}",
        run.stderr
    );
    let run = world.run(&["exec", "--no-such-flag", "--", "true"]);
    run.fails_with(2, "unexpected argument '--no-such-flag' found");
    assert!(run.stderr.contains("hint: see 'awsmfa exec --help'"));
    // Every clap error speaks like awsmfa.
    world
        .run(&["status", "--bogus"])
        .fails_with(2, "unexpected argument '--bogus' found");
    world
        .run(&["completions"])
        .fails_with(2, "required arguments were not provided: <SHELL>");
    world
        .run(&["exec", "--profile"])
        .fails_with(2, "a value is required for '--profile <NAME>'");
    assert!(world.sts.calls().is_empty());
}

#[test]
fn words_after_the_command_are_the_commands() {
    let world = World::new();
    let run = world.run(&[
        "exec",
        "--token-code",
        &code(),
        "printf",
        "%s|",
        "--profile",
        "x",
        "--no-such-flag",
    ]);
    run.ok();
    assert_eq!(run.stdout, "--profile|x|--no-such-flag|");
}

#[test]
fn a_profile_name_where_the_command_goes_gets_a_hint() {
    let world = World::new();
    let run = world.run(&["exec", "alice", "--", "aws", "s3", "ls"]);
    run.fails_with(127, "awsmfa: alice: command not found");
    assert!(
        run.stderr
            .ends_with("\nhint: to use profile 'alice', write --profile alice\n"),
        "{}",
        run.stderr
    );
    // A plain typo gets no such hint.
    let run = world.run(&["exec", "--", "no-such-command-here"]);
    run.fails_with(127, "no-such-command-here: command not found");
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(world.sts.calls().is_empty(), "no code spent");
}

#[test]
fn a_shell_that_evaluated_export_keeps_its_profile() {
    let world = World::new();
    let script = format!(
        "eval \"$('{BIN}' export --token-code {})\" && \
         '{BIN}' exec -- aws sts get-caller-identity --query Arn --output text",
        code()
    );
    let run = world.run_command(world.program("sh", &["-c", &script]));
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    assert_eq!(
        world.sts.count("GetSessionToken"),
        1,
        "the second run reused it"
    );
}

#[test]
fn a_nested_run_without_profile_uses_the_enclosing_one() {
    let world = world_with_deep();
    let code = code();
    let outer = [
        "exec",
        "--profile",
        "admin",
        "--token-code",
        &code,
        "--",
        BIN,
        "exec",
        "--",
    ];
    let mut command = world.command(&[&outer[..], CALLER_ARN].concat());
    command.env_remove("AWS_PROFILE");
    let run = world.run_command(command);
    run.ok();
    assert!(
        run.stdout
            .starts_with("arn:aws:sts::123456789012:assumed-role/admin/"),
        "{}",
        run.stdout
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(
        world.sts.count("AssumeRole"),
        1,
        "the inner run reused the role"
    );
}

#[test]
fn a_short_session_is_reused() {
    let world = World::new();
    world
        .run(&[
            "exec",
            "--duration",
            "15m",
            "--token-code",
            &code(),
            "--",
            "true",
        ])
        .ok();
    world.run(&["exec", "--duration", "15m", "--", "true"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    let status = world.run(&["status", "--json"]);
    status.ok();
    let rows: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(rows[0]["usable"], true);
    assert_eq!(rows[0]["duration_seconds"], 900);
}

#[test]
fn profiles_of_other_kinds_are_named_for_what_they_are() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}\
         [profile tool]\ncredential_process = /usr/bin/get-creds\n\
         [profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Dev\n\
         [profile web]\nrole_arn = arn:aws:iam::1:role/x\nweb_identity_token_file = /t\n\
         [profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n"
    ));
    for (profile, says, hint) in [
        (
            "tool",
            "gets its credentials from credential_process, not from an IAM user's long-term keys",
            "use the IAM user profile 'alice': --profile alice",
        ),
        (
            "sso",
            "is an IAM Identity Center (SSO) profile",
            "use the IAM user profile 'alice': --profile alice",
        ),
        ("web", "web_identity_token_file", "--profile alice"),
        (
            "ec2",
            "credential_source = Ec2InstanceMetadata",
            "--profile alice",
        ),
    ] {
        let run = world.run(&["exec", "--profile", profile, "--", "true"]);
        run.fails_with(125, says);
        let hint_line = run.stderr.lines().nth(1).unwrap_or("");
        assert!(hint_line.contains(hint), "{profile}: {}", run.stderr);
        assert!(
            !run.stderr.contains("add them to"),
            "{profile}: never advise keys: {}",
            run.stderr
        );
    }
}

#[test]
fn a_mistyped_profile_gets_the_nearest_name_and_the_list() {
    let world = world_with_deep();
    let run = world.run(&["exec", "--profile", "admn", "--", "true"]);
    run.fails_with(125, "profile 'admn' is not in");
    assert!(
        run.stderr
            .ends_with("\nhint: did you mean 'admin'? profiles: admin, alice, deep\n"),
        "{}",
        run.stderr
    );
    let run = world.run(&["exec", "--profile", "zzzzzz", "--", "true"]);
    assert!(
        run.stderr
            .ends_with("\nhint: profiles: admin, alice, deep\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_profile_named_by_a_variable_is_shown_as_such() {
    let world = world_with_deep();
    for var in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWSMFA_PROFILE"] {
        let mut command = world.command(&["exec", "--", "true"]);
        command
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env_remove("AWSMFA_PROFILE")
            .env(var, "admn");
        let run = world.run_command(command);
        run.fails_with(125, &format!("profile 'admn' (from {var}) is not in"));
        assert!(
            run.stderr.ends_with(&format!(
                "\nhint: did you mean 'admin'? profiles: admin, alice, deep; \
                 or unset {var}, or give --profile\n"
            )),
            "{}",
            run.stderr
        );
    }
    // A flag is the user's own word: nothing to unset.
    let run = world.run(&["exec", "--profile", "admn", "--", "true"]);
    run.fails_with(125, "profile 'admn' is not in");
    assert!(!run.stderr.contains("unset"), "{}", run.stderr);
}

#[test]
fn a_code_with_a_space_as_apps_show_it_is_accepted() {
    let world = World::new();
    let typed = code();
    let spaced = format!("{} {}", &typed[..3], &typed[3..]);
    world
        .run(&["exec", "--token-code", &spaced, "--", "true"])
        .ok();
    let calls = world.sts.calls();
    assert_eq!(calls[0].params["TokenCode"], typed);
    let typed = code();
    let mut command = world.command(&["exec", "--refresh", "--", "true"]);
    command.env(
        "AWSMFA_TOKEN_CODE",
        format!(" {} {} ", &typed[..3], &typed[3..]),
    );
    world.run_command(command).ok();
    assert_eq!(world.sts.calls()[1].params["TokenCode"], typed);
}

#[test]
fn list_shows_the_usable_profiles_and_their_sessions_without_secrets() {
    let world = world_with_deep();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile deep]\nrole_arn = arn:aws:iam::123456789012:role/deep\nsource_profile = admin\n\
         [profile broken]\nrole_arn = x\n"
    ));
    world
        .run(&[
            "exec",
            "--profile",
            "admin",
            "--token-code",
            &code(),
            "--",
            "true",
        ])
        .ok();
    let run = world.run(&["list"]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert!(lines[0].starts_with("PROFILE") && lines[0].contains("MFA DEVICE"));
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{name} ")))
            .copied()
            .unwrap_or_else(|| panic!("no row for {name}: {}", run.stdout))
    };
    assert!(row("alice").contains("IAM user"));
    assert!(row("admin").contains("role ← alice"));
    assert!(row("deep").contains("role ← admin ← alice"));
    assert!(row("admin").contains(ALICE_SERIAL));
    assert!(row("admin").trim_end().ends_with("59m") || row("admin").trim_end().ends_with("1h 0m"));
    assert!(
        row("alice").trim_end().ends_with("11h 59m") || row("alice").trim_end().ends_with("12h 0m")
    );
    assert!(
        row("deep").trim_end().ends_with(" -"),
        "nothing cached for deep"
    );
    // The one that cannot be used says why, in its row.
    assert!(
        row("broken")
            .contains("not usable: profile 'broken' is a role profile with no source_profile"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(ALICE_KEY) && !run.stdout.contains(ALICE_SECRET));

    let run = world.run(&["list", "--json"]);
    run.ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let deep = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"] == "deep")
        .unwrap();
    assert_eq!(deep["usable"], true);
    assert_eq!(deep["kind"], "role");
    assert_eq!(deep["sources"], serde_json::json!(["admin", "alice"]));
    assert_eq!(deep["role_arn"], "arn:aws:iam::123456789012:role/deep");
    assert_eq!(deep["seconds_left"], serde_json::Value::Null);
    assert!(!run.stdout.contains(ALICE_KEY) && !run.stdout.contains("tempSecret"));
}

#[test]
fn status_and_clear_tell_sessions_of_one_profile_apart() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    world
        .run(&[
            "exec",
            "--duration",
            "15m",
            "--token-code",
            &code(),
            "--",
            "true",
        ])
        .ok();
    let status = world.run(&["status"]);
    status.ok();
    assert!(status.stdout.lines().next().unwrap().contains("LENGTH"));
    let rows: Vec<&str> = status.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 2);
    // PROFILE, KIND (MFA session), LENGTH.
    assert_ne!(
        rows[0].split_whitespace().nth(3),
        rows[1].split_whitespace().nth(3)
    );
    let clear = world.run(&["clear"]);
    clear.ok();
    let mut lines: Vec<&str> = clear.stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "removed the cached MFA session of profile 'alice' (12h)",
            "removed the cached MFA session of profile 'alice' (15m)"
        ]
    );
    assert_eq!(clear.stderr, "");
}

#[test]
fn the_prompt_says_why_a_code_is_needed() {
    let world = World::new();
    // Sessions that last a minute: cached, but below the 15-minute minimum.
    world.sts.set_session_lifetime(60);
    world.run_with_code(&["exec", "--", "true"]).ok();
    let mut terminal = spawn_command(
        world.terminal_command(&["exec", "--", "true"]),
        Some(20_000),
    )
    .unwrap();
    terminal
        .exp_string(
            "The cached MFA session of profile 'alice' has 59s left, less than the minimum 15m",
        )
        .or_else(|_| {
            terminal.exp_string(
                "The cached MFA session of profile 'alice' has 1m left, less than the minimum 15m",
            )
        })
        .unwrap();
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    let typed = code();
    terminal.send_line(&typed).unwrap();
    terminal.exp_eof().unwrap();
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert_eq!(world.sts.codes()[1], typed, "the typed code reached STS");

    // With -v, the same line on stderr, whatever the code's source.
    let run = world.run_with_code(&["exec", "-v", "--", "true"]);
    run.ok();
    assert!(
        run.stderr
            .contains("the cached MFA session of profile 'alice' has"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_very_first_run_says_what_to_write_and_where() {
    let world = World::new();
    std::fs::remove_file(world.config_path()).unwrap();
    std::fs::remove_file(world.home().join("aws-credentials")).unwrap();
    let run = world.run(&["exec", "--", "true"]);
    run.fails_with(125, "no AWS profile is set up yet");
    let hint = run.stderr.lines().nth(1).unwrap_or("");
    for needed in [
        "aws-credentials under [alice]",
        "aws_access_key_id = AKIA",
        "awsmfa add --profile alice",
        "aws-config under [profile alice]",
        "mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME",
    ] {
        assert!(hint.contains(needed), "{needed}: {}", run.stderr);
    }
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
}

#[test]
fn the_readme_installs_with_the_lock_file() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let installs: Vec<&str> = readme
        .lines()
        .filter(|line| line.contains("cargo install"))
        .collect();
    assert!(!installs.is_empty());
    for line in installs {
        assert!(
            line.contains("--locked"),
            "installs without Cargo.lock: {line}"
        );
    }
}
