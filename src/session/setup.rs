//! The one set-up of every run that gets a session, in both programs and in
//! `--server`'s refresher: settings → the AWS files → the plan → the cache,
//! then credentials from the cache alone (`cached`) or by any means (`get`).

use super::cache::{Cache, QUIET_WAIT};
use super::{Credentials, Endpoint, Network, Options, keys};
use crate::error::{Error, Result};
use crate::profile::{CHAINED_ROLE_MAX, Files, Plan, ROLE_DURATION, Request};
use crate::settings::Settings;
use std::time::SystemTime;

/// Everything a run needs to get a session for the profile asked for.
pub struct Setup {
    pub files: Files,
    pub plan: Plan,
    pub cache: Cache,
    pub options: Options,
    /// What the plan was resolved from, to resolve it again (`reread`).
    request: Request,
}

impl Setup {
    /// Reads the files and resolves the profile; says what it found with `-v`.
    pub fn new(settings: &Settings) -> Result<Setup> {
        let files = Files::load(&settings.config_file, &settings.credentials_file)?;
        files.check_asked(&settings.profile, settings.profile_from)?;
        let request = Request::from(settings);
        let plan = files
            .resolve(&request)
            .map_err(|error| beyond_role(&files, settings).unwrap_or(error))?;
        // Before any code is asked for (a security key cannot give one).
        plan.mfa.check_device()?;
        let cache = Cache::new(settings)?;
        if settings.verbose {
            let role = plan
                .roles
                .last()
                .map(|role| format!(", role {}", role.arn))
                .unwrap_or_default();
            crate::say!(
                "awsmfa: profile '{}': {}{role}, MFA device {}; cache {}",
                plan.profile,
                kind(&plan),
                plan.mfa.serial,
                cache.dir().display()
            );
        }
        let options = Options {
            endpoint: Endpoint::new(plan.region.as_deref(), settings.sts_url.clone()).with_network(
                Network::of_profile(&files, &plan.profile, settings.home.as_deref()),
            ),
            min_ttl: settings.min_ttl,
            refresh: settings.refresh,
            given_code: settings.token_code.clone(),
            process_timeout: settings.process_timeout,
            prompt: settings.prompt,
            verbose: settings.verbose,
            iam_url: settings.iam_url.clone(),
        };
        Ok(Setup {
            files,
            plan,
            cache,
            options,
            request,
        })
    }

    /// `new`, for a run that may call STS: a user profile with long-term
    /// keys and no `mfa_serial` gets its device from IAM (written into the
    /// config file at a terminal, else named in the error's hint) before
    /// any code is asked for. The front's `cached` never comes here.
    pub fn finding_device(settings: &Settings) -> Result<Setup> {
        match Setup::new(settings) {
            // Only the missing device: any other error is said as it is.
            Err(error) if error.to_string().ends_with(crate::profile::NO_MFA_SERIAL) => {
                let files = Files::load(&settings.config_file, &settings.credentials_file)?;
                let Some((user, keys)) = files.without_device(&settings.profile) else {
                    return Err(error);
                };
                match super::device::find_for(settings, &files, &user, &keys)? {
                    true => Setup::new(settings),
                    false => Err(error),
                }
            }
            setup => setup,
        }
    }

    /// Credentials for the plan: cached when usable, else from STS.
    pub fn get(&self) -> Result<Credentials> {
        super::get(&self.plan, &self.cache, &self.options)
    }

    /// Reads the AWS files again and resolves the same profile anew, for a
    /// run that outlives what it read (`exec --server`): keys rotated since
    /// (by `awsmfa rotate` elsewhere) are the ones the next session is got
    /// with. Files that no longer resolve leave everything as it was.
    pub fn reread(&mut self) -> Result<()> {
        let files = Files::load(&self.files.config, &self.files.credentials)?;
        self.plan = files.resolve(&self.request)?;
        self.files = files;
        Ok(())
    }

    /// The credentials a run gets from the cache alone, with no code or
    /// message: the outermost level's, when usable. Another run may be
    /// getting this very session (twenty runs of `make -j`): then this one
    /// waits quietly a little, and takes what that run stores.
    pub fn cached(&self) -> Option<Credentials> {
        let key = keys(&self.plan).pop()?;
        let usable = || {
            let entry = self.cache.load(&key).ok()??;
            let now = SystemTime::now();
            super::usable(
                &entry.credentials,
                entry.duration,
                self.options.min_ttl,
                now,
            )
            .then_some(entry.credentials)
        };
        if let Some(credentials) = usable() {
            return Some(credentials);
        }
        if !self.cache.wait_while_locked(&key, QUIET_WAIT) {
            return None;
        }
        usable()
    }
}

/// The error for a duration asked for (`--duration`, `AWSMFA_DURATION`)
/// that is longer than the profile's role may have, in the words it was
/// written in; known only once the files are read. `None` when that is not
/// why the profile cannot be resolved.
fn beyond_role(files: &Files, settings: &Settings) -> Option<Error> {
    let asked = settings.duration?;
    let (from, typed) = settings.duration_asked.as_ref()?;
    let request = Request {
        duration: None,
        ..Request::from(settings)
    };
    let plan = files.resolve(&request).ok()?;
    let role = plan.roles.last()?;
    let why = if plan.roles.len() > 1 && asked > CHAINED_ROLE_MAX {
        format!(
            "'{typed}' is longer than STS's one-hour limit for chained roles (the source of \
             profile '{}' is itself a role)",
            role.profile
        )
    } else if asked > *ROLE_DURATION.end() {
        format!(
            "'{typed}' is more than the {} hours STS allows a role (profile '{}')",
            ROLE_DURATION.end() / 3600,
            role.profile
        )
    } else {
        return None;
    };
    let message = format!("{from}: {why}");
    // A flag is a usage error; the variable, like any other, a setting.
    Some(match from.starts_with("--") {
        true => Error::Usage(message),
        false => Error::config(message),
    })
}

/// The profiles a plan's role stands on, nearest first, down to the user;
/// none for a user profile.
pub fn sources(plan: &Plan) -> Vec<&str> {
    if plan.roles.is_empty() {
        return Vec::new();
    }
    let roles = &plan.roles;
    roles[..roles.len() - 1]
        .iter()
        .rev()
        .map(|role| role.profile.as_str())
        .chain([plan.user.profile.as_str()])
        .collect()
}

/// The plan's kind, drawn as everywhere: `IAM user`, or `role ← … ← user`.
pub fn kind(plan: &Plan) -> String {
    crate::words::kind(&sources(plan))
}
