//! `awsmfa clear`: removes cached sessions, all of them or those a run of
//! one profile would use.

use super::status::length;
use crate::cli::ClearArgs;
use crate::error::Result;
use crate::profile::Files;
use crate::session::cache::{Cache, Entry, Kind};

pub fn run(args: &ClearArgs) -> Result<()> {
    let settings = super::settings()?;
    let cache = Cache::new(&settings)?;
    // A folder a write would refuse loses nothing either.
    cache.check_dir()?;
    if let Some(name) = args.profile.as_deref() {
        // A name in neither file is a typo, unless sessions are still
        // cached under it (a profile since removed from the files).
        let files = Files::load(&settings.config_file, &settings.credentials_file)?;
        let cached = || {
            cache
                .entries()
                .into_iter()
                .any(|(_, entry)| entry.is_ok_and(|entry| entry.profile == name))
        };
        if !files.names().contains(&name) && !cached() {
            return Err(files.unknown_profile(name));
        }
        // A profile whose credentials are awsmfa's own for another
        // (`credential_process = awsmfa credential-process --profile default`)
        // has that profile's sessions.
        if files.names().contains(&name) {
            let wrapped = files.unwrapped(name)?;
            if wrapped != name {
                let text = clear(&cache, Some(wrapped), args.verbose)?;
                let text = format!(
                    "profile '{name}' gets its sessions from awsmfa credential-process for \
                     profile '{wrapped}'\n{text}"
                );
                return super::print(crate::words::for_people(&text).as_bytes());
            }
        }
    }
    let text = clear(&cache, args.profile.as_deref(), args.verbose)?;
    super::print(crate::words::for_people(&text).as_bytes())
}

/// What an entry holds, in words: "the cached role session of profile 'admin'".
fn described(entry: &Entry) -> String {
    let what = match entry.kind {
        Kind::Session => "MFA session",
        Kind::Role => "role session",
    };
    let details: Vec<String> = entry
        .role_arn
        .iter()
        .cloned()
        .chain(entry.duration.map(|d| length(Some(d))))
        .collect();
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    format!("the cached {what} of profile '{}'{details}", entry.profile)
}

/// Removes every cached session, or those stored for `profile`; says what
/// went. Only names awsmfa makes are touched (`Cache::entries`), in a
/// folder that passes the checks of a write.
pub fn clear(cache: &Cache, profile: Option<&str>, verbose: bool) -> Result<String> {
    cache.check_dir()?;
    let mut out = String::new();
    for (path, entry) in cache.entries() {
        let described = match (&entry, profile) {
            (Ok(entry), Some(name)) if entry.profile != name => continue,
            (Err(_), Some(_)) => continue,
            (Ok(entry), _) => described(entry),
            (Err(_), None) => "an unreadable cache entry".to_owned(),
        };
        cache.remove(&path)?;
        if verbose || entry.is_err() {
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
/// device (its roles); how many went (none from a folder that fails the
/// checks of a write: `Cache::entries`).
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

/// `forget_user`, said as a line for `add` and `remove` (nothing when none went).
pub fn forget_keys(cache: &Cache, profile: &str, serial: Option<&str>) -> Result<String> {
    Ok(match forget_user(cache, profile, serial)? {
        0 => String::new(),
        1 => "removed 1 cached session of the old keys\n".to_owned(),
        n => format!("removed {n} cached sessions of the old keys\n"),
    })
}
