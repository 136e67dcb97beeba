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
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// STS's bounds for GetSessionToken.
pub const SESSION_DURATION: std::ops::RangeInclusive<u64> = 900..=129_600;
/// STS's bounds for AssumeRole.
pub const ROLE_DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;
/// STS's limit for a role session assumed with temporary credentials.
pub const CHAINED_ROLE_MAX: u64 = 3600;
const DEFAULT_SESSION_DURATION: u64 = 43_200;

/// One profile's settings: lower-case keys to values.
type Keys = HashMap<String, String>;

/// The profiles of both shared files, merged.
pub struct Files {
    pub config: PathBuf,
    pub credentials: PathBuf,
    profiles: HashMap<String, Keys>,
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
        let region = region
            .map(str::to_owned)
            .or_else(|| non_empty("AWS_REGION"))
            .or_else(|| non_empty("AWS_DEFAULT_REGION"));
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
            merge(&mut profiles, parse(&text, is_config, path)?);
        }
        Ok(Files {
            config,
            credentials,
            profiles,
        })
    }

    /// Builds a `Files` from texts, for tests.
    #[cfg(test)]
    fn from_texts(config: &str, credentials: &str) -> Result<Files> {
        let (config_path, credentials_path) =
            (PathBuf::from("config"), PathBuf::from("credentials"));
        let mut profiles = parse(config, true, &config_path)?;
        merge(&mut profiles, parse(credentials, false, &credentials_path)?);
        Ok(Files {
            config: config_path,
            credentials: credentials_path,
            profiles,
        })
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
        let Some(serial) = first("mfa_serial") else {
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
            current = source;
        }
        Ok(chain)
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
        Some(text.parse().map_err(|_| {
            Error::config(format!(
                "profile '{profile}': duration_seconds = {text} is not a number of seconds"
            ))
        }))
    }
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
    match env(var).filter(|v| !v.is_empty()) {
        Some(path) => match path.strip_prefix("~/") {
            Some(rest) => Ok(home()?.join(rest)),
            None => Ok(PathBuf::from(path)),
        },
        None => Ok(home()?.join(".aws").join(name)),
    }
}

fn merge(into: &mut HashMap<String, Keys>, from: HashMap<String, Keys>) {
    for (profile, keys) in from {
        into.entry(profile).or_default().extend(keys);
    }
}

/// Parses one file into its profiles. Sections that are not profiles
/// (`[sso-session x]`, `[services x]`) are read and dropped.
fn parse(text: &str, is_config: bool, path: &Path) -> Result<HashMap<String, Keys>> {
    let mut profiles: HashMap<String, Keys> = HashMap::new();
    let mut section: Option<String> = None;
    let mut in_section = false;
    let mut last_key: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let error =
            |what: &str| Error::config(format!("{} line {}: {what}", path.display(), index + 1));
        if raw.starts_with([' ', '\t']) && in_section {
            // A continuation line: part of the value above (sub-properties).
            let Some(key) = &last_key else {
                return Err(error("indented line without a property above it"));
            };
            if let Some(name) = &section {
                let value = profiles
                    .entry(name.clone())
                    .or_default()
                    .entry(key.clone())
                    .or_default();
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
            in_section = true;
            last_key = None;
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(error("expected 'key = value' or a [section]"));
        };
        if !in_section {
            return Err(error("a setting before any [section]"));
        }
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(error("a setting without a name"));
        }
        if let Some(name) = &section {
            profiles
                .entry(name.clone())
                .or_default()
                .insert(key.clone(), strip_comment(value).to_owned());
        }
        last_key = Some(key);
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
            "# comment\n[profile alice]\nMFA_Serial = arn:aws:iam::1:mfa/alice ; the phone\nregion=eu-west-1\n",
            CREDENTIALS,
        )
        .unwrap();
        let plan = files.resolve(&request("alice")).unwrap();
        assert_eq!(plan.user.access_key_id, "AKIAALICE");
        assert_eq!(plan.user.secret_access_key.expose(), "s3cret");
        assert_eq!(plan.mfa.serial, "arn:aws:iam::1:mfa/alice");
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
        assert_eq!(plan.user.duration, 43_200);
        assert!(plan.roles.is_empty());
    }

    #[test]
    fn credentials_file_wins_and_sections_merge() {
        let files = Files::from_texts(
            "[default]\naws_access_key_id = FROMCONFIG\nmfa_serial = m\n[profile default]\nregion = us-west-2\n",
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
            "[profile alice]\nmfa_serial = m\ns3 =\n  max_concurrent_requests = 10\n[sso-session x]\nmfa_serial = other\n[alice]\nmfa_serial = not-a-profile\n",
            CREDENTIALS,
        )
        .unwrap();
        assert_eq!(files.resolve(&request("alice")).unwrap().mfa.serial, "m");
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
            "[profile alice]\nmfa_serial = m\n",
            "[alice]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n",
        )
        .unwrap();
        let err = files.resolve(&request("alice")).unwrap_err();
        assert!(err.to_string().contains("temporary credentials"), "{err}");
    }

    #[test]
    fn durations_are_checked() {
        let files = Files::from_texts("[profile alice]\nmfa_serial = m\n", CREDENTIALS).unwrap();
        for bad in [899, 129_601] {
            let mut r = request("alice");
            r.duration = Some(bad);
            let err = files.resolve(&r).unwrap_err();
            assert!(err.to_string().contains("out of range"), "{err}");
        }
    }

    const ROLES: &str = "[profile alice]\nmfa_serial = m\nregion = eu-west-1\nduration_seconds = 7200\n\
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
}
