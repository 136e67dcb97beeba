//! Every command, for `awsmfa-full`: parses the command line, dispatches,
//! and turns an error into one line on stderr and an exit status.

use crate::cli::{
    ClearArgs, Cli, Command, DoctorArgs, ExecArgs, ExportArgs, ListArgs, LoginArgs, SessionArgs,
    StatusArgs,
};
use crate::error::{Error, Result};
use crate::profile::{Files, Plan, Request};
use crate::session::cache::Cache;
use crate::session::{self, Credentials, Endpoint, Options};
use crate::{completions, doctor, env, exec, export, list, login, mfa, server, status};
use clap::{CommandFactory, Parser};
use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

pub fn main() -> ExitCode {
    crate::protect_process();
    let cli = parse_args();
    let is_exec = matches!(cli.command, Command::Exec(_));
    let result = match (crate::non_utf8_var(), cli.command) {
        (Some(name), _) => Err(Error::config(format!(
            "{name} is not valid UTF-8; awsmfa cannot use its value"
        ))),
        (None, command) => run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Reported) => ExitCode::FAILURE,
        Err(error) => {
            crate::say!("awsmfa: {error}");
            if let Some(hint) = error.hint() {
                crate::say!("hint: {hint}");
            }
            ExitCode::from(if is_exec { error.exec_status() } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Exec(args) => run_exec(args),
        Command::Export(args) => run_export(args),
        Command::CredentialProcess(args) => run_credential_process(&args),
        Command::Status(args) => run_status(&args),
        Command::Clear(args) => run_clear(&args),
        Command::Login(args) => run_login(&args),
        Command::Doctor(args) => run_doctor(&args),
        Command::List(args) => run_list(&args),
        Command::Completions(args) => {
            completions::script(args.shell).and_then(|text| print(text.as_bytes()))
        }
    }
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
        error.exit();
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
    let tip = rest
        .iter()
        .find_map(|line| line.strip_prefix("tip: "))
        .filter(|tip| !tip.starts_with("to pass"));
    let values = rest.iter().find_map(|line| {
        line.strip_prefix("[possible values: ")
            .and_then(|v| v.strip_suffix(']'))
    });
    let subcommand = std::env::args()
        .nth(1)
        .filter(|word| Cli::command().find_subcommand(word).is_some());
    let hint = match (tip, values) {
        (Some(tip), _) => tip.to_owned(),
        (None, Some(values)) => format!("possible values: {values}"),
        (None, None) => match subcommand {
            Some(name) => format!("see 'awsmfa {name} --help'"),
            None => "see 'awsmfa --help'".to_owned(),
        },
    };
    crate::say!("awsmfa: {message}");
    crate::say!("hint: {hint}");
    std::process::exit(2)
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn run_exec(args: ExecArgs) -> Result<()> {
    // Found first, so that a typo costs no MFA code.
    let program =
        exec::find(args.command, &|name| std::env::var_os(name)).map_err(|e| match e {
            // The aws-vault habit `awsmfa exec PROFILE -- …`.
            Error::CommandNotFound {
                command,
                hint: None,
            } if is_profile(&command) => Error::CommandNotFound {
                hint: Some(format!(
                    "to use profile '{command}', write --profile {command}"
                )),
                command,
            },
            e => e,
        })?;
    let setup = Setup::new(&args.session)?;
    let credentials = setup.get()?;
    if args.server {
        let Setup {
            files,
            plan,
            cache,
            options,
        } = setup;
        server::run(&program, &files, plan, cache, options, credentials)?.mirror();
    }
    let vars = env::session_vars(
        &credentials,
        setup.plan.region.as_deref(),
        &setup.plan.profile,
    );
    Err(exec::replace(
        &program,
        env::child_env(std::env::vars_os(), vars),
    ))
}

/// Whether `name` is a profile in the user's files.
fn is_profile(name: &str) -> bool {
    Files::load(&var).is_ok_and(|files| files.names().contains(&name))
}

fn run_list(args: &ListArgs) -> Result<()> {
    let files = Files::load(&var)?;
    if args.names {
        let names: String = files.names().iter().map(|n| format!("{n}\n")).collect();
        return print(names.as_bytes());
    }
    let cache = Cache::new(&var)?;
    let text = list::list(&files, &cache, args.json, SystemTime::now())?;
    print(text.as_bytes())
}

fn run_export(args: ExportArgs) -> Result<()> {
    let (plan, credentials) = get_session(&args.session)?;
    let text = export::render(
        args.format,
        &credentials,
        plan.region.as_deref(),
        &plan.profile,
    )?;
    print(text.as_bytes())
}

fn run_credential_process(args: &SessionArgs) -> Result<()> {
    let (_, credentials) = get_session(args)?;
    print(export::credential_process(&credentials).as_bytes())
}

/// Resolves the profile and gets its credentials, cached or new.
fn get_session(args: &SessionArgs) -> Result<(Plan, Credentials)> {
    let setup = Setup::new(args)?;
    let credentials = setup.get()?;
    Ok((setup.plan, credentials))
}

/// Everything a command needs to get a session for the profile asked for.
struct Setup {
    files: Files,
    plan: Plan,
    cache: Cache,
    options: Options,
}

impl Setup {
    fn new(args: &SessionArgs) -> Result<Setup> {
        let given_code = mfa::given_code(args.token_code.as_ref(), var("AWSMFA_TOKEN_CODE"))?;
        let request = Request::new(
            args.profile.as_deref(),
            args.region.as_deref(),
            args.duration,
            &var,
        )?;
        let files = Files::load(&var)?;
        let plan = files.resolve(&request)?;
        let cache = Cache::new(&var)?;
        if args.verbose {
            let roles: Vec<&str> = plan.roles.iter().map(|r| r.arn.as_str()).collect();
            crate::say!(
                "awsmfa: profile '{}': IAM user profile '{}', MFA device {}{}; cache {}",
                plan.profile,
                plan.user.profile,
                plan.mfa.serial,
                if roles.is_empty() {
                    String::new()
                } else {
                    format!(", roles {}", roles.join(" -> "))
                },
                cache.dir().display()
            );
        }
        let options = Options {
            endpoint: Endpoint::new(plan.region.as_deref(), &var),
            min_ttl: match args.min_ttl {
                Some(seconds) => seconds,
                None => min_ttl_from_env()?,
            },
            refresh: args.refresh,
            given_code,
            verbose: args.verbose,
        };
        Ok(Setup {
            files,
            plan,
            cache,
            options,
        })
    }

    fn get(&self) -> Result<Credentials> {
        session::get(&self.plan, &self.cache, &self.options)
    }
}

fn min_ttl_from_env() -> Result<u64> {
    match var("AWSMFA_MIN_TTL").filter(|v| !v.is_empty()) {
        Some(text) => crate::cli::parse_seconds(&text)
            .map_err(|why| Error::config(format!("AWSMFA_MIN_TTL: {why}"))),
        None => Ok(session::DEFAULT_MIN_TTL),
    }
}

fn run_login(args: &LoginArgs) -> Result<()> {
    let setup = Setup::new(&args.session)?;
    // Before any code is spent.
    login::check_role(&setup.plan)?;
    let credentials = setup.get()?;
    let url = login::signin_url(&setup.plan, &credentials, &var, args.session.verbose)?;
    if args.stdout {
        return print(format!("{url}\n").as_bytes());
    }
    let browser = login::open(&url, &var)?;
    crate::say!(
        "awsmfa: opened the AWS console for profile '{}' with {browser}",
        setup.plan.profile
    );
    Ok(())
}

fn run_doctor(args: &DoctorArgs) -> Result<()> {
    use std::io::IsTerminal;
    let checks = doctor::run(&doctor::Setup {
        profile: args.profile.as_deref(),
        env: &var,
        now: SystemTime::now(),
    });
    let colour = std::io::stdout().is_terminal() && var("NO_COLOR").is_none_or(|v| v.is_empty());
    print(doctor::render(&checks, args.json, colour)?.as_bytes())?;
    if doctor::failed(&checks) {
        return Err(Error::Reported);
    }
    Ok(())
}

fn run_status(args: &StatusArgs) -> Result<()> {
    let cache = Cache::new(&var)?;
    let text = status::list(&cache, min_ttl_from_env()?, args.json, SystemTime::now())?;
    print(text.as_bytes())
}

fn run_clear(args: &ClearArgs) -> Result<()> {
    let cache = Cache::new(&var)?;
    let text = status::clear(&cache, args.profile.as_deref(), args.verbose)?;
    print(text.as_bytes())
}

fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::Output(format!("cannot write the output: {}", crate::io_reason(&e))))
}
