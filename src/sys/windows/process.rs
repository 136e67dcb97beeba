//! Running another program in this one's place: nothing can replace itself
//! on Windows, so the program is started, waited for, and its exit code
//! becomes this one's.

use crate::error::Error;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// The variable naming the user's shell, and the shell when it is not set:
/// what `exec` runs with no command.
pub const SHELL: (&str, &str) = ("COMSPEC", "cmd.exe");

/// The variable of the user's home folder (`%USERPROFILE%`, as the AWS CLI
/// reads it: `HOME` is not read on Windows), and of the cache folder.
pub const HOME: &str = "USERPROFILE";
pub const CACHE_HOME: Option<&str> = Some("LOCALAPPDATA");

/// The program that opens a URL in the user's browser.
pub const OPENER: &str = "explorer";

/// Nothing to do: another user's processes cannot read this one's memory,
/// and Windows writes no core files.
pub fn protect_process() {}

/// Why the file at `path` cannot be run, if it cannot: Windows runs a file
/// by its extension, one of `PATHEXT` (`.exe`, `.cmd`, …).
pub fn not_runnable(path: &Path) -> Option<&'static str> {
    let pathext = std::env::var("PATHEXT").unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".into());
    let runnable = path.extension().is_some_and(|extension| {
        let extension = format!(".{}", extension.to_string_lossy());
        pathext
            .split(';')
            .any(|known| known.eq_ignore_ascii_case(&extension))
    });
    (!runnable).then_some("it is not a program (its extension is not in PATHEXT)")
}

/// Runs `path` with `args` (its own name first) and this environment, and
/// exits with its exit code. Returns, with the reason, only if it cannot start.
pub fn exec_same(path: &Path, args: &[OsString]) -> String {
    let mut command = Command::new(path);
    command.args(args.iter().skip(1));
    let Err(e) = run_in_place(command);
    crate::io_reason(&e)
}

/// Runs the program at `path`, given `argv` (the name it was asked for
/// first) and `env`, in this one's place (`exec`). Returns only on failure.
pub fn replace(path: &Path, argv: &[OsString], env: Vec<(OsString, OsString)>) -> Error {
    let mut command = child_command(path, argv);
    command.env_clear().envs(env);
    let Err(e) = run_in_place(command);
    let shown = argv[0].to_string_lossy().into_owned();
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(shown),
        _ => Error::CommandNotRunnable {
            command: shown,
            reason: crate::io_reason(&e),
        },
    }
}

/// Starts `command` with Ctrl-C and Ctrl-Break left to it (the console
/// sends them to every process on it: awsmfa ignores them meanwhile, so the
/// command alone decides), waits, and exits with its exit code.
fn run_in_place(mut command: Command) -> std::io::Result<std::convert::Infallible> {
    super::leave_console_events_to_the_child();
    let mut child = command.spawn()?;
    let status = child.wait()?;
    super::restore_terminal();
    // A code Rust cannot read (none) is a failure all the same.
    std::process::exit(status.code().unwrap_or(1))
}

/// The program at `path` as a child to start, given `argv` (its name
/// first, which Windows does not pass on). A `.cmd` or `.bat` runs through
/// `cmd.exe`, its arguments quoted for it by std.
pub fn child_command(path: &Path, argv: &[OsString]) -> Command {
    let mut command = Command::new(path);
    command.args(&argv[1..]);
    command
}

/// Ends `child` and reaps it (what it started is left to the job it runs in).
pub fn end_process_tree(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Leaves `path` to the next run's sweep of dead runs' folders (Windows
/// has no `sleep; rm` to leave behind).
pub fn remove_later(_path: &Path, _delay: std::time::Duration) {}

/// A command line as the AWS CLI runs one on Windows (`mfa_process`): no
/// shell, the words split as it splits them.
pub fn shell_command(line: &str) -> Command {
    let words = crate::sys::split_windows_command(line);
    let mut words = words.into_iter();
    let mut command = Command::new(words.next().unwrap_or_default());
    command.args(words);
    command
}

/// The 8.3 short form of an existing path (`C:\Users\JOHNSM~1\…`), which
/// has no spaces where the volume keeps short names: a line that `cmd /C`
/// runs then needs no quotes (which the SDKs' own escaping breaks). `None`
/// where there is no short form.
pub fn short_path(path: &Path) -> Option<std::path::PathBuf> {
    use std::os::windows::ffi::{OsStrExt, OsStringExt};
    use windows_sys::Win32::Storage::FileSystem::GetShortPathNameW;
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    let mut buffer = vec![0u16; 1024];
    // SAFETY: `wide` is NUL-terminated; `buffer` is writable for its length.
    let length =
        unsafe { GetShortPathNameW(wide.as_ptr(), buffer.as_mut_ptr(), buffer.len() as u32) };
    let length = usize::try_from(length).ok()?;
    if length == 0 || length >= buffer.len() {
        return None;
    }
    buffer.truncate(length);
    Some(OsString::from_wide(&buffer).into())
}

/// Windows tells `current_exe` without `/proc`: nothing else to ask.
pub fn started_as() -> Option<std::path::PathBuf> {
    None
}
