//! Running the command as a child rather than becoming it (`exec --server`):
//! spawn, pass on the signals sent to awsmfa (`sys::Signals`), wait, and end
//! the way the child ended, so a shell sees what it would have seen without
//! awsmfa.

use crate::error::{Error, Result};
use crate::program::Program;
use crate::sys::{Ending, Signals};
use std::ffi::OsString;

/// A child command with awsmfa watching over it.
pub struct Supervisor {
    signals: Signals,
}

impl Supervisor {
    /// Starts catching the forwarded signals, before the child exists, so
    /// none sent in between is lost.
    pub fn new() -> Result<Supervisor> {
        Ok(Supervisor {
            signals: Signals::catch()?,
        })
    }

    /// Starts `program` with `env`, then waits for it while passing on
    /// signals. Spawn failures are 126/127 errors, as for `exec`.
    pub fn run(self, program: &Program, env: Vec<(OsString, OsString)>) -> Result<Ending> {
        let mut command = crate::sys::child_command(&program.path, &program.argv);
        command.env_clear().envs(env);
        let child = command.spawn().map_err(|e| {
            let shown = program.argv[0].to_string_lossy().into_owned();
            match e.kind() {
                std::io::ErrorKind::NotFound => Error::not_found(shown),
                _ => Error::CommandNotRunnable {
                    command: shown,
                    reason: crate::io_reason(&e),
                },
            }
        })?;
        self.signals.supervise(child)
    }
}
