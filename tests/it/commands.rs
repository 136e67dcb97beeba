//! export, credential-process, status, clear and completions.

use crate::support::*;
use rexpect::session::spawn_command;
use std::process::Command;

/// A profile name a shell would mangle if it were not quoted.
const HOSTILE: &str = r#"it's $HOME "50%" `x` \n;"#;

fn hostile_world() -> World {
    let world = World::new();
    world.write_config(&format!(
        "[profile {HOSTILE}]\nmfa_serial = {ALICE_SERIAL}\nregion = eu-west-1\n"
    ));
    world.write_credentials(&format!(
        "[{HOSTILE}]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    world
}

/// Runs `awsmfa export` with the hostile profile and returns its text.
fn export(world: &World, format: &str) -> String {
    let run = world.run(&["export", "--profile", HOSTILE, "--format", format]);
    run.ok();
    run.stdout
}

fn shell_reads(world: &World, shell: &str, script: &str) -> String {
    let mut command = world.program(shell, &["-c", script]);
    command
        .env("AWS_PROFILE", "stale")
        .env("AWSMFA_TOKEN_CODE", "stale");
    let run = world.run_command(command);
    run.ok();
    run.stdout
}

#[test]
fn sh_eval_yields_the_session() {
    let world = hostile_world();
    world.run_with_code(&["export", "--profile", HOSTILE]).ok();
    let script = format!(
        "eval \"$('{BIN}' export --profile \"$1\")\"; \
         printf '%s|%s|%s|%s\\n' \"$AWSMFA_PROFILE\" \"${{AWS_PROFILE-unset}}\" \"${{AWSMFA_TOKEN_CODE-unset}}\" \"$AWS_REGION\"; \
         aws sts get-caller-identity --query Arn --output text"
    );
    let mut command = world.program("sh", &["-c", &script, "sh", HOSTILE]);
    command.env("AWS_PROFILE", "stale");
    let run = world.run_command(command);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], format!("{HOSTILE}|unset|unset|eu-west-1"));
    assert_eq!(lines[1], ALICE_ARN);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn fish_reads_its_format() {
    let world = hostile_world();
    world.run_with_code(&["export", "--profile", HOSTILE]).ok();
    let text = export(&world, "fish");
    let script = format!(
        "{text}\nprintf '%s|%s|%s\\n' \"$AWSMFA_PROFILE\" (set -q AWS_PROFILE; and echo set; or echo unset) $AWS_ACCESS_KEY_ID"
    );
    let out = shell_reads(&world, "fish", &script);
    let fields: Vec<&str> = out.trim_end().split('|').collect();
    assert_eq!(fields[0], HOSTILE);
    assert_eq!(fields[1], "unset");
    assert!(fields[2].starts_with("ASIA"), "{out}");
}

#[test]
fn dotenv_reads_its_format() {
    let world = hostile_world();
    world.run_with_code(&["export", "--profile", HOSTILE]).ok();
    let text = export(&world, "dotenv");
    let file = world.home().join(".env");
    std::fs::write(&file, &text).unwrap();
    let script = "import json, sys, dotenv; print(json.dumps(dotenv.dotenv_values(sys.argv[1], interpolate=False)))";
    let output = Command::new(python_bin().join("python3"))
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let values: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(values["AWSMFA_PROFILE"], HOSTILE, "{text}");
    // The stand-in's session tokens start so: present, and whole.
    let token = values["AWS_SESSION_TOKEN"].as_str().unwrap_or_default();
    assert!(token.starts_with("FwoGZXIvYXdzE"), "{text}");
    assert_eq!(values["AWS_SECURITY_TOKEN"], token, "{text}");
    let key = values["AWS_ACCESS_KEY_ID"].as_str().unwrap_or_default();
    assert!(key.starts_with("ASIA"), "{text}");
    let secret = values["AWS_SECRET_ACCESS_KEY"].as_str().unwrap_or_default();
    assert!(secret.starts_with("tempSecret"), "{text}");
    assert_eq!(
        world.sts.identify(key, secret, Some(token)),
        Some((ALICE_ARN.to_owned(), true)),
        "the credentials are the session the stand-in issued"
    );
}

#[test]
fn powershell_and_cmd_lines_are_quoted_for_their_shells() {
    // pwsh and cmd.exe are not in Debian: the exact lines are checked.
    let world = hostile_world();
    world.run_with_code(&["export", "--profile", HOSTILE]).ok();
    let powershell = export(&world, "powershell");
    assert!(powershell.contains("Remove-Item -ErrorAction SilentlyContinue Env:AWS_PROFILE\n"));
    assert!(powershell.contains("$Env:AWS_REGION = 'eu-west-1'\n"));
    assert!(
        powershell.contains(r#"$Env:AWSMFA_PROFILE = 'it''s $HOME "50%" `x` \n;'"#),
        "{powershell}"
    );
    let cmd = export(&world, "cmd");
    assert!(cmd.contains("set AWS_PROFILE=\n"));
    assert!(
        cmd.contains(r#"set AWSMFA_PROFILE=it's $HOME ^"50%%^" `x` \n;"#),
        "{cmd}"
    );
}

#[test]
fn json_export_and_credential_process_print_the_same_json() {
    let world = World::new();
    world
        .run(&[
            "credential-process",
            "--profile",
            "alice",
            "--token-code",
            &code(),
        ])
        .ok();
    let run = world.run(&["credential-process", "--profile", "alice"]);
    run.ok();
    assert_eq!(run.stderr, "");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5);
    assert_eq!(json["Version"], 1);
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(json["Expiration"].as_str().unwrap().len(), 20);
    assert_eq!(
        world.run(&["export", "--format", "json"]).stdout,
        run.stdout
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

fn viaproc_world() -> World {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile viaproc]\ncredential_process = {BIN} credential-process --profile alice\nregion = eu-west-1\n"
    ));
    world
}

#[test]
fn the_aws_cli_uses_credential_process_on_a_warm_cache() {
    let world = viaproc_world();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let mut command = world.program(CALLER_ARN[0], &CALLER_ARN[1..]);
    command.env("AWS_PROFILE", "viaproc");
    let run = world.run_command(command);
    run.ok();
    assert_eq!(run.stdout.trim(), ALICE_ARN);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn credential_process_prompts_on_the_terminal_when_cold() {
    let world = viaproc_world();
    let mut command = world.program(CALLER_ARN[0], &CALLER_ARN[1..]);
    command.env("AWS_PROFILE", "viaproc");
    let mut terminal = spawn_command(command, Some(30_000)).unwrap();
    terminal
        .exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice: ")
        .unwrap();
    let typed = code();
    terminal.send_line(&typed).unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains(ALICE_ARN), "{rest}");
    assert_eq!(world.sts.codes(), [typed], "the typed code reached STS");
}

#[test]
fn credential_process_errors_go_to_stderr_only() {
    let world = World::new();
    let run = world.run(&["credential-process", "--profile", "alice"]);
    run.fails_with(1, "no terminal");
    assert_eq!(run.stdout, "");
}

#[test]
fn status_lists_sessions_without_secrets_and_clear_removes_them() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = alice\n"
    ));
    world
        .sts
        .add_role("arn:aws:iam::123456789012:role/admin", None);
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

    let run = world.run(&["status", "--json"]);
    run.ok();
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let alice = rows.iter().find(|r| r["profile"] == "alice").unwrap();
    assert_eq!(alice["kind"], "session");
    assert_eq!(alice["usable"], true);
    assert!(alice["seconds_left"].as_u64().unwrap() > 43_000);
    let admin = rows.iter().find(|r| r["profile"] == "admin").unwrap();
    assert_eq!(admin["kind"], "role");
    assert_eq!(admin["role_arn"], "arn:aws:iam::123456789012:role/admin");
    for secret in [ALICE_SECRET, "tempSecret", "FwoGZXIvYXdzE", "ASIA"] {
        assert!(!run.stdout.contains(secret), "status shows {secret}");
    }
    let table = world.run(&["status"]);
    table.ok();
    assert!(table.stdout.starts_with("PROFILE"), "{}", table.stdout);
    assert_eq!(table.stdout.lines().count(), 3);

    let run = world.run(&["clear", "--profile", "admin"]);
    run.ok();
    assert_eq!(
        run.stdout,
        "removed the cached role session of profile 'admin' (arn:aws:iam::123456789012:role/admin, 1h)\n"
    );
    // alice's MFA session is still there: admin needs no code again.
    world
        .run(&["exec", "--profile", "admin", "--", "true"])
        .ok();
    world.run(&["clear", "--profile", "alice"]).ok();
    world
        .run(&["exec", "--profile", "alice", "--", "true"])
        .fails_with(125, "no terminal");
    let run = world.run(&["clear"]);
    run.ok();
    assert_eq!(
        run.stdout,
        "removed the cached role session of profile 'admin' (arn:aws:iam::123456789012:role/admin, 1h)\n"
    );
    assert!(world.cache_entries().is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(world.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "lock files left: {leftovers:?}");
    assert_eq!(world.run(&["clear"]).stdout, "no cached sessions\n");
}

