//! Getting credentials for a plan: a cached session when one has time left,
//! else — under the key's lock, after looking again — a new one from STS,
//! stored for the next run. Roles sit on the user's MFA session, so one code
//! serves every role of that user.

pub mod cache;
pub mod device;
mod dns;
pub mod iam;
mod setup;
mod sts;

pub use setup::{Setup, kind, sources};
pub use sts::{
    Answer, CaBundle, Endpoint, Identity, Network, Route, Signer, fetch, get_caller_identity,
};

use crate::error::{Error, Result};
use crate::mfa::{self, MfaCode, Source};
use crate::profile::{KeysAt, LongTermKeys, Plan, Role};
use crate::secret::Secret;
use cache::{Cache, Entry, Kind, SessionKey};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Temporary AWS credentials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expires_at: u64,
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z): no expiry
/// awsmfa accepts lies beyond it.
pub const LATEST_EXPIRY: u64 = 253_402_300_799;

impl Credentials {
    /// The expiry in RFC 3339, UTC, whole seconds.
    pub fn expiration(&self) -> String {
        let at = Duration::from_secs(self.expires_at.min(LATEST_EXPIRY));
        humantime::format_rfc3339_seconds(UNIX_EPOCH + at).to_string()
    }

    /// Seconds left at `now` (negative once expired).
    pub fn seconds_left(&self, now: SystemTime) -> i64 {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        self.expires_at.min(LATEST_EXPIRY) as i64 - now.min(LATEST_EXPIRY) as i64
    }
}

/// How a run wants its session.
pub struct Options {
    pub endpoint: Endpoint,
    /// Reuse a cached session only with at least this many seconds left.
    pub min_ttl: u64,
    /// Get a new session for the profile asked for, whatever is cached.
    pub refresh: bool,
    /// The code from `--token-code` or `AWSMFA_TOKEN_CODE`, already checked.
    pub given_code: Option<MfaCode>,
    /// How long `mfa_process` (or a dialog, or ykman) may take.
    pub process_timeout: std::time::Duration,
    /// `AWSMFA_PROMPT`, over the profile's `mfa_prompt`.
    pub prompt: Option<mfa::Prompt>,
    pub verbose: bool,
    /// IAM's endpoint (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`), for the
    /// one ListMFADevices call after STS refuses a code.
    pub iam_url: Option<String>,
}

/// Credentials for `plan`: cached when good for `min_ttl`, else from STS.
pub fn get(plan: &Plan, cache: &Cache, options: &Options) -> Result<Credentials> {
    let run = Run {
        plan,
        cache,
        options,
        keys: keys(plan),
        why: Default::default(),
        last_session: None,
    };
    run.level(plan.roles.len(), options.refresh)
}

