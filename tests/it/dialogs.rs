//! A code where there is no terminal: a zenity dialog on a real X server
//! (Xvfb), typed into with xdotool, for `credential-process` run as an IDE
//! runs it; a stand-in `ykman` for the YubiKey; the errors of a prompt that
//! cannot be.

use crate::support::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An X server of the test's own, ended when dropped.
struct Display {
    name: String,
    server: Child,
}

impl Display {
    fn start() -> Display {
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "800x600x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt-get install xvfb)");
        let mut number = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.stdout.take().expect("stdout")),
            &mut number,
        )
        .expect("display number");
        Display {
            name: format!(":{}", number.trim()),
            server,
        }
    }

    fn xdotool(&self, args: &[&str]) -> Option<String> {
        let output = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("xdotool (apt-get install xdotool)");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The dialog awsmfa opened: its window, once it is on the screen.
    fn dialog(&self) -> String {
        let started = Instant::now();
        loop {
            if let Some(window) = self
                .xdotool(&["search", "--onlyvisible", "--name", "^awsmfa$"])
                .and_then(|w| w.lines().next().map(str::to_owned))
            {
                return window;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no dialog appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `text` into the dialog, then presses `key`.
    fn answer(&self, text: &str, key: &str) {
        let window = self.dialog();
        // The window may take a moment to accept the focus.
        std::thread::sleep(Duration::from_millis(300));
        self.xdotool(&["windowfocus", "--sync", &window]);
        if !text.is_empty() {
            self.xdotool(&["type", "--delay", "30", text])
                .expect("type");
        }
        self.xdotool(&["key", key]).expect("key");
        // Gone before the next one is looked for.
        let started = Instant::now();
        while self
            .xdotool(&["search", "--onlyvisible", "--name", "^awsmfa$"])
            .is_some_and(|w| w.lines().any(|l| l == window))
            && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// `credential-process` as a desktop tool runs it: no terminal, a display.
fn credential_process(world: &World, display: &Display) -> Child {
    let mut command = world.command(&["credential-process"]);
    command
        .env("DISPLAY", &display.name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("awsmfa")
}

fn finish(world: &World, child: Child) -> Run {
    let output = child.wait_with_output().expect("wait");
    let run = Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    world.check_no_secrets(&run.stderr, &[]);
    run
}

/// The argument list of the dialog program awsmfa started.
fn dialog_arguments(awsmfa: &Child) -> String {
    let children = Command::new("pgrep")
        .args(["-P", &awsmfa.id().to_string()])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .expect("a dialog process")
        .to_owned();
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

#[test]
fn with_no_terminal_a_desktop_dialog_asks_for_the_code() {
    let world = World::new();
    let display = Display::start();
    let child = credential_process(&world, &display);
    display.dialog();
    let arguments = dialog_arguments(&child);
    assert!(
        arguments.starts_with("zenity ")
            && arguments.contains("'alice'")
            && arguments.contains(ALICE_SERIAL),
        "the dialog names the profile and the device: {arguments}"
    );
    // A malformed code is asked again, with why; then one as apps show it.
    display.answer("12345", "Return");
    display.dialog();
    let arguments = dialog_arguments(&child);
    assert!(arguments.contains("exactly 6 digits"), "{arguments}");
    let typed = code();
    display.answer(&format!("{} {}", &typed[..3], &typed[3..]), "Return");
    let run = finish(&world, child);
    run.ok();
    assert!(run.stdout.contains("\"SessionToken\""), "{}", run.stdout);
    assert_eq!(
        world.sts.codes(),
        [typed],
        "the typed code reached STS, once"
    );
    assert!(
        !arguments.contains(&world.sts.codes()[0]),
        "a code in an argument list"
    );
}

#[test]
fn cancel_declines_the_code_and_calls_nothing() {
    let world = World::new();
    let display = Display::start();
    let child = credential_process(&world, &display);
    display.answer("", "Escape");
    let run = finish(&world, child);
    run.fails_with(1, "the MFA prompt was cancelled");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn ykman_reads_the_yubikeys_code_for_the_device() {
    let world = World::new();
    world.write_config(&format!("{ALICE_CONFIG}mfa_prompt = ykman\n"));
    let bin = world.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let typed = code();
    executable(
        &bin.join("ykman"),
        &format!("#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\necho '{typed}'\n"),
    );
    let mut command = world.command(&["credential-process"]);
    command.env("PATH", format!("{}:{}", bin.display(), test_path()));
    world.run_command(command).ok();
    assert_eq!(
        std::fs::read_to_string(bin.join("args")).unwrap().trim(),
        format!("oath accounts code --single -- {ALICE_SERIAL}")
    );
    assert_eq!(world.sts.codes(), [typed]);

    // A serial shaped like an option stays the account to look up.
    let world = World::new();
    world.write_config(
        "[profile alice]\nmfa_serial = --log-file=/tmp/awsmfa-ykman-log\nregion = eu-west-1\nmfa_prompt = ykman\n",
    );
    let typed = code();
    executable(
        &bin.join("ykman"),
        &format!("#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\necho '{typed}'\n"),
    );
    let mut command = world.command(&["credential-process"]);
    command.env("PATH", format!("{}:{}", bin.display(), test_path()));
    // (The stand-in knows no such device and refuses the code.)
    world.run_command(command);
    assert_eq!(
        std::fs::read_to_string(bin.join("args")).unwrap().trim(),
        "oath accounts code --single -- --log-file=/tmp/awsmfa-ykman-log"
    );
}

/// kdialog reads its text as rich text: a profile name with markup in it
/// reaches it escaped, inside rich text, never as a link.
#[test]
fn kdialog_gets_the_profile_name_escaped() {
    let world = World::new();
    let name = "a<a href=\"https://example.com\">b</a>";
    world.write_config(&format!(
        "[profile {name}]\nmfa_serial = {ALICE_SERIAL}\nregion = eu-west-1\nmfa_prompt = kdialog\n"
    ));
    world.write_credentials(&format!(
        "[{name}]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    let bin = world.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let typed = code();
    executable(
        &bin.join("kdialog"),
        &format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\necho '{typed}'\n"),
    );
    let mut command = world.command(&["credential-process", "--profile", name]);
    command.env("PATH", format!("{}:{}", bin.display(), test_path()));
    world.run_command(command).ok();
    let args = std::fs::read_to_string(bin.join("args")).unwrap();
    assert!(
        args.contains("\n<qt>")
            && args.contains("MFA code for profile 'a&lt;a href=&quot;https://example.com&quot;&gt;b&lt;/a&gt;'<br>"),
        "{args}"
    );
    assert!(!args.contains("<a href"), "{args}");
    assert_eq!(world.sts.codes(), [typed]);
}

#[test]
fn a_prompt_that_cannot_be_is_one_line() {
    let world = World::new();
    world.write_config(&format!("{ALICE_CONFIG}mfa_prompt = kdialog\n"));
    let mut command = world.command(&["credential-process"]);
    command.env("PATH", "/nonexistent");
    let run = world.run_command(command);
    run.fails_with(1, "mfa_prompt = kdialog, but kdialog is not on PATH");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let mut command = world.command(&["credential-process"]);
    command.env("AWSMFA_PROMPT", "dialog");
    world
        .run_command(command)
        .fails_with(1, "AWSMFA_PROMPT=dialog is not one of terminal, zenity");
    world.write_config(&format!("{ALICE_CONFIG}mfa_prompt = popup\n"));
    world
        .run(&["credential-process"])
        .fails_with(1, "mfa_prompt = popup is not one of");
    // With no display and no terminal: the four sources, at once.
    world.write_config(ALICE_CONFIG);
    world
        .run(&["credential-process"])
        .fails_with(1, "there is no terminal to ask on");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn a_long_run_asks_for_its_next_code_in_a_dialog() {
    let world = World::new();
    let display = Display::start();
    world.sts.set_session_lifetime(16);
    let first = code();
    let mut command = world.command(&[
        "exec",
        "--server",
        "--token-code",
        &first,
        "--",
        "sh",
        "-c",
        "sleep 12; aws sts get-caller-identity --query Arn --output text",
    ]);
    command
        .env("DISPLAY", &display.name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("awsmfa");
    // Half the session gone, the refresher asks ahead of time, in a dialog.
    let next = code();
    display.answer(&next, "Return");
    let run = finish(&world, child);
    run.ok();
    assert!(run.stdout.contains(ALICE_ARN), "{}", run.stdout);
    assert_eq!(
        world.sts.codes(),
        [first, next],
        "the dialog's code made the next session"
    );
}

#[test]
fn a_missing_mfa_process_program_gets_doctors_hint() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = ykman-not-installed oath code\n"
    ));
    let run = world.run(&["exec", "--", "true"]);
    run.fails_with(
        125,
        "mfa_process of profile 'alice' cannot run: ykman-not-installed is not on PATH",
    );
    assert!(
        run.stderr
            .contains("hint: install ykman-not-installed, or fix mfa_process in the profile"),
        "{}",
        run.stderr
    );
}
