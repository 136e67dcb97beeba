//! `awsmfa list`: the profiles awsmfa can use (IAM users, and roles with the
//! chain down to their user), each with its MFA device and the time left on
//! its cached session, and where its long-term keys live. No secrets.

use crate::cli::ListArgs;
use crate::error::{Error, Result};
use crate::profile::{Files, KeysAt, Plan, Request};
use crate::session::cache::Cache;
use std::time::SystemTime;

pub fn run(args: &ListArgs) -> Result<()> {
    let settings = super::settings()?;
    let files = Files::load(&settings.config_file, &settings.credentials_file)?;
    if args.names {
        return super::print(names(&files).as_bytes());
    }
    let cache = Cache::new(&settings)?;
    let text = list(
        &files,
        &cache,
        settings.min_ttl,
        args.json,
        SystemTime::now(),
    )?;
    super::print(text.as_bytes())
}

/// One usable profile.
struct Row {
    plan: Plan,
    /// Seconds left on the cached credentials a run of this profile would
    /// reuse; `None` when it would get new ones.
    left: Option<i64>,
}

impl Row {
    /// `IAM user`, or `role ← source ← … ← user`.
    fn kind(&self) -> String {
        if self.plan.roles.is_empty() {
            return "IAM user".to_owned();
        }
        let mut chain = vec!["role".to_owned()];
        chain.extend(self.sources());
        chain.join(" ← ")
    }

    /// Where the user's long-term keys live (the keystore is not read).
    fn keys(&self) -> &'static str {
        match self.plan.user.keys {
            KeysAt::Files(_) => "file",
            KeysAt::Keystore => "keystore",
        }
    }

    /// The profiles a role stands on, nearest first, down to the user.
    fn sources(&self) -> Vec<String> {
        let roles = &self.plan.roles;
        let mut sources: Vec<String> = roles[..roles.len().saturating_sub(1)]
            .iter()
            .rev()
            .map(|role| role.profile.clone())
            .collect();
        if !roles.is_empty() {
            sources.push(self.plan.user.profile.clone());
        }
        sources
    }
}

/// For shell completion: each usable profile, one a line, with its kind
/// after a tab (fish shows it beside the name; bash and zsh cut it off).
/// A profile that cannot be used is not offered.
pub fn names(files: &Files) -> String {
    files
        .names()
        .into_iter()
        .filter_map(|name| {
            let request = Request {
                profile: name.to_owned(),
                region: None,
                duration: None,
            };
            let plan = files.resolve(&request).ok()?;
            let kind = Row { plan, left: None }.kind();
            // A name with a tab or a line break cannot be offered as one word.
            (!name.contains(['\t', '\n', '\r'])).then(|| format!("{name}\t{kind}\n"))
        })
        .collect()
}

/// The table (or JSON) of usable profiles at `now`, with `min_ttl` asked for.
pub fn list(
    files: &Files,
    cache: &Cache,
    min_ttl: u64,
    json: bool,
    now: SystemTime,
) -> Result<String> {
    let mut rows = Vec::new();
    let mut unusable = Vec::new();
    for name in files.names() {
        let request = Request {
            profile: name.to_owned(),
            region: None,
            duration: None,
        };
        match files.resolve(&request) {
            Ok(plan) => {
                let keys = crate::session::keys(&plan);
                let left = keys
                    .last()
                    .and_then(|key| cache.load(key).ok().flatten())
                    .filter(|entry| entry.usable(min_ttl, now))
                    .map(|entry| entry.credentials.seconds_left(now));
                rows.push(Row { plan, left });
            }
            Err(_) => unusable.push(name),
        }
    }
    if json {
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "profile": row.plan.profile,
                    "kind": if row.plan.roles.is_empty() { "user" } else { "role" },
                    "sources": row.sources(),
                    "role_arn": row.plan.roles.last().map(|role| role.arn.as_str()),
                    "mfa_serial": row.plan.mfa.serial,
                    "keys": row.keys(),
                    "seconds_left": row.left,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&values)
            .map_err(|e| Error::Output(format!("cannot encode the list: {e}")))?;
        return Ok(format!("{text}\n"));
    }
    if rows.is_empty() {
        return Ok(format!(
            "no profiles awsmfa can use in {} or {}: a profile needs an IAM user's keys and \
             mfa_serial, or role_arn with a source_profile that has them\n",
            files.config.display(),
            files.credentials.display()
        ));
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.plan.profile.clone(),
                row.kind(),
                row.plan.mfa.serial.clone(),
                row.keys().to_owned(),
                row.left.map_or("-".to_owned(), crate::human_seconds),
            ]
        })
        .collect();
    let mut out = super::status::table(
        &["PROFILE", "KIND", "MFA DEVICE", "KEYS", "SESSION"],
        &table,
    );
    if !unusable.is_empty() {
        out.push_str(&format!(
            "not usable: {} (awsmfa exec --profile NAME says why)\n",
            unusable.join(", ")
        ));
    }
    Ok(out)
}
