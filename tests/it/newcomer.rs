//! What a newcomer meets in the first runs: a shell that says whose
//! session it has, an export printed to a terminal that says how to use it.

use crate::support::*;
use rexpect::session::spawn_command;

/// `exec` with no command starts the user's shell: one line names the
/// profile and when the session ends, on a miss and on a hit alike.
#[test]
fn exec_with_no_command_says_whose_session_its_shell_has() {
    let world = World::new();
    let shell = world.home().join("my-shell");
    executable(
        &shell,
        "#!/bin/sh\necho \"shell ran with $AWSMFA_PROFILE\"\n",
    );
    for miss in [true, false] {
        let mut command = match miss {
            true => world.command_with_code(&["exec"]),
            false => world.command(&["exec"]),
        };
        command.env("SHELL", &shell);
        let run = world.run_command(command);
        run.ok();
        assert!(
            run.stdout.contains("shell ran with alice"),
            "{}",
            run.stdout
        );
        let said = format!(
            "starting {} with the session of profile 'alice' (until ",
            world.shown(&shell)
        );
        assert!(run.stderr.contains(&said), "miss={miss}: {}", run.stderr);
        assert!(
            !run.stderr.contains("awsmfa: "),
            "information, not an error: {}",
            run.stderr
        );
    }
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

/// `export` to a terminal prints the variables and one line on how a shell
/// takes them; piped into a shell (a cache hit, by the front) it prints
/// only the variables.
#[test]
fn export_to_a_terminal_says_how_to_use_it() {
    let world = World::new();
    world.run_with_code(&["export"]).ok();
    let piped = world.run(&["export"]);
    piped.ok();
    assert!(
        piped.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        piped.stdout
    );
    assert!(!piped.stderr.contains("to set these"), "{}", piped.stderr);

    for (format, how) in [
        (
            "sh",
            "to set these in this shell: eval \"$(awsmfa export)\"",
        ),
        (
            "fish",
            "to set these in this shell: awsmfa export --format fish | source",
        ),
    ] {
        let mut terminal = spawn_command(
            world.terminal_command(&["export", "--format", format]),
            Some(10_000),
        )
        .expect("spawn on a pty");
        let printed = terminal.exp_string(how).expect("the hint");
        assert!(printed.contains("AWS_SESSION_TOKEN"), "{printed}");
        let _ = terminal.exp_eof();
    }
}

/// `list`: a long name of a profile that cannot be used widens the first
/// column like any other, so every row's kind starts in one column.
#[test]
fn list_lines_up_rows_of_profiles_that_cannot_be_used() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile a-very-long-profile-name-that-has-no-device]\nregion = eu-west-1\n"
    ));
    world.write_credentials(&format!(
        "{}[a-very-long-profile-name-that-has-no-device]\naws_access_key_id = AKIAEXAMPLE000000002\n\
         aws_secret_access_key = secret2\n",
        alice_credentials()
    ));
    let run = world.run(&["list"]);
    run.ok();
    let column = |line: &str, word: &str| line.find(word);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let header = lines
        .iter()
        .find(|l| l.starts_with("PROFILE"))
        .expect("a header");
    let alice = lines
        .iter()
        .find(|l| l.starts_with("alice "))
        .expect("alice's row");
    let long = lines
        .iter()
        .find(|l| l.starts_with("a-very-long"))
        .expect("the long row");
    let kind = column(header, "KIND");
    assert!(kind.is_some(), "{}", run.stdout);
    assert_eq!(column(alice, "IAM user"), kind, "{}", run.stdout);
    assert_eq!(column(long, "not usable"), kind, "{}", run.stdout);
}

