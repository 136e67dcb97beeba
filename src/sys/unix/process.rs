//! Becoming another program (`execve`), and keeping this one's memory to itself.

use crate::error::Error;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

/// The variable naming the user's shell, and the shell when it is not set:
/// what `exec` runs with no command.
pub const SHELL: (&str, &str) = ("SHELL", "/bin/sh");

/// The variable of the user's home folder, and of the cache folder when the
/// platform's own way (`dirs`) is not to be used.
pub const HOME: &str = "HOME";
pub const CACHE_HOME: Option<&str> = None;

/// The program that opens a URL in the user's browser.
pub const OPENER: &str = if cfg!(target_os = "macos") {
    "open"
} else {
    "xdg-open"
};

/// Keeps secrets out of core files and away from other processes of the
/// user (ptrace, /proc/PID/mem): the process is made non-dumpable. A command
/// exec'd afterwards is dumpable again.
pub fn protect_process() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_dumpable(false);
}

/// Why the file found at `path` cannot be run by this user, if it cannot.
pub fn not_runnable(path: &Path) -> Option<&'static str> {
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK)
        .is_err()
        .then_some("permission denied")
}

/// The arguments the C runtime passed to `main`, the program's name first.
/// (std reads them by itself only with glibc, which hands them to
/// initialisers; musl does not, so the front, whose `main` is its own,
/// takes them here.)
///
/// # Safety
///
/// `argv` holds `argc` pointers, each null or to a NUL-terminated string.
pub unsafe fn c_args(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .filter_map(|index| {
            // SAFETY: `index` < `argc`, so the pointer is in `argv` (the
            // caller's promise).
            let arg = unsafe { *argv.add(index) };
            // SAFETY: a non-null entry is a NUL-terminated string (the same).
            (!arg.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(arg) })
        })
        .map(|arg| OsString::from_vec(arg.to_bytes().to_vec()))
        .collect()
}

/// The file this program was started as (the name `execve` was given, from
/// the auxiliary vector), for where `/proc` is not mounted (a bare chroot)
/// and `std::env::current_exe` cannot tell. Relative to the folder the
/// program started in, when it was started so.
#[cfg(target_os = "linux")]
pub fn started_as() -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: getauxval reads the auxiliary vector the kernel gave this
    // process; it has no preconditions.
    let name = unsafe { nix::libc::getauxval(nix::libc::AT_EXECFN) };
    if name == 0 {
        return None;
    }
    // SAFETY: AT_EXECFN is the address of a NUL-terminated string the kernel
    // put on the initial stack, there for the whole run.
    let name = unsafe { std::ffi::CStr::from_ptr(name as *const std::ffi::c_char) };
    Some(std::ffi::OsStr::from_bytes(name.to_bytes()).into())
}

/// See the Linux version: elsewhere `current_exe` needs no `/proc`.
#[cfg(not(target_os = "linux"))]
pub fn started_as() -> Option<std::path::PathBuf> {
    None
}

/// Replaces this process with `path`, given `args` (its own name first) and
/// this environment. Returns, with the reason, only if that cannot be done.
pub fn exec_same(path: &Path, args: &[OsString]) -> String {
    let (Ok(program), Ok(argv)) = (
        c_string(path.as_os_str().to_owned()),
        args.iter()
            .cloned()
            .map(c_string)
            .collect::<Result<Vec<_>, _>>(),
    ) else {
        return "an argument contains a NUL byte".into();
    };
    let errno = match nix::unistd::execv(&program, &argv) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    // The kernel says "no such file" also when the file is there but the
    // program loader it names is not.
    if errno == nix::errno::Errno::ENOENT && path.is_file() {
        return "the file is there, but the program loader or a library it needs is missing \
                (built for another system? the release archives' Linux programs are static)"
            .into();
    }
    errno.desc().to_lowercase()
}

