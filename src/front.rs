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
use crate::commands::export;
use crate::session::{Credentials, Setup};
use crate::settings::Settings;
use clap::{Args, FromArgMatches};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::mem::ManuallyDrop;

/// The program that does everything, installed beside `awsmfa`.
pub const FULL: &str = "awsmfa-full";

/// Serves a cache hit, or hands the run to `awsmfa-full`; the exit status.
/// `args` are the program's arguments, its own name first.
pub fn main(args: Vec<OsString>) -> u8 {
    crate::sys::protect_process();
    if let Some(command) = parse(&args)
        && let Some(status) = serve(command)
    {
        return status;
    }
    hand_over(&args)
}

/// The subcommands a cache hit can serve, parsed by their own definitions
/// in `cli` (building the whole command line's definition would cost more
/// than the rest of a hit); `None` for any other word or any error.
fn parse(args: &[OsString]) -> Option<Command> {
    fn parsed<T: Args + FromArgMatches>(name: &'static str, args: &[OsString]) -> Option<T> {
        let matches = T::augment_args(clap::Command::new(name))
            .try_get_matches_from(args.iter().skip(1))
            .ok()?;
        T::from_arg_matches(&matches).ok()
    }
    match args.get(1)?.to_str()? {
        "exec" => parsed("exec", args).map(Command::Exec),
        "export" => parsed("export", args).map(Command::Export),
        "credential-process" => parsed("credential-process", args).map(Command::CredentialProcess),
        _ => None,
    }
}

/// The run, if it is a plain cache hit; `None` for anything else.
fn serve(command: Command) -> Option<u8> {
    match command {
        // With no command, a shell starts, and the full program says so; a
        // command with a --profile of its own gets a word from it too.
        Command::Exec(args)
            if !args.server
                && !args.command.is_empty()
                && !args.command.iter().skip(1).any(|word| {
                    word.to_str()
                        .is_some_and(|w| w == "--profile" || w.starts_with("--profile="))
                }) =>
        {
            let program =
                crate::program::find(args.command, &|name| std::env::var_os(name)).ok()?;
            let (setup, credentials) = cached(&args.session)?;
            let plan = &setup.plan;
            let vars =
                crate::env::session_vars(&credentials, plan.region.as_deref(), &plan.profile);
            let env = crate::env::child_env(std::env::vars_os(), vars);
            // Returns only if the command cannot be run: the full program
            // then says why, with the right status.
            let _ = crate::program::replace(&program, env);
            None
        }
        // To a terminal, the full program adds how to use what it prints.
        Command::Export(args) if !std::io::stdout().is_terminal() => {
            let (setup, credentials) = cached(&args.session)?;
            let plan = &setup.plan;
            let text = export::render(
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
            print(export::credential_process(&credentials).as_bytes())
        }
        _ => None,
    }
}

/// The set-up and the cached credentials a run would use, if they are
/// usable and nothing needs saying.
fn cached(args: &SessionArgs) -> Option<(ManuallyDrop<Setup>, Credentials)> {
    if args.refresh || args.verbose {
        return None;
    }
    // Any setting that cannot be right is the full program's to report.
    let settings = Settings::from_process(&args.flags()).ok()?;
    // Never dropped: the process execs or exits right after, and freeing a
    // large file's profiles one by one would cost more than reading them.
    let setup = ManuallyDrop::new(Setup::new(&settings).ok()?);
    let credentials = setup.cached()?;
    Some((setup, credentials))
}

fn print(bytes: &[u8]) -> Option<u8> {
    let mut out = std::io::stdout().lock();
    // A failed write is the full program's to report.
    out.write_all(bytes).and_then(|()| out.flush()).ok()?;
    Some(0)
}

/// Replaces this process with `awsmfa-full`, with the same arguments and
/// environment. Returns only if that cannot be done.
fn hand_over(args: &[OsString]) -> u8 {
    let status = if args.get(1).is_some_and(|a| a == "exec") {
        125
    } else {
        1
    };
    // Without /proc (a bare chroot), the name it was started as.
    let exe = std::env::current_exe().or_else(|e| crate::sys::started_as().ok_or(e));
    let full = match exe {
        Ok(exe) => exe.with_file_name(format!("{FULL}{}", std::env::consts::EXE_SUFFIX)),
        Err(e) => {
            crate::say!(
                "awsmfa: cannot find where awsmfa is installed: {}",
                crate::io_reason(&e)
            );
            return status;
        }
    };
    let why = crate::sys::exec_same(&full, args);
    crate::say!("awsmfa: cannot run {}: {why}", full.display());
    crate::say!("hint: awsmfa and {FULL} are installed together: cargo install --locked --path .");
    status
}
