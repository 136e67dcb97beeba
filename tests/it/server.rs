//! `awsmfa exec --server`: the child fetches its credentials from a loopback
//! endpoint that keeps them fresh. Real SDKs as the child (boto3, the AWS CLI,
//! terraform's AWS provider), the endpoint probed as a stranger would, and
//! the child's exit status and signals passed through.

use crate::support::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// boto3 in a loop for `seconds`: one call a second; prints a JSON summary.
fn boto3_loop(seconds: u32) -> String {
    format!(
        "import boto3, json, time\n\
         session = boto3.Session()\n\
         sts = session.client('sts')\n\
         keys, arns, failures, calls = set(), set(), [], 0\n\
         end = time.time() + {seconds}\n\
         while time.time() < end:\n\
         \x20   calls += 1\n\
         \x20   try:\n\
         \x20       arns.add(sts.get_caller_identity()['Arn'])\n\
         \x20       keys.add(session.get_credentials().get_frozen_credentials().access_key)\n\
         \x20   except Exception as e:\n\
         \x20       failures.append(repr(e))\n\
         \x20   time.sleep(1)\n\
         print(json.dumps({{'calls': calls, 'keys': sorted(keys), 'arns': sorted(arns), 'failures': failures}}))\n"
    )
}

fn summary(run: &Run) -> serde_json::Value {
    run.ok();
    serde_json::from_str(run.stdout.trim()).expect("the script's JSON summary")
}

#[test]
fn boto3_keeps_working_across_several_role_expiries_on_one_code() {
    let world = world_with_admin();
    // Role credentials that expire 20 s after they are issued.
    world.sts.set_role_lifetime(20);
    let run = world.run(&[
        "exec",
        "--server",
        "--profile",
        "admin",
        "--token-code",
        &code(),
        "--",
        "python3",
        "-c",
        &boto3_loop(65),
    ]);
    let summary = summary(&run);
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary}");
    // About one call a second; fewer on a loaded machine.
    assert!(summary["calls"].as_u64().unwrap() >= 30, "{summary}");
    let keys = summary["keys"].as_array().unwrap();
    assert!(keys.len() >= 4, "credentials were refreshed: {summary}");
    assert!(
        keys.iter().all(|k| k.as_str().unwrap().starts_with("ASIA")),
        "{summary}"
    );
    let arns = summary["arns"].as_array().unwrap();
    assert!(
        arns.iter().all(|arn| arn
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::123456789012:assumed-role/admin/awsmfa-")),
        "{summary}"
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1, "one MFA code");
    assert!(world.sts.count("AssumeRole") >= 4);
}

#[test]
fn long_term_keys_in_default_do_not_shadow_the_endpoint() {
    let world = world_with_admin();
    let credentials = format!(
        "[default]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n{}",
        alice_credentials()
    );
    world.write_credentials(&credentials);
    world.write_config(&format!(
        "[default]\nregion = eu-west-1\ncredential_process = false\n{ALICE_CONFIG}\
         [profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n"
    ));
    let first = code();
    let run = world.run(
        &[
            &[
                "exec",
                "--server",
                "--profile",
                "admin",
                "--token-code",
                &first,
                "--",
            ],
            CALLER_ARN,
        ]
        .concat(),
    );
    run.ok();
    assert!(
        run.stdout
            .starts_with("arn:aws:sts::123456789012:assumed-role/admin/"),
        "{}",
        run.stdout
    );
    // The user profile too: the session signs, not the long-term key.
    let run = world.run(
        &[
            &["exec", "--server", "--profile", "alice", "--"],
            CALLER_ARN,
        ]
        .concat(),
    );
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    let signers = world.sts.signers("GetCallerIdentity");
    assert_eq!(signers.len(), 2);
    assert!(signers.iter().all(|k| k.starts_with("ASIA")), "{signers:?}");
    // The user's files are untouched, and the copies are gone.
    let on_disk = std::fs::read_to_string(world.home().join("aws-credentials")).unwrap();
    assert_eq!(on_disk, credentials);
    let leftovers: Vec<_> = std::fs::read_dir(world.cache_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".run-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn default_keys_written_with_a_colon_do_not_shadow_the_endpoint_either() {
    // The AWS CLI reads `key: value` as it reads `key = value`: so must the
    // filter of the command's copies, or the command runs as the IAM user.
    let world = World::new();
    world.write_credentials(&format!(
        "[default]\naws_access_key_id: {ALICE_KEY}\naws_secret_access_key : {ALICE_SECRET}\n{}",
        alice_credentials()
    ));
    let run = world.run(
        &[
            &["exec", "--server", "--token-code", &code(), "--"],
            CALLER_ARN,
        ]
        .concat(),
    );
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    let signers = world.sts.signers("GetCallerIdentity");
    assert_eq!(signers.len(), 1);
    assert!(signers[0].starts_with("ASIA"), "signed with {signers:?}");
}

#[test]
fn the_aws_cli_sees_only_the_endpoint() {
    let world = World::new();
    let run = world.run(&[
        "exec",
        "--server",
        "--token-code",
        &code(),
        "--",
        "sh",
        "-c",
        "env | grep -E '^AWS' | cut -d= -f1 | sort; aws sts get-caller-identity --query Arn --output text",
    ]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "AWSMFA_CACHE_DIR",
            "AWSMFA_CONFIG_FILE",
            "AWSMFA_PROFILE",
            "AWSMFA_SHARED_CREDENTIALS_FILE",
            "AWS_CONFIG_FILE",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_DEFAULT_REGION",
            // The test world's (the stand-in serves IAM too), passed through.
            "AWS_ENDPOINT_URL_IAM",
            "AWS_ENDPOINT_URL_STS",
            "AWS_REGION",
            "AWS_SHARED_CREDENTIALS_FILE",
            ALICE_ARN,
        ],
        "no static keys, no profile: {}",
        run.stdout
    );
}

