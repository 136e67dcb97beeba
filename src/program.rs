//! The command to run: found on PATH before anything else happens (a typo
//! costs no code), then run by the platform's means (`sys::replace`).

use crate::error::{Error, Result};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// A command found and ready to run.
pub struct Program {
    pub path: PathBuf,
    pub argv: Vec<OsString>,
}

/// Finds the command, or the user's shell (`sys::SHELL`) when none is given.
pub fn find(mut argv: Vec<OsString>, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Program> {
    if argv.is_empty() {
        let (variable, fallback) = crate::sys::SHELL;
        let shell = env(variable)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| fallback.into());
        argv.push(shell);
    }
    let name = argv[0].clone();
    let shown = || name.to_string_lossy().into_owned();
    // A name with a folder in it (`./deploy.sh`, `/bin/ls`) is not searched for.
    let has_folder = name
        .to_string_lossy()
        .contains(['/', std::path::MAIN_SEPARATOR]);
    let path = if has_folder {
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
    if let Some(why) = crate::sys::not_runnable(&path) {
        return Err(not_runnable(why));
    }
    Ok(Program { path, argv })
}

fn on_path_but_not_executable(name: &OsStr, search: &OsStr) -> bool {
    std::env::split_paths(search).any(|dir| dir.join(name).is_file())
}

/// Replaces this process with the program (`execve`): the command keeps
/// the pid, gets signals directly and its exit status is the status.
/// Returns only on failure.
pub fn replace(program: &Program, env: Vec<(OsString, OsString)>) -> Error {
    crate::sys::replace(&program.path, &program.argv, env)
}