#[test]
fn completions_parse_in_their_shells() {
    let world = World::new();
    for (shell, check) in [
        ("bash", vec!["bash", "-n"]),
        ("fish", vec!["fish", "--no-execute"]),
        ("zsh", vec!["zsh", "-n"]),
    ] {
        let run = world.run(&["completions", shell]);
        run.ok();
        assert!(run.stdout.contains("credential-process"), "{shell}");
        let file = world.home().join(format!("completion.{shell}"));
        std::fs::write(&file, &run.stdout).unwrap();
        let status = Command::new(check[0])
            .args(&check[1..])
            .arg(&file)
            .status()
            .unwrap();
        assert!(status.success(), "{shell} rejects its completion script");
    }
    // pwsh and elvish are not in Debian: their scripts name every
    // subcommand and complete --profile.
    let subcommands = [
        "exec",
        "export",
        "credential-process",
        "list",
        "status",
        "clear",
        "doctor",
        "login",
        "completions",
    ];
    let run = world.run(&["completions", "powershell"]);
    run.ok();
    for name in subcommands.iter().chain(&["--profile"]) {
        assert!(
            run.stdout
                .contains(&format!("[CompletionResult]::new('{name}', '{name}'")),
            "powershell: {name} missing from:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("'awsmfa;exec' {"),
        "powershell: {}",
        run.stdout
    );
    let run = world.run(&["completions", "elvish"]);
    run.ok();
    for name in subcommands.iter().chain(&["--profile"]) {
        assert!(
            run.stdout.contains(&format!("cand {name} ")),
            "elvish: {name} missing from:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("&'awsmfa;exec'= {"),
        "elvish: {}",
        run.stdout
    );
    assert_eq!(world.run(&["completions", "tcsh"]).status, 2);
}

#[test]
fn dotenv_keeps_backslashes() {
    // A profile name with backslashes and no single quote: single-quoted.
    let name = r"C:\\temp\new";
    let world = World::new();
    world.write_config(&format!("[profile {name}]\nmfa_serial = {ALICE_SERIAL}\n"));
    world.write_credentials(&format!(
        "[{name}]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    let run = world.run(&[
        "export",
        "--profile",
        name,
        "--format",
        "dotenv",
        "--token-code",
        &code(),
    ]);
    run.ok();
    let file = world.home().join(".env");
    std::fs::write(&file, &run.stdout).unwrap();
    let script = "import json, sys, dotenv; print(json.dumps(dotenv.dotenv_values(sys.argv[1], interpolate=False)))";
    let output = Command::new(python_bin().join("python3"))
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    let values: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(values["AWSMFA_PROFILE"], name, "{}", run.stdout);
}
