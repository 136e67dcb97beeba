//! The MFA prompt on a real pseudo-terminal: it names the device, does not
//! echo, and asks again — three tries in all — after a malformed, used or
//! rejected code.

use crate::support::*;
use nix::sys::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = "MFA code for arn:aws:iam::123456789012:mfa/alice: ";

fn on_terminal(world: &World, args: &[&str]) -> PtySession {
    spawn_command(world.terminal_command(args), Some(20_000)).expect("spawn on a pty")
}

fn exit_code(session: &PtySession) -> i32 {
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    }
}

#[test]
fn the_prompt_names_the_device_and_does_not_echo() {
    let world = World::new();
    let mut terminal = on_terminal(
        &world,
        &["exec", "--", "sh", "-c", "echo key=$AWS_ACCESS_KEY_ID"],
    );
    terminal.exp_string(PROMPT).unwrap();
    let typed = code();
    terminal.send_line(&typed).unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("key=ASIA"), "{rest}");
    assert!(!rest.contains(&typed), "the code was echoed: {rest}");
    assert_eq!(exit_code(&terminal), 0);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.sts.codes(), [typed], "the typed code reached STS");
}

#[test]
fn malformed_and_rejected_codes_are_asked_again() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line("12345").unwrap();
    terminal
        .exp_string("an MFA code is exactly 6 digits")
        .unwrap();
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line(WRONG_CODE).unwrap();
    terminal.exp_string("STS rejected the MFA code").unwrap();
    terminal.exp_string(PROMPT).unwrap();
    let good = code();
    terminal.send_line(&good).unwrap();
    terminal.exp_eof().unwrap();
    assert_eq!(exit_code(&terminal), 0);
    assert_eq!(
        world.sts.codes(),
        [WRONG_CODE.to_owned(), good],
        "the malformed code was never sent; the others were, as typed"
    );
    assert_eq!(world.cache_entries().len(), 1);
}

#[test]
fn three_bad_tries_fail() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    for bad in ["abcdef", WRONG_CODE, "1234567"] {
        terminal.exp_string(PROMPT).unwrap();
        terminal.send_line(bad).unwrap();
    }
    let rest = terminal.exp_eof().unwrap();
    assert!(
        rest.contains("awsmfa: the code typed: an MFA code is exactly 6 digits"),
        "{rest}"
    );
    assert!(!rest.contains(PROMPT), "a fourth prompt: {rest}");
    assert_eq!(exit_code(&terminal), 125);
    assert_eq!(
        world.sts.codes(),
        [WRONG_CODE],
        "only the well-formed code was sent"
    );
    assert!(world.cache_entries().is_empty());
}

#[test]
fn a_used_code_is_not_sent_again() {
    let world = World::new();
    let used = code();
    world
        .run(&["exec", "--token-code", &used, "--", "true"])
        .ok();

    // Elsewhere: at once, one line, no STS call.
    world
        .run(&["exec", "--refresh", "--token-code", &used, "--", "true"])
        .fails_with(125, "that MFA code was already used for arn:aws:iam::123456789012:mfa/alice; wait for the next one");
    assert_eq!(world.sts.count("GetSessionToken"), 1);

    // At the terminal: asked again.
    let mut terminal = on_terminal(&world, &["exec", "--refresh", "--", "true"]);
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line(&used).unwrap();
    terminal.exp_string("already used").unwrap();
    terminal.exp_string(PROMPT).unwrap();
    let next = code();
    terminal.send_line(&next).unwrap();
    terminal.exp_eof().unwrap();
    assert_eq!(exit_code(&terminal), 0);
    assert_eq!(world.sts.codes(), [used, next]);
}

#[test]
fn a_given_code_skips_the_prompt_and_a_rejected_one_fails_at_once() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--token-code", WRONG_CODE, "--", "true"]);
    let rest = terminal.exp_eof().unwrap();
    assert!(!rest.contains(PROMPT), "{rest}");
    assert!(rest.contains("STS rejected the MFA code"), "{rest}");
    assert_eq!(exit_code(&terminal), 125);
    assert_eq!(world.sts.codes(), [WRONG_CODE]);
}

#[test]
fn a_run_in_the_background_does_not_ask_and_is_not_stopped() {
    let world = World::new();
    // bash with job control puts the background job in a process group of
    // its own, as an interactive shell (or `exec --server` running one) does.
    let script = format!("set -m; {BIN} exec -- true & wait $!; echo status=$?");
    let command = world.program("bash", &["-c", &script]);
    let mut terminal = spawn_command(command, Some(10_000)).expect("spawn on a pty");
    terminal
        .exp_string("an MFA code is needed, but this run is in the background of its terminal")
        .unwrap();
    terminal.exp_string("status=125").unwrap();
    assert_eq!(world.sts.count("GetSessionToken"), 0);
}

#[test]
fn a_signal_at_the_prompt_gives_the_terminal_back() {
    use nix::sys::signal::Signal;
    use nix::sys::termios::{LocalFlags, tcgetattr};
    // Every signal whose default action ends a process, not only the usual.
    for signal in [
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
        Signal::SIGVTALRM,
        Signal::SIGPWR,
    ] {
        // A signal ignored here (SIGHUP under nohup) would be ignored by
        // awsmfa too, as it should: give it its default first.
        // SAFETY: SIG_DFL installs no handler.
        unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl) }.unwrap();
        let world = World::new();
        let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
        let handle = terminal.process().get_file_handle().unwrap();
        terminal.exp_string(PROMPT).unwrap();
        let flags = tcgetattr(&handle).unwrap().local_flags;
        assert!(
            !flags.contains(LocalFlags::ICANON),
            "the prompt reads key by key"
        );
        terminal.process_mut().signal(signal).unwrap();
        match terminal.process().wait().unwrap() {
            WaitStatus::Signaled(_, got, _) => assert_eq!(got, signal),
            other => panic!("{signal}: not ended by the signal: {other:?}"),
        }
        let flags = tcgetattr(&handle).unwrap().local_flags;
        assert!(
            flags.contains(LocalFlags::ICANON | LocalFlags::ISIG),
            "{signal}: the terminal has its settings back: {flags:?}"
        );
        assert_eq!(world.sts.count("GetSessionToken"), 0);
    }
}

