//! Everything that differs between platforms, behind one small interface:
//! running the command, signals and the console, the terminal prompt, and
//! the owner and mode checks on private files. Every `unsafe` block of the
//! crate lives here, each with its `SAFETY:` line.
//!
//! The interface, which each platform's module provides:
//! - `SHELL`, `HOME`, `CACHE_HOME`, `OPENER`: the platform's variables and programs;
//! - `protect_process`: keep this process's memory from the user's other processes;
//! - `c_args` (Unix): the arguments the C runtime gave the front's own `main`;
//! - `replace`, `exec_same`: become the command, or `awsmfa-full`;
//! - `started_as`: the program's own file where `current_exe` cannot tell (no `/proc`);
//! - `not_runnable`: why a found file cannot be run, if it cannot;
//! - `child_command`, `shell_command`, `end_process_tree`, `remove_later`:
//!   children (`--server`'s command, `mfa_process`, a delayed clean-up);
//! - `Signals`, `Ending`: a child watched over, and ended the way it ended;
//! - `Terminal`, `in_background`, `restore_terminal`, `ctrl_c_only_cancels`: the prompt;
//! - `open_unfollowed`, `open_without_waiting`, `open_lock_file`,
//!   `create_private_file`, `create_private_dir`, `private_temp_dir`,
//!   `replace_file`, `is_same_file`, `is_ours`, `not_private`, `shared`,
//!   `mode_of`, `make_private`: files only the user can read;
//! - `raise_open_files_limit`, `no_file_size_signal`: limits;
//! - `process_is_gone`: whether a run that left a folder without a lock still lives;
//! - `local_offset`: the local time zone at an instant, for `words`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

// What both platforms share: pure parts, tested here on any platform.

use crate::error::{Error, Result};
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether Ctrl-C at the prompt interrupts awsmfa, as it would without the
/// prompt. Not while `exec --server` runs its command: there it only
/// declines to give a code, and the command goes on.
static CTRL_C_INTERRUPTS: AtomicBool = AtomicBool::new(true);

/// From now on, Ctrl-C at the prompt cancels the prompt and nothing else.
pub fn ctrl_c_only_cancels() {
    CTRL_C_INTERRUPTS.store(false, Ordering::SeqCst);
}

fn ctrl_c_interrupts() -> bool {
    CTRL_C_INTERRUPTS.load(Ordering::SeqCst)
}

/// A line typed with echo off, read byte by byte from a terminal in raw
/// mode: Enter ends it, Backspace and Ctrl-U edit it, at most 64 characters
/// are kept. `None` for Ctrl-C; an error for Ctrl-D on an empty line or a
/// terminal that closes.
fn typed_line(input: &mut dyn Read) -> Result<Option<String>> {
    let mut line = String::new();
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(0) => {
                return Err(Error::Mfa(
                    "the terminal closed before a code was typed".into(),
                ));
            }
            Ok(_) => match byte[0] {
                b'\r' | b'\n' => return Ok(Some(line)),
                0x03 => return Ok(None),
                0x04 if line.is_empty() => return Err(Error::Mfa("no MFA code was typed".into())),
                0x7f | 0x08 => {
                    line.pop();
                }
                0x15 => line.clear(),
                c if line.len() < 64 && !c.is_ascii_control() => line.push(char::from(c)),
                _ => {}
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::Mfa(format!(
                    "cannot read from the terminal: {}",
                    crate::io_reason(&e)
                )));
            }
        }
    }
}

/// Splits a command line into words as the AWS CLI does on Windows (and as
/// the C runtime does): only space and tab separate, double quotes group,
/// and backslashes are literal except in a run that ends at a double quote,
/// where each pair is one backslash and an odd one out escapes the quote.
pub fn split_windows_command(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether `word` is a word even if empty (it had a pair of quotes).
    let mut started = false;
    let mut quoted = false;
    let mut backslashes = 0;
    for c in line.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                word.extend(std::iter::repeat_n('\\', backslashes / 2));
                let escaped = backslashes % 2 == 1;
                backslashes = 0;
                if escaped {
                    word.push('"');
                } else {
                    quoted = !quoted;
                    started = true;
                }
            }
            ' ' | '\t' if !quoted => {
                word.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                word.push(c);
            }
        }
    }
    word.extend(std::iter::repeat_n('\\', backslashes));
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(bytes: &[u8]) -> Result<Option<String>> {
        typed_line(&mut &bytes[..])
    }

    #[test]
    fn a_line_is_edited_as_typed() {
        assert_eq!(typed(b"123 456\r").unwrap().as_deref(), Some("123 456"));
        assert_eq!(typed(b"12x\x7f3\n").unwrap().as_deref(), Some("123"));
        assert_eq!(typed(b"999\x15123\r").unwrap().as_deref(), Some("123"));
        assert_eq!(typed(b"12\x03").unwrap(), None);
        assert!(typed(b"\x04").is_err());
        assert!(typed(b"123").is_err());
        let long = [b'1'; 100];
        assert_eq!(
            typed(&[&long[..], b"\r"].concat()).unwrap().unwrap().len(),
            64
        );
    }

    #[test]
    fn windows_command_lines_split_as_the_aws_cli_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (
                "ykman oath accounts code",
                &["ykman", "oath", "accounts", "code"],
            ),
            ("  a \t b  ", &["a", "b"]),
            (
                r#""C:\Program Files\ykman.exe" code"#,
                &[r"C:\Program Files\ykman.exe", "code"],
            ),
            (r"C:\path\to\file", &[r"C:\path\to\file"]),
            (r#"a\"b"#, &[r#"a"b"#]),
            (r#"a\\"b c""#, &[r"a\b c"]),
            (r#"a\\\"b"#, &[r#"a\"b"#]),
            (r#"x "" y"#, &["x", "", "y"]),
            (r#"foo"bar baz""#, &["foobar baz"]),
            (r"trailing\\", &[r"trailing\\"]),
        ];
        for (line, words) in cases {
            assert_eq!(split_windows_command(line), *words, "{line}");
        }
    }
}
