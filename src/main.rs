//! Parses the command line, dispatches, and turns an error into one line on
//! stderr and an exit status.

use awsmfa::cli::{ClearArgs, Cli, Command, ExecArgs, ExportArgs, SessionArgs, StatusArgs};
use awsmfa::error::{Error, Result};
use awsmfa::profile::{Files, Plan, Request};
use awsmfa::session::cache::{Cache, Kind};
use awsmfa::session::{self, Credentials, Endpoint, Options};
use awsmfa::{env, exec, export, human_seconds, mfa};
use clap::{CommandFactory, Parser};
use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

/// Reuse a cached session only with this much left, unless told otherwise.
const DEFAULT_MIN_TTL: u64 = 15 * 60;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let is_exec = matches!(cli.command, Command::Exec(_));
    let result = match cli.command {
        Command::Exec(args) => run_exec(args),
        Command::Export(args) => run_export(args),
        Command::CredentialProcess(args) => run_credential_process(&args),
        Command::Status(args) => run_status(&args),
        Command::Clear(args) => run_clear(&args),
        Command::Completions(args) => {
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "awsmfa", &mut out);
            print(&out)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("awsmfa: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(if is_exec { error.exec_status() } else { 1 })
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn run_exec(args: ExecArgs) -> Result<()> {
    // Found first, so that a typo costs no MFA code.
    let program = exec::find(args.command, &|name| std::env::var_os(name))?;
    let (plan, credentials) = get_session(&args.session)?;
    let child_env = env::child_env(
        std::env::vars_os(),
        &credentials,
        plan.region.as_deref(),
        &plan.profile,
    );
    Err(exec::replace(&program, child_env))
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
    let given_code = mfa::given_code(args.token_code.as_ref(), var("AWSMFA_TOKEN_CODE"))?;
    let request = Request::new(
        args.profile.as_deref(),
        args.region.as_deref(),
        args.duration,
        &var,
    )?;
    let plan = Files::load(&var)?.resolve(&request)?;
    let cache = Cache::new(&var)?;
    if args.verbose {
        let roles: Vec<&str> = plan.roles.iter().map(|r| r.arn.as_str()).collect();
        eprintln!(
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
    let credentials = session::get(&plan, &cache, &options)?;
    Ok((plan, credentials))
}

fn min_ttl_from_env() -> Result<u64> {
    match var("AWSMFA_MIN_TTL").filter(|v| !v.is_empty()) {
        Some(text) => awsmfa::cli::parse_seconds(&text)
            .map_err(|why| Error::config(format!("AWSMFA_MIN_TTL: {why}"))),
        None => Ok(DEFAULT_MIN_TTL),
    }
}

fn run_status(args: &StatusArgs) -> Result<()> {
    let cache = Cache::new(&var)?;
    let min_ttl = min_ttl_from_env()?;
    let now = SystemTime::now();
    let mut rows = Vec::new();
    let mut json = Vec::new();
    for (path, entry) in cache.entries() {
        let file = path.display().to_string();
        let entry = match entry {
            Ok(entry) => entry,
            Err(why) => {
                rows.push(vec![format!("({file}: {why})")]);
                json.push(serde_json::json!({ "file": file, "error": why }));
                continue;
            }
        };
        let left = entry.credentials.seconds_left(now);
        let kind = match entry.kind {
            Kind::Session => "session",
            Kind::Role => "role",
        };
        let usable = left >= min_ttl as i64;
        rows.push(vec![
            entry.profile.clone(),
            kind.to_owned(),
            entry.credentials.expiration(),
            human_seconds(left),
            if usable { "yes" } else { "no" }.to_owned(),
            entry.role_arn.clone().unwrap_or_else(|| "-".into()),
        ]);
        json.push(serde_json::json!({
            "profile": entry.profile,
            "kind": kind,
            "role_arn": entry.role_arn,
            "mfa_serial": entry.mfa_serial,
            "expiration": entry.credentials.expiration(),
            "seconds_left": left.max(0),
            "usable": usable,
            "file": file,
        }));
    }
    if args.json {
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| Error::Output(format!("cannot encode the status: {e}")))?;
        return print(format!("{text}\n").as_bytes());
    }
    if rows.is_empty() {
        return print(format!("no cached sessions in {}\n", cache.dir().display()).as_bytes());
    }
    let header = ["PROFILE", "KIND", "EXPIRES", "LEFT", "USABLE", "ROLE"];
    print(table(&header, &rows).as_bytes())
}

/// Columns padded to their widest cell; a one-cell row stands alone.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows.iter().filter(|r| r.len() == header.len()) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn run_clear(args: &ClearArgs) -> Result<()> {
    let cache = Cache::new(&var)?;
    let profile = &args.profile;
    let mut out = String::new();
    let mut removed = 0;
    for (path, entry) in cache.entries() {
        let described = match (&entry, &profile) {
            (Ok(entry), Some(name)) if &entry.profile != name => continue,
            (Err(_), Some(_)) => continue,
            (Ok(entry), _) => format!(
                "profile '{}' ({}{})",
                entry.profile,
                match entry.kind {
                    Kind::Session => "MFA session",
                    Kind::Role => "role",
                },
                entry
                    .role_arn
                    .as_deref()
                    .map(|arn| format!(" {arn}"))
                    .unwrap_or_default()
            ),
            (Err(_), None) => format!("unreadable entry {}", path.display()),
        };
        cache.remove(&path)?;
        if args.verbose {
            eprintln!("awsmfa: removed {}", path.display());
        }
        out.push_str(&format!("removed {described}\n"));
        removed += 1;
    }
    if profile.is_none() {
        cache.remove_orphan_locks();
    }
    if removed == 0 {
        out.push_str(&match profile {
            Some(name) => format!("no cached sessions for profile '{name}'\n"),
            None => "no cached sessions\n".to_owned(),
        });
    }
    print(out.as_bytes())
}

fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            Error::Output(format!(
                "cannot write the output: {}",
                awsmfa::io_reason(&e)
            ))
        })
}