#[test]
fn the_third_rejection_is_said_once_with_both_causes() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    for _ in 0..3 {
        terminal.exp_string(PROMPT).unwrap();
        terminal.send_line(WRONG_CODE).unwrap();
    }
    let rest = terminal.exp_eof().unwrap();
    assert_eq!(
        rest.matches("STS rejected the MFA code").count(),
        1,
        "the last rejection is said once: {rest}"
    );
    assert!(
        rest.contains("hint: either the code was wrong")
            && rest.contains("mfa_serial is not this user's device")
            && rest.contains("aws iam list-mfa-devices"),
        "{rest}"
    );
    assert_eq!(exit_code(&terminal), 125);
    assert_eq!(world.sts.codes(), [WRONG_CODE; 3]);
    // The device is the user's: IAM was asked once, after the first refusal.
    assert_eq!(world.sts.count("ListMFADevices"), 1);
}

#[test]
fn an_empty_line_asks_again_and_spends_no_try() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    // More empty lines than there are tries: none of them is one.
    for _ in 0..4 {
        terminal.exp_string(PROMPT).unwrap();
        terminal.send_line("").unwrap();
    }
    terminal.exp_string(PROMPT).unwrap();
    let good = code();
    terminal.send_line(&good).unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(!rest.contains("tries left"), "{rest}");
    assert_eq!(exit_code(&terminal), 0);
    assert_eq!(world.sts.codes(), [good], "one call, with the code typed");
}

#[test]
fn a_program_feeding_empty_lines_does_not_keep_the_prompt_up() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    for _ in 0..20 {
        terminal.exp_string(PROMPT).unwrap();
        terminal.send_line("").unwrap();
    }
    let rest = terminal.exp_eof().unwrap();
    assert!(
        rest.contains("awsmfa: no MFA code was typed: 20 empty lines"),
        "{rest}"
    );
    assert_eq!(exit_code(&terminal), 125);
    assert!(world.sts.calls().is_empty());
}

#[test]
fn a_failed_try_says_how_many_are_left() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line("12345").unwrap();
    terminal
        .exp_string("awsmfa: the code typed: an MFA code is exactly 6 digits (2 tries left)\r\n")
        .unwrap();
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line(WRONG_CODE).unwrap();
    terminal
        .exp_string(
            "awsmfa: STS rejected the MFA code for arn:aws:iam::123456789012:mfa/alice \
             (1 try left)\r\n",
        )
        .unwrap();
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line(WRONG_CODE).unwrap();
    let rest = terminal.exp_eof().unwrap();
    // The last is the run's error, and says it was the last.
    assert!(
        rest.contains(
            "awsmfa: STS rejected the MFA code for arn:aws:iam::123456789012:mfa/alice \
             (no tries left)\r\nhint: either the code was wrong"
        ),
        "{rest}"
    );
    assert_eq!(exit_code(&terminal), 125);
}

#[test]
fn end_of_input_still_ends_the_prompt() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line("").unwrap();
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_control('d').unwrap();
    let rest = terminal.exp_eof().unwrap();
    assert!(rest.contains("awsmfa: no MFA code was typed"), "{rest}");
    assert!(!rest.contains(PROMPT), "asked again: {rest}");
    assert_eq!(exit_code(&terminal), 125);
    assert!(world.sts.calls().is_empty());
}

#[test]
fn why_a_code_is_needed_is_information_not_an_error() {
    let world = World::new();
    let mut terminal = on_terminal(&world, &["exec", "--", "true"]);
    let before = terminal.exp_string(PROMPT).unwrap();
    assert!(
        before.contains("No MFA session is cached for profile 'alice'\r\n"),
        "{before:?}"
    );
    assert!(
        !before.contains("awsmfa:"),
        "worded as an error: {before:?}"
    );
    terminal.send_line(&code()).unwrap();
    terminal.exp_eof().unwrap();
    assert_eq!(exit_code(&terminal), 0);
}

#[test]
fn the_refresh_prompt_counts_tries_too_and_skips_empty_lines() {
    let world = World::new();
    // 16 s MFA sessions: halfway through, the next code is asked for.
    world.sts.set_session_lifetime(16);
    let first = code();
    let mut terminal = on_terminal(
        &world,
        &[
            "exec",
            "--server",
            "--token-code",
            &first,
            "--",
            "sleep",
            "14",
        ],
    );
    let before = terminal.exp_string(PROMPT).unwrap();
    // What it says before asking is information, not an error.
    assert!(
        before.contains("The MFA session of profile 'alice' runs out in "),
        "{before:?}"
    );
    assert!(
        !before.contains("awsmfa:"),
        "worded as an error: {before:?}"
    );
    terminal.send_line("").unwrap();
    terminal.exp_string(PROMPT).unwrap();
    terminal.send_line("12345").unwrap();
    terminal
        .exp_string("awsmfa: the code typed: an MFA code is exactly 6 digits (2 tries left)")
        .unwrap();
    terminal.exp_string(PROMPT).unwrap();
    let good = code();
    terminal.send_line(&good).unwrap();
    terminal.exp_eof().unwrap();
    assert_eq!(exit_code(&terminal), 0);
    assert_eq!(world.sts.codes()[..2], [first, good]);
}