/// `terraform apply` of a configuration that prints the caller's ARN, run
/// by awsmfa with `awsmfa_args` (up to `--`); `provider` is added to the
/// provider block.
fn terraform_apply(world: &World, provider: &str, awsmfa_args: &[&str]) -> Run {
    let dir = world.home().join("tf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    aws = {{ source = \"hashicorp/aws\" }}\n  }}\n}}\n\
             provider \"aws\" {{\n  region = \"eu-west-1\"\n  skip_metadata_api_check = true\n  \
             skip_region_validation = true\n  {provider}\n  endpoints {{\n    sts = \"{}\"\n  }}\n}}\n\
             data \"aws_caller_identity\" \"me\" {{}}\n\
             output \"arn\" {{\n  value = data.aws_caller_identity.me.arn\n}}\n",
            world.sts.url
        ),
    )
    .unwrap();
    let cli_config = world.home().join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            tf_plugins()
        ),
    )
    .unwrap();
    let mut init = world.program("terraform", &["init", "-input=false", "-no-color"]);
    init.current_dir(&dir)
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1");
    let output = init.output().expect("terraform is installed");
    assert!(
        output.status.success(),
        "terraform init: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let apply = [
        "terraform",
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ];
    let mut command = world.command(&[awsmfa_args, &["--"], &apply].concat());
    command
        .current_dir(&dir)
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    world.run_command(command)
}

#[test]
fn terraforms_aws_provider_works_as_the_child() {
    let world = world_with_admin();
    let first = code();
    let args = [
        "exec",
        "--server",
        "--profile",
        "admin",
        "--token-code",
        &first,
    ];
    let run = terraform_apply(&world, "", &args);
    run.ok();
    assert!(
        run.stdout
            .contains("arn = \"arn:aws:sts::123456789012:assumed-role/admin/"),
        "{}",
        run.stdout
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

/// Long-term keys in `[default]` with its MFA device, the role `admin` on
/// them, and `alice2`: a second key of the same user, whose code comes from
/// `mfa_process`.
fn world_with_profiles_to_pick() -> (World, String) {
    let world = World::new();
    world.sts.add_role(ADMIN, None);
    world
        .sts
        .add_alice_key("AKIAALICEEXAMPLE0002", "alice2Secret");
    world.write_credentials(&format!(
        "[default]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n\
         [alice2]\naws_access_key_id = AKIAALICEEXAMPLE0002\naws_secret_access_key = alice2Secret\n"
    ));
    let second = code();
    world.write_config(&format!(
        "[default]\nmfa_serial = {ALICE_SERIAL}\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n\
         [profile alice2]\nmfa_serial = {ALICE_SERIAL}\nmfa_process = echo {second}\n\
         [profile corp]\nsso_session = corp\n"
    ));
    (world, second)
}

#[test]
fn a_profile_the_command_picks_by_name_is_served_through_awsmfa() {
    let (world, second) = world_with_profiles_to_pick();
    // The command goes elsewhere; the files were named relative to where
    // awsmfa started.
    let script = "cd /\n\
        AWS_PROFILE=admin aws sts get-caller-identity --query Arn --output text\n\
        AWS_PROFILE=alice2 python3 -c 'import boto3; print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"])'\n\
        aws sts get-caller-identity --query Arn --output text\n\
        grep -c 'credential_process = .*credential-process --profile' \"$AWS_CONFIG_FILE\"\n";
    let mut command = world.command(&[
        "exec",
        "--server",
        "-v",
        "--token-code",
        &code(),
        "--",
        "sh",
        "-c",
        script,
    ]);
    command
        .env_remove("AWS_PROFILE")
        .current_dir(world.home())
        .env("AWS_CONFIG_FILE", "aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "aws-credentials");
    let run = world.run_command(command);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        lines[0].starts_with("arn:aws:sts::123456789012:assumed-role/admin/"),
        "{lines:?}"
    );
    assert_eq!(lines[1..3], [ALICE_ARN, ALICE_ARN]);
    // admin and alice2 get awsmfa; corp (SSO) is left as it was.
    assert_eq!(lines[3], "2");
    assert!(
        run.stderr
            .contains("admin, alice2 through awsmfa credential-process"),
        "{}",
        run.stderr
    );
    // Sessions sign every call, never a long-term key: the role is assumed
    // on the run's own MFA session, alice2 got its own with its own code.
    let signers = world.sts.signers("GetCallerIdentity");
    assert_eq!(signers.len(), 3);
    assert!(signers.iter().all(|k| k.starts_with("ASIA")), "{signers:?}");
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert!(world.sts.codes().contains(&second));
    assert_eq!(world.sts.signers("AssumeRole").len(), 1);
    assert!(world.sts.signers("AssumeRole")[0].starts_with("ASIA"));
}

