//! `awsmfa exec` for an IAM-user profile, end to end: the built binary, the
//! STS stand-in, and real programs as the child.

use crate::support::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn env_of(stdout: &str) -> HashMap<String, String> {
    stdout
        .split('\0')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn the_aws_cli_signs_with_the_session() {
    let world = World::new();
    let run = world.run(&[
        "exec",
        "--token-code",
        &code(),
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        "--output",
        "json",
    ]);
    run.ok();
    let identity: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON from aws");
    assert_eq!(identity["Arn"], ALICE_ARN);
    let calls = world.sts.calls();
    let caller = calls
        .iter()
        .find(|c| c.action == "GetCallerIdentity")
        .expect("aws called STS");
    assert!(
        caller.access_key_id.starts_with("ASIA"),
        "signed with {}",
        caller.access_key_id
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    let token_call = &calls[0];
    assert_eq!(token_call.access_key_id, ALICE_KEY);
    assert_eq!(token_call.params["SerialNumber"], ALICE_SERIAL);
    assert_eq!(token_call.params["DurationSeconds"], "43200");
}

#[test]
fn boto3_signs_with_the_session() {
    let world = World::new();
    let script = "import boto3\n\
        session = boto3.Session()\n\
        print(session.client('sts').get_caller_identity()['Arn'])\n\
        print(session.get_credentials().access_key)\n";
    let run = world.run(&[
        "exec",
        "--token-code",
        &code(),
        "--",
        "python3",
        "-c",
        script,
    ]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], ALICE_ARN);
    assert!(lines[1].starts_with("ASIA"), "{}", lines[1]);
}

#[test]
fn a_second_run_reuses_the_cache_without_a_code() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let run = world.run(&[&["exec", "--"], CALLER_ARN].concat());
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    assert_eq!(world.sts.count("GetSessionToken"), 1, "no second STS call");
}

#[test]
fn the_child_environment_follows_the_contract() {
    let world = World::new();
    let mut command = world.command(&["exec", "--", "env", "-0"]);
    command
        .env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET)
        .env("AWS_SECURITY_TOKEN", "stale-token")
        .env("AWS_SESSION_EXPIRATION", "2001-01-01T00:00:00Z")
        .env("AWS_DEFAULT_PROFILE", "alice")
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/creds",
        )
        .env("AWSMFA_TOKEN_CODE", code())
        .env("SOMETHING_ELSE", "kept as it is")
        .env("AWS_CA_BUNDLE", "/etc/ssl/x.pem");
    let run = world.run_command(command);
    run.ok();
    let env = env_of(&run.stdout);
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_ne!(env["AWS_SECRET_ACCESS_KEY"], ALICE_SECRET);
    assert_eq!(env["AWS_SESSION_TOKEN"], env["AWS_SECURITY_TOKEN"]);
    assert!(!env["AWS_SESSION_TOKEN"].is_empty());
    let expiration = &env["AWS_CREDENTIAL_EXPIRATION"];
    assert_eq!(expiration.len(), 20, "{expiration}");
    assert!(
        expiration.ends_with('Z') && expiration.as_bytes()[10] == b'T',
        "{expiration}"
    );
    let expected = sts::rfc3339(sts::now() + 43_200, 0);
    assert_eq!(
        &expiration[..13],
        &expected[..13],
        "about 12 hours from now"
    );
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(env["AWSMFA_PROFILE"], "alice");
    for gone in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWSMFA_TOKEN_CODE",
        "AWS_SESSION_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        assert!(!env.contains_key(gone), "{gone} reached the child");
    }
    assert_eq!(env["SOMETHING_ELSE"], "kept as it is");
    assert_eq!(env["AWS_CA_BUNDLE"], "/etc/ssl/x.pem");
    assert_eq!(env["AWS_ENDPOINT_URL_STS"], world.sts.url);
    assert_eq!(env["HOME"], world.home().to_str().unwrap());
    assert_eq!(
        world.sts.calls()[0].access_key_id,
        ALICE_KEY,
        "the parent's long-term key signed the STS call, not the child"
    );
}

#[test]
fn the_process_becomes_the_command() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();

    // Same pid; SIGTERM reaches the command itself.
    let mut command = world.command(&[
        "exec",
        "--",
        "sh",
        "-c",
        "trap 'echo got TERM; exit 7' TERM; echo $$; while :; do sleep 0.05; done",
    ]);
    let mut child = command.stdout(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim(),
        child.id().to_string(),
        "the command runs under awsmfa's pid"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "got TERM");
    assert_eq!(child.wait().unwrap().code(), Some(7));

    // stdin is the command's.
    let out = feed(world.command(&["exec", "--", "cat"]), b"piped through\n");
    assert_eq!(out, "piped through\n");

    // The exit status is the command's.
    assert_eq!(world.run(&["exec", "--", "sh", "-c", "exit 42"]).status, 42);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn with_no_command_it_starts_the_shell() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let mut command = world.command(&["exec"]);
    command.env("SHELL", "/bin/sh");
    let out = feed(
        command,
        b"echo \"$AWSMFA_PROFILE ${AWS_ACCESS_KEY_ID%%TEMP*}\"\n",
    );
    assert_eq!(out, "alice ASIA\n");
}

