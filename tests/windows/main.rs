//! awsmfa on Windows, end to end: the Windows `awsmfa.exe` against the
//! loopback STS stand-in, with Windows programs (`cmd.exe`, a `.cmd`
//! script, a Windows HTTP client) as the command. Run under Wine here:
//!
//!     bash tests/windows/wine/setup.sh
//!     CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=tests/windows/wine/run.sh \
//!         cargo test --locked --target x86_64-pc-windows-gnu --test windows
#![cfg(windows)]

#[path = "../it/support/sts.rs"]
mod sts;

use std::os::windows::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use sts::{ALICE_KEY, ALICE_SECRET, Sts};

/// The `awsmfa.exe` under test: the one cargo built, or the one in the
/// folder `AWSMFA_TEST_PROGRAMS` names (a release zip's programs, unpacked:
/// `packaging/check.sh` runs this suite against them).
fn bin() -> PathBuf {
    match std::env::var_os("AWSMFA_TEST_PROGRAMS") {
        Some(folder) => Path::new(&folder).join("awsmfa.exe"),
        None => PathBuf::from(env!("CARGO_BIN_EXE_awsmfa")),
    }
}
/// A process with no console at all (`CreateProcess`'s DETACHED_PROCESS).
const DETACHED_PROCESS: u32 = 0x0000_0008;

/// A fresh MFA code the stand-in's device shows (it refuses any other,
/// and, like STS, one used before).
fn code() -> String {
    sts::next_code()
}

/// A private world: AWS files, a cache folder and a stand-in of its own.
struct World {
    dir: tempfile::TempDir,
    sts: Sts,
}

impl World {
    fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().expect("temporary folder"),
            sts: Sts::start(),
        };
        world.write_config("");
        std::fs::write(
            world.path("credentials"),
            format!(
                "[alice]\r\naws_access_key_id = {ALICE_KEY}\r\naws_secret_access_key = {ALICE_SECRET}\r\n"
            ),
        )
        .unwrap();
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// alice's profile, with `more` lines.
    fn write_config(&self, more: &str) {
        std::fs::write(
            self.path("config"),
            format!(
                "[profile alice]\r\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\r\n\
                 region = eu-west-1\r\n{more}"
            ),
        )
        .unwrap();
    }

    /// awsmfa.exe in this world, with no console (so no prompt can wait).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command
            .args(args)
            .env("AWS_CONFIG_FILE", self.path("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .env("AWSMFA_CACHE_DIR", self.path("cache"))
            .env("AWS_ENDPOINT_URL_STS", &self.sts.url)
            .env("AWS_PROFILE", "alice")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWSMFA_TOKEN_CODE")
            .stdin(Stdio::null())
            .creation_flags(DETACHED_PROCESS);
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    fn entries(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.path("cache")) else {
            return Vec::new();
        };
        dir.flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect()
    }
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(mut command: Command) -> Run {
    let output: Output = command.output().expect("run awsmfa.exe");
    let run = Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains(ALICE_SECRET),
        "stderr shows the secret key: {}",
        run.stderr
    );
    run
}

impl Run {
    fn ok(&self) -> &Run {
        assert_eq!(
            self.status, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// A failure with `status` and one `awsmfa:` line that says `words`.
    fn fails_with(&self, status: i32, words: &str) -> &Run {
        assert_eq!(
            self.status, status,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let first = self.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with("awsmfa: ") && first.contains(words),
            "expected '{words}', got: {}",
            self.stderr
        );
        self
    }
}

/// `NAME=value` lines as `cmd /C set` prints them.
fn variable<'a>(set_output: &'a str, name: &str) -> Option<&'a str> {
    set_output
        .lines()
        .find_map(|line| line.trim_end().strip_prefix(&format!("{name}=")))
}

