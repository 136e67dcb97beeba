//! awsmfa: run commands with an MFA-backed AWS session.
//!
//! A run flows through the modules in this order:
//! `cli` → `profile` → `session` (cache hit, or lock + `mfa` + STS) → `env` → `exec`.
//!
//! Two programs share this library: `awsmfa` (`fast`) serves cache hits and
//! hands everything else to `awsmfa-full` (`commands`), which does it all.

pub mod child;
/// `eprintln!` that cannot fail: stderr closed, full (`2>/dev/full`) or
/// broken must not abort a run that may already have spent a code.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

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

/// Keeps secrets out of core files and away from other processes of the
/// user (ptrace, /proc/PID/mem): the process is made non-dumpable. A command
/// exec'd afterwards is dumpable again.
pub fn protect_process() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_dumpable(false);
}

/// Every variable awsmfa reads as text.
pub const READ_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWSMFA_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWSMFA_CONFIG_FILE",
    "AWSMFA_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SIGNIN",
    "AWSMFA_TOKEN_CODE",
    "AWSMFA_DURATION",
    "AWSMFA_MIN_TTL",
    "AWSMFA_CACHE_DIR",
    "AWSMFA_LOCK_TIMEOUT",
    "AWSMFA_PROCESS_TIMEOUT",
    "HOME",
    "XDG_CACHE_HOME",
    "BROWSER",
];

/// The first of those whose value is not UTF-8: treating it as unset would
/// silently mean another profile, file or endpoint.
pub fn non_utf8_var() -> Option<&'static str> {
    READ_VARS
        .iter()
        .copied()
        .find(|name| matches!(std::env::var(name), Err(std::env::VarError::NotUnicode(_))))
}

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
