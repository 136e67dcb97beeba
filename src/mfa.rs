//! The MFA code: from `--token-code`, `AWSMFA_TOKEN_CODE`, the profile's
//! `mfa_process`, or a prompt: on the controlling terminal (never stdin,
//! which belongs to the command), in a desktop dialog, or from a YubiKey
//! (`mfa_prompt`). A code is exactly six ASCII digits.

use crate::error::{Error, Result};
pub use crate::secret::MfaCode;
use crate::sys::Terminal;
use std::io::{BufRead, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Tries at the terminal prompt.
pub const TERMINAL_TRIES: u32 = 3;

/// How to ask for a code (`mfa_prompt`, `AWSMFA_PROMPT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Terminal,
    Zenity,
    Kdialog,
    Osascript,
    Wincredui,
    Ykman,
}

impl Prompt {
    pub const NAMES: &str = "terminal, zenity, kdialog, osascript, wincredui, ykman";

    pub fn parse(text: &str) -> Option<Prompt> {
        Some(match text.trim() {
            "terminal" => Prompt::Terminal,
            "zenity" => Prompt::Zenity,
            "kdialog" => Prompt::Kdialog,
            "osascript" => Prompt::Osascript,
            "wincredui" => Prompt::Wincredui,
            "ykman" => Prompt::Ykman,
            _ => return None,
        })
    }

    /// The program it runs.
    pub fn program(self) -> &'static str {
        match self {
            Prompt::Terminal => "terminal",
            Prompt::Zenity => "zenity",
            Prompt::Kdialog => "kdialog",
            Prompt::Osascript => "osascript",
            Prompt::Wincredui => "wincredui",
            Prompt::Ykman => "ykman",
        }
    }
}

/// The length of an MFA code's time step (RFC 6238's 30 seconds).
pub const STEP: Duration = Duration::from_secs(30);

/// How long from `now` until a program working out codes from the clock
/// gives a new one: the start of the next 30-second step, and half a
/// second more for a clock a little behind.
pub fn until_next_step(now: std::time::SystemTime) -> Duration {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let step = STEP.as_secs();
    let next = Duration::from_secs((since.as_secs() / step + 1) * step);
    next - since + Duration::from_millis(500)
}

/// What a prompt names: the profile and the device.
pub struct Asking<'a> {
    pub profile: &'a str,
    pub serial: &'a str,
    /// How long a program (`mfa_process`, a dialog, ykman) may take.
    pub timeout: Duration,
}

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
    /// A desktop dialog (zenity, kdialog, osascript, wincredui), and what
    /// the next one says before asking again.
    Dialog {
        prompt: Prompt,
        note: Option<String>,
    },
    /// A YubiKey's OATH account named as the device.
    Ykman,
}

impl Source {
    /// Picks the source. `given` is the code from the flag or the
    /// environment, already checked; `prompt` the `mfa_prompt` asked for.
    /// With none asked for and no terminal, a desktop session with zenity
    /// or kdialog asks in a dialog.
    pub fn pick(
        given: Option<MfaCode>,
        process: Option<&str>,
        prompt: Option<Prompt>,
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
        let dialog = |prompt: Prompt| Source::Dialog { prompt, note: None };
        match prompt {
            Some(Prompt::Terminal) => Terminal::open()
                .map(Source::Terminal)
                .ok_or(Error::NoCodeSource),
            None => Terminal::open()
                .map(Source::Terminal)
                .or_else(|| desktop_dialog().map(dialog))
                .ok_or(Error::NoCodeSource),
            Some(Prompt::Wincredui) if !cfg!(windows) => Err(Error::Mfa(
                "mfa_prompt = wincredui works only on Windows".into(),
            )),
            Some(prompt) => {
                let program = prompt.program();
                if prompt != Prompt::Wincredui && which::which(program).is_err() {
                    return Err(Error::Mfa(format!(
                        "mfa_prompt = {program}, but {program} is not on PATH"
                    )));
                }
                Ok(match prompt {
                    Prompt::Ykman => Source::Ykman,
                    prompt => dialog(prompt),
                })
            }
        }
    }

    /// Whether a malformed or rejected code may be asked for again.
    pub fn asks_again(&self) -> bool {
        matches!(self, Source::Terminal(_) | Source::Dialog { .. })
    }

    /// Whether the code comes from a program that works it out from the
    /// clock (`mfa_process`, ykman): one already used is followed by a new
    /// one at the next 30-second step.
    pub fn follows_the_clock(&self) -> bool {
        matches!(self, Source::Process { .. } | Source::Ykman)
    }

