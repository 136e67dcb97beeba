//! Resolving a profile: from the profile asked for, through each
//! `source_profile`, down to the IAM user whose long-term keys start
//! everything, into a `Plan` with every setting settled and checked.

use super::reader::Files;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::settings::{Settings, is_region};
use std::path::Path;

/// STS's bounds for GetSessionToken.
pub const SESSION_DURATION: std::ops::RangeInclusive<u64> = 900..=129_600;
/// STS's bounds for AssumeRole.
pub const ROLE_DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;
/// STS's limit for a role session assumed with temporary credentials.
pub const CHAINED_ROLE_MAX: u64 = 3600;
const DEFAULT_SESSION_DURATION: u64 = 43_200;
/// The longest `source_profile` chain followed (STS itself caps role chains
/// far lower): a longer one is a mistake, and would cost depth in recursion.
pub const MAX_CHAIN: usize = 64;

/// What the user asked for, from the flags and the environment.
#[derive(Clone)]
pub struct Request {
    pub profile: String,
    pub region: Option<String>,
    /// `--duration`, else `AWSMFA_DURATION`: applies to the profile named.
    pub duration: Option<u64>,
}

/// How to get credentials for a profile.
#[derive(Debug)]
pub struct Plan {
    /// The profile asked for.
    pub profile: String,
    /// The region, where a flag, the environment or a profile names one.
    pub region: Option<String>,
    pub user: User,
    /// The MFA device and how to get its code.
    pub mfa: Mfa,
    /// Roles to assume in order, from the user outward; empty for a user profile.
    pub roles: Vec<Role>,
}

#[derive(Debug)]
pub struct User {
    pub profile: String,
    pub keys: KeysAt,
    /// Seconds for GetSessionToken.
    pub duration: u64,
}

/// An IAM user's access key pair.
#[derive(Clone, Debug)]
pub struct LongTermKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// Where a user profile's long-term keys live.
#[derive(Debug)]
pub enum KeysAt {
    /// In the AWS files.
    Files(LongTermKeys),
    /// Not in the files: in the keystore entry of the profile
    /// (`awsmfa add`), read only when STS must be called.
    Keystore,
}

impl User {
    /// What identifies the keys in a cache key, without reading the
    /// keystore: the key id from the files, else the keystore entry's name
    /// (`awsmfa add`, `rotate` and `remove` clear its sessions).
    pub fn key_identity(&self) -> String {
        match &self.keys {
            KeysAt::Files(keys) => keys.access_key_id.clone(),
            KeysAt::Keystore => format!("keystore:{}", self.profile),
        }
    }
}

#[derive(Debug)]
pub struct Mfa {
    pub serial: String,
    pub process: Option<String>,
    /// `mfa_prompt`: how to ask when no other source gives a code.
    pub prompt: Option<crate::mfa::Prompt>,
}

#[derive(Debug)]
pub struct Role {
    pub profile: String,
    pub arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    /// Seconds for AssumeRole.
    pub duration: u64,
}

impl Plan {
    /// Whether the last role is to be assumed directly with the long-term
    /// keys and a fresh MFA code, because the session asked for is longer
    /// than STS allows a role assumed with temporary credentials.
    pub fn direct_role(&self) -> bool {
        self.roles.len() == 1 && self.roles[0].duration > CHAINED_ROLE_MAX
    }
}

impl Request {
    /// A profile by name, with nothing from flags or the environment.
    pub fn named(profile: &str) -> Request {
        Request {
            profile: profile.to_owned(),
            region: None,
            duration: None,
        }
    }
}

impl From<&Settings> for Request {
    fn from(settings: &Settings) -> Request {
        Request {
            profile: settings.profile.clone(),
            region: settings.region.clone(),
            duration: settings.duration,
        }
    }
}

/// The end of the error for a user profile with keys and no device, the
/// one IAM can help with (`Setup::finding_device`).
pub const NO_MFA_SERIAL: &str = "has no mfa_serial";