/// Replaces this process with the program at `path`, given `argv` (the
/// name it was asked for first) and `env`. Returns only on failure.
pub fn replace(path: &Path, argv: &[OsString], env: Vec<(OsString, OsString)>) -> Error {
    let shown = argv[0].to_string_lossy().into_owned();
    let not_runnable = |reason: &str| Error::CommandNotRunnable {
        command: shown.clone(),
        reason: reason.into(),
    };
    let Ok(path) = c_string(path.as_os_str().to_owned()) else {
        return not_runnable("its path contains a NUL byte");
    };
    let Ok(argv) = argv
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

/// The program at `path` as a child to start, given `argv` (the name it was
/// asked for first, which it is started under), that
/// never outlives awsmfa: on Linux it is killed when awsmfa dies, however
/// awsmfa dies (SIGKILL, the OOM killer), so no other process can take over
/// the endpoint's port and serve it credentials.
pub fn child_command(path: &Path, argv: &[OsString]) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(path);
    command.arg0(&argv[0]).args(&argv[1..]);
    let parent = std::process::id();
    // SAFETY: between fork and exec the closure makes only system calls
    // (getrlimit, setrlimit, prctl, getppid) and loads an atomic, all
    // async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            super::private::restore_open_files_limit();
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)?;
                // awsmfa may have died before the line above took effect.
                if nix::unistd::getppid().as_raw() as u32 != parent {
                    return Err(std::io::Error::other("awsmfa has ended"));
                }
            }
            let _ = parent;
            Ok(())
        });
    }
    command
}

/// Ends `child` and every process it started that still runs (SIGKILL),
/// and reaps it. The process tree is read from /proc where there is one;
/// elsewhere only `child` is ended. The group is left alone on purpose:
/// `mfa_process` stays in the terminal's foreground group, so a program that
/// asks for a PIN on /dev/tty can still read it.
pub fn end_process_tree(child: &mut std::process::Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let signal = |pid: u32, signal: Signal| {
        if let Ok(pid) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    };
    // Stopped first, so none of them starts another or reports the others'
    // deaths ("Killed"); found again once, for any started meanwhile.
    let root = child.id();
    signal(root, Signal::SIGSTOP);
    let mut tree = descendants(root);
    for _ in 0..2 {
        for pid in &tree {
            signal(*pid, Signal::SIGSTOP);
        }
        for pid in descendants(root) {
            if !tree.contains(&pid) {
                tree.push(pid);
            }
        }
    }
    let _ = child.kill();
    for pid in tree {
        signal(pid, Signal::SIGKILL);
    }
    let _ = child.wait();
}

/// Every process below `root`, read from /proc (empty where there is none).
fn descendants(root: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // (pid, parent) of every process.
    let parents: Vec<(u32, u32)> = dir
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold anything, even ") ".
            let after = &stat[stat.rfind(')')? + 1..];
            let parent = after.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, parent))
        })
        .collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(pid, ppid)| *ppid == parent && !found.contains(pid))
                .map(|(pid, _)| *pid)
                .collect::<Vec<_>>(),
        );
        next += 1;
    }
    found.remove(0);
    found
}

/// Removes `path` (a folder) after `delay`, by a process of its own that
/// outlives this one; nothing is waited for. If it cannot be started, the
/// folder is left to the next run's sweep of dead runs' folders.
pub fn remove_later(path: &Path, delay: std::time::Duration) {
    use std::os::unix::process::CommandExt;
    let _ = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep \"$1\"; rm -rf -- \"$2\"", "sh"])
        .arg(delay.as_secs().to_string())
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Out of the terminal's group: Ctrl-C after awsmfa ends spares it.
        .process_group(0)
        .spawn();
}

/// A command line as the user's shell would run it (`mfa_process`).
pub fn shell_command(line: &str) -> std::process::Command {
    let mut command = std::process::Command::new("/bin/sh");
    command.arg("-c").arg(line);
    command
}

fn c_string(value: OsString) -> Result<CString, std::ffi::NulError> {
    CString::new(value.into_vec())
}