    /// Where the code comes from, for `-v` and messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Given(_) => "--token-code or AWSMFA_TOKEN_CODE".to_owned(),
            Source::Process { profile, .. } => format!("mfa_process of profile '{profile}'"),
            Source::Terminal(_) => "a prompt on the terminal".to_owned(),
            Source::Dialog { prompt, .. } => format!("a {} dialog", prompt.program()),
            Source::Ykman => "ykman (the YubiKey's OATH account)".to_owned(),
        }
    }

    /// Reads one code.
    pub fn read(&mut self, asking: &Asking<'_>) -> Result<MfaCode> {
        let serial = asking.serial;
        match self {
            Source::Given(code) => Ok(code.clone()),
            Source::Process {
                command,
                profile,
                timeout,
            } => {
                let what = format!("mfa_process of profile '{profile}'");
                // What doctor says of it, before the shell's "not found".
                if let Some(program) = missing_program(command) {
                    return Err(Error::config_with_hint(
                        format!("{what} cannot run: {program} is not on PATH"),
                        format!("install {program}, or fix mfa_process in the profile"),
                    ));
                }
                let text = run_for_line(crate::sys::shell_command(command), &what, *timeout, true)?;
                MfaCode::parse(&text, &what)
            }
            Source::Terminal(tty) => ask_terminal(tty, &format!("MFA code for {serial}: ")),
            Source::Dialog { prompt, note } => {
                let text = dialog(*prompt, asking, note.take())?;
                MfaCode::parse(&text, "the code typed")
            }
            Source::Ykman => {
                let mut command = std::process::Command::new("ykman");
                // `--`: a serial is never an option (`--log-file=…` is a
                // well-formed hardware token serial).
                command.args(["oath", "accounts", "code", "--single", "--", serial]);
                let what = format!("ykman (the YubiKey's OATH account {serial})");
                let text = run_for_line(command, &what, asking.timeout, true)?;
                MfaCode::parse(&text, &what)
            }
        }
    }

    /// Tells the person asked why a code is needed: information, so not
    /// in the `awsmfa: …` form of a failure.
    pub fn inform(&mut self, why: &str) {
        let line = sentence(why);
        match self {
            Source::Terminal(tty) => tty.say(&line),
            Source::Dialog { note, .. } => *note = Some(line),
            _ => {}
        }
    }

    /// Tells the person asked that a code failed, and how many tries are
    /// left, before asking again.
    pub fn say_failed(&mut self, error: &Error, left: u32) {
        let message = failed_line(error, left);
        match self {
            Source::Terminal(tty) => tty.say(&format!("awsmfa: {message}")),
            Source::Dialog { note, .. } => *note = Some(message),
            _ => {}
        }
    }
}

/// Asks at the terminal until something is typed: an empty line (just
/// Enter) asks again and spends no try. End of input (Ctrl-D) or Ctrl-C
/// ends the prompt, as the terminal's `prompt` says.
pub fn ask_terminal(tty: &mut Terminal, prompt: &str) -> Result<MfaCode> {
    // More empty lines than a person presses: a program feeding the
    // terminal, which would otherwise keep the prompt up for ever.
    const EMPTY_LINES: usize = 20;
    for _ in 0..EMPTY_LINES {
        let text = tty.prompt(prompt)?;
        if !text.trim().is_empty() {
            return MfaCode::parse(&text, "the code typed");
        }
    }
    Err(Error::Mfa(format!(
        "no MFA code was typed: {EMPTY_LINES} empty lines"
    )))
}

/// A failed try at a prompt and what is left: `STS rejected the MFA code
/// for … (2 tries left)`.
pub fn failed_line(error: &Error, left: u32) -> String {
    let tries = match left {
        1 => "try",
        _ => "tries",
    };
    format!("{error} ({left} {tries} left)")
}

/// `why` as a sentence on a line of its own: a capital first letter.
fn sentence(why: &str) -> String {
    let mut chars = why.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The program of a command line that cannot be found, if it cannot.
fn missing_program(command: &str) -> Option<String> {
    let command = command.trim_start();
    // A quoted first word may hold spaces ("C:\Program Files\…\ykman.exe").
    let program = match command.chars().next()? {
        quote @ ('"' | '\'') => command[1..].split(quote).next()?,
        _ => command.split_whitespace().next()?,
    };
    // Words a shell runs itself are not looked for on PATH.
    let builtin = [
        "exec", "command", "eval", ".", "source", "set", "cd", "builtin", "export", "if", "for",
        "while", "case", "!", "exit",
    ]
    .contains(&program);
    let plain = !builtin && !program.contains(['=', '(', '{', '$', '`', ';', '|', '&']);
    let found = std::path::Path::new(program).is_file() || which::which(program).is_ok();
    (plain && !found).then(|| program.to_owned())
}

/// A dialog program of the desktop session, where there is one.
fn desktop_dialog() -> Option<Prompt> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if !(set("DISPLAY") || set("WAYLAND_DISPLAY")) {
        return None;
    }
    [Prompt::Zenity, Prompt::Kdialog]
        .into_iter()
        .find(|prompt| which::which(prompt.program()).is_ok())
}

