//! The one error type. Its `Display` is the message the user reads; `hint`
//! is an optional second line. `main.rs` alone turns it into an exit status.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag's value that cannot be right, found only once the AWS files
    /// are read (a role's longest session): a usage error, exit status 2.
    #[error("{0}")]
    Usage(String),
    /// The shared AWS files, a profile, or a setting is wrong.
    #[error("{message}")]
    Config {
        message: String,
        hint: Option<String>,
    },
    /// No MFA code could be had, or the one given is unusable.
    #[error("{0}")]
    Mfa(String),
    /// A code is needed and there is no source to get one from (no
    /// terminal, or one this run is in the background of).
    #[error("{}", no_code_source())]
    NoCodeSource,
    /// The person asked declined to give a code (Ctrl-C, or a dialog's Cancel).
    #[error("the MFA prompt was cancelled: no code was given")]
    PromptCancelled,
    /// A code that is not six digits.
    #[error("{0}")]
    MalformedCode(String),
    /// The code is the one STS last accepted for this device: STS would refuse it.
    #[error("that MFA code was already used for {serial}; wait for the next one")]
    UsedCode { serial: String },
    /// STS refused the MFA code.
    #[error("STS rejected the MFA code for {serial}")]
    MfaRejected { serial: String },
    /// STS could not be reached or answered with an error.
    #[error("{0}")]
    Sts(String),
    /// STS does not know the long-term access key (InvalidClientTokenId):
    /// it was deleted or rotated away. Trying again cannot help.
    #[error("{0}")]
    UnknownKey(String),
    /// The cache folder or one of its files.
    #[error("{0}")]
    Cache(String),
    /// The command to run is not on PATH.
    #[error("{command}: command not found")]
    CommandNotFound {
        command: String,
        hint: Option<String>,
    },
    /// The command exists but cannot be started.
    #[error("{command}: {reason}")]
    CommandNotRunnable { command: String, reason: String },
    /// The credentials endpoint of `exec --server`, or watching over its child.
    #[error("{0}")]
    Server(String),
    /// Console sign-in (`login`): the federation endpoint or the browser.
    #[error("{0}")]
    Signin(String),
    /// A failure already reported in the output (doctor's failed checks).
    #[error("see the report")]
    Reported,
    /// Writing the output the user asked for failed.
    #[error("{0}")]
    Output(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn config(message: impl fmt::Display) -> Self {
        Error::Config {
            message: message.to_string(),
            hint: None,
        }
    }

    pub fn config_with_hint(message: impl fmt::Display, hint: impl fmt::Display) -> Self {
        Error::Config {
            message: message.to_string(),
            hint: Some(hint.to_string()),
        }
    }

    /// A command that is not on PATH.
    pub fn not_found(command: String) -> Self {
        Error::CommandNotFound {
            command,
            hint: None,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Config { hint, .. } | Error::CommandNotFound { hint, .. } => hint.as_deref(),
            Error::MfaRejected { .. } => Some(
                "either the code was wrong (wait for a fresh one), or mfa_serial is not this \
                 user's device (wrong account or name): the IAM console shows its ARN under \
                 the user's Security credentials, as does aws iam list-mfa-devices",
            ),
            _ => None,
        }
    }

    /// The status a command other than `exec` exits with.
    pub fn status(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// The status `awsmfa exec` exits with, as `env(1)` does.
    pub fn exec_status(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::CommandNotFound { .. } => 127,
            Error::CommandNotRunnable { .. } => 126,
            _ => 125,
        }
    }
}

/// Why no code can be had, in the words that fit: a run in the background
/// of its terminal (a job started with `&`) has a terminal, but reading it
/// would stop the run.
fn no_code_source() -> &'static str {
    if crate::sys::in_background() {
        "an MFA code is needed, but this run is in the background of its terminal (a job \
         started with &), where asking would stop it: run it in the foreground (fg), pass \
         --token-code, set AWSMFA_TOKEN_CODE, or set mfa_process in the profile"
    } else {
        "an MFA code is needed and there is no terminal to ask on: pass --token-code, \
         set AWSMFA_TOKEN_CODE, or set mfa_process or mfa_prompt (zenity, kdialog, ykman, …) \
         in the profile"
    }
}