impl Files {
    /// Follows `source_profile` from the profile asked for down to an IAM
    /// user with long-term keys, and settles every setting on the way.
    pub fn resolve(&self, request: &Request) -> Result<Plan> {
        let chain = self.chain(&request.profile)?;
        let user_name = chain[chain.len() - 1].as_str();
        let first = |key: &str| chain.iter().find_map(|p| self.get(p, key));

        if self.get(user_name, "aws_session_token").is_some() {
            return Err(Error::config_with_hint(
                format!(
                    "profile '{user_name}' holds temporary credentials (aws_session_token); \
                     GetSessionToken needs an IAM user's long-term keys"
                ),
                long_term_pair_hint(user_name, self.file_of(user_name, "aws_session_token")),
            ));
        }
        let of = if user_name == request.profile {
            format!("profile '{user_name}'")
        } else {
            format!("profile '{user_name}' (source of '{}')", request.profile)
        };
        let serial = self.setting(&chain, "mfa_serial");
        let keys = match (
            self.get(user_name, "aws_access_key_id"),
            self.get(user_name, "aws_secret_access_key"),
        ) {
            (Some(access_key_id), Some(secret)) => KeysAt::Files(LongTermKeys {
                access_key_id: access_key_id.to_owned(),
                secret_access_key: Secret::new(secret),
            }),
            _ => {
                if let Some(error) = self.other_kind(user_name, &of) {
                    return Err(error);
                }
                // A user profile with its device but no keys in the files:
                // they are in the keystore (or `awsmfa add` says they are not).
                let partial = self.get(user_name, "aws_access_key_id").is_some()
                    || self.get(user_name, "aws_secret_access_key").is_some();
                // The user profile itself names its device, as `add` writes it.
                if self.get(user_name, "mfa_serial").is_none() || partial {
                    return Err(Error::config_with_hint(
                        format!(
                            "{of} has no long-term keys (aws_access_key_id and aws_secret_access_key)"
                        ),
                        format!(
                            "add them to [{user_name}] in {}, or store them in the keystore: \
                             awsmfa add --profile {user_name}",
                            self.credentials.display()
                        ),
                    ));
                }
                KeysAt::Keystore
            }
        };
        if let Some((profile, serial)) = serial
            && !is_mfa_serial(serial)
        {
            return Err(self.bad_value(
                profile,
                "mfa_serial",
                serial,
                "an MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or a hardware token's serial",
            ));
        }
        if request.region.is_none()
            && let Some((profile, region)) = self.setting(&chain, "region")
            && !is_region(region)
        {
            return Err(self.bad_value(profile, "region", region, "a region name"));
        }
        let Some((_, serial)) = serial else {
            let section = if user_name == "default" {
                "[default]".to_owned()
            } else {
                format!("[profile {user_name}]")
            };
            return Err(Error::config_with_hint(
                format!("{of} {NO_MFA_SERIAL}"),
                format!(
                    "add this line to {section} in {}: mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME",
                    self.config.display()
                ),
            ));
        };

        let prompt = match self.setting(&chain, "mfa_prompt") {
            Some((profile, value)) => Some(crate::mfa::Prompt::parse(value).ok_or_else(|| {
                self.bad_value(
                    profile,
                    "mfa_prompt",
                    value,
                    &format!("one of {}", crate::mfa::Prompt::NAMES),
                )
            })?),
            None => None,
        };

        let role_count = chain.len() - 1;
        let mut roles = Vec::with_capacity(role_count);
        // Roles from the user outward: the chain runs from the profile asked for inward.
        for (outward, name) in chain[..role_count].iter().rev().enumerate() {
            let is_last = outward + 1 == role_count;
            let asked = if is_last {
                request
                    .duration
                    .map(Ok)
                    .or_else(|| self.duration_setting(name))
                    .transpose()?
            } else {
                None
            };
            let duration = asked.unwrap_or(CHAINED_ROLE_MAX);
            check_duration(duration, ROLE_DURATION, &format!("role profile '{name}'"))?;
            if duration > CHAINED_ROLE_MAX && role_count > 1 {
                return Err(Error::config(format!(
                    "profile '{name}': a {duration} s session is longer than STS's one-hour limit \
                     for chained roles (its source is itself a role)"
                )));
            }
            roles.push(Role {
                profile: name.clone(),
                arn: self.get(name, "role_arn").unwrap_or_default().to_owned(),
                external_id: self.get(name, "external_id").map(str::to_owned),
                session_name: self.get(name, "role_session_name").map(str::to_owned),
                duration,
            });
        }

        let user_duration = match (role_count, request.duration) {
            (0, Some(asked)) => asked,
            _ => self
                .duration_setting(user_name)
                .transpose()?
                .unwrap_or(DEFAULT_SESSION_DURATION),
        };
        check_duration(
            user_duration,
            SESSION_DURATION,
            &format!("profile '{user_name}'"),
        )?;

        Ok(Plan {
            profile: request.profile.clone(),
            region: request
                .region
                .clone()
                .or_else(|| first("region").map(str::to_owned)),
            user: User {
                profile: user_name.to_owned(),
                keys,
                duration: user_duration,
            },
            mfa: Mfa {
                serial: serial.to_owned(),
                process: first("mfa_process").map(str::to_owned),
                prompt,
            },
            roles,
        })
    }

