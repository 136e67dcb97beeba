//! Changes of long-term keys under attack (issue 33): another program
//! writing the AWS files while `add`, `remove` or `rotate` waits, two
//! rotates at once, a file that cannot be written half way, the owner of a
//! file rewritten by root, leftovers of a killed rewrite, a keystore that
//! stops answering, and IAM refusing calls as too many.

use crate::support::keyring::Keyring;
use crate::support::*;
use rexpect::session::spawn_command;
use std::os::unix::fs::MetadataExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Keys another program (`aws configure`, an editor) writes meanwhile.
const OTHER_KEY: &str = "AKIAOTHERWRITER00001";
const OTHER_SECRET: &str = "otherWriterSecret/abcdefghijklmnopqrstuv";

fn other_credentials() -> String {
    format!("[alice]\naws_access_key_id = {OTHER_KEY}\naws_secret_access_key = {OTHER_SECRET}\n")
}

fn credentials_path(world: &World) -> std::path::PathBuf {
    world.home().join("aws-credentials")
}

fn credentials(world: &World) -> String {
    std::fs::read_to_string(credentials_path(world)).expect("credentials")
}

fn with_iam(world: &World, mut command: Command) -> Command {
    command.env("AWS_ENDPOINT_URL_IAM", &world.sts.url);
    command
}

fn on_bus(mut command: Command, keyring: &Keyring) -> Command {
    command.env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    command
}

fn spawn(mut command: Command) -> (Child, Vec<String>) {
    let codes = codes_in(&command);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn awsmfa");
    (child, codes)
}

/// Waits for a spawned run, failing the test instead of hanging.
fn finish(world: &World, (mut child, codes): (Child, Vec<String>), within: Duration) -> Run {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            panic!("awsmfa still runs after {} s", within.as_secs());
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

/// Waits until the stand-in has received a call of `action`.
fn reached(world: &World, action: &str) {
    let started = Instant::now();
    while world.sts.count(action) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "awsmfa never reached {action}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// alice's keys in the keystore, and none in the files.
fn alice_in_keystore(world: &World, keyring: &Keyring) {
    world.write_credentials("");
    let mut add = on_bus(world.command(&["add", "--env"]), keyring);
    add.env("AWS_ACCESS_KEY_ID", ALICE_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ALICE_SECRET);
    world.run_command(add).ok();
}

#[test]
fn add_from_file_keeps_keys_written_while_it_checked_them() {
    let world = World::new();
    world.secret(OTHER_SECRET);
    let keyring = Keyring::start();
    world
        .sts
        .slow_action("GetCallerIdentity", Duration::from_secs(2));
    let add = spawn(on_bus(world.command(&["add", "--from-file"]), &keyring));
    reached(&world, "GetCallerIdentity");
    world.write_credentials(&other_credentials());
    let run = finish(&world, add, Duration::from_secs(30));
    // First whose keys they are (said before they are stored), then the error.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        lines.len() == 3
            && lines[0].starts_with("the keys (")
            && lines[1].starts_with("awsmfa: ")
            && lines[1].contains("changed meanwhile")
            && lines[2].starts_with("hint: "),
        "expected whose keys, then one error line and a hint: {}",
        run.stderr
    );
    assert_eq!(
        credentials(&world),
        other_credentials(),
        "the new keys were lost"
    );
}

#[test]
fn remove_to_file_keeps_keys_written_during_its_prompt() {
    let world = World::new();
    world.secret(OTHER_SECRET);
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    let mut terminal = spawn_command(
        on_bus(world.terminal_command(&["remove", "--to-file"]), &keyring),
        Some(20_000),
    )
    .expect("spawn on a pty");
    terminal.exp_string("[y/N] ").unwrap();
    world.write_credentials(&other_credentials());
    terminal.send_line("y").unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("changed meanwhile"), "{rest}");
    assert!(
        matches!(
            terminal.process().wait().unwrap(),
            nix::sys::wait::WaitStatus::Exited(_, 1)
        ),
        "{rest}"
    );
    assert_eq!(
        credentials(&world),
        other_credentials(),
        "the new keys were lost"
    );
    assert!(
        keyring
            .lookup("alice")
            .is_some_and(|s| s.contains(ALICE_KEY)),
        "the keystore lost the keys"
    );
}

