//! Reading the shared AWS files: `[default]` and `[profile NAME]` in the
//! config file, `[NAME]` in the credentials file, case-insensitive keys,
//! `#`/`;` comments, indented continuation lines, and the credentials file
//! winning for a key set in both. Synchronous and small, so a cached run
//! reads the files without an async runtime.

use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One profile's settings: lower-case keys and their values, a handful,
/// so a list (a map per profile costs more to build than to search, in a
/// file of thousands of profiles).
#[derive(Default)]
pub(super) struct Keys(Vec<(String, String)>);

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
    pub(super) profiles: HashMap<String, Keys>,
    /// (profile, key) whose value comes from the credentials file.
    pub(super) from_credentials: HashSet<(String, String)>,
}

impl Files {
    /// Reads both files; a file that does not exist holds no profiles.
    pub fn load(config: &Path, credentials: &Path) -> Result<Files> {
        let (config, credentials) = (config.to_owned(), credentials.to_owned());
        let mut profiles = HashMap::new();
        let mut from_credentials = HashSet::new();
        for (path, is_config) in [(&config, true), (&credentials, false)] {
            let Some(text) = read_file(path)? else {
                continue;
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
    pub(super) fn from_texts(config: &str, credentials: &str) -> Result<Files> {
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

    pub(super) fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.profiles
            .get(profile)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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

/// The largest AWS file read (a config of 60,000 profiles is 6 MB).
pub const MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// The text of an AWS file; `None` when there is none. Only a regular file
/// is read (a FIFO or a device would make every run wait, or read without
/// end), up to `MAX_FILE_SIZE`.
pub(crate) fn read_file(path: &Path) -> Result<Option<String>> {
    use std::io::Read;
    let failed = |why: String| Error::config(format!("cannot read {}: {why}", path.display()));
    let file = match crate::sys::open_without_waiting(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(crate::io_reason(&e))),
    };
    let meta = file.metadata().map_err(|e| failed(crate::io_reason(&e)))?;
    if !meta.is_file() {
        return Err(failed("it is not a regular file".into()));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(failed(format!(
            "it is larger than {} MB",
            MAX_FILE_SIZE / 1024 / 1024
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(crate::io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(failed("it grew while being read".into()));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| failed("it is not UTF-8 text".into()))
}

/// One line of an AWS file, as the AWS CLI reads it.
pub(crate) enum Line<'a> {
    /// Blank, or a comment (`#` or `;` first on the line).
    Nothing,
    /// `[…]`, with the profile it names, if it names one.
    Section(Option<String>),
    /// `key = value`, or `key : value`.
    Setting(&'a str, &'a str),
    /// An indented line in a section: part of the value above.
    Continuation(&'a str),
    /// What an AWS file cannot hold.
    Bad(&'static str),
}

/// What `raw` (one line, without its line break) is, in a config file or a
/// credentials file, inside a section or not yet. The one reading of a line:
/// `exec --server`'s filter of the child's copies uses it too, so what is
/// read as a key is what it removes.
pub(crate) fn classify(raw: &str, is_config: bool, in_section: bool) -> Line<'_> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Line::Nothing;
    }
    if raw.starts_with([' ', '\t']) && in_section {
        return Line::Continuation(trimmed);
    }
    if let Some(header) = trimmed.strip_prefix('[') {
        return match header.find(']') {
            Some(end) => Line::Section(section_profile(header[..end].trim(), is_config)),
            None => Line::Bad("section header without a closing ']'"),
        };
    }
    // `key = value`, or `key : value` as the AWS CLI also reads it.
    match trimmed.find(['=', ':']) {
        Some(at) => Line::Setting(trimmed[..at].trim(), trimmed[at + 1..].trim()),
        None => Line::Bad("expected 'key = value' or a [section]"),
    }
}

/// The lines of `text` as botocore reads them (Python's universal newlines):
/// each ends at `\r\n`, `\n` or a lone `\r`, and keeps its ending.
pub(crate) fn lines_with_endings(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match rest.find(['\n', '\r']) {
            None => rest.len(),
            Some(at) if rest[at..].starts_with("\r\n") => at + 2,
            Some(at) => at + 1,
        };
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// `lines_with_endings`, without the endings.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    lines_with_endings(text).map(|line| line.trim_end_matches(['\n', '\r']))
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
    for (index, raw) in lines(text).enumerate() {
        let error =
            |what: &str| Error::config(format!("{} line {}: {what}", path.display(), index + 1));
        let keys = section.as_deref().and_then(|name| profiles.get_mut(name));
        match classify(raw, is_config, in_section) {
            Line::Nothing => {}
            Line::Bad(what) => return Err(error(what)),
            Line::Continuation(more) => {
                // Part of the value above (sub-properties).
                if last_key.is_empty() {
                    return Err(error("indented line without a property above it"));
                }
                if let Some(value) = keys.and_then(|keys| keys.get_mut(&last_key)) {
                    value.push('\n');
                    value.push_str(more);
                }
            }
            Line::Section(profile) => {
                section = profile;
                if let Some(name) = &section
                    && !profiles.contains_key(name)
                {
                    profiles.insert(name.clone(), Keys::default());
                }
                in_section = true;
                last_key.clear();
            }
            Line::Setting(key, value) => {
                if !in_section {
                    return Err(error("a setting before any [section]"));
                }
                if key.is_empty() {
                    return Err(error("a setting without a name"));
                }
                last_key.clear();
                last_key.extend(key.chars().map(|c| c.to_ascii_lowercase()));
                if let Some(keys) = keys {
                    // `#` and `;` inside a value are part of it, as the AWS
                    // CLI reads it: `mfa_process = a ; b` runs `a ; b`.
                    keys.insert(last_key.clone(), value.to_owned());
                }
            }
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