/// For `exec --server` when the MFA session runs low and no new code comes:
/// the plan's roles assumed anew on the user's cached MFA session, which is
/// used for as long as it has `least` seconds left rather than the minimum
/// time to live, so a long run gets the most out of its last code. `None`
/// when no role sits on that session (a user profile, a role assumed
/// directly) or the session is spent; never asks for a code.
pub fn reassume_on_last_session(
    plan: &Plan,
    cache: &Cache,
    options: &Options,
    least: u64,
) -> Result<Option<Credentials>> {
    if plan.roles.is_empty() || plan.direct_role() {
        return Ok(None);
    }
    let run = Run {
        plan,
        cache,
        options,
        keys: keys(plan),
        why: Default::default(),
        last_session: Some(least),
    };
    match run.level(plan.roles.len(), false) {
        Ok(credentials) => Ok(Some(credentials)),
        Err(Error::NoCodeSource) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The minimum time to live for a session of `duration` seconds: `asked`,
/// but never more than half the session, so that a short session (15 min)
/// is still reused. An entry of unknown length gets `asked` itself.
pub fn min_ttl(asked: u64, duration: Option<u64>) -> u64 {
    duration.map_or(asked, |duration| asked.min(duration / 2))
}

/// The one rule for reusing a session, wherever it is judged (a cache hit,
/// `exec`, `status`, `list`, `doctor`, `--server`): at least the minimum
/// time to live left at `now`.
pub fn usable(
    credentials: &Credentials,
    duration: Option<u64>,
    asked: u64,
    now: SystemTime,
) -> bool {
    credentials.seconds_left(now) >= min_ttl(asked, duration) as i64
}

/// SigV4 signing with an IAM user's keys.
fn signer(keys: &LongTermKeys) -> sts::Signer<'_> {
    sts::Signer {
        access_key_id: &keys.access_key_id,
        secret_access_key: &keys.secret_access_key,
        session_token: None,
    }
}

/// A user profile with no keys in the files and none in the keystore.
pub fn missing_keys(profile: &str) -> Error {
    Error::config_with_hint(
        format!(
            "profile '{profile}' has no long-term keys: none in the AWS files, and none in {}",
            crate::keystore::NAME
        ),
        format!(
            "store them with: awsmfa add --profile {profile} (or add aws_access_key_id and \
             aws_secret_access_key to [{profile}] in ~/.aws/credentials)"
        ),
    )
}

/// The cache key of each level: the user's session, then each role outward.
pub fn keys(plan: &Plan) -> Vec<SessionKey> {
    let user = &plan.user;
    let identity = user.key_identity();
    let duration = user.duration.to_string();
    let mut keys = vec![SessionKey::new(
        Kind::Session,
        &[&identity, &plan.mfa.serial, &duration],
    )];
    let direct = plan.direct_role();
    for role in &plan.roles {
        let parent = keys[keys.len() - 1].id().to_owned();
        let duration = role.duration.to_string();
        let session_name = role.session_name.as_deref().map(|n| format!("name={n}"));
        let key = SessionKey::new(
            Kind::Role,
            &[
                if direct { "direct" } else { "chained" },
                &parent,
                &identity,
                &plan.mfa.serial,
                &role.arn,
                role.external_id.as_deref().unwrap_or(""),
                session_name.as_deref().unwrap_or(""),
                &duration,
            ],
        );
        keys.push(key);
    }
    keys
}

struct Run<'a> {
    plan: &'a Plan,
    cache: &'a Cache,
    options: &'a Options,
    keys: Vec<SessionKey>,
    /// Why the session being made is needed, for the prompt.
    why: std::cell::RefCell<String>,
    /// `reassume_on_last_session`: the MFA session is used while it has
    /// this many seconds left and never replaced; every role is new.
    last_session: Option<u64>,
}

