//! `awsmfa add`: an IAM user's long-term keys into the OS keystore, from the
//! terminal, the environment, or the credentials file (moved). The keys are
//! checked with GetCallerIdentity before anything is stored or removed.

use crate::cli::AddArgs;
use crate::error::{Error, Result};
use crate::keystore;
use crate::profile::edit::{Snapshot, Staging, edit_profile, rewrite};
use crate::profile::{Files, LongTermKeys, is_mfa_serial, read_file};
use crate::secret::Secret;
use crate::session::cache::Cache;
use crate::session::{Endpoint, Network, Signer, get_caller_identity};
use crate::settings::{Flags, Settings};

/// The two settings that hold an IAM user's keys in the AWS files.
pub const KEY_SETTINGS: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];

pub fn run(args: &AddArgs) -> Result<()> {
    let settings = Settings::from_process(&Flags {
        profile: args.profile.clone(),
        region: args.region.clone(),
        verbose: args.verbose,
        ..Flags::default()
    })?;
    let profile = settings.profile.as_str();
    let files = Files::load(&settings.config_file, &settings.credentials_file)?;
    if let Some(source) = files.setting_of(profile, "source_profile")
        && files.setting_of(profile, "role_arn").is_some()
    {
        return Err(Error::config_with_hint(
            format!(
                "profile '{profile}' is a role profile: the keys it stands on are those of its \
                 source profile '{source}'"
            ),
            format!("awsmfa add --profile {source}"),
        ));
    }
    if let Some(serial) = &args.mfa_serial
        && !is_mfa_serial(serial)
    {
        return Err(Error::config_with_hint(
            format!("--mfa-serial {serial} is not an MFA device ARN"),
            "the IAM console shows it under Security credentials: arn:aws:iam::ACCOUNT:mfa/NAME",
        ));
    }
    // The keystore answers before any key is asked for or checked.
    keystore::read(profile)?;
    let in_files = keys_in_files(&files, profile);
    // What the key lines hold now: they are removed only while they still do.
    let snapshots = match args.from_file {
        true => vec![
            Snapshot::take(&files.config, true, profile, &KEY_SETTINGS)?,
            Snapshot::take(&files.credentials, false, profile, &KEY_SETTINGS)?,
        ],
        false => Vec::new(),
    };
    let keys = if args.from_file {
        in_files.clone().ok_or_else(|| {
            Error::config(format!(
                "profile '{profile}' has no keys in {} to move",
                files.credentials.display()
            ))
        })?
    } else {
        if in_files.is_some() {
            return Err(Error::config_with_hint(
                format!(
                    "profile '{profile}' already has keys in the AWS files, and they would win \
                     over the keystore"
                ),
                format!("move them instead: awsmfa add --from-file --profile {profile}"),
            ));
        }
        if args.env {
            from_environment()?
        } else {
            typed(profile)?
        }
    };
    check_shape(&keys)?;

    let region = match (&settings.region, files.setting_of(profile, "region")) {
        (Some(region), _) => Some(region.clone()),
        (None, Some(region)) if crate::settings::is_region(region) => Some(region.to_owned()),
        (None, Some(region)) => {
            return Err(Error::config(format!(
                "profile '{profile}': region = {region} is not a region name"
            )));
        }
        (None, None) => None,
    };
    let endpoint = Endpoint::new(region.as_deref(), settings.sts_url.clone()).with_network(
        Network::of_profile(&files, profile, settings.home.as_deref()),
    );
    if settings.verbose {
        crate::say!(
            "awsmfa: checking the keys with STS GetCallerIdentity at {}",
            endpoint.describe()
        );
    }
    let signer = Signer {
        access_key_id: &keys.access_key_id,
        secret_access_key: &keys.secret_access_key,
        session_token: None,
    };
    let identity = get_caller_identity(&endpoint, signer).map_err(|e| {
        Error::config_with_hint(
            format!("the keys do not work, nothing was stored: {e}"),
            "check the access key id and the secret (IAM → Users → Security credentials)",
        )
    })?;
    if !identity.arn.contains(":user/") {
        return Err(Error::config(format!(
            "the keys belong to {}, not to an IAM user; nothing was stored",
            identity.arn
        )));
    }

    // Whose keys these are, before anything is stored: from the terminal,
    // the environment or the file alike.
    crate::say!(
        "the keys ({}) are those of {}",
        shown_key_id(&keys.access_key_id),
        identity.arn
    );
    // No device named: IAM says which the user has, and it is written into
    // the config file before the keys are stored (several and no terminal:
    // an error naming each, nothing stored). IAM refusing: said as before.
    let serial_before = files.setting_of(profile, "mfa_serial");
    let found = match (serial_before, &args.mfa_serial) {
        (None, None) => match crate::session::device::of_user(&settings, &files, profile, &keys) {
            Ok(devices) => Some(crate::session::device::settle(
                &devices,
                profile,
                &files.config,
                crate::sys::Terminal::open(),
                true,
            )?),
            Err(e) => {
                if settings.verbose {
                    crate::say!("awsmfa: IAM did not list the user's MFA devices: {e}");
                }
                None
            }
        },
        _ => None,
    };
    keystore::store(profile, &keys)?;
    // The keystore must hold exactly these keys before the file loses them.
    match keystore::read(profile)? {
        Some(stored)
            if stored.access_key_id == keys.access_key_id
                && stored.secret_access_key == keys.secret_access_key => {}
        _ => {
            return Err(Error::config(format!(
                "{} did not keep the keys of profile '{profile}'; nothing was changed in the files",
                keystore::NAME
            )));
        }
    }
    let mut out = format!(
        "stored the keys of {} ({}) for profile '{profile}' in {}\n",
        identity.arn,
        shown_key_id(&keys.access_key_id),
        keystore::NAME
    );
    let cache = Cache::new(&settings)?;
    let serial = files.setting_of(profile, "mfa_serial");
    out.push_str(&super::clear::forget_keys(&cache, profile, serial)?);
    let changes = KEY_SETTINGS.map(|key| (key, None));
    let mut staged = Vec::new();
    for snapshot in &snapshots {
        match snapshot.stage(&changes)? {
            Staging::Ready(file) => staged.push(file),
            Staging::Same => {}
            Staging::Changed => {
                return Err(Error::config_with_hint(
                    format!(
                        "stored the keys of profile '{profile}' in {}, but {} changed meanwhile: \
                         its keys are not those stored, so the files were left as they are (and \
                         their keys win)",
                        keystore::NAME,
                        snapshot.path.display()
                    ),
                    format!(
                        "look at {}; awsmfa add --from-file --profile {profile} moves the keys it \
                         holds now",
                        snapshot.path.display()
                    ),
                ));
            }
        }
    }
    for file in staged {
        let path = file.path.clone();
        file.commit()?;
        out.push_str(&format!(
            "removed the keys of profile '{profile}' from {}\n",
            path.display()
        ));
    }
    match (serial, &args.mfa_serial, &found) {
        (None, None, Some(found)) => {
            out.push_str(&format!(
                "set mfa_serial = {found} for profile '{profile}' in {} (the user's MFA device, as \
                 IAM lists it)\n",
                files.config.display()
            ));
        }
        (_, Some(arn), _) => {
            let text = read_file(&files.config)?.unwrap_or_default();
            rewrite(
                &files.config,
                &edit_profile(&text, true, profile, &[("mfa_serial", Some(arn))]),
            )?;
            out.push_str(&format!(
                "set mfa_serial = {arn} for profile '{profile}' in {}\n",
                files.config.display()
            ));
        }
        (Some(_), None, _) => {}
        (None, None, None) => {
            let section = if profile == "default" {
                "[default]".to_owned()
            } else {
                format!("[profile {profile}]")
            };
            out.push_str(&format!(
                "next: add this line to {section} in {}: mfa_serial = arn:aws:iam::{}:mfa/DEVICE \
                 (IAM → Users → Security credentials shows the device's ARN)\n",
                files.config.display(),
                identity.account
            ));
        }
    }
    super::print(crate::words::for_people(&out).as_bytes())
}

