//! `awsmfa list`: every profile in the user's files: those awsmfa can use
//! (IAM users, and roles with the chain down to their user), each with its
//! MFA device, where its long-term keys live and the time left on its cached
//! session; and those it cannot, each with why. No secrets. Exit 1 when no
//! profile can be used.

use crate::cli::ListArgs;
use crate::error::{Error, Result};
use crate::profile::{Files, KeysAt, Plan};
use crate::session::cache::Cache;
use crate::words::{self, LEFT, NOT_USABLE};
use std::time::SystemTime;

pub fn run(args: &ListArgs) -> Result<()> {
    let settings = super::settings()?;
    let files = Files::load(&settings.config_file, &settings.credentials_file)?;
    let home = settings.home.as_deref().and_then(|h| h.to_str());
    let profiles = profiles(&files, home);
    if args.names {
        return super::print(names(&profiles).as_bytes());
    }
    let cache = Cache::new(&settings)?;
    let now = SystemTime::now();
    if args.json {
        super::print(json(&profiles, &cache, settings.min_ttl, now)?.as_bytes())?;
    } else if !profiles.is_empty() {
        let text = table(&profiles, &cache, settings.min_ttl, now);
        super::print(words::for_locale(&text).as_bytes())?;
    }
    if profiles.iter().any(|p| p.usable().is_some()) {
        return Ok(());
    }
    let files_shown = format!(
        "{} or {}",
        crate::words::tilde(&files.config, home),
        crate::words::tilde(&files.credentials, home)
    );
    // With no profile at all there is nothing for doctor to look at: say
    // what to write; with some, doctor says what is wrong with the first.
    let (what, hint) = match profiles.first() {
        None => (
            format!("no profiles in {files_shown}"),
            format!(
                "put the IAM user's keys under [default] in {} and mfa_serial = \
                 arn:aws:iam::ACCOUNT:mfa/NAME under [default] in {} (or store the keys with \
                 awsmfa add)",
                crate::words::tilde(&files.credentials, home),
                crate::words::tilde(&files.config, home)
            ),
        ),
        Some(first) => (
            format!("none of the profiles in {files_shown} can be used"),
            format!(
                "a profile needs an IAM user's keys and mfa_serial, or role_arn with a \
                 source_profile that has them; awsmfa doctor --profile {} says what to fix",
                first.name()
            ),
        ),
    };
    Err(Error::config_with_hint(what, hint))
}

/// A profile in the files: usable, with its plan, or not, with why.
enum Profile {
    Usable(Plan),
    NotUsable { name: String, why: String },
}

impl Profile {
    fn name(&self) -> &str {
        match self {
            Profile::Usable(plan) => &plan.profile,
            Profile::NotUsable { name, .. } => name,
        }
    }

    fn usable(&self) -> Option<&Plan> {
        match self {
            Profile::Usable(plan) => Some(plan),
            Profile::NotUsable { .. } => None,
        }
    }
}

/// Every profile in the files, by name, judged as a run would judge it
/// before asking for a code (`Files::usable`). `home` is shown as `~` in the
/// reasons.
fn profiles(files: &Files, home: Option<&str>) -> Vec<Profile> {
    files
        .names()
        .into_iter()
        .map(|name| match files.usable(name) {
            Ok(plan) => Profile::Usable(plan),
            Err(error) => Profile::NotUsable {
                name: name.to_owned(),
                why: crate::one_line(&crate::words::tilde_text(&error.to_string(), home), 300),
            },
        })
        .collect()
}

/// Where the user's long-term keys live (the keystore is not read).
fn keys(plan: &Plan) -> &'static str {
    match plan.user.keys {
        KeysAt::Files(_) => "file",
        KeysAt::Keystore => "keystore",
    }
}

/// Seconds left on the cached credentials a run of `plan` would reuse;
/// `None` when it would get new ones.
fn left(plan: &Plan, cache: &Cache, min_ttl: u64, now: SystemTime) -> Option<i64> {
    crate::session::keys(plan)
        .last()
        .and_then(|key| cache.load(key).ok().flatten())
        .filter(|entry| entry.usable(min_ttl, now))
        .map(|entry| entry.credentials.seconds_left(now))
}

/// For shell completion: every profile, one a line, with its kind after a
/// tab (fish and zsh show it beside the name; bash cuts it off), or `not
/// usable` for one that cannot be used: the scripts offer those to `doctor`
/// only.
fn names(profiles: &[Profile]) -> String {
    profiles
        .iter()
        // A name with a tab or a line break cannot be offered as one word.
        .filter(|p| !p.name().contains(['\t', '\n', '\r']))
        .map(|p| match p {
            // The name as it is, whatever the locale: it is what is typed.
            Profile::Usable(plan) => format!(
                "{}\t{}\n",
                plan.profile,
                words::for_locale(&crate::session::kind(plan))
            ),
            Profile::NotUsable { name, .. } => format!("{name}\t{NOT_USABLE}\n"),
        })
        .collect()
}

/// The table: a row per profile; one that cannot be used says why.
fn table(profiles: &[Profile], cache: &Cache, min_ttl: u64, now: SystemTime) -> String {
    let rows: Vec<Vec<String>> = profiles
        .iter()
        .map(|p| match p {
            Profile::Usable(plan) => vec![
                plan.profile.clone(),
                crate::session::kind(plan),
                plan.mfa.serial.clone(),
                keys(plan).to_owned(),
                left(plan, cache, min_ttl, now).map_or("-".to_owned(), crate::human_seconds),
            ],
            Profile::NotUsable { name, why } => vec![name.clone(), format!("{NOT_USABLE}: {why}")],
        })
        .collect();
    super::status::table(&["PROFILE", "KIND", "MFA DEVICE", "KEYS", LEFT], &rows)
}

/// `--json`: an object per profile; one that cannot be used has `usable`
/// false and `why`.
fn json(profiles: &[Profile], cache: &Cache, min_ttl: u64, now: SystemTime) -> Result<String> {
    let values: Vec<serde_json::Value> = profiles
        .iter()
        .map(|p| match p {
            Profile::Usable(plan) => serde_json::json!({
                "profile": plan.profile,
                "usable": true,
                "kind": if plan.roles.is_empty() { "user" } else { "role" },
                "sources": crate::session::sources(plan),
                "role_arn": plan.roles.last().map(|role| role.arn.as_str()),
                "mfa_serial": plan.mfa.serial,
                "keys": keys(plan),
                "seconds_left": left(plan, cache, min_ttl, now),
            }),
            Profile::NotUsable { name, why } => serde_json::json!({
                "profile": name,
                "usable": false,
                "why": why,
            }),
        })
        .collect();
    let text = serde_json::to_string_pretty(&values)
        .map_err(|e| Error::Output(format!("cannot encode the list: {e}")))?;
    Ok(format!("{text}\n"))
}