#[test]
fn terraforms_provider_profile_is_served_through_awsmfa() {
    let (world, _) = world_with_profiles_to_pick();
    let first = code();
    let args = [
        "exec",
        "--server",
        "--profile",
        "default",
        "--token-code",
        &first,
    ];
    let run = terraform_apply(&world, "profile = \"admin\"", &args);
    run.ok();
    assert!(
        run.stdout
            .contains("arn = \"arn:aws:sts::123456789012:assumed-role/admin/"),
        "{}",
        run.stdout
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1, "no second code");
}

/// The provider mirror that ships with the machine image.
fn tf_plugins() -> &'static str {
    ["/opt/tf-plugins", "/tf-plugins"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_dir())
        .expect("a tf-plugins provider mirror (see .ci/run)")
}

/// A server run whose child prints the endpoint's URL and token, then waits
/// until the file `go` appears in HOME.
fn start_waiting_child(world: &World) -> (Child, String, String) {
    let script = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; \
                  while [ ! -e \"$HOME/go\" ]; do sleep 0.05; done";
    let mut command = world.command(&[
        "exec",
        "--server",
        "--token-code",
        &code(),
        "--",
        "sh",
        "-c",
        script,
    ]);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, token) = line.trim().split_once(' ').expect("URL and token");
    (child, url.to_owned(), token.to_owned())
}