    /// The profile asked for, then each `source_profile` down to one without `role_arn`.
    fn chain(&self, profile: &str) -> Result<Vec<String>> {
        if !self.profiles.contains_key(profile) {
            return Err(self.unknown_profile(profile));
        }
        let profile = self.unwrapped(profile)?;
        let mut chain = vec![profile.to_owned()];
        let mut current = profile;
        while self.get(current, "role_arn").is_some() {
            let Some(source) = self.get(current, "source_profile") else {
                let from = match (
                    self.get(current, "credential_source"),
                    self.get(current, "web_identity_token_file"),
                ) {
                    (Some(source), _) => {
                        format!("credential_source = {source}, not a source_profile")
                    }
                    (None, Some(_)) => {
                        "web_identity_token_file (a web identity role), not a source_profile"
                            .to_owned()
                    }
                    (None, None) => "no source_profile".to_owned(),
                };
                return Err(Error::config_with_hint(
                    format!(
                        "profile '{current}' is a role profile with {from}; awsmfa assumes \
                         roles on the MFA session of a source_profile with an IAM user's keys"
                    ),
                    self.user_profiles_hint(
                        "add source_profile = USER to the profile, with an IAM user profile",
                    ),
                ));
            };
            if chain.iter().any(|p| p == source) {
                chain.push(source.to_owned());
                return Err(Error::config(format!(
                    "source_profile cycle: {}",
                    chain.join(" -> ")
                )));
            }
            if !self.profiles.contains_key(source) {
                return Err(Error::config_with_hint(
                    format!(
                        "profile '{current}' names source_profile '{source}', which is not in {} or {}",
                        self.config.display(),
                        self.credentials.display()
                    ),
                    self.other_profiles_hint(source),
                ));
            }
            chain.push(source.to_owned());
            if chain.len() > MAX_CHAIN {
                return Err(Error::config(format!(
                    "profile '{profile}': its source_profile chain is longer than {MAX_CHAIN} profiles"
                )));
            }
            current = source;
        }
        Ok(chain)
    }

    /// The file a profile's setting comes from.
    fn file_of(&self, profile: &str, key: &str) -> &Path {
        if self
            .from_credentials
            .contains(&(profile.to_owned(), key.to_owned()))
        {
            &self.credentials
        } else {
            &self.config
        }
    }