#[test]
fn rotate_keeps_keys_written_while_it_waited() {
    let world = World::new();
    world.secret(OTHER_SECRET);
    world
        .sts
        .slow_action("CreateAccessKey", Duration::from_secs(2));
    let rotate = spawn(with_iam(&world, world.command_with_code(&["rotate"])));
    reached(&world, "CreateAccessKey");
    world.write_credentials(&other_credentials());
    let run = finish(&world, rotate, Duration::from_secs(30));
    run.fails_with(1, "changed while rotate ran");
    assert!(
        run.stderr
            .contains("it was deleted at IAM; the old key is not deleted"),
        "{}",
        run.stderr
    );
    assert_eq!(
        credentials(&world),
        other_credentials(),
        "the new keys were lost"
    );
    assert_eq!(world.sts.access_keys(ALICE_ARN), [ALICE_KEY]);
}

#[test]
fn rotate_stores_nothing_over_a_keystore_entry_changed_meanwhile() {
    let world = World::new();
    world.secret(OTHER_SECRET);
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    world
        .sts
        .slow_action("CreateAccessKey", Duration::from_secs(2));
    let rotate = spawn(on_bus(
        with_iam(&world, world.command_with_code(&["rotate"])),
        &keyring,
    ));
    reached(&world, "CreateAccessKey");
    let other =
        format!("{{\"AccessKeyId\":\"{OTHER_KEY}\",\"SecretAccessKey\":\"{OTHER_SECRET}\"}}");
    keyring.store("alice", &other);
    let run = finish(&world, rotate, Duration::from_secs(30));
    run.fails_with(1, "changed while rotate ran");
    assert_eq!(keyring.lookup("alice").as_deref(), Some(other.as_str()));
    assert_eq!(world.sts.access_keys(ALICE_ARN), [ALICE_KEY]);
}

#[test]
fn a_second_rotate_at_once_changes_nothing() {
    let world = World::new();
    world
        .sts
        .slow_action("CreateAccessKey", Duration::from_secs(3));
    let first = spawn(with_iam(&world, world.command_with_code(&["rotate"])));
    reached(&world, "CreateAccessKey");
    let second = world.run_command(with_iam(&world, world.command_with_code(&["rotate"])));
    second.fails_with(
        1,
        "another awsmfa rotate is running for the IAM user of profile 'alice'",
    );
    assert_eq!(
        world.sts.count("ListAccessKeys"),
        1,
        "the second one listed keys"
    );
    let first = finish(&world, first, Duration::from_secs(30));
    first.ok();
    assert_eq!(world.sts.count("CreateAccessKey"), 1);
    let keys = world.sts.access_keys(ALICE_ARN);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        credentials(&world).contains(&keys[0]),
        "{}",
        credentials(&world)
    );
    // The lock goes with the run: the next rotate runs.
    world.sts.slow_action("CreateAccessKey", Duration::ZERO);
    world
        .run_command(with_iam(&world, world.command_with_code(&["rotate"])))
        .ok();
}

