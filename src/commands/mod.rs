//! Every command, for `awsmfa-full`: parses the command line, settles the
//! settings, dispatches to the command's own file, and turns an error into
//! one line on stderr and an exit status.

mod add;
mod clear;
pub mod completions;
mod credential_process;
pub mod doctor;
mod exec;
pub mod export;
pub mod list;
pub mod login;
mod remove;
mod rotate;
pub mod status;

use crate::cli::{Cli, Command, SessionArgs};
use crate::error::{Error, Result};
use crate::session::Setup;
use crate::settings::{Flags, Settings};
use clap::{CommandFactory, Parser};
use std::io::Write;
use std::process::ExitCode;

pub fn main() -> ExitCode {
    crate::sys::protect_process();
    let cli = parse_args();
    let is_exec = matches!(cli.command, Command::Exec(_));
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Reported) => ExitCode::FAILURE,
        Err(error) => {
            say_on_terminal(&format!("awsmfa: {}", crate::escaped(&error.to_string())));
            if let Some(hint) = error.hint() {
                say_on_terminal(&format!("hint: {}", crate::escaped(hint)));
            }
            ExitCode::from(if is_exec {
                error.exec_status()
            } else {
                error.status()
            })
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Exec(args) => exec::run(args),
        Command::Export(args) => export::run(&args),
        Command::CredentialProcess(args) => credential_process::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Clear(args) => clear::run(&args),
        Command::Login(args) => login::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::List(args) => list::run(&args),
        Command::Add(args) => add::run(&args),
        Command::Remove(args) => remove::run(&args),
        Command::Rotate(args) => rotate::run(&args),
        Command::Completions(args) => completions::run(&args),
    }
}

/// An error or hint line as `say!` writes it; on a terminal, broken at
/// spaces to its width (a terminal would cut words), the rest indented
/// under the first word after `awsmfa: ` or `hint: `.
fn say_on_terminal(line: &str) {
    let width = terminal_size::terminal_size_of(std::io::stderr()).map(|(w, _)| usize::from(w.0));
    match width {
        Some(width) => {
            let text = crate::words::for_people(line);
            let indent = text.find(": ").map_or(0, |at| at + 2);
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                crate::words::wrap(&text, width, indent)
            );
        }
        None => crate::say!("{line}"),
    }
}

/// The settings of a command with no session flags.
fn settings() -> Result<Settings> {
    Settings::from_process(&Flags::default())
}

/// The set-up of a command that gets a session.
fn setup(args: &SessionArgs) -> Result<Setup> {
    Setup::finding_device(&Settings::from_process(&args.flags())?)
}

/// The command line, or a usage error in awsmfa's words: one line, at most
/// a hint, exit status 2. Help and version go out as clap writes them.
fn parse_args() -> Cli {
    use clap::error::ErrorKind;
    let error = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(error) => error,
    };
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // As clap would, but a help that cannot be written is a failure
        // (`awsmfa --help >/dev/full`), not a success.
        let status = match error.print().and_then(|()| std::io::stdout().flush()) {
            Ok(()) => error.exit_code(),
            Err(e) => {
                crate::say!("awsmfa: cannot write the help: {}", crate::io_reason(&e));
                1
            }
        };
        std::process::exit(status)
    }
    if let Some(message) = bad_value(&error) {
        crate::say!("awsmfa: {}", crate::escaped(&message));
        std::process::exit(2)
    }
    let text = error.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let rest: Vec<&str> = lines.collect();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "the following required arguments were not provided:" lists them below.
    let message = match (first.strip_suffix(':'), rest.first()) {
        (Some(head), Some(what)) => format!("{head}: {what}"),
        _ => first.to_owned(),
    };
    // clap's tip (a similar option or value), else the values it takes, else
    // where the help is. A tip about `--` would only confuse here.
    let typed = [
        clap::error::ContextKind::InvalidValue,
        clap::error::ContextKind::InvalidArg,
        clap::error::ContextKind::InvalidSubcommand,
    ]
    .into_iter()
    .find_map(|kind| match error.get(kind) {
        Some(clap::error::ContextValue::String(word)) => Some(word.clone()),
        _ => None,
    });
    let tip = rest
        .iter()
        .find_map(|line| line.strip_prefix("tip: "))
        .filter(|tip| !tip.starts_with("to pass"))
        .filter(|tip| close_enough(typed.as_deref(), tip));
    let valid = match error.get(clap::error::ContextKind::ValidValue) {
        Some(clap::error::ContextValue::Strings(values)) => Some(values.join(", ")),
        _ => None,
    };
    let values = rest
        .iter()
        .find_map(|line| {
            line.strip_prefix("[possible values: ")
                .and_then(|v| v.strip_suffix(']'))
                .map(str::to_owned)
        })
        .or(valid);
    let subcommand = std::env::args()
        .nth(1)
        .filter(|word| Cli::command().find_subcommand(word).is_some());
    let unexpected = match error.get(clap::error::ContextKind::InvalidArg) {
        Some(clap::error::ContextValue::String(arg))
            if error.kind() == ErrorKind::UnknownArgument =>
        {
            Some(arg.as_str())
        }
        _ => None,
    };
    let habit = subcommand
        .as_deref()
        .zip(unexpected)
        .and_then(|(name, arg)| habit_hint(name, arg));
    let hint = match (habit, tip, values) {
        (Some(habit), _, _) => habit,
        (None, Some(tip), _) => tip.to_owned(),
        (None, None, Some(values)) => format!("possible values: {values}"),
        (None, None, None) if subcommand.is_none() && typed.as_deref() == Some("version") => {
            "to see the version: awsmfa --version".to_owned()
        }
        (None, None, None) => match subcommand {
            Some(name) => format!("see 'awsmfa {name} --help'"),
            None => "see 'awsmfa --help'".to_owned(),
        },
    };
    crate::say!("awsmfa: {}", crate::escaped(&message));
    crate::say!("hint: {}", crate::escaped(&hint));
    std::process::exit(2)
}

