//! The shared AWS files and the environment → a resolved `Plan`: the IAM user
//! whose long-term keys start everything, and the roles assumed on top of it.
//!
//! The files are parsed here, synchronously, so that a cached run reads them
//! without an async runtime. The format is the AWS one: `[default]` and
//! `[profile NAME]` in the config file, `[NAME]` in the credentials file,
//! case-insensitive keys, `#`/`;` comments, indented continuation lines, and
//! the credentials file winning for a key set in both.

use crate::error::{Error, Result};
use crate::secret::Secret;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

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

/// One profile's settings: lower-case keys and their values, a handful,
/// so a list (a map per profile costs more to build than to search, in a
/// file of thousands of profiles).
#[derive(Default)]
struct Keys(Vec<(String, String)>);

impl Keys {
    fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`; a key set again keeps its last value.
    fn insert(&mut self, key: String, value: String) {
        match self.get_mut(&key) {
            Some(old) => *old = value,
            None => self.0.push((key, value)),
        }
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
}

/// The profiles of both shared files, merged.
pub struct Files {
    pub config: PathBuf,
    pub credentials: PathBuf,
    profiles: HashMap<String, Keys>,
    /// (profile, key) whose value comes from the credentials file.
    from_credentials: HashSet<(String, String)>,
}

/// What the user asked for, from the flags and the environment.
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
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Seconds for GetSessionToken.
    pub duration: u64,
}

#[derive(Debug)]
pub struct Mfa {
    pub serial: String,
    pub process: Option<String>,
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
    /// The request from the flags, falling back on the environment.
    pub fn new(
        profile: Option<&str>,
        region: Option<&str>,
        duration: Option<u64>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Request> {
        let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
        let profile = profile
            .map(str::to_owned)
            .or_else(|| non_empty("AWS_PROFILE"))
            .or_else(|| non_empty("AWS_DEFAULT_PROFILE"))
            // Set by an enclosing `awsmfa exec` or an evaluated `awsmfa
            // export`, both of which remove AWS_PROFILE.
            .or_else(|| non_empty("AWSMFA_PROFILE"))
            .unwrap_or_else(|| "default".to_owned());
        let region = match region {
            Some(region) => Some(("--region", region.to_owned())),
            None => ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .into_iter()
                .find_map(|name| non_empty(name).map(|value| (name, value))),
        };
        if let Some((from, region)) = &region
            && !is_region(region)
        {
            return Err(Error::config(format!(
                "{from}: '{region}' is not a region name"
            )));
        }
        let region = region.map(|(_, region)| region);
        let duration = match duration {
            Some(seconds) => Some(seconds),
            None => match non_empty("AWSMFA_DURATION") {
                Some(text) => Some(
                    crate::cli::parse_seconds(&text)
                        .map_err(|why| Error::config(format!("AWSMFA_DURATION: {why}")))?,
                ),
                None => None,
            },
        };
        Ok(Request {
            profile,
            region,
            duration,
        })
    }
}