/// A word awsmfa does not take gets a pointer only to what is close to it,
/// and aws-vault's flags get their own: each a usage error (2) in two lines.
#[test]
fn unknown_words_get_only_close_suggestions_and_aws_vault_flags_their_own() {
    let world = World::new();
    for (args, hint) in [
        (
            &["version"][..],
            "hint: to see the version: awsmfa --version",
        ),
        (
            &["export", "--format", "csh"],
            "hint: possible values: sh, fish, powershell, cmd, dotenv, json",
        ),
        (
            &["completions", "tcsh"],
            "hint: possible values: bash, elvish, fish, powershell, zsh",
        ),
        (
            &["export", "--format", "fsh"],
            "hint: a similar value exists: 'fish'",
        ),
        (
            &["exec", "--profle", "x"],
            "hint: a similar argument exists: '--profile'",
        ),
        (
            &["exec", "-d", "1h", "--", "true"],
            "hint: aws-vault's -d is --duration here: awsmfa exec --duration 1h",
        ),
        (
            &["exec", "-s", "--", "true"],
            "hint: awsmfa exec --server serves",
        ),
        (
            &["exec", "-n", "--", "true"],
            "hint: awsmfa always gets an MFA session",
        ),
        (
            &["exec", "--no-session", "--", "true"],
            "hint: awsmfa always gets an MFA session",
        ),
        (
            &["exec", "--prompt", "zenity", "--", "true"],
            "hint: choose how the code is asked for with mfa_prompt = zenity",
        ),
        (
            &["exec", "--lazy", "--", "true"],
            "hint: awsmfa asks for a code only when no cached session is usable",
        ),
    ] {
        let run = world.run(args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", run.stderr);
        assert!(lines[0].starts_with("awsmfa: "), "{args:?}: {}", run.stderr);
        assert!(lines[1].starts_with(hint), "{args:?}: {}", run.stderr);
    }
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

/// A profile that wraps awsmfa (`credential_process = awsmfa
/// credential-process --profile alice`, as the README sets one up), named
/// by AWS_PROFILE or --profile, is followed to alice; one that names itself
/// is a loop, said as one.
#[test]
fn a_profile_wrapping_awsmfa_is_followed_to_its_user() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile alice-mfa]\ncredential_process = awsmfa credential-process --profile alice\n\
         [profile loop]\ncredential_process = /usr/local/bin/awsmfa credential-process --profile=loop\n"
    ));
    let mut command = world.command_with_code(&["exec", "--", "env"]);
    command.env("AWS_PROFILE", "alice-mfa");
    let run = world.run_command(command);
    run.ok();
    assert!(
        run.stdout.contains("AWS_ACCESS_KEY_ID=ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(world.sts.signers("GetSessionToken"), [ALICE_KEY]);
    // The same session serves alice herself: one code for both names.
    world
        .run(&["exec", "--profile", "alice", "--", "true"])
        .ok();
    world
        .run(&["exec", "--profile", "alice-mfa", "--", "true"])
        .ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);

    // `clear --profile alice-mfa` clears the session it uses, alice's, and says whose.
    let run = world.run(&["clear", "--profile", "alice-mfa"]);
    run.ok();
    assert_eq!(
        run.stdout,
        "profile 'alice-mfa' gets its sessions from awsmfa credential-process for profile \
         'alice'\nremoved the cached MFA session of profile 'alice' (12h)\n"
    );
    assert!(world.cache_entries().is_empty());
    world
        .run(&[
            "exec",
            "--profile",
            "alice-mfa",
            "--token-code",
            &code(),
            "--",
            "true",
        ])
        .ok();
    assert_eq!(world.sts.count("GetSessionToken"), 2);

    let run = world.run(&[
        "exec",
        "--profile",
        "loop",
        "--token-code",
        &code(),
        "--",
        "true",
    ]);
    assert_eq!(run.status, 125, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("which leads back to it: a loop (loop -> loop)"),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("GetSessionToken"), 2);
}

/// `exec -- aws --profile alice …`: the AWS CLI would sign with alice's
/// long-term key from the files, not the session. One line says so before
/// a code is spent, on a miss and on a hit; a command that names a profile
/// without keys (a role) or none at all gets no such line.
#[test]
fn a_command_naming_a_profile_with_keys_is_told_it_bypasses_the_session() {
    let world = world_with_admin();
    let said = "the command's own --profile alice makes it sign with that profile's long-term key";
    let run = world.run_with_code(&["exec", "--", "echo", "--profile", "alice"]);
    run.ok();
    assert!(run.stderr.contains(said), "{}", run.stderr);
    let run = world.run(&["exec", "--", "echo", "--profile=alice"]);
    run.ok();
    assert!(run.stderr.contains(said), "on a hit: {}", run.stderr);
    for quiet in [&["echo", "--profile", "admin"][..], &["echo", "plain"]] {
        let mut args = vec!["exec", "--"];
        args.extend_from_slice(quiet);
        let run = world.run(&args);
        run.ok();
        assert!(
            !run.stderr.contains("--profile"),
            "{quiet:?}: {}",
            run.stderr
        );
    }
}

