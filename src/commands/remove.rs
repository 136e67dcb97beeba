//! `awsmfa remove`: a profile's keys out of the OS keystore (or back into
//! the credentials file with `--to-file`), and its cached sessions with them.

use super::add::{KEY_SETTINGS, keys_in_files};
use crate::cli::RemoveArgs;
use crate::error::{Error, Result};
use crate::keystore;
use crate::profile::Files;
use crate::profile::edit::{Snapshot, Staging};
use crate::session::cache::Cache;
use crate::settings::{Flags, Settings};

pub fn run(args: &RemoveArgs) -> Result<()> {
    let settings = Settings::from_process(&Flags {
        profile: args.profile.clone(),
        ..Flags::default()
    })?;
    let profile = settings.profile.as_str();
    let files = Files::load(&settings.config_file, &settings.credentials_file)?;
    // What the files say is said before any keystore is asked: a profile
    // that is not there, or whose keys are in the credentials file.
    // (A name the files no longer hold may still have an entry to delete.)
    if !files.names().contains(&profile) && !matches!(keystore::read(profile), Ok(Some(_))) {
        return Err(files.unknown_profile(profile));
    }
    if !args.to_file && keys_in_files(&files, profile).is_some() {
        return Err(Error::config_with_hint(
            format!(
                "profile '{profile}' keeps its keys in {}, not in {}; nothing was changed",
                files.credentials.display(),
                keystore::NAME
            ),
            format!(
                "to move them into {}: awsmfa add --profile {profile} --from-file",
                keystore::NAME
            ),
        ));
    }
    let Some(keys) = keystore::read(profile)? else {
        let names = files.names();
        let hint = match names
            .iter()
            .find(|n| strsim::jaro_winkler(profile, n) > 0.8)
        {
            Some(near) => {
                format!("did you mean '{near}'? 'awsmfa list' shows where each profile's keys live")
            }
            None => "'awsmfa list' shows where each profile's keys live".to_owned(),
        };
        return Err(Error::config_with_hint(
            format!("profile '{profile}' has no keys in {}", keystore::NAME),
            hint,
        ));
    };
    if args.to_file && keys_in_files(&files, profile).is_some() {
        return Err(Error::config(format!(
            "profile '{profile}' already has keys in {}; nothing was changed",
            files.credentials.display()
        )));
    }
    // What the key lines hold now (nothing): written only while they still do.
    let snapshot = Snapshot::take(&files.credentials, false, profile, &KEY_SETTINGS)?;
    if !args.force {
        let mut tty = crate::sys::Terminal::open().ok_or_else(|| {
            Error::config_with_hint(
                "there is no terminal to confirm on",
                "pass --force to delete without asking",
            )
        })?;
        let what = if args.to_file {
            format!(
                "Move the keys of profile '{profile}' to {}? [y/N] ",
                files.credentials.display()
            )
        } else {
            format!(
                "Delete the keys of profile '{profile}' ({}) from {}? They cannot be recovered. [y/N] ",
                super::add::shown_key_id(&keys.access_key_id),
                keystore::NAME
            )
        };
        let answer = tty.prompt(&what)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            return Err(Error::config("nothing was deleted"));
        }
    }
    let mut out = String::new();
    if args.to_file {
        let [id, secret] = KEY_SETTINGS;
        let changes = [
            (id, Some(keys.access_key_id.as_str())),
            (secret, Some(keys.secret_access_key.expose())),
        ];
        match snapshot.stage(&changes)? {
            Staging::Ready(file) => {
                // The secret goes into a file only the user may read.
                let opened = file.make_private()?;
                let path = file.path.clone();
                file.commit()?;
                if let Some(mode) = opened {
                    crate::say!(
                        "awsmfa: {} could be read by group or others (mode {mode:o}); it holds \
                         the secret key now, so it is private (mode {:o})",
                        path.display(),
                        mode & 0o700
                    );
                }
            }
            Staging::Same => {}
            Staging::Changed => {
                return Err(Error::config(format!(
                    "{} changed meanwhile: profile '{profile}' has keys there now; nothing was \
                     changed, and the keys are still in {}",
                    files.credentials.display(),
                    keystore::NAME
                )));
            }
        }
        out.push_str(&format!(
            "wrote the keys of profile '{profile}' to {}\n",
            files.credentials.display()
        ));
    }
    keystore::delete(profile)?;
    out.push_str(&format!(
        "deleted the keys of profile '{profile}' from {}\n",
        keystore::NAME
    ));
    let cache = Cache::new(&settings)?;
    let serial = files.setting_of(profile, "mfa_serial");
    out.push_str(&super::clear::forget_keys(&cache, profile, serial)?);
    super::print(crate::words::for_people(&out).as_bytes())
}
