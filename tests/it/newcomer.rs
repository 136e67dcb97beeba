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
            shell.display()
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
    let header = lines.iter().find(|l| l.starts_with("PROFILE")).expect("a header");
    let alice = lines.iter().find(|l| l.starts_with("alice ")).expect("alice's row");
    let long = lines
        .iter()
        .find(|l| l.starts_with("a-very-long"))
        .expect("the long row");
    let kind = column(header, "KIND");
    assert!(kind.is_some(), "{}", run.stdout);
    assert_eq!(column(alice, "IAM user"), kind, "{}", run.stdout);
    assert_eq!(column(long, "not usable"), kind, "{}", run.stdout);
}
