//! `awsmfa doctor` against the loopback stand-in: each check finds what it
//! is there to find, and doctor spends no code and signs no call.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

/// The line of the check `name`, from a plain (uncoloured) report.
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l[6..].starts_with(name))
        .unwrap_or_else(|| panic!("no {name} line in:\n{report}"))
}

fn private_world() -> World {
    let world = World::new();
    std::fs::set_permissions(
        world.home().join("aws-credentials"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    world
}

fn doctor(world: &World, args: &[&str]) -> Run {
    let run = world.run(&[&["doctor"], args].concat());
    for secret in [ALICE_SECRET, ALICE_KEY, "tempSecret", "FwoGZXIvYXdzE"] {
        assert!(
            !run.stdout.contains(secret),
            "the report shows a secret: {}",
            run.stdout
        );
    }
    run
}

#[test]
fn a_healthy_setup_is_all_ok_and_spends_nothing() {
    let world = private_world();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = alice\n"
    ));
    let run = doctor(&world, &["--profile", "admin"]);
    run.ok();
    for l in run.stdout.lines() {
        assert!(l.starts_with("ok  "), "{}", run.stdout);
    }
    assert!(
        line(&run.stdout, "profile")
            .contains("'admin': role ← alice, role arn:aws:iam::123456789012:role/admin")
    );
    assert!(line(&run.stdout, "STS").contains(&world.sts.url));
    assert!(line(&run.stdout, "STS").contains("the clock agrees"));
    assert!(line(&run.stdout, "access key").contains("AKIA…0001"));
    assert!(line(&run.stdout, "session").contains("no cached role session"));
    // Home paths as ~, for a bug report.
    assert!(
        line(&run.stdout, "config file").contains("~/aws-config"),
        "{}",
        run.stdout
    );
    // No code; one signed call, read-only: IAM's list of the user's own
    // devices, with the long-term key. Else only an unsigned probe of STS.
    let calls = world.sts.calls();
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|c| c.access_key_id.is_empty() || c.action == "ListMFADevices"),
        "{calls:?}"
    );
    assert_eq!(world.sts.signers("ListMFADevices"), [ALICE_KEY]);
    assert!(
        line(&run.stdout, "MFA device")
            .contains("arn:aws:iam::123456789012:mfa/alice (a virtual device of user alice)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        world.sts.count("GetSessionToken") + world.sts.count("AssumeRole"),
        0
    );
    assert!(
        !world.cache_dir().exists(),
        "nothing written: no cache folder, no record of codes"
    );
}

#[test]
fn the_clock_is_judged_by_stss_date() {
    let world = private_world();
    world.sts.set_clock_skew(-120);
    let run = doctor(&world, &[]);
    run.ok();
    let sts = line(&run.stdout, "STS");
    assert!(
        sts.starts_with("warn") && sts.contains("ahead of STS's"),
        "{sts}"
    );
    // To the second, and words that fit two minutes.
    assert!(
        ["1 min 59 s", "2 min ahead", "2 min 1 s"]
            .iter()
            .any(|skew| sts.contains(skew)),
        "{sts}"
    );
    assert!(
        sts.contains("more than a minute off") && !sts.contains("near"),
        "{sts}"
    );
    assert!(!sts.contains(" 0 ms"), "{sts}");
    world.sts.set_clock_skew(400);
    let run = doctor(&world, &[]);
    assert_eq!(run.status, 1);
    let sts = line(&run.stdout, "STS");
    assert!(
        sts.starts_with("fail")
            && sts.contains("behind STS's")
            && sts.contains("STS refuses signatures more than 5 min off")
            && sts.contains("→ set the clock right"),
        "{sts}"
    );
}

#[test]
fn a_security_key_cannot_serve_api_calls() {
    let world = private_world();
    world.write_config(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEF\n",
    );
    let run = doctor(&world, &[]);
    assert_eq!(run.status, 1);
    let device = line(&run.stdout, "MFA device");
    assert!(
        device.starts_with("fail") && device.contains("security keys cannot serve API calls"),
        "{device}"
    );
}