/// One raw HTTP/1.1 request; returns the status and the body.
fn request(address: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    let mut text = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().expect("a status");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_endpoint_answers_only_the_child() {
    let world = World::new();
    let (child, url, token) = start_waiting_child(&world);
    assert!(token.len() >= 32, "at least 128 random bits: {token}");
    let rest = url.strip_prefix("http://127.0.0.1:").expect("127.0.0.1");
    let (port, path) = rest.split_once('/').unwrap();
    let address = format!("127.0.0.1:{port}");
    let path = format!("/{path}");
    let host = address.as_str();

    let (status, body) = request(
        &address,
        &path,
        &[("Host", host), ("Authorization", &token)],
    );
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let key = json["AccessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{json}");
    assert!(!json["SecretAccessKey"].as_str().unwrap().is_empty());
    assert!(!json["Token"].as_str().unwrap().is_empty());
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    assert!(!body.contains(ALICE_KEY) && !body.contains(ALICE_SECRET));

    let wrong = token.replace(&token[..1], if &token[..1] == "a" { "b" } else { "a" });
    for (what, headers) in [
        ("no token", vec![("Host", host)]),
        (
            "a wrong token",
            vec![("Host", host), ("Authorization", &wrong)],
        ),
        (
            "a foreign Host",
            vec![("Host", "attacker.example"), ("Authorization", &token)],
        ),
        ("no Host", vec![("Authorization", token.as_str())]),
        (
            "a port that is a name",
            vec![
                ("Host", "127.0.0.1:evil.example"),
                ("Authorization", &token),
            ],
        ),
        (
            "another port",
            vec![("Host", "127.0.0.1:1"), ("Authorization", &token)],
        ),
    ] {
        let (status, body) = request(&address, &path, &headers);
        assert_eq!(status, 403, "{what}: {body}");
        assert!(!body.contains(key), "{what}: {body}");
    }
    // A request in absolute form, as sent to a proxy, names another host.
    let absolute = format!("http://attacker.example{path}");
    let (status, body) = request(
        &address,
        &absolute,
        &[("Host", host), ("Authorization", &token)],
    );
    assert_eq!(status, 403, "absolute form: {body}");
    assert!(!body.contains(key));
    let (status, _) = request(
        &address,
        "/other",
        &[("Host", host), ("Authorization", &token)],
    );
    assert_eq!(status, 404);

    std::fs::write(world.home().join("go"), "").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    world.check_no_secrets(&String::from_utf8_lossy(&output.stderr), &[]);
    let refused = TcpStream::connect(&address);
    assert!(refused.is_err(), "the endpoint is closed after the run");
}

#[test]
fn the_exit_status_is_the_childs() {
    let world = World::new();
    world
        .run_with_code(&["exec", "--server", "--", "true"])
        .ok();
    for (script, status) in [("exit 0", 0), ("exit 1", 1), ("exit 42", 42)] {
        let run = world.run(&["exec", "--server", "--", "sh", "-c", script]);
        assert_eq!(run.status, status, "{script}: {}", run.stderr);
        assert_eq!(run.stderr, "");
    }
    // Killed by a signal: awsmfa ends by the same signal.
    let output = world
        .command(&["exec", "--server", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    assert_eq!(output.status.signal(), Some(libc_signal(Signal::SIGTERM)));
    assert!(!output.status.core_dumped());
}

fn libc_signal(signal: Signal) -> i32 {
    signal as i32
}

#[test]
fn awsmfa_fails_as_exec_does() {
    let world = World::new();
    world
        .run(&["exec", "--server", "--", "no-such-command-here"])
        .fails_with(127, "no-such-command-here: command not found");
    let script = world.home().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
    world
        .run(&["exec", "--server", "--", script.to_str().unwrap()])
        .fails_with(126, "permission denied");
    world
        .run(&["exec", "--server", "--profile", "nobody", "--", "true"])
        .fails_with(125, "profile 'nobody'");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

/// A child that counts the signals it gets, says `ready`, and after the
/// first one waits a little for a second before it prints the count.
const COUNTER: &str = "import signal, sys, time\n\
    count = {}\n\
    def on(number, frame):\n\
    \x20   count[number] = count.get(number, 0) + 1\n\
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):\n\
    \x20   signal.signal(s, on)\n\
    print('ready', flush=True)\n\
    while not count:\n\
    \x20   time.sleep(0.01)\n\
    time.sleep(1)\n\
    print(' '.join(f'{signal.Signals(n).name}={c}' for n, c in sorted(count.items())), flush=True)\n\
    sys.exit(3)\n";

fn wait_for_ready(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    stdout
}

#[test]
fn signals_sent_to_awsmfa_reach_the_child_once() {
    let world = World::new();
    world
        .run_with_code(&["exec", "--server", "--", "true"])
        .ok();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGUSR1,
    ] {
        let mut child = world
            .command(&["exec", "--server", "--", "python3", "-c", COUNTER])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = wait_for_ready(&mut child);
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let mut counts = String::new();
        stdout.read_line(&mut counts).unwrap();
        assert_eq!(counts.trim(), format!("{}=1", signal.as_str()));
        assert_eq!(child.wait().unwrap().code(), Some(3), "{signal}");
    }
}

#[test]
fn ctrl_c_at_the_terminal_reaches_the_child_once() {
    use rexpect::session::spawn_command;
    let world = World::new();
    world
        .run_with_code(&["exec", "--server", "--", "true"])
        .ok();
    let command = world.terminal_command(&["exec", "--server", "--", "python3", "-c", COUNTER]);
    let mut terminal = spawn_command(command, Some(20_000)).expect("spawn on a pty");
    terminal.exp_string("ready").unwrap();
    // The terminal sends SIGINT to the whole foreground group: awsmfa and
    // the child. The child must see it once, not twice.
    terminal.send_control('c').unwrap();
    terminal.exp_string("SIGINT=1").unwrap();
    match terminal.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 3),
        other => panic!("not a normal exit: {other:?}"),
    }
}

#[test]
fn an_mfa_session_running_low_gets_a_code_from_mfa_process_ahead_of_time() {
    let world = World::new();
    // Each run of mfa_process prints the next code, as a device would.
    let codes = world.home().join("codes");
    let all: Vec<String> = (0..20).map(|_| code()).collect();
    std::fs::write(&codes, all.join("\n") + "\n").unwrap();
    let next = world.home().join("next-code");
    executable(
        &next,
        &format!("#!/bin/sh\nhead -n 1 {0}\nsed -i 1d {0}\n", codes.display()),
    );
    world.write_config(&format!("{ALICE_CONFIG}mfa_process = {}\n", next.display()));
    world.sts.set_session_lifetime(16);
    let run = world.run(&["exec", "--server", "--", "python3", "-c", &boto3_loop(30)]);
    let summary = summary(&run);
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary}");
    assert!(
        world.sts.count("GetSessionToken") >= 3,
        "new MFA sessions while the command ran: {}",
        world.sts.count("GetSessionToken")
    );
    // Each new session took the next code mfa_process printed, in order.
    let sent = world.sts.codes();
    assert_eq!(
        sent,
        all[..sent.len()],
        "the codes mfa_process printed reached STS"
    );
    assert!(summary["keys"].as_array().unwrap().len() >= 3, "{summary}");
}

