//! The MFA code: from `--token-code`, `AWSMFA_TOKEN_CODE`, the profile's
//! `mfa_process`, or a prompt on the controlling terminal — never stdin,
//! which belongs to the command. A code is exactly six ASCII digits.

use crate::error::{Error, Result};
use crate::secret::Secret;
use nix::libc;
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use std::time::{Duration, Instant};

/// Tries at the terminal prompt.
pub const TERMINAL_TRIES: u32 = 3;

/// Whether Ctrl-C at the prompt interrupts awsmfa, as it would without the
/// prompt. Not while `exec --server` runs its command: there it only
/// declines to give a code, and the command goes on.
static CTRL_C_INTERRUPTS: AtomicBool = AtomicBool::new(true);

/// From now on, Ctrl-C at the prompt cancels the prompt and nothing else.
pub fn ctrl_c_only_cancels() {
    CTRL_C_INTERRUPTS.store(false, Ordering::SeqCst);
}

/// A well-formed MFA code. `Debug` does not show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaCode(Secret);

impl MfaCode {
    /// Six ASCII digits once white space is removed (`123 456`, as
    /// authenticator apps show codes, is `123456`); `origin` says where the
    /// text came from, for the message, which never repeats the text.
    pub fn parse(text: &str, origin: &str) -> Result<MfaCode> {
        let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(MfaCode(Secret::new(code)))
        } else {
            Err(Error::MalformedCode(format!(
                "{origin}: an MFA code is exactly 6 digits"
            )))
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// Where the code comes from, the first that applies.
pub enum Source {
    /// `--token-code` or `AWSMFA_TOKEN_CODE`: one code, used once.
    Given(MfaCode),
    /// The profile's `mfa_process`.
    Process { command: String, profile: String },
    /// The controlling terminal.
    Terminal(File),
}

impl Source {
    /// Picks the source. `given` is the code from the flag or the
    /// environment, already checked.
    pub fn pick(given: Option<MfaCode>, process: Option<&str>, profile: &str) -> Result<Source> {
        if let Some(code) = given {
            return Ok(Source::Given(code));
        }
        if let Some(command) = process {
            return Ok(Source::Process {
                command: command.to_owned(),
                profile: profile.to_owned(),
            });
        }
        match OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY)
            .open("/dev/tty")
        {
            // Only in the foreground: a background process that reads the
            // terminal is stopped (as when `exec --server` runs a shell with
            // job control, which takes the foreground for its own jobs).
            Ok(tty)
                if nix::unistd::isatty(&tty).unwrap_or(false)
                    && nix::unistd::tcgetpgrp(&tty) == Ok(nix::unistd::getpgrp()) =>
            {
                Ok(Source::Terminal(tty))
            }
            _ => Err(Error::NoCodeSource),
        }
    }

    /// Whether a malformed or rejected code may be asked for again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Source::Terminal(_))
    }

    /// Reads one code.
    pub fn read(&mut self, serial: &str) -> Result<MfaCode> {
        match self {
            Source::Given(code) => Ok(code.clone()),
            Source::Process { command, profile } => run_process(command, profile),
            Source::Terminal(tty) => {
                let text = prompt(tty, &format!("MFA code for {serial}: "))?;
                MfaCode::parse(&text, "the code typed")
            }
        }
    }

    /// Tells the person at the terminal what went wrong before asking again.
    pub fn say(&mut self, message: &str) {
        if let Source::Terminal(tty) = self {
            let _ = writeln!(tty, "awsmfa: {message}");
        }
    }
}

/// The code given on the command line or in `AWSMFA_TOKEN_CODE`, checked.
pub fn given_code(flag: Option<&Secret>, env: Option<String>) -> Result<Option<MfaCode>> {
    if let Some(code) = flag {
        return MfaCode::parse(code.expose(), "--token-code").map(Some);
    }
    match env.filter(|v| !v.trim().is_empty()) {
        Some(code) => MfaCode::parse(&code, "AWSMFA_TOKEN_CODE").map(Some),
        None => Ok(None),
    }
}

