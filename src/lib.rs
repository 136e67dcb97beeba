//! awsmfa: run commands with an MFA-backed AWS session.
//!
//! A run flows through the modules in this order (see ARCHITECTURE.md):
//! `cli` → `settings` → `profile` → `session` (cache hit, or lock + `mfa` +
//! STS) → `env` → `program` (the command run by `sys`).
//!
//! Two programs share this library: `awsmfa` (`front`) serves cache hits
//! and hands everything else to `awsmfa-full` (`commands`), which does it all.
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

/// `eprintln!` that cannot fail: stderr closed, full (`2>/dev/full`) or
/// broken must not abort a run that may already have spent a code. Where
/// the locale is not UTF-8, awsmfa's symbols (`→`, `…`) go out in ASCII;
/// paths in the home folder are written with `~`, as `doctor` and `list` show them.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", $crate::words::for_people(&text));
    }};
}

pub mod cli;
pub mod commands;
pub mod env;
pub mod error;
pub mod front;
pub mod keystore;
pub mod mfa;
pub mod profile;
pub mod program;
pub mod secret;
pub mod server;
pub mod session;
pub mod settings;
// The one room where `unsafe` is allowed: each block says why it is sound.
#[allow(unsafe_code)]
pub mod sys;
pub mod words;

/// An I/O error in words, without Rust's `(os error N)` suffix.
pub fn io_reason(error: &std::io::Error) -> String {
    // Windows's own messages end in a full stop; ours go on after them.
    without_os_error(&error.to_string())
        .trim_end_matches('.')
        .to_lowercase()
}

/// `text` without a trailing `(os error N)`.
pub fn without_os_error(text: &str) -> &str {
    match text.find(" (os error") {
        Some(end) => &text[..end],
        None => text,
    }
}

/// A span of seconds as `11h 59m`, `14m`, or `expired`.
pub fn human_seconds(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".into();
    }
    let (hours, minutes) = (seconds / 3600, seconds % 3600 / 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// `text` as one line of at most `max` characters: control and format
/// characters (escape sequences, line breaks that could forge a line,
/// bidirectional overrides) and runs of white space become one space.
pub fn one_line(text: &str, max: usize) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_control() || c.is_whitespace() || is_format_control(c))
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    match line.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

/// An error's text as one line the terminal shows as it is: every control
/// or format character a value brought in (a line break that would forge a
/// second `awsmfa:` line, an escape sequence, a bidirectional override) is
/// written as its escape (`\n`, `\u{1b}`), so the value is still seen.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_format_control(c)) {
        return text.into();
    }
    text.chars()
        .map(|c| match c.is_control() || is_format_control(c) {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// Characters that change how text around them is shown without being
/// seen: bidirectional overrides and isolates (U+202E turns the rest of a
/// line around), marks, and zero-width joiners.
pub fn is_format_control(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}