#[test]
fn with_no_code_source_it_says_once_when_credentials_stop() {
    let world = World::new();
    world.sts.set_session_lifetime(16);
    let started = Instant::now();
    let run = world.run(&[
        "exec",
        "--server",
        "--token-code",
        &code(),
        "--",
        "sleep",
        "14",
    ]);
    run.ok();
    assert!(started.elapsed() >= Duration::from_secs(14));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("awsmfa: credentials for profile 'alice' stop at ")
            && lines[0].contains("no terminal or mfa_process"),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn at_a_terminal_the_code_is_asked_ahead_while_credentials_are_still_served() {
    let world = World::new();
    let mut terminal = on_terminal_with_short_sessions(&world, &["python3", "-c", &boto3_loop(20)]);
    // Halfway through the 16 s session, the next code is asked for.
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    let asked = Instant::now();
    let calls_before_asking = world.sts.count("GetCallerIdentity");
    // The child goes on working while nobody types.
    std::thread::sleep(Duration::from_secs(3));
    let calls_until_typed = world.sts.count("GetCallerIdentity");
    let calls_while_asking = calls_until_typed - calls_before_asking;
    let typed = code();
    terminal.send_line(&typed).unwrap();
    let rest = terminal.exp_eof().unwrap();
    // (With 16 s sessions, the next prompt may already stand before it, and
    // be erased after it.)
    let start = rest
        .rfind("{\"calls\"")
        .unwrap_or_else(|| panic!("no summary: {rest}"));
    let line = rest[start..].lines().next().unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary}");
    assert!(asked.elapsed() >= Duration::from_secs(3));
    assert!(
        world.sts.count("GetCallerIdentity") > calls_until_typed,
        "calls went on after the code"
    );
    // One call a second: three seconds of waiting, give or take one.
    assert!(
        calls_while_asking >= 2,
        "calls went on while the prompt waited: {calls_while_asking}"
    );
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert_eq!(world.sts.codes()[1], typed, "the typed code reached STS");
    assert!(summary["keys"].as_array().unwrap().len() >= 2, "{summary}");
}

#[test]
fn a_command_that_ends_during_a_prompt_leaves_the_terminal_as_it_was() {
    use nix::sys::termios::{LocalFlags, tcgetattr};
    let world = World::new();
    let mut terminal = on_terminal_with_short_sessions(&world, &["sleep", "11"]);
    let handle = terminal.process().get_file_handle().unwrap();
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    // (rexpect turns echo off on its terminal; line editing shows the prompt's mark.)
    assert!(
        !tcgetattr(&handle)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ICANON),
        "the prompt reads key by key"
    );
    // Nobody types: the command ends while the prompt waits.
    match terminal.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("not a normal exit: {other:?}"),
    }
    let flags = tcgetattr(&handle).unwrap().local_flags;
    assert!(
        flags.contains(LocalFlags::ICANON | LocalFlags::ISIG),
        "the terminal has its settings back: {flags:?}"
    );
}

#[test]
fn an_awsmfa_run_by_the_command_still_finds_the_default_profiles_keys() {
    let world = World::new();
    world.write_credentials(&format!(
        "[default]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    world.write_config(&format!(
        "[default]\nmfa_serial = {ALICE_SERIAL}\nregion = eu-west-1\n"
    ));
    let mut command = world.command(
        &[
            &[
                "exec",
                "--server",
                "--token-code",
                &code(),
                "--",
                BIN,
                "exec",
                "--",
            ],
            CALLER_ARN,
        ]
        .concat(),
    );
    command.env_remove("AWS_PROFILE");
    let run = world.run_command(command);
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    assert_eq!(
        world.sts.count("GetSessionToken"),
        1,
        "the inner run used the session"
    );
    let signer = &world
        .sts
        .calls()
        .into_iter()
        .find(|c| c.action == "GetCallerIdentity")
        .unwrap()
        .access_key_id;
    assert!(signer.starts_with("ASIA"), "{signer}");
}