impl Files {
    /// Reads both files; a file that does not exist holds no profiles.
    pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Files> {
        let config = file_path(env, "AWS_CONFIG_FILE", "config")?;
        let credentials = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")?;
        let mut profiles = HashMap::new();
        let mut from_credentials = HashSet::new();
        for (path, is_config) in [(&config, true), (&credentials, false)] {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Error::config(format!(
                        "cannot read {}: {}",
                        path.display(),
                        crate::io_reason(&e)
                    )));
                }
            };
            let parsed = parse(&text, is_config, path)?;
            if !is_config {
                from_credentials = origins(&parsed);
            }
            merge(&mut profiles, parsed);
        }
        Ok(Files {
            config,
            credentials,
            profiles,
            from_credentials,
        })
    }

    /// Builds a `Files` from texts, for tests.
    #[cfg(test)]
    fn from_texts(config: &str, credentials: &str) -> Result<Files> {
        let (config_path, credentials_path) =
            (PathBuf::from("config"), PathBuf::from("credentials"));
        let mut profiles = parse(config, true, &config_path)?;
        let parsed = parse(credentials, false, &credentials_path)?;
        let from_credentials = origins(&parsed);
        merge(&mut profiles, parsed);
        Ok(Files {
            config: config_path,
            credentials: credentials_path,
            profiles,
            from_credentials,
        })
    }

    /// A profile's setting as read, empty or not (for comparing readers).
    pub fn setting_of(&self, profile: &str, key: &str) -> Option<&str> {
        self.profiles.get(profile)?.get(key).map(String::as_str)
    }

    fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.profiles
            .get(profile)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

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
                format!(
                    "remove aws_session_token from [{user_name}] in {}",
                    self.credentials.display()
                ),
            ));
        }
        let of = if user_name == request.profile {
            format!("profile '{user_name}'")
        } else {
            format!("profile '{user_name}' (source of '{}')", request.profile)
        };
        let (Some(access_key_id), Some(secret)) = (
            self.get(user_name, "aws_access_key_id"),
            self.get(user_name, "aws_secret_access_key"),
        ) else {
            if let Some(error) = self.other_kind(user_name, &of) {
                return Err(error);
            }
            return Err(Error::config_with_hint(
                format!("{of} has no long-term keys (aws_access_key_id and aws_secret_access_key)"),
                format!(
                    "add them to [{user_name}] in {}",
                    self.credentials.display()
                ),
            ));
        };
        let serial = self.setting(&chain, "mfa_serial");
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
                format!("{of} has no mfa_serial"),
                format!(
                    "add this line to {section} in {}: mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME",
                    self.config.display()
                ),
            ));
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
                access_key_id: access_key_id.to_owned(),
                secret_access_key: Secret::new(secret),
                duration: user_duration,
            },
            mfa: Mfa {
                serial: serial.to_owned(),
                process: first("mfa_process").map(str::to_owned),
            },
            roles,
        })
    }

    /// The profile asked for, then each `source_profile` down to one without `role_arn`.
    fn chain(&self, profile: &str) -> Result<Vec<String>> {
        if !self.profiles.contains_key(profile) {
            return Err(Error::config_with_hint(
                format!(
                    "profile '{profile}' is not in {} or {}",
                    self.config.display(),
                    self.credentials.display()
                ),
                self.other_profiles_hint(profile),
            ));
        }
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

/// A region name: what the SDKs accept as a host label (`eu-west-1`), so
/// `eu-west-1#oops` or a quoted `"eu-west-1"` is caught before a code is spent.
pub fn is_region(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
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

fn file_path(env: &dyn Fn(&str) -> Option<String>, var: &str, name: &str) -> Result<PathBuf> {
    let home = || {
        env("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
            .ok_or_else(|| Error::config(format!("cannot find the home folder; set {var}")))
    };
    // Under `exec --server`, AWS_* name copies of the files without the
    // default profile's credentials (for the command's SDK); AWSMFA_* name
    // the user's own, for an awsmfa that the command runs.
    let own = format!("AWSMFA_{}", var.trim_start_matches("AWS_"));
    match env(&own)
        .filter(|v| !v.is_empty())
        .or_else(|| env(var).filter(|v| !v.is_empty()))
    {
        Some(path) => match path.strip_prefix("~/") {
            Some(rest) => Ok(home()?.join(rest)),
            None => Ok(PathBuf::from(path)),
        },
        None => Ok(home()?.join(".aws").join(name)),
    }
}

/// Every (profile, key) a file sets.
fn origins(profiles: &HashMap<String, Keys>) -> HashSet<(String, String)> {
    profiles
        .iter()
        .flat_map(|(profile, keys)| keys.keys().map(move |key| (profile.clone(), key.clone())))
        .collect()
}

fn merge(into: &mut HashMap<String, Keys>, from: HashMap<String, Keys>) {
    if into.is_empty() {
        *into = from;
        return;
    }
    for (profile, keys) in from {
        let into = into.entry(profile).or_default();
        for (key, value) in keys.0 {
            into.insert(key, value);
        }
    }
}

/// Parses one file into its profiles. Sections that are not profiles
/// (`[sso-session x]`, `[services x]`) are read and dropped.
fn parse(text: &str, is_config: bool, path: &Path) -> Result<HashMap<String, Keys>> {
    let mut profiles: HashMap<String, Keys> = HashMap::new();
    // The profile of the current section (None in a section that is not a
    // profile), and the last key set in it, for continuation lines.
    let mut section: Option<String> = None;
    let mut in_section = false;
    let mut last_key = String::new();
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let error =
            |what: &str| Error::config(format!("{} line {}: {what}", path.display(), index + 1));
        let keys = section.as_deref().and_then(|name| profiles.get_mut(name));
        if raw.starts_with([' ', '\t']) && in_section {
            // A continuation line: part of the value above (sub-properties).
            if last_key.is_empty() {
                return Err(error("indented line without a property above it"));
            }
            if let Some(value) = keys.and_then(|keys| keys.get_mut(&last_key)) {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(end) = header.find(']') else {
                return Err(error("section header without a closing ']'"));
            };
            section = section_profile(header[..end].trim(), is_config);
            if let Some(name) = &section
                && !profiles.contains_key(name)
            {
                profiles.insert(name.clone(), Keys::default());
            }
            in_section = true;
            last_key.clear();
            continue;
        }
        // `key = value`, or `key : value` as the AWS CLI also reads it.
        let Some((key, value)) = trimmed
            .find(['=', ':'])
            .map(|at| (&trimmed[..at], &trimmed[at + 1..]))
        else {
            return Err(error("expected 'key = value' or a [section]"));
        };
        if !in_section {
            return Err(error("a setting before any [section]"));
        }
        let key = key.trim();
        if key.is_empty() {
            return Err(error("a setting without a name"));
        }
        last_key.clear();
        last_key.extend(key.chars().map(|c| c.to_ascii_lowercase()));
        if let Some(keys) = keys {
            keys.insert(last_key.clone(), strip_comment(value).to_owned());
        }
    }
    Ok(profiles)
}

/// The profile a section header names, if it names one.
fn section_profile(header: &str, is_config: bool) -> Option<String> {
    if !is_config {
        return Some(header.to_owned());
    }
    if header == "default" {
        return Some(header.to_owned());
    }
    let rest = header.strip_prefix("profile")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(rest.trim().to_owned())
}

/// A value without a trailing comment (`#` or `;` after white space).
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    let end = (1..bytes.len())
        .find(|&i| matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace())
        .unwrap_or(bytes.len());
    value[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(profile: &str) -> Request {
        Request {
            profile: profile.to_owned(),
            region: None,
            duration: None,
        }
    }

    const CREDENTIALS: &str =
        "[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cret\n";

    #[test]
    fn user_profile_from_both_files() {
        let files = Files::from_texts(
            "# comment\n[profile alice]\nMFA_Serial = arn:aws:iam::123456789012:mfa/alice ; the phone\nregion=eu-west-1\n",
            CREDENTIALS,
        )
        .unwrap();
        let plan = files.resolve(&request("alice")).unwrap();
        assert_eq!(plan.user.access_key_id, "AKIAALICE");
        assert_eq!(plan.user.secret_access_key.expose(), "s3cret");
        assert_eq!(plan.mfa.serial, "arn:aws:iam::123456789012:mfa/alice");
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
        assert_eq!(plan.user.duration, 43_200);
        assert!(plan.roles.is_empty());
    }

    #[test]
    fn credentials_file_wins_and_sections_merge() {
        let files = Files::from_texts(
            "[default]\naws_access_key_id = FROMCONFIG\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n[profile default]\nregion = us-west-2\n",
            "[default]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n",
        )
        .unwrap();
        let plan = files.resolve(&request("default")).unwrap();
        assert_eq!(plan.user.access_key_id, "FROMCREDS");
        assert_eq!(plan.region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn continuation_lines_and_foreign_sections_are_tolerated() {
        let files = Files::from_texts(
            "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\ns3 =\n  max_concurrent_requests = 10\n[sso-session x]\nmfa_serial = arn:aws:iam::123456789012:mfa/other\n[alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/not-a-profile\n",
            CREDENTIALS,
        )
        .unwrap();
        assert_eq!(
            files.resolve(&request("alice")).unwrap().mfa.serial,
            "arn:aws:iam::123456789012:mfa/m"
        );
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let err = Files::from_texts("[profile a]\nthis is not a setting\n", "")
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "config line 2: expected 'key = value' or a [section]"
        );
    }

    #[test]
    fn flag_and_environment_precedence() {
        let env = |k: &str| match k {
            "AWS_PROFILE" => Some("fromenv".to_owned()),
            "AWS_DEFAULT_PROFILE" => Some("other".to_owned()),
            "AWS_DEFAULT_REGION" => Some("ap-south-1".to_owned()),
            "AWSMFA_DURATION" => Some("1h".to_owned()),
            _ => None,
        };
        let r = Request::new(None, None, None, &env).unwrap();
        assert_eq!(r.profile, "fromenv");
        assert_eq!(r.region.as_deref(), Some("ap-south-1"));
        assert_eq!(r.duration, Some(3600));
        let r = Request::new(Some("flag"), Some("eu-north-1"), Some(900), &env).unwrap();
        assert_eq!(
            (r.profile.as_str(), r.region.as_deref(), r.duration),
            ("flag", Some("eu-north-1"), Some(900))
        );
        let none = |_: &str| None;
        assert_eq!(
            Request::new(None, None, None, &none).unwrap().profile,
            "default"
        );
    }

    #[test]
    fn missing_mfa_serial_hints_the_line_to_add() {
        let files = Files::from_texts("", CREDENTIALS).unwrap();
        let err = files.resolve(&request("alice")).unwrap_err();
        assert_eq!(err.to_string(), "profile 'alice' has no mfa_serial");
        assert!(
            err.hint()
                .unwrap()
                .contains("[profile alice] in config: mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME")
        );
    }

    #[test]
    fn temporary_credentials_are_refused() {
        let files = Files::from_texts(
            "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n",
            "[alice]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n",
        )
        .unwrap();
        let err = files.resolve(&request("alice")).unwrap_err();
        assert!(err.to_string().contains("temporary credentials"), "{err}");
    }

    #[test]
    fn durations_are_checked() {
        let files = Files::from_texts(
            "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n",
            CREDENTIALS,
        )
        .unwrap();
        for bad in [899, 129_601] {
            let mut r = request("alice");
            r.duration = Some(bad);
            let err = files.resolve(&r).unwrap_err();
            assert!(err.to_string().contains("out of range"), "{err}");
        }
    }

    const ROLES: &str = "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\nregion = eu-west-1\nduration_seconds = 7200\n\
        [profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\nexternal_id = x\n\
        [profile deep]\nrole_arn = arn:aws:iam::1:role/deep\nsource_profile = admin\nregion = us-east-2\n\
        [profile loop1]\nrole_arn = r\nsource_profile = loop2\n[profile loop2]\nrole_arn = r\nsource_profile = loop1\n\
        [profile orphan]\nrole_arn = r\nsource_profile = nobody\n";

    #[test]
    fn role_chain_resolves_outward() {
        let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
        let plan = files.resolve(&request("deep")).unwrap();
        let arns: Vec<_> = plan.roles.iter().map(|r| r.arn.as_str()).collect();
        assert_eq!(
            arns,
            ["arn:aws:iam::1:role/admin", "arn:aws:iam::1:role/deep"]
        );
        assert_eq!(plan.user.profile, "alice");
        assert_eq!(
            plan.user.duration, 7200,
            "the user session keeps its own duration"
        );
        assert_eq!(plan.roles[1].duration, 3600);
        assert_eq!(plan.region.as_deref(), Some("us-east-2"));
        assert_eq!(plan.roles[0].external_id.as_deref(), Some("x"));
        assert!(!plan.direct_role());
    }

    #[test]
    fn long_role_sessions() {
        let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
        let mut r = request("admin");
        r.duration = Some(7200);
        let plan = files.resolve(&r).unwrap();
        assert!(plan.direct_role());
        assert_eq!(plan.user.duration, 7200);
        let mut r = request("deep");
        r.duration = Some(7200);
        let err = files.resolve(&r).unwrap_err();
        assert!(err.to_string().contains("one-hour limit"), "{err}");
    }

    #[test]
    fn broken_chains_are_named() {
        let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
        let err = files.resolve(&request("loop1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "source_profile cycle: loop1 -> loop2 -> loop1"
        );
        let err = files.resolve(&request("orphan")).unwrap_err();
        assert!(err.to_string().contains("source_profile 'nobody'"), "{err}");
        let err = files.resolve(&request("nobody")).unwrap_err();
        assert!(
            err.to_string().starts_with("profile 'nobody' is not in"),
            "{err}"
        );
    }

    #[test]
    fn values_that_cannot_be_right() {
        for good in [
            "eu-west-1",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "local",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "eu-west-1#oops",
            "\"eu-west-1\"",
            "EU-WEST-1",
            "",
            "-eu",
            "eu west 1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
        for good in [
            "arn:aws:iam::123456789012:mfa/alice",
            "arn:aws-us-gov:iam::123456789012:mfa/path/alice",
            "arn:aws:iam::123456789012:u2f/user/alice/key-ABC",
            "GAHT12345678",
        ] {
            assert!(is_mfa_serial(good), "{good}");
        }
        for bad in [
            "alice",
            "arn:aws:iam::1234:mfa/alice",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:mfa/",
            "arn:aws:sts::123456789012:mfa/alice",
            "GAHT 12345678",
        ] {
            assert!(!is_mfa_serial(bad), "{bad}");
        }
        let files = Files::from_texts(
            "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1#oops\n",
            CREDENTIALS,
        )
        .unwrap();
        let err = files.resolve(&request("alice")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile 'alice' in config: region = eu-west-1#oops is not a region name"
        );
        let files = Files::from_texts("", &format!("{CREDENTIALS}mfa_serial = phone\n")).unwrap();
        let err = files.resolve(&request("alice")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("profile 'alice' in credentials: mfa_serial = phone is not"),
            "{err}"
        );
    }

    #[test]
    fn colon_separates_like_equals() {
        let files = Files::from_texts(
            "[profile alice]\nmfa_serial: arn:aws:iam::123456789012:mfa/alice\nregion : eu-west-1\n",
            CREDENTIALS,
        )
        .unwrap();
        let plan = files.resolve(&request("alice")).unwrap();
        assert_eq!(plan.mfa.serial, "arn:aws:iam::123456789012:mfa/alice");
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn chains_are_bounded() {
        let mut config =
            String::from("[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n");
        for i in 0..100 {
            let source = if i == 0 {
                "alice".to_owned()
            } else {
                format!("r{}", i - 1)
            };
            config.push_str(&format!(
                "[profile r{i}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = {source}\n"
            ));
        }
        let files = Files::from_texts(&config, CREDENTIALS).unwrap();
        assert_eq!(files.resolve(&request("r60")).unwrap().roles.len(), 61);
        let err = files.resolve(&request("r99")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile 'r99': its source_profile chain is longer than 64 profiles"
        );
    }

    /// Lines an AWS file is made of, and a few it should not contain.
    fn line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = "[a-zA-Z0-9_ü -]{0,12}";
        let key = prop_oneof![
            Just("region".to_owned()),
            Just("mfa_serial".to_owned()),
            Just("role_arn".to_owned()),
            Just("source_profile".to_owned()),
            Just("aws_access_key_id".to_owned()),
            Just("aws_secret_access_key".to_owned()),
            Just("duration_seconds".to_owned()),
            Just("credential_process".to_owned()),
            "[a-z_]{1,10}",
        ];
        prop_oneof![
            name.prop_map(|n| format!("[profile {n}]")),
            name.prop_map(|n| format!("[{n}]")),
            (key.clone(), "[ \t]{0,2}", "[=:]", "\\PC{0,30}")
                .prop_map(|(k, w, sep, v)| format!("{k}{w}{sep}{v}")),
            (key, "[a-z0-9 ]{0,8}").prop_map(|(k, n)| format!("source_profile = {k}{n}")),
            "[ \t]+\\PC{0,20}",
            "[#;]\\PC{0,20}",
            "\\PC{0,40}",
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

        /// Whatever the files hold, reading and resolving them never panics,
        /// and takes no time to speak of.
        #[test]
        fn any_file_is_read_or_refused(
            config in proptest::collection::vec(line(), 0..40),
            credentials in proptest::collection::vec(line(), 0..10),
            ending in proptest::prelude::prop_oneof![proptest::prelude::Just("\n"), proptest::prelude::Just("\r\n")],
        ) {
            let started = std::time::Instant::now();
            if let Ok(files) = Files::from_texts(&config.join(ending), &credentials.join(ending)) {
                for name in files.names() {
                    let _ = files.resolve(&request(name));
                }
            }
            proptest::prop_assert!(started.elapsed() < std::time::Duration::from_secs(1));
        }
    }
}
