//! Everything that differs between platforms, behind one small interface:
//! running the command, signals and the console, the terminal prompt, and
//! the owner and mode checks on private files. Every `unsafe` block of the
//! crate lives here, each with its `SAFETY:` line.
//!
//! The interface, which each platform's module provides:
//! - `protect_process`: keep this process's memory from the user's other processes;
//! - `replace`, `exec_same`: become the command, or `awsmfa-full`;
//! - `is_executable`: whether a found file can be run;
//! - `Signals`, `Ending`: a child watched over, and ended the way it ended;
//! - `Terminal`, `restore_terminal`, `ctrl_c_only_cancels`: the prompt;
//! - `private`: opening and creating files only the user can read;
//! - `process_is_gone`: whether a run that left files behind still lives.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