#[test]
fn ctrl_c_at_a_refresh_prompt_declines_the_code_and_spares_the_command() {
    let world = World::new();
    let script = "import signal, time\n\
        count = 0\n\
        def on(number, frame):\n\
        \x20   global count\n\
        \x20   count += 1\n\
        signal.signal(signal.SIGINT, on)\n\
        time.sleep(12)\n\
        print(f'SIGINT={count}', flush=True)\n\
        time.sleep(6)\n\
        import boto3\n\
        try:\n\
        \x20   boto3.client('sts').get_caller_identity()\n\
        except Exception as e:\n\
        \x20   print('FAILED', e, flush=True)\n";
    let mut terminal = on_terminal_with_short_sessions(&world, &["python3", "-c", script]);
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    terminal.send_control('c').unwrap();
    terminal
        .exp_string("runs out and no new code was given")
        .unwrap();
    terminal.exp_string("SIGINT=0").unwrap();
    // Once the credentials have expired, the SDK fails with the reason.
    let failed = terminal.exp_string("FAILED").unwrap();
    assert!(!failed.contains("asked for again"), "{failed}");
    terminal.exp_string("no new code was given").unwrap();
    match terminal.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("not a normal exit: {other:?}"),
    }
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

/// A server run on a terminal of its own, with MFA sessions that last 16 s:
/// halfway through, the next code is asked for while `command` runs.
fn on_terminal_with_short_sessions(
    world: &World,
    command: &[&str],
) -> rexpect::session::PtySession {
    on_terminal_with_sessions_of(world, 16, command)
}

/// The same, with MFA sessions that last `seconds`.
fn on_terminal_with_sessions_of(
    world: &World,
    seconds: u64,
    command: &[&str],
) -> rexpect::session::PtySession {
    world.sts.set_session_lifetime(seconds);
    let code = code();
    let args = [
        &["exec", "--server", "--token-code", code.as_str(), "--"][..],
        command,
    ]
    .concat();
    rexpect::session::spawn_command(world.terminal_command(&args), Some(30_000))
        .expect("spawn on a pty")
}

#[test]
fn a_cache_folder_that_cannot_be_made_costs_no_code() {
    let world = World::new();
    // [default] holds long-term keys: the command needs private copies of
    // the files, in a folder of the cache that cannot be made.
    world.write_credentials(&format!(
        "[default]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n{}",
        alice_credentials()
    ));
    let blocker = world.home().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let mut command = world.command_with_code(&["exec", "--server", "--", "true"]);
    command.env("AWSMFA_CACHE_DIR", blocker.join("cache"));
    world
        .run_command(command)
        .fails_with(125, "cannot create the cache folder");
    assert_eq!(world.sts.count("GetSessionToken"), 0, "a code was spent");
}

