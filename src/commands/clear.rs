//! `awsmfa clear`: removes cached sessions, all of them or those a run of
//! one profile would use.

use super::status::length;
use crate::cli::ClearArgs;
use crate::error::Result;
use crate::session::cache::Cache;

pub fn run(args: &ClearArgs) -> Result<()> {
    let cache = Cache::new(&super::settings()?)?;
    let text = clear(&cache, args.profile.as_deref(), args.verbose)?;
    super::print(text.as_bytes())
}

/// Removes every cached session, or those stored for `profile`; says what went.
pub fn clear(cache: &Cache, profile: Option<&str>, verbose: bool) -> Result<String> {
    let mut out = String::new();
    for (path, entry) in cache.entries() {
        let described = match (&entry, profile) {
            (Ok(entry), Some(name)) if entry.profile != name => continue,
            (Err(_), Some(_)) => continue,
            (Ok(entry), _) => format!(
                "profile '{}' ({}{}{})",
                entry.profile,
                entry.kind.describe(),
                entry
                    .role_arn
                    .as_deref()
                    .map(|arn| format!(" {arn}"))
                    .unwrap_or_default(),
                entry
                    .duration
                    .map(|d| format!(", {}", length(Some(d))))
                    .unwrap_or_default()
            ),
            (Err(_), None) => format!("unreadable entry {}", path.display()),
        };
        cache.remove(&path)?;
        if verbose {
            out.push_str(&format!("removed {described}: {}\n", path.display()));
        } else {
            out.push_str(&format!("removed {described}\n"));
        }
    }
    if profile.is_none() {
        cache.remove_orphan_locks();
    }
    if out.is_empty() {
        out = match profile {
            Some(name) => format!("no cached sessions for profile '{name}'\n"),
            None => "no cached sessions\n".to_owned(),
        };
    }
    Ok(out)
}

/// Removes the cached sessions of an IAM user's keys (before a change of
/// keys): those stored for `profile` and every session made with its MFA
/// device (its roles); how many went.
pub fn forget_user(cache: &Cache, profile: &str, serial: Option<&str>) -> Result<usize> {
    let mut removed = 0;
    for (path, entry) in cache.entries() {
        let Ok(entry) = entry else { continue };
        if entry.profile == profile || Some(entry.mfa_serial.as_str()) == serial {
            cache.remove(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}