#[test]
fn a_missing_or_unrunnable_command_costs_no_code() {
    let world = World::new();
    // No code source at all: the command is checked first.
    world
        .run(&["exec", "--", "no-such-command-awsmfa"])
        .fails_with(127, "no-such-command-awsmfa: command not found");
    let script = world.home().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    world
        .run(&["exec", "--", script.to_str().unwrap()])
        .fails_with(126, "not-executable");
    world
        .run(&["exec", "--", world.home().join("missing").to_str().unwrap()])
        .fails_with(127, "command not found");
    let mut command = world.command(&["exec", "--", "not-executable"]);
    command.env(
        "PATH",
        format!("{}:{}", world.home().display(), test_path()),
    );
    world
        .run_command(command)
        .fails_with(126, "permission denied");
    assert!(world.sts.calls().is_empty());
    assert!(world.cache_entries().is_empty());
}

#[test]
fn malformed_codes_never_reach_sts() {
    let world = World::new();
    for bad in ["12345", "abcdef", "1234567", "12 345"] {
        world
            .run(&["exec", "--token-code", bad, "--", "true"])
            .fails_with(2, "--token-code: an MFA code is exactly 6 digits");
        let mut command = world.command(&["exec", "--", "true"]);
        command.env("AWSMFA_TOKEN_CODE", bad);
        world
            .run_command(command)
            .fails_with(125, "AWSMFA_TOKEN_CODE: an MFA code is exactly 6 digits");
    }
    assert!(world.sts.calls().is_empty());
}

#[test]
fn a_rejected_code_caches_nothing() {
    let world = World::new();
    let c = code();
    // STS refuses the code once (a device out of step, say).
    world.sts.reject_code_once(&c);
    world
        .run(&["exec", "--token-code", &c, "--", "true"])
        .fails_with(
            125,
            "STS rejected the MFA code for arn:aws:iam::123456789012:mfa/alice",
        );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert!(world.cache_entries().is_empty());
    // The same code again reaches STS and works: the rejected one was not
    // remembered as used.
    world.run(&["exec", "--token-code", &c, "--", "true"]).ok();
    assert_eq!(world.sts.codes(), [c.clone(), c]);
    assert_eq!(world.cache_entries().len(), 1);
}

#[test]
fn no_code_and_no_terminal_fails_at_once() {
    let world = World::new();
    let started = Instant::now();
    let run = world.run(&["exec", "--", "true"]);
    assert!(started.elapsed() < Duration::from_secs(5), "it waited");
    run.fails_with(125, "no terminal");
    for source in [
        "--token-code",
        "AWSMFA_TOKEN_CODE",
        "mfa_process",
        "terminal",
    ] {
        assert!(
            run.stderr.contains(source),
            "{source} not named: {}",
            run.stderr
        );
    }
    assert!(world.sts.calls().is_empty());
}

#[test]
fn configuration_errors_are_one_line_and_call_nothing() {
    let world = World::new();
    let c = code();
    // A flag's value out of STS's range is a usage error (tests/it/usage.rs).
    for duration in ["899", "129601", "37h"] {
        world
            .run(&[
                "exec",
                "--duration",
                duration,
                "--token-code",
                &c,
                "--",
                "true",
            ])
            .fails_with(2, "STS allows");
    }
    world
        .run(&["exec", "--duration", "soon", "--", "true"])
        .status
        .eq(&2)
        .then_some(())
        .expect("a malformed flag is a usage error");
    world
        .run(&[
            "exec",
            "--profile",
            "nobody",
            "--token-code",
            &c,
            "--",
            "true",
        ])
        .fails_with(125, "profile 'nobody' is not in");

    world.write_config("[profile alice]\nregion = eu-west-1\n");
    let run = world.run(&["exec", "--token-code", &c, "--", "true"]);
    run.fails_with(125, "profile 'alice' has no mfa_serial");
    assert!(
        run.stderr
            .contains("hint: add this line to [profile alice] in "),
        "{}",
        run.stderr
    );
    // The line names the user's real device, which IAM listed.
    assert!(
        run.stderr.contains(
            "mfa_serial = arn:aws:iam::123456789012:mfa/alice (a virtual device of user alice"
        ),
        "{}",
        run.stderr
    );

    world.write_config(ALICE_CONFIG);
    world.write_credentials(&format!("{}aws_session_token = abc\n", alice_credentials()));
    world
        .run(&["exec", "--token-code", &c, "--", "true"])
        .fails_with(125, "holds temporary credentials");

    world.write_credentials("[alice]\naws_access_key_id = AKIAONLY\n");
    world
        .run(&["exec", "--token-code", &c, "--", "true"])
        .fails_with(125, "no long-term keys");

    world.write_config("[profile alice]\nthis line is broken\n");
    world
        .run(&["exec", "--token-code", &c, "--", "true"])
        .fails_with(125, "aws-config line 2: expected 'key = value'");
    // Only IAM's read-only listing of the user's devices (for the missing
    // mfa_serial above): no STS call, no code spent.
    let actions: Vec<String> = world.sts.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["ListMFADevices"]);
}