#[test]
fn the_command_does_not_outlive_a_killed_awsmfa() {
    let world = World::new();
    // [default] holds keys: the run leaves private copies of the files.
    world.write_credentials(&format!(
        "[default]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n{}",
        alice_credentials()
    ));
    let mut awsmfa = world
        .command_with_code(&[
            "exec",
            "--server",
            "--",
            "sh",
            "-c",
            "echo $$; exec sleep 600",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(awsmfa.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let command = Pid::from_raw(line.trim().parse().expect("the command's pid"));
    let runs = || {
        std::fs::read_dir(world.cache_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".run-"))
            .count()
    };
    assert_eq!(runs(), 1, "the private copies");
    // As the OOM killer would.
    awsmfa.kill().unwrap();
    awsmfa.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let gone = || has_ended(command.as_raw());
    while !gone() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !gone() {
        let _ = kill(command, Signal::SIGKILL);
        panic!("the command outlived awsmfa");
    }
    // The next run sweeps the copies the killed one left.
    world.run(&["exec", "--server", "--", "true"]).ok();
    assert_eq!(runs(), 0, "the killed run's copies are still there");
}

#[test]
fn a_flood_of_connections_cannot_keep_the_child_waiting() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    // This test holds thousands of connections open.
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    let world = World::new();
    let script = "echo \"$(ulimit -Sn) $AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; \
                  while [ ! -e \"$HOME/go\" ]; do sleep 0.05; done";
    // awsmfa started with a soft limit of 1024 descriptors, as is common.
    let awsmfa = format!(
        "ulimit -Sn 1024; exec '{BIN}' exec --server --token-code {} -- sh -c '{script}'",
        code()
    );
    let mut child = world
        .program("sh", &["-c", &awsmfa])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let [limit, url, token] = words[..] else {
        panic!("{line}")
    };
    assert_eq!(limit, "1024", "the command keeps the limit it was given");
    let rest = url.strip_prefix("http://").unwrap();
    let (address, path) = rest.split_at(rest.find('/').unwrap());
    let address: std::net::SocketAddr = address.parse().unwrap();
    // Another local user keeps opening connections and sends nothing.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut held = std::collections::VecDeque::new();
            let mut opened = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_millis(50))
                {
                    held.push_back(stream);
                    opened += 1;
                }
                if held.len() > 4000 {
                    held.pop_front();
                }
            }
            opened
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    // The child's own request is answered at once, as an SDK needs it.
    let started = Instant::now();
    let (status, body) = request(
        &address.to_string(),
        path,
        &[("Host", &address.to_string()), ("Authorization", token)],
    );
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let opened = flooding.join().unwrap();
    assert!(opened > 2000, "only {opened} connections");
    assert_eq!(status, 200, "{body}");
    // A flood that held the child's request back would hold it for good;
    // two seconds leave room for a loaded 2-core machine.
    assert!(took < Duration::from_secs(2), "the child waited {took:?}");
    std::fs::write(world.home().join("go"), "").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A command that counts the TERMs it gets, each as it arrives (a C
/// handler: Python's or a shell's would fold two close ones into one), as
/// terraform does: it reads a second one as "stop now, skip the clean
/// shutdown".
fn term_counter(world: &World) -> std::path::PathBuf {
    let source = world.home().join("counter.c");
    std::fs::write(
        &source,
        "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n\
         static volatile sig_atomic_t got;\n\
         static void count(int s) { (void)s; got++; }\n\
         int main(void) {\n\
           struct sigaction a = {0}; a.sa_handler = count; sigaction(SIGTERM, &a, 0);\n\
           printf(\"ready\\n\"); fflush(stdout);\n\
           for (int i = 0; i < 40; i++) usleep(20000);\n\
           printf(\"%d\\n\", (int)got); return 0;\n\
         }\n",
    )
    .unwrap();
    let program = world.home().join("counter");
    // Written by the compiler, a process of its own (no "Text file busy").
    let status = std::process::Command::new("cc")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success());
    program
}