/// How long `mfa_process` may take (it may wait for a touch of a security
/// key), unless `AWSMFA_PROCESS_TIMEOUT` says otherwise.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `mfa_process` through the shell; its standard output is the code.
/// A program that does not finish in time is killed: it must not hold the
/// cache lock, and every waiting run, forever.
fn run_process(command: &str, profile: &str) -> Result<MfaCode> {
    let timeout = match std::env::var("AWSMFA_PROCESS_TIMEOUT") {
        Ok(text) if !text.is_empty() => Duration::from_secs(
            crate::cli::parse_seconds(&text)
                .map_err(|why| Error::config(format!("AWSMFA_PROCESS_TIMEOUT: {why}")))?,
        ),
        _ => PROCESS_TIMEOUT,
    };
    let failed = |why: String| Error::Mfa(format!("mfa_process of profile '{profile}' {why}"));
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| failed(format!("cannot be run: {}", crate::io_reason(&e))))?;
    // The code is a line: read up to the first line break (a program it
    // started may keep the pipe open), in a thread, so every wait is bounded.
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("has no output".into()))?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::BufReader::new(stdout.take(4096)).read_until(b'\n', &mut text);
        let _ = sender.send(text);
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "did not finish within {} s (AWSMFA_PROCESS_TIMEOUT)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(failed(format!(
                    "cannot be waited for: {}",
                    crate::io_reason(&e)
                )));
            }
        }
    };
    if !status.success() {
        return Err(failed(format!("failed ({status})")));
    }
    let left = timeout.saturating_sub(started.elapsed());
    let text = receiver
        .recv_timeout(left.max(Duration::from_secs(1)))
        .map_err(|_| failed("printed no line".into()))?;
    MfaCode::parse(
        &String::from_utf8_lossy(&text),
        &format!("mfa_process of profile '{profile}'"),
    )
}

/// Asks on the terminal with echo off. Ctrl-C restores the terminal, then
/// interrupts awsmfa as it would have without the prompt.
fn prompt(tty: &mut File, text: &str) -> Result<String> {
    let failed =
        |e: nix::errno::Errno| Error::Mfa(format!("cannot read from the terminal: {}", e.desc()));
    let saved = termios::tcgetattr(&*tty).map_err(failed)?;
    let mut quiet = saved.clone();
    quiet
        .local_flags
        .remove(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG);
    quiet.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    quiet.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    let guard = EchoOff::enter(tty.as_raw_fd(), &saved);
    termios::tcsetattr(&*tty, SetArg::TCSAFLUSH, &quiet).map_err(failed)?;
    let restore = |tty: &mut File| {
        guard.leave();
        let _ = termios::tcsetattr(&*tty, SetArg::TCSAFLUSH, &saved);
        let _ = tty.write_all(b"\r\n");
    };
    let _ = tty.write_all(text.as_bytes());
    let mut line = String::new();
    let mut byte = [0u8; 1];
    let outcome = loop {
        match tty.read(&mut byte) {
            Ok(0) => {
                break Err(Error::Mfa(
                    "the terminal closed before a code was typed".into(),
                ));
            }
            Ok(_) => match byte[0] {
                b'\r' | b'\n' => break Ok(line),
                0x03 => {
                    restore(tty);
                    if CTRL_C_INTERRUPTS.load(Ordering::SeqCst) {
                        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGINT);
                    }
                    break Err(Error::PromptCancelled);
                }
                0x04 if line.is_empty() => {
                    break Err(Error::Mfa("no MFA code was typed".into()));
                }
                0x7f | 0x08 => {
                    line.pop();
                }
                0x15 => line.clear(),
                c if line.len() < 64 && !c.is_ascii_control() => line.push(char::from(c)),
                _ => {}
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                break Err(Error::Mfa(format!(
                    "cannot read from the terminal: {}",
                    crate::io_reason(&e)
                )));
            }
        }
    };
    restore(tty);
    outcome
}

/// The terminal of a prompt that has echo turned off, and the settings to
/// give back. Atomics, so that a signal handler may read them.
static ECHO_OFF_FD: AtomicI32 = AtomicI32::new(-1);
static ECHO_OFF_SAVED: AtomicPtr<libc::termios> = AtomicPtr::new(std::ptr::null_mut());

/// Signals that end a process by default: during a prompt they give the
/// terminal back first (unless something else already handles them).
const FATAL: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGINT,
];

