//! awsmfa: run commands with an MFA-backed AWS session.
//!
//! A run flows through the modules in this order:
//! `cli` → `profile` → `session` (cache hit, or lock + `mfa` + STS) → `env` → `exec`.
//!
//! Two programs share this library: `awsmfa` (`fast`) serves cache hits and
//! hands everything else to `awsmfa-full` (`commands`), which does it all.

pub mod child;
pub mod cli;
pub mod commands;
pub mod completions;
pub mod doctor;
pub mod env;
pub mod error;
pub mod exec;
pub mod export;
pub mod fast;
pub mod list;
pub mod login;
pub mod mfa;
pub mod profile;
pub mod secret;
pub mod server;
pub mod session;
pub mod status;

/// An I/O error in words, without Rust's `(os error N)` suffix.
pub fn io_reason(error: &std::io::Error) -> String {
    without_os_error(&error.to_string()).to_lowercase()
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