/// Whether clap's `tip` ("a similar value exists: 'fish'") names something
/// close to what was typed: a slip of a key or two, not `csh` for `fish`.
fn close_enough(typed: Option<&str>, tip: &str) -> bool {
    let Some(typed) = typed else { return true };
    let Some(suggested) = tip.split('\'').nth(1) else {
        return true;
    };
    let bare = |word: &str| {
        word.trim_start_matches('-')
            .split('=')
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let (typed, suggested) = (bare(typed), bare(suggested));
    strsim::levenshtein(&typed, &suggested) <= (typed.chars().count() / 3).max(1)
}

/// A flag's value that cannot be right, as one line in the words of what
/// was typed: `--duration: '10m' is less than the 15 minutes STS allows`.
/// Not clap's "invalid value '…' for '--flag <VALUE>'", which would repeat
/// an MFA code.
fn bad_value(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let flag = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.split([' ', '=']).next().unwrap_or(arg),
        _ => return None,
    };
    let why = match std::error::Error::source(error) {
        Some(why) => why.to_string(),
        // Never the value of --token-code, whatever clap has to say.
        None if flag == "--token-code" => crate::cli::CODE_SHAPE.to_owned(),
        None => return None,
    };
    Some(format!("{flag}: {why}"))
}

/// A pointer for a habit from aws-vault, for an argument that `awsmfa
/// SUBCOMMAND` does not take: the profile as a bare word, `--mfa-token`/`-t`,
/// `exec --json`.
fn habit_hint(subcommand: &str, arg: &str) -> Option<String> {
    let command = Cli::command();
    let takes = |long: &str| {
        command
            .find_subcommand(subcommand)
            .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some(long)))
    };
    let flag = arg.split('=').next().unwrap_or(arg);
    if (flag == "--mfa-token" || (flag.starts_with("-t") && !flag.starts_with("--")))
        && takes("token-code")
    {
        return Some(format!(
            "aws-vault's {} is --token-code here: awsmfa {subcommand} --token-code CODE",
            if flag == "--mfa-token" { flag } else { "-t" }
        ));
    }
    // aws-vault's flags that awsmfa spells otherwise, or has no need for.
    let other = match flag {
        "-d" if takes("duration") => Some(format!(
            "aws-vault's -d is --duration here: awsmfa {subcommand} --duration 1h"
        )),
        "-s" | "--ecs-server" | "--ec2-server" if takes("server") => Some(
            "awsmfa exec --server serves the command credentials on a loopback endpoint the SDKs \
             read (as aws-vault's --ecs-server does)"
                .to_owned(),
        ),
        "-n" | "--no-session" => Some(
            "awsmfa always gets an MFA session: the long-term keys never reach the command \
             (to use them, run the command without awsmfa)"
                .to_owned(),
        ),
        "--prompt" => Some(
            "choose how the code is asked for with mfa_prompt = zenity (or kdialog, osascript, \
             wincredui, ykman, terminal) in the profile, or AWSMFA_PROMPT"
                .to_owned(),
        ),
        "--lazy" => Some(
            "awsmfa asks for a code only when no cached session is usable; with --server the \
             credentials are ready before the command starts"
                .to_owned(),
        ),
        _ => None,
    };
    if other.is_some() {
        return other;
    }
    if flag == "--json" && subcommand == "exec" {
        return Some(
            "for credential_process JSON, run awsmfa credential-process (or awsmfa export \
             --format json)"
                .to_owned(),
        );
    }
    if flag == "--json" && takes("format") {
        return Some(format!("write awsmfa {subcommand} --format json"));
    }
    if !arg.starts_with('-') && takes("profile") {
        return Some(format!(
            "to use profile '{arg}', write awsmfa {subcommand} --profile {arg}"
        ));
    }
    None
}

/// Writes a command's output; a failed write is an error of its own.
fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::Output(format!("cannot write the output: {}", crate::io_reason(&e))))
}
