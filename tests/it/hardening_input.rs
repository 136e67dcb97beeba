//! Hostile values in what awsmfa repeats: an error line cannot be forged or
//! carry an escape sequence to the terminal, and `~/` in the cache folder's
//! variable is the home folder, as in the file variables.

use crate::support::*;
use std::time::{Duration, Instant};

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

/// A long `exec --server` run reads the keys again before each new MFA
/// session: after a rotate elsewhere (the credentials file now holds a new
/// key), the next session is signed by the new key; and a key STS no
/// longer knows ends the refreshing with the reason, at once, instead of
/// "trying again every 30 s" for ever.
#[test]
fn a_long_server_run_follows_a_rotated_key_and_stops_on_an_unknown_one() {
    const NEW_KEY: &str = "AKIANEWKEYAFTERROTATE";
    const NEW_SECRET: &str = "newSecretAfterRotate/EXAMPLE";
    for (key, known) in [(NEW_KEY, true), ("AKIAUNKNOWNTOSTS0001", false)] {
        let world = World::new();
        if known {
            world.sts.add_alice_key(NEW_KEY, NEW_SECRET);
        }
        // Codes for every new session, from mfa_process.
        let codes = world.home().join("codes");
        let all: Vec<String> = (0..10).map(|_| code()).collect();
        std::fs::write(&codes, all.join("\n") + "\n").unwrap();
        let next = world.home().join("next-code");
        executable(
            &next,
            &format!("#!/bin/sh\nhead -n 1 {0}\nsed -i 1d {0}\n", codes.display()),
        );
        world.write_config(&format!("{ALICE_CONFIG}mfa_process = {}\n", next.display()));
        world.sts.set_session_lifetime(16);
        // The command: a rotate elsewhere replaces the key in the user's
        // own file, then the run goes on past the first session's end.
        let rotate = world.home().join("rotate-elsewhere");
        executable(
            &rotate,
            &format!(
                "#!/bin/sh\nsleep 1\nprintf '[alice]\\naws_access_key_id = {key}\\naws_secret_access_key = {NEW_SECRET}\\n' > '{}'\nsleep 13\n",
                world.home().join("aws-credentials").display()
            ),
        );
        let started = Instant::now();
        let run = world.run(&["exec", "--server", "--", rotate.to_str().unwrap()]);
        run.ok();
        let signers = world.sts.signers("GetSessionToken");
        if known {
            assert!(signers.len() >= 2, "{signers:?}\n{}", run.stderr);
            assert_eq!(signers[0], ALICE_KEY);
            assert!(signers[1..].iter().all(|s| s == NEW_KEY), "{signers:?}");
            assert!(!run.stderr.contains("trying again"), "{}", run.stderr);
        } else {
            assert!(
                run.stderr
                    .contains("does not know the long-term access key")
                    && run.stderr.contains("InvalidClientTokenId"),
                "{}",
                run.stderr
            );
            assert!(!run.stderr.contains("trying again"), "{}", run.stderr);
            assert!(
                run.stderr
                    .contains("STS no longer knows the long-term access key in the files"),
                "{}",
                run.stderr
            );
        }
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
