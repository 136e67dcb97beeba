//! The MFA code: from `--token-code`, `AWSMFA_TOKEN_CODE`, the profile's
//! `mfa_process`, or a prompt on the controlling terminal — never stdin,
//! which belongs to the command. A code is exactly six ASCII digits.

use crate::error::{Error, Result};
use crate::secret::Secret;
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Tries at the terminal prompt.
pub const TERMINAL_TRIES: u32 = 3;

/// A well-formed MFA code. `Debug` does not show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaCode(Secret);

impl MfaCode {
    /// Six ASCII digits after trimming white space; `origin` says where the
    /// text came from, for the message, which never repeats the text.
    pub fn parse(text: &str, origin: &str) -> Result<MfaCode> {
        let code = text.trim();
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

/// Runs `mfa_process` through the shell; its standard output is the code.
fn run_process(command: &str, profile: &str) -> Result<MfaCode> {
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            Error::Mfa(format!(
                "cannot run mfa_process of profile '{profile}': {}",
                crate::io_reason(&e)
            ))
        })?;
    if !output.status.success() {
        return Err(Error::Mfa(format!(
            "mfa_process of profile '{profile}' failed ({})",
            output.status
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    MfaCode::parse(&text, &format!("mfa_process of profile '{profile}'"))
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
    termios::tcsetattr(&*tty, SetArg::TCSAFLUSH, &quiet).map_err(failed)?;
    *open_prompt() = Some((tty.as_raw_fd(), saved.clone()));
    let restore = |tty: &mut File| {
        open_prompt().take();
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
                    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGINT);
                    break Err(Error::Mfa("interrupted".into()));
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

/// The terminal and its settings while a prompt has echo turned off.
fn open_prompt() -> std::sync::MutexGuard<'static, Option<(RawFd, Termios)>> {
    static OPEN: Mutex<Option<(RawFd, Termios)>> = Mutex::new(None);
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives the terminal its settings back if a prompt (in another thread) is
/// waiting for a code: for a process about to end in the middle of one.
pub fn restore_terminal() {
    if let Some((fd, saved)) = open_prompt().take() {
        // SAFETY: the prompt's terminal stays open while it is registered.
        let tty = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = termios::tcsetattr(tty, SetArg::TCSAFLUSH, &saved);
        let _ = nix::unistd::write(tty, b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_only() {
        assert_eq!(MfaCode::parse(" 012345\n", "t").unwrap().expose(), "012345");
        for bad in ["12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦", ""] {
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
