//! A child watched over (`exec --server`). Windows has no signals to pass
//! on: Ctrl-C and Ctrl-Break reach every process on the console, the child
//! included, so awsmfa ignores them and waits for the child to decide.

use crate::error::{Error, Result};
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::core::BOOL;

/// How the child ended: its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
}

/// Console events left to the child from the moment this exists.
pub struct Signals(());

impl Signals {
    pub fn catch() -> Result<Signals> {
        leave_console_events_to_the_child();
        Ok(Signals(()))
    }

    /// Waits for `child`; how it ended.
    pub fn supervise(self, mut child: std::process::Child) -> Result<Ending> {
        let status = child.wait().map_err(|e| {
            Error::Server(format!(
                "cannot wait for the command: {}",
                crate::io_reason(&e)
            ))
        })?;
        Ok(Ending::Exited(status.code().unwrap_or(1)))
    }
}

impl Ending {
    /// Ends awsmfa with the child's exit code.
    pub fn mirror(self) -> ! {
        // A refresh may be asking for a code right now.
        super::restore_terminal();
        match self {
            Ending::Exited(code) => std::process::exit(code),
        }
    }
}

/// Ctrl-C and Ctrl-Break are the child's from now on. A handler, not
/// `SetConsoleCtrlHandler(NULL, TRUE)`: that one would be inherited, and the
/// child would ignore Ctrl-C too. Closing the console still ends awsmfa.
pub fn leave_console_events_to_the_child() {
    unsafe extern "system" fn ignore(event: u32) -> BOOL {
        BOOL::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
    }
    // SAFETY: `ignore` is a valid handler for the life of the process; it
    // touches no state.
    unsafe { SetConsoleCtrlHandler(Some(ignore), 1) };
}

/// Nothing to do: Windows has no file-size signal.
pub fn no_file_size_signal() -> impl Drop {
    struct Nothing;
    impl Drop for Nothing {
        fn drop(&mut self) {}
    }
    Nothing
}