#[test]
fn a_credentials_file_others_can_read_is_named() {
    let world = World::new();
    std::fs::set_permissions(
        world.home().join("aws-credentials"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let run = doctor(&world, &[]);
    run.ok();
    assert_eq!(
        line(&run.stdout, "credentials file"),
        "warn  credentials file  ~/aws-credentials can be read by group or others (mode 644) → chmod 600 ~/aws-credentials"
    );
}

#[test]
fn an_unreachable_or_silent_sts_fails_quickly_and_is_named() {
    let world = private_world();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    for (url, says) in [
        (&closed_url, "connection refused"),
        (&silent_url, "no answer within 5 s"),
    ] {
        let mut command = world.command(&["doctor"]);
        command.env("AWS_ENDPOINT_URL_STS", url);
        let started = Instant::now();
        let run = world.run_command(command);
        assert!(started.elapsed() < Duration::from_secs(10), "{url}");
        assert_eq!(run.status, 1);
        let sts = line(&run.stdout, "STS");
        assert!(
            sts.starts_with("fail")
                && sts.contains(&format!("cannot reach STS at {url}"))
                && sts.contains(says),
            "{sts}"
        );
    }
}

#[test]
fn a_missing_mfa_process_program_is_named() {
    let world = private_world();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = no-such-otp-tool --account alice\n"
    ));
    let run = doctor(&world, &[]);
    assert_eq!(run.status, 1);
    let process = line(&run.stdout, "mfa_process");
    assert!(
        process.starts_with("fail") && process.contains("'no-such-otp-tool' is not on PATH"),
        "{process}"
    );
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = sh -c 'echo 123456'\n"
    ));
    let run = doctor(&world, &[]);
    run.ok();
    assert!(line(&run.stdout, "mfa_process").contains("not run"));
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn cache_entries_are_counted() {
    let world = private_world();
    world.sts.set_session_lifetime(1);
    world
        .run(&[
            "exec",
            "--duration",
            "1h",
            "--token-code",
            &code(),
            "--",
            "true",
        ])
        .ok();
    // Ten minutes left of two hours: not expired, but less than the
    // fifteen-minute minimum a run asks for.
    world.sts.set_session_lifetime(600);
    world
        .run_with_code(&["exec", "--duration", "2h", "--", "true"])
        .ok();
    world.sts.set_session_lifetime(43_200);
    world.run_with_code(&["exec", "--", "true"]).ok();
    std::fs::write(
        world
            .cache_dir()
            .join("0123456789abcdef0123456789abcdef.json"),
        "{",
    )
    .unwrap();
    std::fs::set_permissions(
        world
            .cache_dir()
            .join("0123456789abcdef0123456789abcdef.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let run = doctor(&world, &[]);
    run.ok();
    let cache = line(&run.stdout, "cache");
    assert!(
        cache.starts_with("warn")
            && cache.contains("4 entries: 1 usable, 1 running low, 1 expired, 1 unusable"),
        "{cache}"
    );
    let session = line(&run.stdout, "session");
    assert!(
        session.contains("cached MFA session until ") && session.contains("(11h"),
        "{session}"
    );
}

#[test]
fn keys_and_variables_that_would_surprise() {
    let world = private_world();
    world.write_credentials(&format!(
        "[alice]\naws_access_key_id = ASIATEMPORARY0001\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    let mut command = world.command(&["doctor"]);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIAFROMSHELL")
        .env("AWS_SECRET_ACCESS_KEY", "shellsecret");
    let run = world.run_command(command);
    assert_eq!(run.status, 1);
    assert!(line(&run.stdout, "access key").starts_with("fail"));
    assert!(line(&run.stdout, "access key").contains("a temporary key"));
    let env = line(&run.stdout, "environment");
    assert!(
        env.starts_with("warn") && env.contains("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY set"),
        "{env}"
    );
    assert!(!run.stdout.contains("shellsecret"));
}

#[test]
fn json_has_one_object_per_check() {
    let world = World::new();
    // A credentials file others may read: a warning with its fix.
    std::fs::set_permissions(
        world.home().join("aws-credentials"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let run = doctor(&world, &["--json"]);
    run.ok();
    let checks: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let checks = checks.as_array().unwrap();
    assert!(checks.len() >= 8);
    for check in checks {
        let keys: Vec<&String> = check.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["detail", "hint", "name", "status"]);
        assert!(["ok", "warn", "fail"].contains(&check["status"].as_str().unwrap()));
    }
    let credentials = checks
        .iter()
        .find(|c| c["name"] == "credentials file")
        .unwrap();
    assert_eq!(credentials["status"], "warn");
    assert_eq!(credentials["hint"], "chmod 600 ~/aws-credentials");
    let profile = checks.iter().find(|c| c["name"] == "profile").unwrap();
    assert_eq!(profile["hint"], serde_json::Value::Null);
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    use rexpect::session::spawn_command;
    let world = private_world();
    let mut terminal = spawn_command(world.terminal_command(&["doctor"]), Some(20_000)).unwrap();
    let shown = terminal.exp_eof().unwrap();
    assert!(shown.contains("\u{1b}[32mok"), "{shown:?}");
    let mut command = world.terminal_command(&["doctor"]);
    command.env("NO_COLOR", "1");
    let mut terminal = spawn_command(command, Some(20_000)).unwrap();
    let shown = terminal.exp_eof().unwrap();
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    // Not a terminal: no colour either.
    assert!(!doctor(&world, &[]).stdout.contains('\u{1b}'));
}

#[test]
fn leftovers_of_killed_runs_are_counted() {
    let world = private_world();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let temp = world.cache_dir().join(".tmp-leftover");
    std::fs::write(&temp, "").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&temp)
        .unwrap()
        .set_modified(old)
        .unwrap();
    std::fs::write(
        world
            .cache_dir()
            .join("0123456789abcdef0123456789abcdef.lock"),
        "",
    )
    .unwrap();
    let run = doctor(&world, &[]);
    run.ok();
    assert!(
        line(&run.stdout, "cache").contains("1 stale temporary file, 1 stale lock"),
        "{}",
        run.stdout
    );
}

#[test]
fn temporary_keys_are_to_be_replaced_and_the_other_checks_still_run() {
    let world = World::new();
    world.write_config(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:u2f/user/alice/key-ABC\n",
    );
    world.write_credentials(
        "[alice]\naws_access_key_id = ASIAEXAMPLE000000001\naws_secret_access_key = s\n\
         aws_session_token = t\n",
    );
    std::fs::set_permissions(
        world.home().join("aws-credentials"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut command = world.command(&["doctor"]);
    command.env("AWS_SESSION_TOKEN", "x");
    let run = world.run_command(command);
    assert_eq!(run.status, 1);
    let profile = line(&run.stdout, "profile");
    assert!(
        profile.starts_with("fail")
            && profile.contains("replace all three values in [alice]")
            && profile.contains("long-term pair"),
        "{profile}"
    );
    // Every other problem, at once.
    assert!(
        line(&run.stdout, "MFA device").starts_with("fail"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run.stdout, "credentials file").starts_with("warn"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run.stdout, "environment").starts_with("warn"),
        "{}",
        run.stdout
    );
    assert!(line(&run.stdout, "STS").starts_with("ok"), "{}", run.stdout);
    line(&run.stdout, "cache");

    // A run says the same.
    let exec = world.run(&["exec", "--", "true"]);
    exec.fails_with(125, "holds temporary credentials");
    assert!(
        exec.stderr.contains("hint: replace all three values"),
        "{}",
        exec.stderr
    );

    // A temporary key id without its token: the key check says the same.
    world.write_config(ALICE_CONFIG);
    world.write_credentials(
        "[alice]\naws_access_key_id = ASIAEXAMPLE000000001\naws_secret_access_key = s\n",
    );
    let run = doctor(&world, &[]);
    let key = line(&run.stdout, "access key");
    assert!(
        key.starts_with("fail") && key.contains("replace all three values in [alice]"),
        "{key}"
    );
}

#[test]
fn a_file_that_cannot_be_read_leaves_the_other_files_check() {
    let world = World::new();
    world.write_config("[profile alice\n");
    let run = doctor(&world, &[]);
    assert_eq!(run.status, 1);
    assert!(
        line(&run.stdout, "AWS files").starts_with("fail"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run.stdout, "credentials file").contains("~/aws-credentials"),
        "{}",
        run.stdout
    );
}

#[test]
fn home_paths_are_a_tilde_on_every_line() {
    let world = World::new();
    let home = world.home().display().to_string();
    for (config, credentials) in [
        // The profile's error names the credentials file.
        (
            ALICE_CONFIG.to_owned(),
            format!("{}aws_session_token = t\n", alice_credentials()),
        ),
        // Not a device ARN: the config file, in the profile's error.
        (
            "[profile alice]\nmfa_serial = alice\n".to_owned(),
            alice_credentials(),
        ),
        // A file that cannot be read.
        ("[profile alice\n".to_owned(), alice_credentials()),
    ] {
        world.write_config(&config);
        world.write_credentials(&credentials);
        for args in [&[][..], &["--json"]] {
            let run = doctor(&world, args);
            assert!(run.stdout.contains('~'), "{}", run.stdout);
            assert!(
                !run.stdout.contains(&home),
                "a full home path:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn the_variables_of_an_evaluated_export_are_awsmfas_own() {
    let world = private_world();
    world.run_with_code(&["export"]).ok();
    let script = format!("eval \"$('{BIN}' export)\" && exec '{BIN}' doctor");
    let run = world.run_command(world.program("sh", &["-c", &script]));
    let environment = line(&run.stdout, "environment");
    assert!(
        environment.starts_with("ok")
            && environment.contains("from awsmfa export")
            && environment.contains("profile 'alice'")
            && environment.contains("until")
            && environment.contains("left)"),
        "{environment}"
    );
    assert!(!run.stdout.contains("tempSecret") && !run.stdout.contains("unset"));

    // Once expired, it says so.
    let script = format!(
        "eval \"$('{BIN}' export)\" && AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z exec '{BIN}' doctor"
    );
    let mut command = world.program("sh", &["-c", &script]);
    command.env("TZ", "UTC");
    let run = world.run_command(command);
    let environment = line(&run.stdout, "environment");
    assert!(
        environment.starts_with("warn")
            && environment.contains("expired at 2020-01-01 00:00 UTC")
            && environment.contains("awsmfa export --profile alice"),
        "{environment}"
    );
}

#[test]
fn one_cached_session_is_one_entry() {
    let world = private_world();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let run = doctor(&world, &[]);
    run.ok();
    let cache = line(&run.stdout, "cache");
    assert!(
        cache.contains("1 entry: 1 usable, 0 running low, 0 expired, 0 unusable"),
        "{cache}"
    );
    let sts = line(&run.stdout, "STS");
    assert!(sts.contains("the clock agrees with STS's"), "{sts}");
    assert!(!sts.contains(" 0 ms"), "{sts}");
}

/// A `mfa_serial` that is not one of the user's devices fails, naming
/// theirs; a profile without one gets the line IAM's list gives.
#[test]
fn the_mfa_device_is_checked_against_the_users_own() {
    let world = private_world();
    world.write_config(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/old-phone\nregion = eu-west-1\n",
    );
    let run = doctor(&world, &[]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let device = line(&run.stdout, "MFA device");
    assert!(
        device.starts_with("fail")
            && device.contains("mfa_serial = arn:aws:iam::123456789012:mfa/old-phone is not a device of the IAM user of profile 'alice': theirs is arn:aws:iam::123456789012:mfa/alice (a virtual device of user alice)")
            && device.contains("→ set mfa_serial = arn:aws:iam::123456789012:mfa/alice for profile 'alice'"),
        "{device}"
    );
    world.write_config("[profile alice]\nregion = eu-west-1\n");
    let run = doctor(&world, &[]);
    let device = line(&run.stdout, "MFA device");
    assert!(
        device.starts_with("fail")
            && device.contains("add this line to [profile alice] in ~/aws-config: mfa_serial = arn:aws:iam::123456789012:mfa/alice"),
        "{device}"
    );
    // IAM refusing: the line as it was, from the files alone.
    world.write_config(ALICE_CONFIG);
    world.sts.refuse_device_listing();
    let run = doctor(&world, &[]);
    run.ok();
    assert!(
        line(&run.stdout, "MFA device").starts_with("ok  "),
        "{}",
        run.stdout
    );
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}