#[test]
fn durations_and_region_reach_sts() {
    let world = World::new();
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
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command.env("AWSMFA_DURATION", "900");
    world.run_command(command).ok();
    world.write_config(&format!("{ALICE_CONFIG}duration_seconds = 7200\n"));
    world.run_with_code(&["exec", "--", "true"]).ok();
    // The region signs the call: the flag, else AWS_REGION, else the profile's.
    let mut command = world.command_with_code(&["exec", "--refresh", "--", "true"]);
    command.env("AWS_REGION", "us-west-2");
    world.run_command(command).ok();
    let mut command =
        world.command_with_code(&["exec", "--refresh", "--region", "ap-south-1", "--", "true"]);
    command.env("AWS_REGION", "us-west-2");
    world.run_command(command).ok();
    let durations: Vec<String> = world
        .sts
        .calls()
        .iter()
        .map(|c| c.params["DurationSeconds"].clone())
        .collect();
    assert_eq!(durations, ["3600", "900", "7200", "7200", "7200"]);
    assert_eq!(
        world.sts.regions("GetSessionToken"),
        [
            "eu-west-1",
            "eu-west-1",
            "eu-west-1",
            "us-west-2",
            "ap-south-1"
        ]
    );
}

#[test]
fn a_nested_run_works_like_any_other() {
    let world = World::new();
    let script = format!(
        "echo $AWS_ACCESS_KEY_ID; '{BIN}' exec --profile alice -- printenv AWS_ACCESS_KEY_ID AWSMFA_PROFILE"
    );
    let run = world.run_with_code(&["exec", "--", "sh", "-c", &script]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("ASIA"), "{}", run.stdout);
    assert_eq!(lines[1], lines[0], "the inner run reused the same session");
    assert_eq!(lines[2], "alice");
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn the_region_comes_from_the_flag_then_the_environment_then_the_profile() {
    let world = World::new();
    let region = |extra: &[&str], env: Option<&str>| {
        let mut args = vec!["exec"];
        args.extend(extra);
        args.extend(["--", "sh", "-c", "echo $AWS_REGION $AWS_DEFAULT_REGION"]);
        let mut command = world.command(&args);
        if let Some(value) = env {
            command.env("AWS_REGION", value);
        }
        let run = world.run_command(command);
        run.ok();
        run.stdout.trim().to_owned()
    };
    let c = code();
    assert_eq!(region(&["--token-code", &c], None), "eu-west-1 eu-west-1");
    assert_eq!(region(&[], Some("us-west-2")), "us-west-2 us-west-2");
    assert_eq!(
        region(&["--region", "ap-south-1"], Some("us-west-2")),
        "ap-south-1 ap-south-1"
    );
    assert_eq!(
        world.sts.count("GetSessionToken"),
        1,
        "the region is not part of the session key"
    );
}

#[test]
fn the_command_gets_the_default_sigpipe_action() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let world = World::new();
    let mut child = world
        .command_with_code(&["exec", "--", "yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 4];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed now: `yes` must die of SIGPIPE, as it would in a
    // shell, rather than see an ignored signal and report a write error.
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.signal(), Some(13), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn the_front_serves_a_hit_alone_and_names_its_partner_when_it_needs_it() {
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    // awsmfa copied somewhere without awsmfa-full beside it.
    let alone = world.home().join("alone");
    std::fs::create_dir(&alone).unwrap();
    copy_program(std::path::Path::new(BIN), &alone.join("awsmfa"));
    let front = alone.join("awsmfa");
    // A cache hit needs nothing else.
    let run = world
        .run_command(world.program(&front, &["exec", "--", "sh", "-c", "echo $AWSMFA_PROFILE"]));
    run.ok();
    assert_eq!(run.stdout, "alice\n");
    // Anything else does, and says so in one line and a hint.
    let run = world.run_command(world.program(&front, &["exec", "-v", "--", "true"]));
    run.fails_with(
        125,
        &format!("cannot run {}", world.shown(&alone.join("awsmfa-full"))),
    );
    let run = world.run_command(world.program(&front, &["status"]));
    assert_eq!(run.status, 1, "{}", run.stderr);
}

#[test]
fn sts_is_reached_by_host_name() {
    let world = World::new();
    let by_name = world.sts.url.replace("127.0.0.1", "localhost");
    let mut command = world.command_with_code(&[&["exec", "--"], CALLER_ARN].concat());
    command.env("AWS_ENDPOINT_URL_STS", &by_name);
    let run = world.run_command(command);
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}