    /// The first profile of `chain` that sets `key`, and its value.
    fn setting<'a>(&'a self, chain: &'a [String], key: &str) -> Option<(&'a str, &'a str)> {
        chain
            .iter()
            .find_map(|p| self.get(p, key).map(|v| (p.as_str(), v)))
    }

    /// A setting whose value cannot be right, before any code is spent.
    fn bad_value(&self, profile: &str, key: &str, value: &str, what: &str) -> Error {
        Error::config(format!(
            "profile '{profile}' in {}: {key} = {value} is not {what}",
            self.file_of(profile, key).display()
        ))
    }

    /// The `mfa_serial` a run of `profile` would use, following
    /// `source_profile` as far as it goes: for `doctor`, when the profile
    /// cannot be resolved, to still check the device.
    pub fn mfa_serial_of(&self, profile: &str) -> Option<&str> {
        let mut current = profile;
        for _ in 0..MAX_CHAIN {
            if let Some(serial) = self.get(current, "mfa_serial") {
                return Some(serial);
            }
            current = self.get(current, "source_profile")?;
        }
        None
    }

    /// A profile judged by name alone, as a run judges it before asking
    /// for a code (the keystore is not opened): it resolves, and its MFA
    /// device can give a code.
    pub fn usable(&self, profile: &str) -> Result<Plan> {
        let plan = self.resolve(&Request::named(profile))?;
        plan.mfa.check_device()?;
        Ok(plan)
    }

    /// The usable role profiles that stand on the IAM user profile `user`,
    /// sorted.
    pub fn roles_on(&self, user: &str) -> Vec<&str> {
        self.names()
            .into_iter()
            .filter(|name| {
                self.usable(name)
                    .is_ok_and(|plan| !plan.roles.is_empty() && plan.user.profile == user)
            })
            .collect()
    }

    /// Where `profile` stands on an IAM user whose long-term keys are in
    /// the files and no profile on the way names an `mfa_serial`: that
    /// user's profile and keys, with which IAM can be asked for the device.
    pub fn without_device(&self, profile: &str) -> Option<(String, LongTermKeys)> {
        let chain = self.chain(profile).ok()?;
        let user = chain.last()?;
        if self.setting(&chain, "mfa_serial").is_some()
            || self.get(user, "aws_session_token").is_some()
        {
            return None;
        }
        let keys = LongTermKeys {
            access_key_id: self.get(user, "aws_access_key_id")?.to_owned(),
            secret_access_key: Secret::new(self.get(user, "aws_secret_access_key")?),
        };
        Some((user.clone(), keys))
    }

    /// The profile `profile` stands for: itself, or, where its credentials
    /// are awsmfa's own (`credential_process = awsmfa credential-process
    /// --profile NAME`, as the README's set-up writes), NAME (followed
    /// again where NAME is such a profile too), so that an `AWS_PROFILE`
    /// naming the wrapper works. One that leads back to itself is a loop.
    pub fn unwrapped<'a>(&'a self, profile: &'a str) -> Result<&'a str> {
        let mut seen = vec![profile];
        let mut current = profile;
        while let Some(next) = self
            .get(current, "credential_process")
            .and_then(awsmfa_profile)
        {
            if seen.contains(&next) {
                seen.push(next);
                return Err(Error::config_with_hint(
                    format!(
                        "profile '{current}' gets its credentials from awsmfa credential-process \
                         --profile {next}, which leads back to it: a loop ({})",
                        seen.join(" -> ")
                    ),
                    format!(
                        "awsmfa credential-process --profile NAME must name the IAM user's own \
                         profile (its keys and mfa_serial), not '{next}'"
                    ),
                ));
            }
            if !self.profiles.contains_key(next) {
                return Err(self.unknown_profile(next));
            }
            seen.push(next);
            current = next;
        }
        Ok(current)
    }

    /// Every profile name in the files, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The error for a profile whose credentials come from somewhere other
    /// than long-term keys. Adding keys to it would be wrong advice.
    fn other_kind(&self, name: &str, of: &str) -> Option<Error> {
        let has = |key: &str| self.get(name, key).is_some();
        let what = if let Some(command) = self.get(name, "credential_process") {
            // `credential_process = awsmfa credential-process --profile USER`:
            // that user profile is the one to use.
            if let Some(user) = awsmfa_profile(command) {
                return Some(Error::config_with_hint(
                    format!(
                        "{of} gets its credentials from awsmfa credential-process for profile \
                         '{user}'; awsmfa gets sessions from that profile itself"
                    ),
                    format!("use --profile {user}"),
                ));
            }
            "gets its credentials from credential_process"
        } else if has("sso_session") || has("sso_start_url") {
            "is an IAM Identity Center (SSO) profile, whose sessions come from aws sso login"
        } else if has("web_identity_token_file") {
            "gets its credentials from a web identity token"
        } else if has("credential_source") {
            "gets its credentials from credential_source"
        } else {
            return None;
        };
        Some(Error::config_with_hint(
            format!(
                "{of} {what}, not from an IAM user's long-term keys, so MFA sessions do not apply"
            ),
            self.user_profiles_hint(
                "awsmfa needs an IAM user profile with long-term keys and mfa_serial",
            ),
        ))
    }

    /// The profiles that hold an IAM user's long-term keys.
    fn user_profiles(&self) -> Vec<&str> {
        self.names()
            .into_iter()
            .filter(|p| {
                self.get(p, "aws_access_key_id").is_some()
                    && self.get(p, "aws_secret_access_key").is_some()
                    && self.get(p, "aws_session_token").is_none()
            })
            .collect()
    }

    fn user_profiles_hint(&self, otherwise: &str) -> String {
        match self.user_profiles().as_slice() {
            [] => otherwise.to_owned(),
            [one] => format!("use the IAM user profile '{one}': --profile {one}"),
            many => format!("IAM user profiles here: {}", many.join(", ")),
        }
    }

    /// The profile asked for, if it is in the files; else the error, which
    /// names the variable `from` that chose it, if one did.
    pub fn check_asked(&self, profile: &str, from: Option<&str>) -> Result<()> {
        if self.profiles.contains_key(profile) {
            return Ok(());
        }
        Err(self.unknown_profile_from(profile, from))
    }

    /// A profile that is not in the files: the nearest name, and the list.
    pub fn unknown_profile(&self, profile: &str) -> Error {
        self.unknown_profile_from(profile, None)
    }

    fn unknown_profile_from(&self, profile: &str, from: Option<&str>) -> Error {
        if self.profiles.is_empty() {
            // The very first run: say what to write, and where.
            let section = if profile == "default" {
                "[default]".to_owned()
            } else {
                format!("[{profile}]")
            };
            let config_section = if profile == "default" {
                "[default]".to_owned()
            } else {
                format!("[profile {profile}]")
            };
            return Error::config_with_hint(
                format!(
                    "no AWS profile is set up yet: {} and {} hold none",
                    self.config.display(),
                    self.credentials.display()
                ),
                format!(
                    "put the IAM user's keys in {} under {section} (aws_access_key_id = AKIA…, \
                     aws_secret_access_key = …; or store them with: awsmfa add --profile {profile}) \
                     and its MFA device in {} under {config_section} (mfa_serial = \
                     arn:aws:iam::ACCOUNT:mfa/NAME)",
                    self.credentials.display(),
                    self.config.display()
                ),
            );
        }
        let (named, unset) = match from {
            Some(var) => (
                format!(" (from {var})"),
                format!("; or unset {var}, or give --profile"),
            ),
            None => (String::new(), String::new()),
        };
        Error::config_with_hint(
            format!(
                "profile '{profile}'{named} is not in {} or {}",
                self.config.display(),
                self.credentials.display()
            ),
            format!("{}{unset}", self.other_profiles_hint(profile)),
        )
    }

    /// For a profile name that is not there: the nearest one, and the list.
    fn other_profiles_hint(&self, missing: &str) -> String {
        let names = self.names();
        if names.is_empty() {
            return format!(
                "there are no profiles in {} or {}",
                self.config.display(),
                self.credentials.display()
            );
        }
        let nearest = names
            .iter()
            .map(|name| (strsim::jaro_winkler(missing, name), *name))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, name)| name);
        let listed = if names.len() > 12 {
            format!("{}, … ({} in all)", names[..12].join(", "), names.len())
        } else {
            names.join(", ")
        };
        match nearest {
            Some(name) => format!("did you mean '{name}'? profiles: {listed}"),
            None => format!("profiles: {listed}"),
        }
    }

    fn duration_setting(&self, profile: &str) -> Option<Result<u64>> {
        let text = self.get(profile, "duration_seconds")?;
        Some(
            text.parse().map_err(|_| {
                self.bad_value(profile, "duration_seconds", text, "a number of seconds")
            }),
        )
    }
}

