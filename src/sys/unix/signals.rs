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
    /// What the group's witness saw (see `Witness`), if it could be had.
    witness: Option<Witness>,
}

/// How long a signal sent to awsmfa alone may wait to be passed on, while
/// the witness says whether the whole process group got it.
const WITNESS_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// A process of awsmfa's own in its process group (the group the command
/// runs in), that does nothing but report every forwarded signal it gets.
/// A signal sent to the group (`kill -TERM -- -PGID`, a shell's `kill %1`)
/// reaches it, the command and awsmfa at once: when it reports the signal
/// awsmfa got, the command already has it and it is not sent again.
struct Witness {
    pid: Pid,
    reports: std::fs::File,
    /// Signals it reported, and when they were read.
    seen: Vec<(u8, std::time::Instant)>,
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
        let mut forwarded = SigSet::empty();
        for sig in FORWARDED {
            forwarded.add(sig);
        }
        // Held back from here until the handlers are in place; the witness
        // starts with them held back, and so never misses one.
        let before = forwarded.thread_swap_mask(signal::SigmaskHow::SIG_BLOCK);
        let witness = Witness::start(&forwarded);
        let action = SigAction::new(
            SigHandler::SigAction(on_signal),
            SaFlags::SA_RESTART | SaFlags::SA_SIGINFO,
            SigSet::empty(),
        );
        let mut installed = Ok(());
        for sig in FORWARDED {
            // SAFETY: the handler only loads an atomic and calls write(2),
            // both async-signal-safe.
            if let Err(e) = unsafe { signal::sigaction(sig, &action) } {
                installed = Err(failed(e));
            }
        }
        if let Ok(before) = before {
            let _ = before.thread_set_mask();
        }
        installed?;
        Ok(Signals {
            wake: read,
            witness,
        })
    }

    /// Waits for `child` while passing on the signals; how it ended.
    pub fn supervise(mut self, child: std::process::Child) -> Result<Ending> {
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
            // Nor a signal sent to the whole group.
            if let Some(witness) = &mut self.witness
                && witness.saw(number)
            {
                continue;
            }
            if let Ok(sig) = Signal::try_from(i32::from(number)) {
                let _ = signal::kill(pid, sig);
            }
        }
    }
}

impl Witness {
    /// Forks the witness. `forwarded` is held back in the calling thread.
    /// `None` when it cannot be had: every signal is then passed on.
    fn start(forwarded: &SigSet) -> Option<Witness> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok()?;
        nix::fcntl::fcntl(
            &read,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .ok()?;
        let parent = nix::unistd::getpid();
        let set = *forwarded.as_ref();
        let report_to = write.as_raw_fd();
        // SAFETY: the child runs only `witness`, which makes async-signal-safe
        // calls and never returns; the parent goes on as before.
        match unsafe { nix::unistd::fork() }.ok()? {
            nix::unistd::ForkResult::Child => {
                // SAFETY: this is the child of the fork, with the forwarded
                // signals held back (the mask is inherited), as `witness` needs.
                unsafe { witness(report_to, parent.as_raw(), &set) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                drop(write);
                Some(Witness {
                    pid: child,
                    reports: std::fs::File::from(read),
                    seen: Vec::new(),
                })
            }
        }
    }

    /// Whether the witness got `number` too, at about the time awsmfa got it
    /// (waiting a little for its report); a report it uses is gone.
    fn saw(&mut self, number: u8) -> bool {
        let asked = std::time::Instant::now();
        let deadline = asked + WITNESS_WAIT;
        loop {
            let mut bytes = [0u8; 64];
            while let Ok(n) = self.reports.read(&mut bytes) {
                if n == 0 {
                    break;
                }
                let now = std::time::Instant::now();
                self.seen.extend(bytes[..n].iter().map(|&b| (b, now)));
            }
            // Reports far older than this signal are of others.
            self.seen
                .retain(|(_, at)| asked.duration_since(*at) < WITNESS_WAIT * 2);
            if let Some(at) = self.seen.iter().position(|(b, _)| *b == number) {
                self.seen.remove(at);
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            let mut poll = [nix::poll::PollFd::new(
                std::os::fd::AsFd::as_fd(&self.reports),
                nix::poll::PollFlags::POLLIN,
            )];
            let left = u16::try_from((deadline - now).as_millis().max(1)).unwrap_or(u16::MAX);
            let _ = nix::poll::poll(&mut poll, left);
        }
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = signal::kill(self.pid, Signal::SIGKILL);
    }
}

/// The witness's life: closes every descriptor but its report pipe, takes
/// the forwarded signals out of the queue one by one and reports each, and
/// ends when awsmfa does.
///
/// # Safety
/// Only in the child of a fork, with `set` held back: it makes nothing but
/// async-signal-safe system calls, and never returns.
unsafe fn witness(report_to: i32, parent: libc::pid_t, set: &libc::sigset_t) -> ! {
    // SAFETY: each call below is an async-signal-safe system call on plain
    // values or on memory this function owns.
    unsafe {
        // Nothing of awsmfa's stays open here: not the endpoint's socket, a
        // lock, the terminal, or a pipe that a reader waits on to close.
        for fd in 0..4096 {
            if fd != report_to {
                libc::close(fd);
            }
        }
        for number in 1..32 {
            if libc::sigismember(set, number) == 1 {
                libc::signal(number, libc::SIG_DFL);
            }
        }
        // A name of its own, so `killall awsmfa-full` or `pkill awsmfa`
        // (which match the name) reach awsmfa and not its witness: a
        // signal both got would be taken as sent to the whole group.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::prctl(libc::PR_SET_NAME, c"signal-witness".as_ptr());
        let second = libc::timespec {
            tv_sec: 1,
            tv_nsec: 0,
        };
        loop {
            let number = libc::sigtimedwait(set, std::ptr::null_mut(), &second);
            if number > 0 {
                let byte = number as u8;
                libc::write(report_to, (&byte as *const u8).cast(), 1);
            }
            if libc::getppid() != parent {
                libc::_exit(0);
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