/// `remove` answers from the files first: a profile that is not there gets
/// the usual "not found" with the nearest name, one whose keys are in the
/// credentials file is told so, with no keystore running at all.
#[test]
fn remove_says_what_the_files_say_before_asking_a_keystore() {
    let world = World::new();
    // No D-Bus session: any keystore call would fail with "no keystore answers".
    let run = world.run(&["remove", "--profile", "alicee", "--force"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("'alicee'"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean 'alice'"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("keystore answers"), "{}", run.stderr);

    let run = world.run(&["remove", "--profile", "alice", "--force"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("profile 'alice' keeps its keys in")
            && run.stderr.contains("hint: to move them into")
            && run
                .stderr
                .contains("awsmfa add --profile alice --from-file"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read_to_string(world.home().join("aws-credentials"))
            .unwrap()
            .contains(ALICE_KEY)
    );
}

/// A cached session of another length is not "none cached": the reason a
/// code is needed says what is cached and what is asked for.
#[test]
fn a_session_of_another_length_is_named_as_the_reason_for_a_code() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let run = world.run_with_code(&["exec", "--duration", "1h", "-v", "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "the cached MFA session of profile 'alice' lasts 12h, and one of 1h is asked for"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("no MFA session is cached"),
        "{}",
        run.stderr
    );
}

/// `list`'s hints point somewhere: with no profile at all, what to write
/// and where (doctor has nothing to look at); with none usable, doctor for
/// the one that is there.
#[test]
fn list_hints_name_what_to_do_not_a_placeholder() {
    let world = World::new();
    world.write_config("");
    world.write_credentials("");
    let run = world.run(&["list"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hint: put the IAM user's keys under [default] in "),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("doctor --profile NAME"),
        "{}",
        run.stderr
    );

    world.write_config("[profile broken]\nregion = eu-west-1\n");
    let run = world.run(&["list"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("awsmfa doctor --profile broken says what to fix"),
        "{}",
        run.stderr
    );
}

/// Two runs within one 30-second step: `mfa_process` prints the code it
/// printed the first time, which STS would refuse. The second run waits for
/// the next step and runs `mfa_process` once more.
#[test]
fn an_mfa_process_code_used_already_is_followed_by_the_next_one() {
    let world = World::new();
    let (first, next) = (code(), code());
    // What a TOTP program prints: the same code twice in one step, then the next.
    let codes = world.home().join("codes");
    std::fs::write(&codes, format!("{first}\n{first}\n{next}\n")).unwrap();
    let runs = world.home().join("runs");
    std::fs::write(&runs, "").unwrap();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = echo ran >> '{runs}'; sed -n \"$(wc -l < '{runs}')p\" '{codes}'\n",
        runs = runs.display(),
        codes = codes.display(),
    ));
    world.run(&["exec", "--", "true"]).ok();
    let run = world.run(&["exec", "--refresh", "-v", "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "awsmfa: profile 'alice': the MFA code comes from mfa_process of profile 'alice'"
        ),
        "-v names the source: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "awsmfa: the code from mfa_process of profile 'alice' was used already; waiting"
        ) && run
            .stderr
            .contains("for the next one, then running it once more"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 3);
    assert_eq!(
        world.sts.codes(),
        [first, next],
        "the used code never reached STS"
    );
}

/// Home paths are written with `~` everywhere a person reads them (`-v`,
/// errors, `status`), as `doctor` and `list` write them; and on a terminal
/// the first run's long hint is broken at spaces to the terminal's width.
#[test]
fn home_paths_read_as_tilde_and_long_lines_fit_the_terminal() {
    let world = World::new();
    let run = world.run_with_code(&["exec", "-v", "--", "true"]);
    run.ok();
    let home = world.home().display().to_string();
    assert!(run.stderr.contains("cache ~/cache"), "{}", run.stderr);
    assert!(!run.stderr.contains(&home), "{}", run.stderr);
    world.run(&["clear"]).ok();
    let run = world.run(&["status"]);
    assert_eq!(run.stdout, "no cached sessions in ~/cache\n");

    std::fs::remove_file(world.config_path()).unwrap();
    std::fs::remove_file(world.home().join("aws-credentials")).unwrap();
    // Piped, the error and its hint are one line each, for programs.
    let run = world.run(&["exec", "--", "true"]);
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "awsmfa: no AWS profile is set up yet: ~/aws-config and ~/aws-credentials hold none\n"
        ),
        "{}",
        run.stderr
    );
    // On an 80-column terminal: broken at spaces, no line longer than 80.
    let script = format!("stty cols 80 rows 24; {BIN} exec -- true; echo status=$?");
    let mut terminal =
        spawn_command(world.program("bash", &["-c", &script]), Some(10_000)).expect("a pty");
    let shown = from_pty(&terminal.exp_string("status=125").unwrap());
    let lines: Vec<&str> = shown.lines().map(|l| l.trim_end_matches('\r')).collect();
    assert!(lines.len() > 3, "{shown}");
    for line in &lines {
        assert!(
            line.chars().count() <= 80,
            "longer than the terminal: {line}"
        );
    }
    let hint = lines
        .iter()
        .position(|l| l.starts_with("hint: "))
        .expect("a hint");
    assert!(
        lines[hint + 1].starts_with("      ") && !lines[hint + 1].trim().is_empty(),
        "the rest indented under the hint: {shown}"
    );
    // Nothing is cut inside a word: the words are those of the piped hint.
    let words = |text: &str| {
        text.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let piped_hint = run.stderr.lines().nth(1).unwrap_or("");
    assert_eq!(
        words(&lines[hint..].join(" ")),
        words(piped_hint),
        "{shown}"
    );
}