#[test]
fn exec_passes_the_commands_exit_code_back() {
    let world = World::new();
    let run = world.run(&[
        "exec",
        "--token-code",
        &code(),
        "--",
        "cmd",
        "/C",
        "exit 42",
    ]);
    assert_eq!(run.status, 42, "{}", run.stderr);
    // The session is cached: the next run needs no code.
    let run = world.run(&["exec", "--", "cmd", "/C", "exit 3"]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}

#[test]
fn the_command_gets_the_session_and_never_the_long_term_keys() {
    let world = World::new();
    let mut command = world.command(&["exec", "--token-code", &code(), "--", "cmd", "/C", "set"]);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIASTALEPARENTKEY00")
        .env("AWS_PROFILE", "alice");
    let run = run(command);
    run.ok();
    let key = variable(&run.stdout, "AWS_ACCESS_KEY_ID").expect("AWS_ACCESS_KEY_ID");
    assert!(key.starts_with("ASIA"), "{key}");
    assert!(variable(&run.stdout, "AWS_SESSION_TOKEN").is_some_and(|t| !t.is_empty()));
    assert_eq!(
        variable(&run.stdout, "AWS_SESSION_TOKEN"),
        variable(&run.stdout, "AWS_SECURITY_TOKEN")
    );
    assert!(variable(&run.stdout, "AWS_CREDENTIAL_EXPIRATION").is_some_and(|e| e.ends_with('Z')));
    assert_eq!(variable(&run.stdout, "AWS_REGION"), Some("eu-west-1"));
    assert_eq!(variable(&run.stdout, "AWSMFA_PROFILE"), Some("alice"));
    assert_eq!(variable(&run.stdout, "AWS_PROFILE"), None);
    assert!(!run.stdout.contains(ALICE_KEY) && !run.stdout.contains(ALICE_SECRET));
    assert!(!run.stdout.contains("AKIASTALEPARENTKEY00"));
}

#[test]
fn a_missing_or_unrunnable_command_costs_no_code() {
    let world = World::new();
    world
        .run(&["exec", "--", "no-such-command-awsmfa"])
        .fails_with(127, "no-such-command-awsmfa: command not found");
    let notes = world.path("notes.txt");
    std::fs::write(&notes, "not a program").unwrap();
    world
        .run(&["exec", "--", notes.to_str().unwrap()])
        .fails_with(126, "notes.txt");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn a_cmd_script_on_path_runs_with_its_arguments_intact() {
    let world = World::new();
    let bin = world.path("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(
        bin.join("show.cmd"),
        "@echo off\r\necho [%~1] [%~2]\r\nexit /b 9\r\n",
    )
    .unwrap();
    let mut command = world.command(&[
        "exec",
        "--token-code",
        &code(),
        "--",
        "show",
        "two words",
        "comma,and;semi",
    ]);
    let path = std::env::var("PATH").unwrap_or_default();
    command.env("PATH", format!("{};{path}", bin.display()));
    let run = run(command);
    assert_eq!(run.status, 9, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "[two words] [comma,and;semi]");
}

#[test]
fn with_no_command_it_starts_comspec() {
    let world = World::new();
    // A shell of the user's choosing, that shows it ran in the session.
    let shell = world.path("my shell.cmd");
    std::fs::write(
        &shell,
        "@echo %AWSMFA_PROFILE% %AWS_REGION%\r\n@exit /b 5\r\n",
    )
    .unwrap();
    let mut command = world.command(&["exec", "--token-code", &code()]);
    command.env("COMSPEC", &shell);
    let run = run(command);
    assert_eq!(run.status, 5, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "alice eu-west-1");
}

#[test]
fn with_no_console_and_no_code_it_fails_at_once() {
    let world = World::new();
    let started = Instant::now();
    world
        .run(&["exec", "--", "cmd", "/C", "exit 0"])
        .fails_with(125, "an MFA code is needed and there is no terminal");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn ten_parallel_cold_runs_make_one_sts_call_with_one_code() {
    let world = World::new();
    let code = code();
    let children: Vec<_> = (0..10)
        .map(|_| {
            world
                .command(&["exec", "--token-code", &code, "--", "cmd", "/C", "exit 0"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.entries().len(), 1);
}

#[test]
fn a_reader_holding_the_entry_never_blocks_its_replacement() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "cmd", "/C", "exit 0"])
        .ok();
    let [entry] = &world.entries()[..] else {
        panic!("one entry: {:?}", world.entries())
    };
    let before = std::fs::read_to_string(entry).unwrap();
    // Held open, as a concurrent run reading it would, across the moment
    // the refresh renames its new entry over it (right after STS answers).
    let held = std::fs::File::open(entry).unwrap();
    let refresh = world
        .command(&[
            "exec",
            "--refresh",
            "--token-code",
            &code(),
            "--",
            "cmd",
            "/C",
            "exit 0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.sts.count("GetSessionToken") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(held);
    let output = refresh.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "the entry could not be replaced"
    );
    let after = std::fs::read_to_string(entry).unwrap();
    assert_ne!(before, after, "the entry was not replaced");
    assert!(
        serde_json::from_str::<serde_json::Value>(&after).is_ok(),
        "{after}"
    );
    assert_eq!(world.sts.count("GetSessionToken"), 2);
}

#[test]
fn mfa_process_is_split_and_run_as_the_aws_cli_runs_it() {
    let world = World::new();
    // A folder with a space, and no shell: words split as the AWS CLI does.
    let dir = world.path("my tools");
    std::fs::create_dir(&dir).unwrap();
    let script = dir.join("code.cmd");
    std::fs::write(&script, "@echo %~1\r\n").unwrap();
    let code = code();
    world.write_config(&format!(
        "mfa_process = \"{}\" \"{code}\"\r\n",
        script.display()
    ));
    world.run(&["exec", "--", "cmd", "/C", "exit 0"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.sts.codes(), [code]);
}

#[test]
fn export_for_cmd_sets_the_session_in_cmd() {
    let world = World::new();
    let run = world.run(&["export", "--format", "cmd", "--token-code", &code()]);
    run.ok();
    let script = world.path("session.cmd");
    std::fs::write(
        &script,
        format!(
            "@echo off\r\n{}echo %AWS_ACCESS_KEY_ID%\r\n",
            run.stdout.replace('\n', "\r\n")
        ),
    )
    .unwrap();
    let output = Command::new("cmd").arg("/C").arg(&script).output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.trim().starts_with("ASIA"), "{shown}");
    let powershell = world.run(&["export", "--format", "powershell"]);
    powershell.ok();
    let key = shown.trim();
    assert!(
        powershell
            .stdout
            .contains(&format!("$Env:AWS_ACCESS_KEY_ID = '{key}'")),
        "{}",
        powershell.stdout
    );
    assert!(
        powershell
            .stdout
            .contains("Remove-Item -ErrorAction SilentlyContinue Env:AWS_PROFILE")
    );
}

#[test]
fn powershell_completion_names_the_commands_and_their_options() {
    let world = World::new();
    let run = world.run(&["completions", "powershell"]);
    run.ok();
    for needle in [
        "Register-ArgumentCompleter",
        "'exec'",
        "'export'",
        "--profile",
        "--token-code",
    ] {
        assert!(run.stdout.contains(needle), "no {needle}: {}", run.stdout);
    }
}

#[test]
fn exec_server_serves_a_windows_child_from_the_endpoint() {
    let world = World::new();
    let client = examples_dir().join("container_credentials.exe");
    assert!(
        client.exists(),
        "{} (cargo test builds the examples)",
        client.display()
    );
    let run = world.run(&[
        "exec",
        "--server",
        "--token-code",
        &code(),
        "--",
        client.to_str().unwrap(),
    ]);
    run.ok();
    let served = run.stdout.trim();
    assert!(served.starts_with("ASIA"), "{served}");
    let issued: Vec<String> = world
        .sts
        .calls()
        .iter()
        .filter(|call| call.action == "GetSessionToken")
        .map(|call| call.access_key_id.clone())
        .collect();
    assert_eq!(issued, [ALICE_KEY]);
}

/// Where cargo puts this target's examples.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<triple>/debug/deps/windows-HASH.exe → target/<triple>/debug/examples
    exe.parent()
        .and_then(Path::parent)
        .map(|debug| debug.join("examples"))
        .unwrap()
}

#[test]
fn files_and_cache_live_where_windows_users_expect_them() {
    // No AWS_* file variables: %USERPROFILE%\.aws, and the cache in
    // %LOCALAPPDATA%\awsmfa.
    let world = World::new();
    let profile = world.path("profile");
    let local = world.path("local");
    std::fs::create_dir_all(profile.join(".aws")).unwrap();
    std::fs::create_dir_all(&local).unwrap();
    std::fs::copy(world.path("config"), profile.join(".aws").join("config")).unwrap();
    std::fs::copy(
        world.path("credentials"),
        profile.join(".aws").join("credentials"),
    )
    .unwrap();
    let mut command =
        world.command(&["exec", "--token-code", &code(), "--", "cmd", "/C", "exit 0"]);
    command
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWSMFA_CACHE_DIR")
        .env_remove("HOME")
        .env("USERPROFILE", &profile)
        .env("LOCALAPPDATA", &local);
    run(command).ok();
    let cached: Vec<_> = std::fs::read_dir(local.join("awsmfa"))
        .expect("the cache in %LOCALAPPDATA%\\awsmfa")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(cached.len(), 1);
}

#[test]
fn keys_in_the_credential_manager_serve_a_run() {
    let world = World::new();
    std::fs::write(world.path("credentials"), "").unwrap();
    let mut add = world.command(&["add", "--env"]);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    let added = run(add);
    added.ok();
    assert!(
        added.stdout.contains("Credential Manager"),
        "{}",
        added.stdout
    );
    let listed = world.run(&["list"]);
    assert!(listed.stdout.contains("keystore"), "{}", listed.stdout);
    let exec = world.run(&["exec", "--token-code", &code(), "--", "cmd", "/C", "set"]);
    exec.ok();
    assert!(variable(&exec.stdout, "AWS_ACCESS_KEY_ID").is_some_and(|k| k.starts_with("ASIA")));
    assert_eq!(world.sts.signers("GetSessionToken"), [ALICE_KEY]);
    world.run(&["remove", "--force"]).ok();
    world
        .run(&[
            "exec",
            "--refresh",
            "--token-code",
            &code(),
            "--",
            "cmd",
            "/C",
            "exit 0",
        ])
        .fails_with(125, "has no long-term keys");
}

#[test]
fn status_shows_the_expiry_in_the_local_zone() {
    let world = World::new();
    world
        .run(&["exec", "--token-code", &code(), "--", "cmd", "/C", "exit 0"])
        .ok();
    let json = world.run(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    // 2026-12-01T22:04:05Z
    let utc = value[0]["expiration"].as_str().unwrap().to_owned();
    let minutes = |hh_mm: &str| -> i64 {
        let (h, m) = hh_mm.split_once(':').unwrap();
        h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()
    };
    let table = world.run(&["status"]);
    let row = table.ok().stdout.lines().nth(1).unwrap().to_owned();
    // … 2026-12-02 07:04 +09:00 …: the time, and the offset it is at.
    let words: Vec<&str> = row.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
        .expect("a date in the row");
    let (time, zone) = (words[at + 1], words[at + 2]);
    assert!(
        zone.starts_with(['+', '-']) && zone.len() == 6,
        "the zone's offset, not UTC: {row}"
    );
    let offset = minutes(&zone[1..]) * if zone.starts_with('-') { -1 } else { 1 };
    assert_eq!(
        (minutes(&utc[11..16]) + offset).rem_euclid(24 * 60),
        minutes(time),
        "{row} is {utc} at {zone}"
    );
}