impl Mfa {
    /// Refuses a device that cannot give a code (a FIDO security key),
    /// before any code is asked for: every command that would ask calls it.
    pub fn check_device(&self) -> Result<()> {
        match security_key(&self.serial) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The error for a FIDO security key's ARN (`arn:PARTITION:iam::ACCOUNT:u2f/…`):
/// such a key signs in to the console but gives no code for API calls. The
/// same words in `doctor` and in every command that would ask for a code.
pub fn security_key(serial: &str) -> Option<Error> {
    let parts: Vec<&str> = serial.splitn(6, ':').collect();
    let is_key = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[5].starts_with("u2f/");
    is_key.then(|| {
        Error::config_with_hint(
            format!(
                "{serial} is a FIDO security key: security keys cannot serve API calls, \
                 only console sign-in"
            ),
            "register a virtual (authenticator app) or hardware TOTP device for the user \
             and set mfa_serial to its ARN",
        )
    })
}

/// What to do about temporary keys (`ASIA…`, a session token) where an IAM
/// user's long-term pair belongs: all three values go.
pub fn long_term_pair_hint(profile: &str, file: &Path) -> String {
    format!(
        "replace all three values in [{profile}] in {} with the IAM user's long-term pair: \
         aws_access_key_id (AKIA…) and aws_secret_access_key, and no aws_session_token \
         (IAM → Users → Security credentials → Create access key)",
        file.display()
    )
}

/// An MFA device ARN (`arn:PARTITION:iam::ACCOUNT:mfa/NAME`, or `u2f/…`), or
/// a hardware token's serial number (`GAHT12345678`), as STS takes them.
pub fn is_mfa_serial(serial: &str) -> bool {
    if let Some(rest) = serial.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[1] == "iam"
            && parts[2].is_empty()
            && parts[3].len() == 12
            && parts[3].bytes().all(|b| b.is_ascii_digit())
            && (parts[4].starts_with("mfa/") || parts[4].starts_with("u2f/"))
            && parts[4].len() > 4
            && !parts[4].contains(char::is_whitespace);
    }
    (9..=256).contains(&serial.len())
        && serial
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=/:,.@-_".contains(&b))
}

/// The profile named in `awsmfa credential-process --profile NAME`.
fn awsmfa_profile(command: &str) -> Option<&str> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let program = words.first()?;
    if !(program.ends_with("/awsmfa") || *program == "awsmfa")
        || !words.contains(&"credential-process")
    {
        return None;
    }
    words
        .iter()
        .enumerate()
        .find_map(|(i, word)| match word.strip_prefix("--profile") {
            Some("") => words.get(i + 1).copied(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        })
}

fn check_duration(seconds: u64, range: std::ops::RangeInclusive<u64>, what: &str) -> Result<()> {
    if range.contains(&seconds) {
        return Ok(());
    }
    Err(Error::config(format!(
        "{what}: a {seconds} s session is out of range; STS allows {} to {} seconds",
        range.start(),
        range.end()
    )))
}