#[test]
fn a_config_file_that_cannot_be_written_changes_neither_file() {
    let world = World::new();
    // The keys in both files; the config file too large to write under the
    // file-size limit (as on a full disk, which root does not escape either).
    let keys = format!("aws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n");
    let padding = "# padding\n".repeat(20_000);
    let config = format!("{ALICE_CONFIG}{keys}{padding}");
    world.write_config(&config);
    let code = code();
    let mut rotate = world.program(
        "sh",
        &[
            "-c",
            "ulimit -f 64 && trap '' XFSZ && exec \"$0\" \"$@\"",
            BIN,
            "rotate",
            "--token-code",
            &code,
        ],
    );
    rotate
        .env("AWS_ENDPOINT_URL_IAM", &world.sts.url)
        .stdin(Stdio::null());
    let run = world.run_command(rotate);
    run.fails_with(1, "cannot store the new key");
    assert!(
        run.stderr.contains("the old key is kept and still stored"),
        "{}",
        run.stderr
    );
    // What the words say is true: the old key is stored, and works.
    assert_eq!(credentials(&world), alice_credentials());
    assert_eq!(
        std::fs::read_to_string(world.config_path()).unwrap(),
        config
    );
    assert_eq!(world.sts.access_keys(ALICE_ARN), [ALICE_KEY]);
    world
        .run_with_code(&["exec", "--refresh", "--", "true"])
        .ok();
    assert_eq!(
        world
            .sts
            .signers("GetSessionToken")
            .last()
            .map(String::as_str),
        Some(ALICE_KEY)
    );
    let temps: Vec<_> = std::fs::read_dir(world.home())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".awsmfa-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn a_file_rewritten_by_root_keeps_its_owner_and_group() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test rewrites a file of another user, which only root can do: run the tests as \
         root, as CI does"
    );
    let world = World::new();
    let path = credentials_path(&world);
    std::os::unix::fs::chown(&path, Some(4321), Some(4322)).expect("chown");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    world
        .run_command(with_iam(&world, world.command_with_code(&["rotate"])))
        .ok();
    let meta = std::fs::metadata(&path).unwrap();
    assert!(!credentials(&world).contains(ALICE_KEY), "not rotated");
    assert_eq!((meta.uid(), meta.gid()), (4321, 4322), "the owner changed");
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn leftovers_of_a_killed_rewrite_are_named_and_swept() {
    let world = World::new();
    let home = world.home();
    let old = std::time::SystemTime::now() - Duration::from_secs(300);
    let leftover = |name: &str| {
        let path = home.join(name);
        std::fs::write(&path, "[alice]\naws_secret_access_key = x\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        path
    };
    let stale = leftover(".awsmfa-Ab12Cd");
    let not_ours = leftover(".awsmfa-Zz99Yy");
    std::os::unix::fs::chown(&not_ours, Some(4321), Some(4321)).expect("chown (run as root)");
    let not_named = leftover(".awsmfa-notmine7");
    let fresh = home.join(".awsmfa-Fresh1");
    std::fs::write(&fresh, "x").unwrap();

    let doctor = world.run(&["doctor"]);
    let line = doctor
        .stdout
        .lines()
        .find(|l| l.contains(".awsmfa-"))
        .unwrap_or_else(|| panic!("no leftover named:\n{}", doctor.stdout));
    assert!(line.starts_with("warn"), "{line}");
    assert!(
        line.contains(".awsmfa-Ab12Cd") && line.contains("may hold keys"),
        "{line}"
    );

    world
        .run_command(with_iam(&world, world.command_with_code(&["rotate"])))
        .ok();
    assert!(!stale.exists(), "the leftover is still there");
    for kept in [&not_ours, &not_named, &fresh] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }
    let doctor = world.run(&["doctor"]);
    assert!(!doctor.stdout.contains(".awsmfa-"), "{}", doctor.stdout);
}

/// The keyring daemon stopped (SIGSTOP) until dropped: it holds its bus
/// name and never answers.
struct Stopped(nix::unistd::Pid);

impl Stopped {
    fn daemon_of(keyring: &Keyring) -> Stopped {
        let output = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
            .output()
            .expect("gdbus");
        // `(uint32 1234,)`
        let text = String::from_utf8_lossy(&output.stdout);
        let pid: i32 = text
            .trim()
            .trim_start_matches("(uint32 ")
            .trim_end_matches(",)")
            .parse()
            .unwrap_or_else(|_| panic!("no pid in {text:?}"));
        let pid = nix::unistd::Pid::from_raw(pid);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP");
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.0, nix::sys::signal::Signal::SIGCONT);
    }
}

#[test]
fn a_keystore_that_stops_answering_fails_in_one_line() {
    let world = World::new();
    let keyring = Keyring::start();
    alice_in_keystore(&world, &keyring);
    let stopped = Stopped::daemon_of(&keyring);
    let spent = code();
    let started = Instant::now();
    let exec = spawn(on_bus(
        world.command(&["exec", "--token-code", &spent, "--", "true"]),
        &keyring,
    ));
    let run = finish(&world, exec, Duration::from_secs(40));
    run.fails_with(125, "did not answer within 10 s");
    assert!(
        run.stderr
            .contains("cannot read the keys of profile 'alice'"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!world.sts.codes().contains(&spent), "a code was spent");
    // The cache lock went with the run: the next one is not held up by it.
    drop(stopped);
    let exec = on_bus(world.command_with_code(&["exec", "--", "true"]), &keyring);
    world.run_command(exec).ok();
}

#[test]
fn iam_calls_refused_as_too_many_are_tried_again() {
    let world = World::new();
    world.sts.throttle("ListAccessKeys", 1);
    world.sts.throttle("CreateAccessKey", 1);
    world.sts.throttle("DeleteAccessKey", 2);
    world
        .run_command(with_iam(&world, world.command_with_code(&["rotate"])))
        .ok();
    assert_eq!(world.sts.count("ListAccessKeys"), 2);
    assert_eq!(world.sts.count("CreateAccessKey"), 2);
    assert_eq!(world.sts.count("DeleteAccessKey"), 3);
    let keys = world.sts.access_keys(ALICE_ARN);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(credentials(&world).contains(&keys[0]));
}