/// While it lives, a prompt's terminal is known to `restore_terminal`, and
/// a fatal signal restores it before ending the process.
struct EchoOff {
    previous: Vec<(Signal, SigAction)>,
}

impl EchoOff {
    fn enter(fd: RawFd, saved: &Termios) -> EchoOff {
        // Leaked on purpose: a handler in another thread may read it at any
        // time, and a run has at most a few prompts.
        let saved = Box::into_raw(Box::new(libc::termios::from(saved.clone())));
        ECHO_OFF_SAVED.store(saved, Ordering::SeqCst);
        ECHO_OFF_FD.store(fd, Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(restore_and_die),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for sig in FATAL {
            // SAFETY: the handler only makes async-signal-safe calls.
            let Ok(old) = (unsafe { signal::sigaction(sig, &action) }) else {
                continue;
            };
            if matches!(old.handler(), SigHandler::SigDfl) {
                previous.push((sig, old));
            } else {
                // Someone else's (exec --server passes them on): theirs stays.
                // SAFETY: putting back the action that was there.
                let _ = unsafe { signal::sigaction(sig, &old) };
            }
        }
        EchoOff { previous }
    }

    fn leave(&self) {
        ECHO_OFF_FD.store(-1, Ordering::SeqCst);
        for (sig, old) in &self.previous {
            // SAFETY: putting back the default action.
            let _ = unsafe { signal::sigaction(*sig, old) };
        }
    }
}

/// Gives the terminal its settings back if a prompt (in another thread) is
/// waiting for a code: for a process about to end in the middle of one.
/// Async-signal-safe.
pub fn restore_terminal() {
    let fd = ECHO_OFF_FD.swap(-1, Ordering::SeqCst);
    let saved = ECHO_OFF_SAVED.load(Ordering::SeqCst);
    if fd >= 0 && !saved.is_null() {
        // SAFETY: `saved` points at a leaked termios that is never freed.
        unsafe {
            libc::tcsetattr(fd, libc::TCSAFLUSH, saved);
            libc::write(fd, b"\r\n".as_ptr().cast(), 2);
        }
    }
}

extern "C" fn restore_and_die(number: libc::c_int) {
    restore_terminal();
    // SAFETY: signal(2) and raise(3) are async-signal-safe.
    unsafe {
        libc::signal(number, libc::SIG_DFL);
        libc::raise(number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_only() {
        assert_eq!(MfaCode::parse(" 012345\n", "t").unwrap().expose(), "012345");
        assert_eq!(MfaCode::parse("123 456", "t").unwrap().expose(), "123456");
        assert_eq!(
            MfaCode::parse("\t12 34 56 ", "t").unwrap().expose(),
            "123456"
        );
        for bad in [
            "12345",
            "1234567",
            "abcdef",
            "12 456",
            "123 4567",
            "١٢٣٤٥٦",
            "",
        ] {
            let err = MfaCode::parse(bad, "--token-code").unwrap_err();
            assert_eq!(
                err.to_string(),
                "--token-code: an MFA code is exactly 6 digits"
            );
        }
    }

    #[test]
    fn flag_wins_over_environment() {
        let flag = Secret::new("111111");
        let code = given_code(Some(&flag), Some("222222".into())).unwrap();
        assert_eq!(code.unwrap().expose(), "111111");
        let code = given_code(None, Some("222222".into())).unwrap();
        assert_eq!(code.unwrap().expose(), "222222");
        assert!(given_code(None, Some("".into())).unwrap().is_none());
        let err = given_code(None, Some("22222".into())).unwrap_err();
        assert!(err.to_string().starts_with("AWSMFA_TOKEN_CODE"));
    }

    #[test]
    fn mfa_process_output_is_the_code() {
        let code = run_process("printf ' 654321\\n'", "p").unwrap();
        assert_eq!(code.expose(), "654321");
        let err = run_process("exit 3", "p").unwrap_err();
        assert!(
            err.to_string()
                .contains("mfa_process of profile 'p' failed"),
            "{err}"
        );
        let err = run_process("echo nope", "p").unwrap_err();
        assert!(
            !err.to_string().contains("nope"),
            "never repeats the output: {err}"
        );
    }
}
