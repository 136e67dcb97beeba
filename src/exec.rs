//! Running the command: found on PATH before anything else happens, then
//! awsmfa replaces itself with it (`execve`), so the command keeps the pid,
//! gets signals directly and its exit status is the status.

use crate::error::{Error, Result};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// A command found and ready to run.
pub struct Program {
    pub path: PathBuf,
    pub argv: Vec<OsString>,
}

/// Finds the command, or the user's `$SHELL` (else `/bin/sh`) when none is given.
pub fn find(mut argv: Vec<OsString>, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Program> {
    if argv.is_empty() {
        let shell = env("SHELL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/bin/sh".into());
        argv.push(shell);
    }
    let name = argv[0].clone();
    let shown = || name.to_string_lossy().into_owned();
    let path = if name.as_bytes().contains(&b'/') {
        let path = PathBuf::from(&name);
        if !path.exists() {
            return Err(Error::not_found(shown()));
        }
        path
    } else {
        let search = env("PATH").unwrap_or_default();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        match which::which_in(&name, Some(&search), cwd) {
            Ok(path) => path,
            Err(_) if on_path_but_not_executable(&name, &search) => {
                return Err(Error::CommandNotRunnable {
                    command: shown(),
                    reason: "permission denied".into(),
                });
            }
            Err(_) => return Err(Error::not_found(shown())),
        }
    };
    let not_runnable = |reason: &str| Error::CommandNotRunnable {
        command: shown(),
        reason: reason.into(),
    };
    if path.is_dir() {
        return Err(not_runnable("is a directory"));
    }
    if nix::unistd::access(&path, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(not_runnable("permission denied"));
    }
    Ok(Program { path, argv })
}

fn on_path_but_not_executable(name: &OsStr, search: &OsStr) -> bool {
    std::env::split_paths(search).any(|dir| dir.join(name).is_file())
}

/// Replaces this process with the program. Returns only on failure.
pub fn replace(program: &Program, env: Vec<(OsString, OsString)>) -> Error {
    let shown = program.argv[0].to_string_lossy().into_owned();
    let not_runnable = |reason: &str| Error::CommandNotRunnable {
        command: shown.clone(),
        reason: reason.into(),
    };
    let Ok(path) = c_string(program.path.as_os_str().to_owned()) else {
        return not_runnable("its path contains a NUL byte");
    };
    let Ok(argv) = program
        .argv
        .iter()
        .cloned()
        .map(c_string)
        .collect::<Result<Vec<_>, _>>()
    else {
        return not_runnable("an argument contains a NUL byte");
    };
    let envp: Vec<CString> = env
        .into_iter()
        .filter_map(|(name, value)| {
            let mut pair = name.into_vec();
            pair.push(b'=');
            pair.extend(value.into_vec());
            CString::new(pair).ok()
        })
        .collect();
    // Rust ignores SIGPIPE, and an ignored signal stays ignored across
    // execve: give the command the default, as a shell would.
    // SAFETY: no handler is installed; SIG_DFL is always valid.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let errno = match nix::unistd::execve(&path, &argv, &envp) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    if errno == nix::errno::Errno::ENOEXEC {
        // A script without a #! line: run it with the shell, as execvp does.
        let mut shell_argv = vec![CString::from(c"/bin/sh")];
        shell_argv.push(path.clone());
        shell_argv.extend(argv.into_iter().skip(1));
        let errno = match nix::unistd::execve(c"/bin/sh", &shell_argv, &envp) {
            Err(errno) => errno,
            Ok(never) => match never {},
        };
        return not_runnable(errno.desc());
    }
    match errno {
        nix::errno::Errno::ENOENT => Error::not_found(shown),
        errno => not_runnable(&errno.desc().to_lowercase()),
    }
}

fn c_string(value: OsString) -> Result<CString, std::ffi::NulError> {
    CString::new(value.into_vec())
}