#[test]
fn a_signal_to_the_whole_group_reaches_the_command_once() {
    let world = World::new();
    let counter = term_counter(&world);
    world.run_with_code(&["exec", "--", "true"]).ok();
    // Two signals close together may fold into one before the command runs
    // its handler: a double delivery shows in most rounds, not in every one.
    for to_group in [true, true, true, true, true, true, true, true, false, false] {
        // world.command starts awsmfa in a session of its own: its process
        // group is the run's, as a shell job's would be.
        let mut awsmfa = world
            .command(&["exec", "--server", "--", counter.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(awsmfa.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        let pid = Pid::from_raw(awsmfa.id() as i32);
        if to_group {
            // `kill -TERM -- -PGID`: awsmfa and the command get it at once.
            nix::sys::signal::killpg(pid, Signal::SIGTERM).unwrap();
        } else {
            // awsmfa alone: it passes the signal on.
            kill(pid, Signal::SIGTERM).unwrap();
        }
        let count = lines.next().unwrap().unwrap();
        assert!(awsmfa.wait().unwrap().success());
        assert_eq!(count, "1", "to the group: {to_group}");
    }
}

/// A child that waits `argv[1]` seconds, then asks boto3 and the AWS CLI who
/// it is, once each, timing both; prints a JSON summary.
const SPENT_CLIENTS: &str = r#"
import boto3, json, subprocess, sys, time
time.sleep(float(sys.argv[1]))
started = time.time()
try:
    boto3.client('sts').get_caller_identity()
    boto3_error = None
except Exception as e:
    boto3_error = str(e)
boto3_seconds = time.time() - started
started = time.time()
cli = subprocess.run(['aws', 'sts', 'get-caller-identity'], capture_output=True, text=True)
cli_seconds = time.time() - started
print(json.dumps({'boto3_error': boto3_error, 'boto3_seconds': boto3_seconds,
                  'cli_status': cli.returncode, 'cli_stderr': cli.stderr,
                  'cli_seconds': cli_seconds}))
"#;

#[test]
fn once_no_code_can_be_had_the_sdks_fail_at_once_with_awsmfas_reason() {
    let world = World::new();
    world.sts.set_session_lifetime(16);
    // No terminal and no mfa_process: the session ends at 16 s, and the
    // clients ask after that.
    let run = world.run(&[
        "exec",
        "--server",
        "--token-code",
        &code(),
        "--",
        "python3",
        "-c",
        SPENT_CLIENTS,
        "17",
    ]);
    let summary = summary(&run);
    let reason = "no terminal or mfa_process to ask for a new code";
    let boto3_error = summary["boto3_error"]
        .as_str()
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(boto3_error.contains(reason), "{summary}");
    assert!(boto3_error.contains("awsmfa: "), "{summary}");
    assert_eq!(summary["cli_status"], 255, "{summary}");
    assert!(
        summary["cli_stderr"].as_str().unwrap().contains(reason),
        "{summary}"
    );
    // botocore tries three times, a second apart; a 5xx answer would be
    // the same for it, but other SDKs retry that for minutes.
    for client in ["boto3_seconds", "cli_seconds"] {
        let seconds = summary[client].as_f64().unwrap();
        assert!(seconds < 10.0, "{client}: {seconds} s: {summary}");
    }
    assert_eq!(world.sts.count("GetCallerIdentity"), 0);
    world.check_no_secrets(&summary.to_string(), &[]);
}

#[test]
fn with_no_new_code_the_role_is_assumed_on_the_mfa_session_until_it_ends() {
    let world = world_with_admin();
    // Role credentials last 10 s; the MFA session 20 s. From 15 s on, the
    // session has less than the minimum time to live left, and no code
    // can be had: the role is still assumed on it, the last time shortly
    // before it ends, and the command works on past its end.
    world.sts.set_session_lifetime(20);
    world.sts.set_role_lifetime(10);
    let run = world.run(&[
        "exec",
        "--server",
        "--profile",
        "admin",
        "--token-code",
        &code(),
        "--",
        "python3",
        "-c",
        &boto3_loop(24),
    ]);
    let summary = summary(&run);
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary}");
    assert_eq!(world.sts.count("GetSessionToken"), 1, "one MFA code");
    // At 0, 5, 10 s as usual; at 15 s and about 18 s on the low session.
    let assumed = world.sts.count("AssumeRole");
    assert!(assumed >= 5, "the role was assumed {assumed} times");
    assert!(
        world
            .sts
            .signers("AssumeRole")
            .iter()
            .all(|k| k.starts_with("ASIA")),
        "every role on the MFA session"
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("awsmfa: credentials for profile 'admin' stop at ")
            && lines[0].contains("no terminal or mfa_process"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_refresh_prompt_stands_on_its_own_line_and_goes_when_the_command_ends() {
    use nix::sys::termios::{LocalFlags, tcgetattr};
    let world = World::new();
    let mut terminal =
        on_terminal_with_short_sessions(&world, &["sh", "-c", "printf 'partial output'; sleep 11"]);
    let handle = terminal.process().get_file_handle().unwrap();
    let before = terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    // The command's unfinished line is not run on into.
    assert!(before.contains("partial output\r\n"), "{before:?}");
    // The time left is in seconds: no figure is a minute rounded off.
    let (_, after) = before
        .split_once("The MFA session of profile 'alice' runs out in ")
        .unwrap_or_else(|| panic!("{before:?}"));
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let seconds: u64 = digits.parse().unwrap_or_else(|_| panic!("{before:?}"));
    assert!(seconds <= 8, "{before:?}");
    assert!(after[digits.len()..].starts_with("s:"), "{before:?}");
    // Nobody types: the command ends while the prompt waits. The prompt's
    // line is erased and the terminal has its settings back.
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("\x1b[A\r\x1b[2K"), "{rest:?}");
    match terminal.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("not a normal exit: {other:?}"),
    }
    let flags = tcgetattr(&handle).unwrap().local_flags;
    assert!(
        flags.contains(LocalFlags::ICANON | LocalFlags::ISIG),
        "the terminal has its settings back: {flags:?}"
    );
}

#[test]
fn a_declined_code_is_asked_for_again_halfway_through_what_is_left() {
    let world = World::new();
    // 30 s sessions: the code is asked for at 15 s left; declined, again
    // at about 7 s left.
    let mut terminal = on_terminal_with_sessions_of(&world, 30, &["sleep", "26"]);
    let prompt = "MFA code for arn:aws:iam::123456789012:mfa/alice: ";
    terminal.exp_string(prompt).unwrap();
    terminal.send_control('c').unwrap();
    terminal
        .exp_string("runs out and no new code was given; the code is asked for again in ")
        .unwrap();
    let declined = Instant::now();
    terminal.exp_string(prompt).unwrap();
    let waited = declined.elapsed();
    assert!(
        waited >= Duration::from_secs(4),
        "asked again after {waited:?}"
    );
    let typed = code();
    terminal.send_line(&typed).unwrap();
    terminal.exp_eof().unwrap();
    match terminal.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("not a normal exit: {other:?}"),
    }
    assert_eq!(world.sts.count("GetSessionToken"), 2);
    assert_eq!(world.sts.codes()[1], typed, "the typed code reached STS");
}