/// The profile's keys in the AWS files, when both are there.
pub fn keys_in_files(files: &Files, profile: &str) -> Option<LongTermKeys> {
    let [id, secret] = KEY_SETTINGS.map(|key| files.setting_of(profile, key));
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some(LongTermKeys {
            access_key_id: id.to_owned(),
            secret_access_key: Secret::new(secret),
        }),
        _ => None,
    }
}

/// An access key id shortened, to tell keys apart (it is not a secret).
pub fn shown_key_id(id: &str) -> String {
    match (id.get(..4), id.get(id.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if id.len() > 8 => format!("{head}…{tail}"),
        _ => id.to_owned(),
    }
}

fn from_environment() -> Result<LongTermKeys> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if var("AWS_SESSION_TOKEN").is_some() {
        return Err(Error::config_with_hint(
            "AWS_SESSION_TOKEN is set: these are temporary credentials, not an IAM user's \
             long-term keys",
            "unset AWS_SESSION_TOKEN and set the IAM user's AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY",
        ));
    }
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Ok(LongTermKeys {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
        }),
        _ => Err(Error::config(
            "--env needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
        )),
    }
}

/// Both keys typed at the terminal, neither echoed.
fn typed(profile: &str) -> Result<LongTermKeys> {
    let mut tty = crate::sys::Terminal::open().ok_or_else(|| {
        Error::config_with_hint(
            "there is no terminal to type the keys on",
            "use --env (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or --from-file",
        )
    })?;
    // Said to the person typing: information, not in the form of a failure.
    tty.say(&format!(
        "The keys of profile '{profile}' (neither is shown as you type)"
    ));
    let id = tty.prompt("Access key ID: ")?;
    let secret = Secret::new(tty.prompt("Secret access key: ")?);
    Ok(LongTermKeys {
        access_key_id: id.trim().to_owned(),
        secret_access_key: Secret::new(secret.expose().trim()),
    })
}

/// Keys that cannot be an IAM user's, refused before STS sees them.
fn check_shape(keys: &LongTermKeys) -> Result<()> {
    let id = &keys.access_key_id;
    if id.starts_with("ASIA") {
        return Err(Error::config(format!(
            "{} is a temporary key (ASIA…), not an IAM user's long-term key (AKIA…)",
            shown_key_id(id)
        )));
    }
    let plausible =
        |v: &str| !v.is_empty() && v.len() <= 256 && v.bytes().all(|b| b.is_ascii_graphic());
    if !plausible(id) {
        return Err(Error::config(
            "the access key id is empty or has characters an access key id cannot have",
        ));
    }
    if !plausible(keys.secret_access_key.expose()) {
        return Err(Error::config(
            "the secret access key is empty or has characters a secret key cannot have",
        ));
    }
    Ok(())
}