/// Asks in a dialog; the code comes back on the program's output, never
/// through an argument. Cancel is a declined code.
fn dialog(prompt: Prompt, asking: &Asking<'_>, note: Option<String>) -> Result<String> {
    let mut text = format!(
        "MFA code for profile '{}'\n{}",
        asking.profile, asking.serial
    );
    if let Some(note) = note {
        text = format!("{note}\n\n{text}");
    }
    let mut command = match prompt {
        Prompt::Zenity => {
            let mut command = std::process::Command::new("zenity");
            // zenity reads its text as Pango markup.
            let markup = escape_markup(&text);
            command.args([
                "--entry",
                "--hide-text",
                "--title",
                "awsmfa",
                "--text",
                &markup,
            ]);
            command
        }
        Prompt::Kdialog => {
            let mut command = std::process::Command::new("kdialog");
            // Qt takes text that looks like HTML as rich text: given as rich
            // text from the start, with every character escaped, a profile
            // name shows as it is written and can hold no link.
            let rich = format!("<qt>{}</qt>", escape_markup(&text).replace('\n', "<br>"));
            command.args(["--title", "awsmfa", "--password", &rich]);
            command
        }
        Prompt::Osascript => {
            let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
            let mut command = std::process::Command::new("osascript");
            command.args([
                "-e",
                &format!(
                    "display dialog \"{quoted}\" default answer \"\" with hidden answer with title \"awsmfa\""
                ),
                "-e",
                "text returned of result",
            ]);
            command
        }
        #[cfg(windows)]
        Prompt::Wincredui => {
            return crate::sys::credential_dialog("awsmfa", &text)?.ok_or(Error::PromptCancelled);
        }
        _ => {
            return Err(Error::Mfa(format!(
                "mfa_prompt = {} is not a dialog here",
                prompt.program()
            )));
        }
    };
    command.stderr(Stdio::null());
    let what = prompt.program();
    run_for_line(command, what, asking.timeout, false)
}

/// `text` with the characters markup (Pango's, Qt's rich text) would read.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs a program that prints a code (`mfa_process`, ykman, a dialog) and
/// reads its first line. A program that does not finish in time is killed:
/// it must not hold the cache lock, and every waiting run, forever. A
/// dialog's exit status 1 is its Cancel (`cancel_is_failure` false).
fn run_for_line(
    mut command: std::process::Command,
    what: &str,
    timeout: Duration,
    cancel_is_failure: bool,
) -> Result<String> {
    let failed = |why: String| Error::Mfa(format!("{what} {why}"));
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    if cancel_is_failure {
        command.stderr(Stdio::inherit());
    }
    let mut child = command
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
    if !cancel_is_failure && status.code() == Some(1) {
        return Err(Error::PromptCancelled);
    }
    if !status.success() {
        return Err(failed(format!("failed ({status})")));
    }
    let left = timeout.saturating_sub(started.elapsed());
    let text = receiver
        .recv_timeout(left.max(Duration::from_secs(1)))
        .map_err(|_| failed("printed no line".into()))?;
    Ok(String::from_utf8_lossy(&text).into_owned())
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
    fn a_failed_try_says_what_is_left() {
        let rejected = Error::MfaRejected {
            serial: "arn:aws:iam::123456789012:mfa/alice".into(),
        };
        assert_eq!(
            failed_line(&rejected, 2),
            "STS rejected the MFA code for arn:aws:iam::123456789012:mfa/alice (2 tries left)"
        );
        let malformed = MfaCode::parse("12345", "the code typed").unwrap_err();
        assert_eq!(
            failed_line(&malformed, 1),
            "the code typed: an MFA code is exactly 6 digits (1 try left)"
        );
        assert_eq!(
            sentence("no MFA session is cached for profile 'p'"),
            "No MFA session is cached for profile 'p'"
        );
    }

    #[test]
    fn a_new_code_comes_at_the_next_step() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let at = |secs: u64, millis: u64| {
            until_next_step(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis))
        };
        // At a step's start the next is a whole step away; just before it, a moment.
        assert_eq!(at(1_800_000_000, 0), Duration::from_millis(30_500));
        assert_eq!(at(1_800_000_029, 900), Duration::from_millis(600));
        assert_eq!(at(1_800_000_030, 0), Duration::from_millis(30_500));
        assert_eq!(at(1_800_000_001, 0), Duration::from_millis(29_500));
        assert!(until_next_step(SystemTime::now()) <= Duration::from_millis(30_500));
    }

    #[test]
    fn mfa_process_output_is_the_code() {
        let [prints, fails, other] = PROGRAMS;
        let timeout = Duration::from_secs(60);
        let run = |command: &str| {
            let what = "mfa_process of profile 'p'";
            run_for_line(crate::sys::shell_command(command), what, timeout, true)
                .and_then(|text| MfaCode::parse(&text, what))
        };
        let code = run(prints).unwrap();
        assert_eq!(code.expose(), "654321");
        let err = run(fails).unwrap_err();
        assert!(
            err.to_string()
                .contains("mfa_process of profile 'p' failed"),
            "{err}"
        );
        let err = run(other).unwrap_err();
        assert!(
            !err.to_string().contains("nope"),
            "never repeats the output: {err}"
        );
    }
}
