//! The prompt on the controlling terminal (`/dev/tty`, never stdin, which
//! belongs to the command): echo off while a code is typed, and the
//! terminal given back whatever ends the prompt, a signal included.

use crate::error::{Error, Result};
use nix::libc;
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

/// The controlling terminal, with this process in its foreground.
pub struct Terminal(File);

/// Whether this process has a controlling terminal but is not in its
/// foreground (a job started with `&`), where reading it would stop it.
pub fn in_background() -> bool {
    let Ok(tty) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY)
        .open("/dev/tty")
    else {
        return false;
    };
    nix::unistd::isatty(&tty).unwrap_or(false)
        && nix::unistd::tcgetpgrp(&tty).is_ok_and(|group| group != nix::unistd::getpgrp())
}

impl Terminal {
    /// The terminal, if there is one and this process may read it: only in
    /// the foreground, since a background process that reads the terminal
    /// is stopped (as when `exec --server` runs a shell with job control,
    /// which takes the foreground for its own jobs).
    pub fn open() -> Option<Terminal> {
        let tty = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open("/dev/tty")
            .ok()?;
        let foreground = nix::unistd::isatty(&tty).unwrap_or(false)
            && nix::unistd::tcgetpgrp(&tty) == Ok(nix::unistd::getpgrp());
        foreground.then_some(Terminal(tty))
    }

    /// Shows `text` and reads a line with echo off.
    pub fn prompt(&mut self, text: &str) -> Result<String> {
        prompt(&mut self.0, text)
    }

    /// Tells the person at the terminal something, on a line of its own.
    pub fn say(&mut self, line: &str) {
        let _ = writeln!(self.0, "{line}");
    }
}

/// Asks on the terminal with echo off. Ctrl-C restores the terminal, then
/// interrupts awsmfa as it would have without the prompt.
fn prompt(tty: &mut File, text: &str) -> Result<String> {
    let failed =
        |e: nix::errno::Errno| Error::Mfa(format!("cannot read from the terminal: {}", e.desc()));
    let saved = termios::tcgetattr(&*tty).map_err(failed)?;
    let mut quiet = saved.clone();
    quiet
        .local_flags
        .remove(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG);
    quiet.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    quiet.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    let guard = EchoOff::enter(tty.as_raw_fd(), &saved);
    termios::tcsetattr(&*tty, SetArg::TCSAFLUSH, &quiet).map_err(failed)?;
    let restore = |tty: &mut File| {
        guard.leave();
        let _ = termios::tcsetattr(&*tty, SetArg::TCSAFLUSH, &saved);
        let _ = tty.write_all(b"\r\n");
    };
    let _ = tty.write_all(text.as_bytes());
    let typed = super::super::typed_line(tty);
    restore(tty);
    match typed {
        Ok(Some(line)) => Ok(line),
        Ok(None) => {
            if super::super::ctrl_c_interrupts() {
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGINT);
            }
            Err(Error::PromptCancelled)
        }
        Err(e) => Err(e),
    }
}

/// The terminal of a prompt that has echo turned off, and the settings to
/// give back. Atomics, so that a signal handler may read them.
static ECHO_OFF_FD: AtomicI32 = AtomicI32::new(-1);
static ECHO_OFF_SAVED: AtomicPtr<libc::termios> = AtomicPtr::new(std::ptr::null_mut());

/// Signals that end a process by default: during a prompt they give the
/// terminal back first (unless something else already handles them).
/// Every signal a process may catch whose default action ends it.
const FATAL: &[Signal] = &[
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGINT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
    Signal::SIGVTALRM,
    Signal::SIGPROF,
    Signal::SIGXCPU,
    Signal::SIGXFSZ,
    Signal::SIGIO,
    Signal::SIGSYS,
    Signal::SIGTRAP,
    Signal::SIGABRT,
    Signal::SIGPIPE,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Signal::SIGPWR,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Signal::SIGSTKFLT,
];

/// While it lives, a prompt's terminal is known to `restore_terminal`, and
/// a fatal signal restores it before ending the process.
struct EchoOff {
    previous: Vec<(Signal, SigAction)>,
}

impl EchoOff {
    fn enter(fd: RawFd, saved: &Termios) -> EchoOff {
        // Leaked on purpose: a handler in another thread may read it at any
        // time, and a run has at most a few prompts.
        let saved = Box::into_raw(Box::new(libc::termios::from(saved.clone())));
        ECHO_OFF_SAVED.store(saved, Ordering::SeqCst);
        ECHO_OFF_FD.store(fd, Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(restore_and_die),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for &sig in FATAL {
            // SAFETY: the handler only makes async-signal-safe calls.
            let Ok(old) = (unsafe { signal::sigaction(sig, &action) }) else {
                continue;
            };
            if matches!(old.handler(), SigHandler::SigDfl) {
                previous.push((sig, old));
            } else {
                // Someone else's (exec --server passes them on): theirs stays.
                // SAFETY: putting back the action that was there.
                let _ = unsafe { signal::sigaction(sig, &old) };
            }
        }
        EchoOff { previous }
    }

    fn leave(&self) {
        ECHO_OFF_FD.store(-1, Ordering::SeqCst);
        for (sig, old) in &self.previous {
            // SAFETY: putting back the default action.
            let _ = unsafe { signal::sigaction(*sig, old) };
        }
    }
}

/// Gives the terminal its settings back if a prompt (in another thread) is
/// waiting for a code: for a process about to end in the middle of one.
/// Async-signal-safe.
pub fn restore_terminal() {
    let fd = ECHO_OFF_FD.swap(-1, Ordering::SeqCst);
    let saved = ECHO_OFF_SAVED.load(Ordering::SeqCst);
    if fd >= 0 && !saved.is_null() {
        // SAFETY: `saved` points at a leaked termios that is never freed.
        unsafe {
            libc::tcsetattr(fd, libc::TCSAFLUSH, saved);
            libc::write(fd, b"\r\n".as_ptr().cast(), 2);
        }
    }
}

extern "C" fn restore_and_die(number: libc::c_int) {
    restore_terminal();
    // SAFETY: signal(2) and raise(3) are async-signal-safe.
    unsafe {
        libc::signal(number, libc::SIG_DFL);
        libc::raise(number);
    }
}
