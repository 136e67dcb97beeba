//! The MFA code: from `--token-code`, `AWSMFA_TOKEN_CODE`, the profile's
//! `mfa_process`, or a prompt on the controlling terminal — never stdin,
//! which belongs to the command. A code is exactly six ASCII digits.

use crate::error::{Error, Result};
pub use crate::secret::MfaCode;
use crate::sys::Terminal;
use std::io::{BufRead, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Tries at the terminal prompt.
pub const TERMINAL_TRIES: u32 = 3;

/// Where the code comes from, the first that applies.
pub enum Source {
    /// `--token-code` or `AWSMFA_TOKEN_CODE`: one code, used once.
    Given(MfaCode),
    /// The profile's `mfa_process`, and how long it may take.
    Process {
        command: String,
        profile: String,
        timeout: Duration,
    },
    /// The controlling terminal.
    Terminal(Terminal),
}

impl Source {
    /// Picks the source. `given` is the code from the flag or the
    /// environment, already checked.
    pub fn pick(
        given: Option<MfaCode>,
        process: Option<&str>,
        profile: &str,
        timeout: Duration,
    ) -> Result<Source> {
        if let Some(code) = given {
            return Ok(Source::Given(code));
        }
        if let Some(command) = process {
            return Ok(Source::Process {
                command: command.to_owned(),
                profile: profile.to_owned(),
                timeout,
            });
        }
        Terminal::open()
            .map(Source::Terminal)
            .ok_or(Error::NoCodeSource)
    }

    /// Whether a malformed or rejected code may be asked for again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Source::Terminal(_))
    }

    /// Reads one code.
    pub fn read(&mut self, serial: &str) -> Result<MfaCode> {
        match self {
            Source::Given(code) => Ok(code.clone()),
            Source::Process {
                command,
                profile,
                timeout,
            } => run_process(command, profile, *timeout),
            Source::Terminal(tty) => {
                let text = tty.prompt(&format!("MFA code for {serial}: "))?;
                MfaCode::parse(&text, "the code typed")
            }
        }
    }

    /// Tells the person at the terminal what went wrong before asking again.
    pub fn say(&mut self, message: &str) {
        if let Source::Terminal(tty) = self {
            tty.say(&format!("awsmfa: {message}"));
        }
    }
}

/// Runs `mfa_process` (through the shell, `sys::shell_command`); its
/// standard output is the code.
/// A program that does not finish in time is killed: it must not hold the
/// cache lock, and every waiting run, forever.
fn run_process(command: &str, profile: &str, timeout: Duration) -> Result<MfaCode> {
    let failed = |why: String| Error::Mfa(format!("mfa_process of profile '{profile}' {why}"));
    let mut child = crate::sys::shell_command(command)
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
                // Its children too: one that holds the output open (`… | cat`)
                // would otherwise live on, and keep a caller waiting.
                crate::sys::end_process_tree(&mut child);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Printing a code, failing, printing something else: in the
    /// platform's way of running `mfa_process`.
    #[cfg(unix)]
    const PROGRAMS: [&str; 3] = ["printf ' 654321\\n'", "exit 3", "echo nope"];
    #[cfg(windows)]
    const PROGRAMS: [&str; 3] = ["cmd /C echo  654321", "cmd /C exit 3", "cmd /C echo nope"];

    #[test]
    fn mfa_process_output_is_the_code() {
        let [prints, fails, other] = PROGRAMS;
        let timeout = Duration::from_secs(60);
        let code = run_process(prints, "p", timeout).unwrap();
        assert_eq!(code.expose(), "654321");
        let err = run_process(fails, "p", timeout).unwrap_err();
        assert!(
            err.to_string()
                .contains("mfa_process of profile 'p' failed"),
            "{err}"
        );
        let err = run_process(other, "p", timeout).unwrap_err();
        assert!(
            !err.to_string().contains("nope"),
            "never repeats the output: {err}"
        );
    }
}