impl Run<'_> {
    /// Credentials at `level`: 0 is the user's MFA session, n the n-th role.
    fn level(&self, level: usize, refresh: bool) -> Result<Credentials> {
        let key = &self.keys[level];
        let asked = self.options.min_ttl;
        let (profile, kind, role_arn, duration) = match level {
            0 => (
                &self.plan.user.profile,
                Kind::Session,
                None,
                self.plan.user.duration,
            ),
            n => {
                let role = &self.plan.roles[n - 1];
                (
                    &role.profile,
                    Kind::Role,
                    Some(role.arn.as_str()),
                    role.duration,
                )
            }
        };
        if let Some(least) = self.last_session {
            if level == 0 {
                return self
                    .fresh(
                        key,
                        profile,
                        kind,
                        duration,
                        least,
                        false,
                        SystemTime::now(),
                    )
                    .ok_or(Error::NoCodeSource);
            }
        } else if refresh {
            self.because(format!("--refresh asks for a new {}", kind.describe()));
        } else if let Some(credentials) =
            self.fresh(key, profile, kind, duration, asked, true, SystemTime::now())
        {
            return Ok(credentials);
        }
        let _lock = self.cache.lock(key, profile)?;
        // Another run may have stored a session while this one waited.
        if !refresh
            && self.last_session.is_none()
            && let Some(credentials) = self.fresh(
                key,
                profile,
                kind,
                duration,
                asked,
                false,
                SystemTime::now(),
            )
        {
            return Ok(credentials);
        }
        let credentials = match level {
            0 => self.new_user_session()?,
            n => self.new_role_session(n)?,
        };
        let mut entry = Entry::new(profile, kind, role_arn, &self.plan.mfa.serial, credentials);
        entry.duration = Some(duration);
        // The code is spent: a session that cannot be cached is still used.
        if let Err(e) = self.cache.store(key, &entry) {
            crate::say!("awsmfa: warning: {e}; the session is not cached");
        }
        self.say(&format!(
            "profile '{profile}': new {} until {} ({})",
            kind.describe(),
            crate::words::local_time(entry.credentials.expires_at),
            crate::words::left(entry.credentials.seconds_left(SystemTime::now()))
        ));
        Ok(entry.credentials)
    }

    /// The cached credentials under `key`, if they are usable with the
    /// minimum time to live `asked` at `now`; else notes why not. `warn`:
    /// say why an entry that is there cannot be used.
    #[allow(clippy::too_many_arguments)]
    fn fresh(
        &self,
        key: &SessionKey,
        profile: &str,
        kind: Kind,
        duration: u64,
        asked: u64,
        warn: bool,
        now: SystemTime,
    ) -> Option<Credentials> {
        let entry = match self.cache.load(key) {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                // A session of another length may be cached: say so, not "none".
                let other = self
                    .cache
                    .entries()
                    .into_iter()
                    .filter_map(|(_, entry)| entry.ok())
                    .filter(|e| e.profile == profile && e.kind == kind)
                    .filter(|e| e.duration != Some(duration) && e.credentials.seconds_left(now) > 0)
                    .find_map(|e| e.duration);
                self.because(match other {
                    Some(other) => format!(
                        "the cached {} of profile '{profile}' lasts {}, and one of {} is asked for",
                        kind.describe(),
                        crate::words::length(other),
                        crate::words::length(duration)
                    ),
                    None => format!("no {} is cached for profile '{profile}'", kind.describe()),
                });
                return None;
            }
            Err(why) => {
                if warn {
                    self.cache.warn_unusable(key, &why);
                }
                self.because(format!(
                    "the cached {} of profile '{profile}' cannot be used",
                    kind.describe()
                ));
                return None;
            }
        };
        let left = entry.credentials.seconds_left(now);
        if !usable(&entry.credentials, Some(duration), asked, now) {
            let min_ttl = min_ttl(asked, Some(duration));
            let why = if left <= 0 {
                "has expired".to_owned()
            } else {
                format!(
                    "has {} left, less than the minimum {}",
                    crate::human_seconds(left),
                    crate::human_seconds(min_ttl as i64)
                )
            };
            self.because(format!(
                "the cached {} of profile '{profile}' {why}",
                kind.describe()
            ));
            return None;
        }
        self.say(&format!(
            "profile '{profile}': using the cached {} until {} ({})",
            entry.kind.describe(),
            crate::words::local_time(entry.credentials.expires_at),
            crate::words::left(left)
        ));
        Some(entry.credentials)
    }

    /// Notes why a new session is needed; `-v` says it at once, a prompt
    /// says it before asking for a code.
    fn because(&self, why: String) {
        // Looked at again under the lock, the same reason is said once.
        if *self.why.borrow() == why {
            return;
        }
        self.say(&why);
        *self.why.borrow_mut() = why;
    }

    fn new_user_session(&self) -> Result<Credentials> {
        let user = &self.plan.user;
        let keys = self.long_term_keys()?;
        let mut device_checked = false;
        self.with_code(&user.profile, |code| {
            self.say(&format!(
                "profile '{}': calling STS GetSessionToken at {}",
                user.profile,
                self.options.endpoint.describe()
            ));
            let result = sts::get_session_token(
                &self.options.endpoint,
                signer(&keys),
                &self.plan.mfa.serial,
                code,
                user.duration,
            );
            match result {
                // Once a run: a device that is not the user's is why, and no
                // other code can help (so a prompt does not ask again).
                Err(refused @ Error::MfaRejected { .. }) if !device_checked => {
                    device_checked = true;
                    let options = &self.options;
                    let asked = device::Asked {
                        serial: &self.plan.mfa.serial,
                        profile: &user.profile,
                        region: self.plan.region.as_deref(),
                        iam_url: options.iam_url.clone(),
                        network: options.endpoint.network(),
                        verbose: options.verbose,
                    };
                    Err(device::not_the_users(&asked, &keys).unwrap_or(refused))
                }
                other => other,
            }
        })
    }

    fn new_role_session(&self, level: usize) -> Result<Credentials> {
        let role = &self.plan.roles[level - 1];
        let default_name;
        let session_name = match &role.session_name {
            Some(name) => name.as_str(),
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                default_name = format!("awsmfa-{}", now.as_secs());
                &default_name
            }
        };
        fn call<'a>(
            role: &'a Role,
            session_name: &'a str,
            mfa: Option<(&'a str, &'a MfaCode)>,
        ) -> sts::AssumeRole<'a> {
            sts::AssumeRole {
                arn: &role.arn,
                session_name,
                external_id: role.external_id.as_deref(),
                duration: role.duration,
                mfa,
            }
        }
        let endpoint = &self.options.endpoint;
        if self.plan.direct_role() {
            // Longer than STS allows a role assumed with a session: go
            // straight from the long-term keys, with a code of its own.
            self.because(format!(
                "profile '{}' asks for a {} role session, longer than STS's one-hour limit for \
                 chained roles: the role is assumed directly, with a code of its own",
                role.profile,
                crate::human_seconds(role.duration as i64)
            ));
            let keys = self.long_term_keys()?;
            return self.with_code(&role.profile, |code| {
                self.say(&format!(
                    "profile '{}': calling STS AssumeRole with MFA at {}",
                    role.profile,
                    endpoint.describe()
                ));
                let call = call(role, session_name, Some((&self.plan.mfa.serial, code)));
                sts::assume_role(endpoint, signer(&keys), &call)
            });
        }
        let parent = self.level(level - 1, false)?;
        self.say(&format!(
            "profile '{}': calling STS AssumeRole at {}",
            role.profile,
            endpoint.describe()
        ));
        let signer = sts::Signer {
            access_key_id: &parent.access_key_id,
            secret_access_key: &parent.secret_access_key,
            session_token: Some(&parent.session_token),
        };
        sts::assume_role(endpoint, signer, &call(role, session_name, None))
    }

    /// The user's long-term keys: from the files, or from the keystore,
    /// read now, before a code is asked for (a locked keystore must not
    /// spend one).
    fn long_term_keys(&self) -> Result<std::borrow::Cow<'_, LongTermKeys>> {
        let user = &self.plan.user;
        match &user.keys {
            KeysAt::Files(keys) => Ok(std::borrow::Cow::Borrowed(keys)),
            KeysAt::Keystore => {
                self.say(&format!(
                    "profile '{}': reading the long-term keys from {}",
                    user.profile,
                    crate::keystore::NAME
                ));
                crate::keystore::read(&user.profile)?
                    .map(std::borrow::Cow::Owned)
                    .ok_or_else(|| missing_keys(&user.profile))
            }
        }
    }

    /// Gets a code and makes `call` with it. At the terminal a malformed,
    /// already used or rejected code is asked for again; elsewhere it fails.
    fn with_code<T>(
        &self,
        profile: &str,
        mut call: impl FnMut(&MfaCode) -> Result<T>,
    ) -> Result<T> {
        let serial = &self.plan.mfa.serial;
        let mut source = Source::pick(
            self.options.given_code.clone(),
            self.plan.mfa.process.as_deref(),
            self.options.prompt.or(self.plan.mfa.prompt),
            profile,
            self.options.process_timeout,
        )?;
        let asking = mfa::Asking {
            profile,
            serial,
            timeout: self.options.process_timeout,
        };
        self.say(&format!(
            "profile '{profile}': the MFA code comes from {}",
            source.describe()
        ));
        let tries = if source.asks_again() {
            let why = self.why.borrow().clone();
            if prompt_says_why(&why, self.options.verbose) {
                source.inform(&why);
            }
            mfa::TERMINAL_TRIES
        } else {
            1
        };
        let mut attempt = 1;
        let mut waited = false;
        loop {
            let outcome = source.read(&asking).and_then(|code| {
                if self.cache.is_used_code(serial, code.expose()) {
                    return Err(Error::UsedCode {
                        serial: serial.clone(),
                    });
                }
                let value = call(&code)?;
                if let Err(e) = self.cache.remember_used_code(serial, code.expose()) {
                    crate::say!("awsmfa: warning: {e}");
                }
                Ok(value)
            });
            let e = match outcome {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            // A program that works codes out from the clock gave one used
            // in this 30-second step: the next step brings a new one.
            if waits_for_next_step(&e, source.follows_the_clock(), waited) {
                waited = true;
                let wait = mfa::until_next_step(SystemTime::now());
                crate::say!(
                    "awsmfa: the code from {} was used already; waiting {} s for the next one, \
                     then running it once more",
                    source.describe(),
                    wait.as_secs_f64().ceil()
                );
                std::thread::sleep(wait);
                continue;
            }
            match after_try(&e, source.asks_again(), attempt, tries) {
                AfterTry::AskAgain { left } => {
                    source.say_failed(&e, left);
                    attempt += 1;
                }
                AfterTry::Last => return Err(no_tries_left(e)),
                AfterTry::Fail => return Err(e),
            }
        }
    }

    fn say(&self, message: &str) {
        if self.options.verbose {
            crate::say!("awsmfa: {message}");
        }
    }
}

