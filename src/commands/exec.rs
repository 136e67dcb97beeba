//! `awsmfa exec`: the command found first (a typo costs no code), then a
//! session, then awsmfa becomes the command, or with `--server` runs it as a
//! child served by a loopback endpoint.

use crate::cli::ExecArgs;
use crate::error::{Error, Result};
use crate::profile::Files;
use crate::program;

pub fn run(args: ExecArgs) -> Result<()> {
    let shell = args.command.is_empty();
    // Found first, so that a typo costs no MFA code.
    let program =
        program::find(args.command, &|name| std::env::var_os(name)).map_err(|e| match e {
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
    let setup = super::setup(&args.session)?;
    if let Some(profile) = own_profile(&program.argv)
        && setup.files.has_long_term_key(&profile)
    {
        // Said before a code is spent: the command would not use the session.
        crate::say!(
            "the command's own --profile {profile} makes it sign with that profile's long-term \
             key from your files, not with this session (leave the profile to awsmfa: \
             awsmfa exec --profile {profile} -- …)"
        );
    }
    // What `--server` needs here is ready before a code is asked for.
    let server = match args.server {
        true => Some(crate::server::prepare(&setup)?),
        false => None,
    };
    let credentials = setup.get()?;
    if let Some(server) = server {
        server.run(&program, setup, credentials)?.mirror();
    }
    let vars = crate::env::session_vars(
        &credentials,
        setup.plan.region.as_deref(),
        &setup.plan.profile,
    );
    if shell {
        // A shell looks like any other: say whose session it has, and until when.
        crate::say!(
            "starting {} with the session of profile '{}' (until {}); exit it to leave the session",
            program.path.display(),
            setup.plan.profile,
            crate::words::local_time(credentials.expires_at)
        );
    }
    Err(program::replace(
        &program,
        crate::env::child_env(std::env::vars_os(), vars),
    ))
}

/// The profile the command's own words name (`aws --profile NAME …`,
/// `--profile=NAME`), which AWS tools take over the environment.
fn own_profile(argv: &[std::ffi::OsString]) -> Option<String> {
    let words: Vec<&str> = argv.iter().skip(1).filter_map(|w| w.to_str()).collect();
    words.iter().enumerate().find_map(|(i, word)| {
        if *word == "--profile" {
            words.get(i + 1).map(|name| (*name).to_owned())
        } else {
            word.strip_prefix("--profile=").map(str::to_owned)
        }
    })
}

/// Whether `name` is a profile in the user's files.
fn is_profile(name: &str) -> bool {
    let Ok(settings) = super::settings() else {
        return false;
    };
    Files::load(&settings.config_file, &settings.credentials_file)
        .is_ok_and(|files| files.names().contains(&name))
}
