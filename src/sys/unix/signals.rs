//! A child watched over (`exec --server`): the signals sent to awsmfa are
//! passed on to it once, it is waited for, and awsmfa ends the way it ended.

use crate::error::{Error, Result};
use nix::libc;
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals passed on to the child.
const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// The write end of the pipe that wakes the supervisor: a record of two
/// bytes per event, `[signal, from_terminal]`, or `[0, 0]` when the child ended.
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(Signal),
}

/// The forwarded signals, caught from the moment this exists.
pub struct Signals {
    wake: OwnedFd,
}

impl Signals {
    /// Starts catching the forwarded signals, before the child exists, so
    /// none sent in between is lost.
    pub fn catch() -> Result<Signals> {
        let failed = |e: nix::errno::Errno| {
            Error::Server(format!(
                "cannot watch for signals: {}",
                e.desc().to_lowercase()
            ))
        };
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(failed)?;
        nix::fcntl::fcntl(
            &write,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .map_err(failed)?;
        WAKE.store(write.as_raw_fd(), Ordering::SeqCst);
        // The write end lives as long as the process: handlers may use it at any time.
        std::mem::forget(write);
        let action = SigAction::new(
            SigHandler::SigAction(on_signal),
            SaFlags::SA_RESTART | SaFlags::SA_SIGINFO,
            SigSet::empty(),
        );
        for sig in FORWARDED {
            // SAFETY: the handler only loads an atomic and calls write(2),
            // both async-signal-safe.
            unsafe { signal::sigaction(sig, &action) }.map_err(failed)?;
        }
        Ok(Signals { wake: read })
    }

    /// Waits for `child` while passing on the signals; how it ended.
    pub fn supervise(self, child: std::process::Child) -> Result<Ending> {
        let pid = Pid::from_raw(child.id() as i32);
        // Wait without reaping, so the pid cannot be reused while signals
        // may still be sent to it; the supervisor reaps it below.
        std::thread::spawn(move || {
            while let Err(nix::errno::Errno::EINTR) =
                nix::sys::wait::waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
            {
            }
            wake(0, false);
        });
        let mut wake = std::fs::File::from(self.wake);
        let mut record = [0u8; 2];
        loop {
            if let Err(e) = wake.read_exact(&mut record) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                // Nothing can wake us any more: wait for the child itself.
                return reap(pid);
            }
            let [number, from_terminal] = record;
            if number == 0 {
                return reap(pid);
            }
            // A key the terminal turned into a signal went to the whole
            // foreground process group, the child included: not twice.
            if from_terminal == 1 {
                continue;
            }
            if let Ok(sig) = Signal::try_from(i32::from(number)) {
                let _ = signal::kill(pid, sig);
            }
        }
    }
}

fn reap(pid: Pid) -> Result<Ending> {
    loop {
        match nix::sys::wait::waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(Ending::Exited(code)),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(Ending::Signaled(sig)),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                return Err(Error::Server(format!(
                    "cannot wait for the command: {}",
                    e.desc().to_lowercase()
                )));
            }
        }
    }
}

impl Ending {
    /// Ends awsmfa the way the child ended: the same exit status, or the
    /// same signal (with no core file, which could hold credentials).
    pub fn mirror(self) -> ! {
        // A refresh may be asking for a code right now.
        super::restore_terminal();
        match self {
            Ending::Exited(code) => std::process::exit(code),
            Ending::Signaled(sig) => {
                let _ =
                    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
                // SAFETY: restoring the default action has no handler to race with.
                let _ = unsafe { signal::signal(sig, SigHandler::SigDfl) };
                let mut set = SigSet::empty();
                set.add(sig);
                let _ = set.thread_unblock();
                let _ = signal::raise(sig);
                // Only a signal whose default is to carry on gets here.
                std::process::exit(128 + sig as i32)
            }
        }
    }
}

extern "C" fn on_signal(number: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO.
    let from_terminal = !info.is_null() && unsafe { sent_by_terminal(&*info) };
    wake(number as u8, from_terminal);
}

/// Whether the kernel sent the signal for a key typed at the terminal
/// (Ctrl-C, Ctrl-\) rather than a process with kill(2).
fn sent_by_terminal(info: &libc::siginfo_t) -> bool {
    #[cfg(target_os = "linux")]
    {
        info.si_code == libc::SI_KERNEL
    }
    #[cfg(not(target_os = "linux"))]
    {
        // SAFETY: si_pid is valid for signals sent by kill(2) or the kernel.
        info.si_code <= 0 && unsafe { info.si_pid() } == 0
    }
}

fn wake(number: u8, from_terminal: bool) {
    let fd = WAKE.load(Ordering::SeqCst);
    if fd < 0 {
        return;
    }
    let record = [number, u8::from(from_terminal)];
    // SAFETY: write(2) on a pipe is async-signal-safe; a full pipe drops the record.
    unsafe { libc::write(fd, record.as_ptr().cast(), record.len()) };
}

/// Ignores a signal while it lives; then puts back what was there.
struct IgnoreSignal {
    signal: Signal,
    previous: Option<SigHandler>,
}

impl IgnoreSignal {
    fn new(signal: Signal) -> IgnoreSignal {
        // SAFETY: SIG_IGN installs no handler code.
        let previous = unsafe { signal::signal(signal, SigHandler::SigIgn) }.ok();
        IgnoreSignal { signal, previous }
    }
}

impl Drop for IgnoreSignal {
    fn drop(&mut self) {
        if let Some(previous) = self.previous {
            // SAFETY: putting back the disposition that was there.
            let _ = unsafe { signal::signal(self.signal, previous) };
        }
    }
}

/// While the guard lives, a write past a file-size limit (`ulimit -f`)
/// fails with EFBIG instead of killing the run with SIGXFSZ, which could
/// come after a code is spent.
pub fn no_file_size_signal() -> impl Drop {
    IgnoreSignal::new(Signal::SIGXFSZ)
}