/// Whether a code that failed with `error` is followed by the next
/// 30-second step's (once a run): a code already used, from a program
/// that works codes out from the clock (`follows_the_clock`).
fn waits_for_next_step(error: &Error, follows_the_clock: bool, waited: bool) -> bool {
    matches!(error, Error::UsedCode { .. }) && follows_the_clock && !waited
}

/// What a try at a code that failed with `error` leads to (`with_code`).
#[derive(Debug, PartialEq, Eq)]
enum AfterTry {
    /// Ask again, saying how many tries are `left`.
    AskAgain { left: u32 },
    /// The last try at a prompt: the run's error says it was the last.
    Last,
    /// Anything else is said once, as the run's error.
    Fail,
}

/// The retry rule: at a prompt (`asks_again`) a malformed, already used or
/// rejected code is asked for again until `tries` are spent.
fn after_try(error: &Error, asks_again: bool, attempt: u32, tries: u32) -> AfterTry {
    let refused = matches!(
        error,
        Error::MalformedCode(_) | Error::UsedCode { .. } | Error::MfaRejected { .. }
    );
    if refused && asks_again && attempt < tries {
        AfterTry::AskAgain {
            left: tries - attempt,
        }
    } else if refused && tries > 1 {
        AfterTry::Last
    } else {
        AfterTry::Fail
    }
}

/// Whether a prompt says `why` a code is needed: when there is a reason,
/// and `-v` (`verbose`) has not said it already.
fn prompt_says_why(why: &str, verbose: bool) -> bool {
    !why.is_empty() && !verbose
}

/// The run's error after the last try at a prompt: the code's, said to be
/// the last, with its hint.
fn no_tries_left(error: Error) -> Error {
    let line = format!("{error} (no tries left)");
    match error.hint() {
        Some(hint) => Error::config_with_hint(line, hint.to_owned()),
        None => Error::config(line),
    }
}

#[cfg(test)]
mod tests;
