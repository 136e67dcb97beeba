//! Hostile values in what awsmfa repeats: an error line cannot be forged or
//! carry an escape sequence to the terminal, and `~/` in the cache folder's
//! variable is the home folder, as in the file variables.

use crate::support::*;

/// Every error line that repeats a value shows its control characters as
/// escapes: no second `awsmfa:` line, no escape sequence reaching the
/// terminal, and the value is still there to see.
#[test]
fn errors_show_control_characters_in_values_as_escapes() {
    let world = World::new();
    for (variable, value, shown) in [
        (
            "AWSMFA_DURATION",
            "1x\nawsmfa: all fine",
            "'1x\\nawsmfa: all fine'",
        ),
        ("AWS_REGION", "eu\u{1b}[31mred", "'eu\\u{1b}[31mred'"),
        (
            "AWSMFA_PROMPT",
            "zen\u{1b}]0;title\u{7}ity",
            "zen\\u{1b}]0;title\\u{7}ity",
        ),
        ("AWSMFA_MIN_TTL", "5m\u{202e}gnp", "5m\\u{202e}gnp"),
    ] {
        let mut command = world.command(&["credential-process"]);
        command.env(variable, value);
        let run = world.run_command(command);
        assert_ne!(run.status, 0, "{variable}: {}", run.stderr);
        assert!(
            run.stderr
                .lines()
                .filter(|l| l.starts_with("awsmfa: "))
                .count()
                == 1,
            "{variable}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(shown), "{variable}: {}", run.stderr);
        assert!(
            !run.stderr.chars().any(|c| c.is_control() && c != '\n'),
            "{variable}: {:?}",
            run.stderr
        );
    }
    // A flag's value too (a usage error).
    let run = world.run(&["exec", "--region", "x\ny", "--", "true"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("'x\\ny'"), "{}", run.stderr);
}

/// `AWSMFA_CACHE_DIR='~/x'` (quoted, so no shell expanded it) is the home
/// folder's `x`, not a folder named `~` wherever the run starts.
#[test]
fn a_cache_folder_under_the_tilde_is_in_the_home_folder() {
    let world = World::new();
    let elsewhere = world.home().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command
        .env("AWSMFA_CACHE_DIR", "~/my-cache")
        .current_dir(&elsewhere);
    world.run_command(command).ok();
    assert!(world.home().join("my-cache").is_dir());
    assert!(!elsewhere.join("~").exists(), "a folder named ~ was made");
    // And a hit finds it there: the front reads the same setting.
    let mut command = world.command(&["exec", "--", "true"]);
    command
        .env("AWSMFA_CACHE_DIR", "~/my-cache")
        .current_dir(&elsewhere);
    world.run_command(command).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}
