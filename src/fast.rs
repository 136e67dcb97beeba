//! The `awsmfa` front: a small program for the path taken thousands of times
//! a day, a cache hit. It parses the command line, reads the two AWS files
//! and one cache entry, and execs the command (or prints `export` and
//! `credential-process`). Anything else, a miss, a warning to give, a flag
//! such as `-v`, `--refresh` or `--server`, or any error, goes unchanged to
//! `awsmfa-full` beside it, which does everything and says everything.
//!
//! It never prints, prompts or touches the network, and it links none of
//! the SDK, TLS or async code: starting it costs little more than `env`.

use crate::cli::{Command, SessionArgs};
use crate::profile::{Files, Plan, Request};
use crate::session::cache::Cache;
use crate::session::{self, Credentials};
use clap::{Args, FromArgMatches};
use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

/// The program that does everything, installed beside `awsmfa`.
pub const FULL: &str = "awsmfa-full";

/// Serves a cache hit, or hands the run to `awsmfa-full`; the exit status.
pub fn main() -> u8 {
    crate::protect_process();
    if let Some(command) = parse()
        && let Some(status) = serve(command)
    {
        return status;
    }
    hand_over()
}

/// The subcommands a cache hit can serve, parsed by their own definitions
/// in `cli` (building the whole command line's definition would cost more
/// than the rest of a hit); `None` for any other word or any error.
fn parse() -> Option<Command> {
    fn parsed<T: Args + FromArgMatches>(name: &'static str) -> Option<T> {
        let matches = T::augment_args(clap::Command::new(name))
            .try_get_matches_from(std::env::args_os().skip(1))
            .ok()?;
        T::from_arg_matches(&matches).ok()
    }
    let name = std::env::args_os().nth(1)?;
    match name.to_str()? {
        "exec" => parsed("exec").map(Command::Exec),
        "export" => parsed("export").map(Command::Export),
        "credential-process" => parsed("credential-process").map(Command::CredentialProcess),
        _ => None,
    }
}

/// The run, if it is a plain cache hit; `None` for anything else.
fn serve(command: Command) -> Option<u8> {
    match command {
        Command::Exec(args) if !args.server => {
            let program = crate::exec::find(args.command, &|name| std::env::var_os(name)).ok()?;
            let (plan, credentials) = cached(&args.session)?;
            let vars =
                crate::env::session_vars(&credentials, plan.region.as_deref(), &plan.profile);
            let env = crate::env::child_env(std::env::vars_os(), vars);
            // Returns only if the command cannot be run: the full program
            // then says why, with the right status.
            let _ = crate::exec::replace(&program, env);
            None
        }
        Command::Export(args) => {
            let (plan, credentials) = cached(&args.session)?;
            let text = crate::export::render(
                args.format,
                &credentials,
                plan.region.as_deref(),
                &plan.profile,
            )
            .ok()?;
            print(text.as_bytes())
        }
        Command::CredentialProcess(args) => {
            let (_, credentials) = cached(&args)?;
            print(crate::export::credential_process(&credentials).as_bytes())
        }
        _ => None,
    }
}

/// The cached credentials a run would use, if they are good for the
/// minimum time to live and nothing needs saying.
fn cached(args: &SessionArgs) -> Option<(Plan, Credentials)> {
    if args.refresh || args.verbose || crate::non_utf8_var().is_some() {
        return None;
    }
    let var = |name: &str| std::env::var(name).ok();
    // A code given must be well formed, or the full program says so.
    crate::mfa::given_code(args.token_code.as_ref(), var("AWSMFA_TOKEN_CODE")).ok()?;
    let request = Request::new(
        args.profile.as_deref(),
        args.region.as_deref(),
        args.duration,
        &var,
    )
    .ok()?;
    // Never dropped: the process execs or exits right after, and freeing a
    // large file's profiles one by one would cost more than reading them.
    let files = std::mem::ManuallyDrop::new(Files::load(&var).ok()?);
    let plan = files.resolve(&request).ok()?;
    let cache = Cache::new(&var).ok()?;
    let min_ttl = match args.min_ttl {
        Some(seconds) => seconds,
        None => match var("AWSMFA_MIN_TTL").filter(|v| !v.is_empty()) {
            Some(text) => crate::cli::parse_seconds(&text).ok()?,
            None => session::DEFAULT_MIN_TTL,
        },
    };
    let credentials = match session::cached(&plan, &cache, min_ttl) {
        Some(credentials) => credentials,
        None => {
            // Another run may be getting this very session (twenty runs of
            // `make -j`): wait quietly a little, and serve what it stores.
            let key = session::keys(&plan).pop()?;
            if !cache.wait_while_locked(&key, crate::session::cache::QUIET_WAIT) {
                return None;
            }
            session::cached(&plan, &cache, min_ttl)?
        }
    };
    Some((plan, credentials))
}

fn print(bytes: &[u8]) -> Option<u8> {
    let mut out = std::io::stdout().lock();
    // A failed write is the full program's to report.
    out.write_all(bytes).and_then(|()| out.flush()).ok()?;
    Some(0)
}

/// Replaces this process with `awsmfa-full`, with the same arguments and
/// environment. Returns only if that cannot be done.
fn hand_over() -> u8 {
    let status = if std::env::args_os().nth(1).is_some_and(|a| a == "exec") {
        125
    } else {
        1
    };
    let full = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(FULL),
        Err(e) => {
            crate::say!(
                "awsmfa: cannot find where awsmfa is installed: {}",
                crate::io_reason(&e)
            );
            return status;
        }
    };
    let cstring = |value: OsString| CString::new(value.into_vec()).ok();
    let argv: Option<Vec<CString>> = std::env::args_os().map(cstring).collect();
    let path = cstring(full.clone().into_os_string());
    if let (Some(path), Some(argv)) = (path, argv) {
        let errno = match nix::unistd::execv(&path, &argv) {
            Err(errno) => errno,
            Ok(never) => match never {},
        };
        crate::say!(
            "awsmfa: cannot run {}: {}",
            full.display(),
            errno.desc().to_lowercase()
        );
        crate::say!("hint: awsmfa and {FULL} are installed together: cargo install --path .");
    } else {
        crate::say!("awsmfa: an argument contains a NUL byte");
    }
    status
}
