//! `awsmfa rotate`: replaces the IAM user's access key on its MFA session,
//! in five steps, each leaving a stored key that works: the session, a new
//! key, a wait until IAM serves it, the new key stored where the old one
//! was, the old key deleted and its sessions forgotten.

use super::add::KEY_SETTINGS;
use crate::cli::SessionArgs;
use crate::error::{Error, Result};
use crate::keystore;
use crate::profile::edit::{edit_profile, rewrite};
use crate::profile::{KeysAt, LongTermKeys, read_file};
use crate::session::iam::Iam;
use crate::session::{Signer, get_caller_identity, missing_keys};
use crate::settings::Settings;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub fn run(args: &SessionArgs) -> Result<()> {
    let settings = Settings::from_process(&args.flags())?;
    let mut setup = crate::session::Setup::new(&settings)?;
    let verbose = settings.verbose;
    let step = |text: &str| {
        if verbose {
            crate::say!("awsmfa: {text}");
        }
    };
    let user = setup.plan.user.profile.clone();
    if user != setup.plan.profile {
        step(&format!(
            "profile '{}' stands on IAM user profile '{user}': rotating its key",
            setup.plan.profile
        ));
    }
    // The user's own MFA session: IAM is called as the user, not a role.
    setup.plan.roles.clear();
    let (old, in_keystore) = match &setup.plan.user.keys {
        KeysAt::Files(keys) => (keys.clone(), false),
        KeysAt::Keystore => (
            keystore::read(&user)?.ok_or_else(|| missing_keys(&user))?,
            true,
        ),
    };

    step("1/5 the MFA session (cached, or a code)");
    let session = setup.get()?;
    let iam = Iam::new(
        settings.iam_url.clone(),
        &setup.plan.mfa.serial,
        &session,
        setup.options.endpoint.network(),
    );
    let keys = iam.list_access_keys()?;
    if keys.len() >= 2 {
        let listed: Vec<String> = keys
            .iter()
            .map(|k| format!("{} ({}, created {})", k.id, k.status, k.created))
            .collect();
        let spare = keys.iter().find(|k| k.id != old.access_key_id);
        return Err(Error::config_with_hint(
            format!(
                "the IAM user of profile '{user}' already has two access keys, IAM's limit: {}; \
                 nothing was created",
                listed.join(" and ")
            ),
            match spare {
                Some(spare) => format!(
                    "delete the one not in use (not {}): aws iam delete-access-key --access-key-id {}",
                    old.access_key_id, spare.id
                ),
                None => "delete the one not in use: aws iam delete-access-key --access-key-id ID"
                    .to_owned(),
            },
        ));
    }

    step(&format!("2/5 IAM CreateAccessKey at {}", iam.describe()));
    let new = iam.create_access_key()?;
    step(&format!("created access key {}", new.access_key_id));

    let endpoint = &setup.options.endpoint;
    // A person watching a pause of up to half a minute is told why.
    if verbose || std::io::stderr().is_terminal() {
        crate::say!(
            "awsmfa: 3/5 waiting for IAM to serve the new key {} (it is eventually consistent; \
             up to {} s)",
            new.access_key_id,
            settings.rotate_wait.as_secs()
        );
    }
    if let Err(why) = wait_until_usable(endpoint, &new, settings.rotate_wait) {
        let fate = match iam.delete_access_key(&new.access_key_id) {
            Ok(()) => "it was deleted".to_owned(),
            Err(e) => format!(
                "deleting it failed too ({e}): delete it with aws iam delete-access-key \
                 --access-key-id {}",
                new.access_key_id
            ),
        };
        return Err(Error::Sts(format!(
            "the new key {} did not become usable within {} s ({why}); {fate}; the old key {} is \
             kept and still stored",
            new.access_key_id,
            settings.rotate_wait.as_secs(),
            old.access_key_id
        )));
    }

    let place = if in_keystore {
        step(&format!("4/5 storing the new key in {}", keystore::NAME));
        keystore::store(&user, &new).map(|()| keystore::NAME.to_owned())
    } else {
        step("4/5 writing the new key to the AWS files");
        store_in_files(&setup.files.config, &setup.files.credentials, &user, &new)
    };
    let place = match place {
        Ok(place) => place,
        Err(e) => {
            let fate = match iam.delete_access_key(&new.access_key_id) {
                Ok(()) => "it was deleted at IAM".to_owned(),
                Err(_) => format!(
                    "delete it: aws iam delete-access-key --access-key-id {}",
                    new.access_key_id
                ),
            };
            return Err(Error::config(format!(
                "cannot store the new key {}: {e}; {fate}; the old key is kept and still stored",
                new.access_key_id
            )));
        }
    };
    let cache = &setup.cache;
    super::clear::forget_user(cache, &user, Some(&setup.plan.mfa.serial))?;

    step(&format!(
        "5/5 IAM DeleteAccessKey {} at {}",
        old.access_key_id,
        iam.describe()
    ));
    if let Err(e) = iam.delete_access_key(&old.access_key_id) {
        return Err(Error::config_with_hint(
            format!(
                "the new key {} is stored in {place} and works, but deleting the old key {} \
                 failed: {e}",
                new.access_key_id, old.access_key_id
            ),
            format!(
                "delete it: aws iam delete-access-key --access-key-id {}",
                old.access_key_id
            ),
        ));
    }
    let out = format!(
        "rotated the access key of profile '{user}': {} → {} (stored in {place}); the old key is \
         deleted, and its cached sessions removed: the next run asks for a code\n",
        old.access_key_id, new.access_key_id
    );
    super::print(out.as_bytes())
}

/// Step 3: GetCallerIdentity with the new key until IAM serves it.
fn wait_until_usable(
    endpoint: &crate::session::Endpoint,
    new: &LongTermKeys,
    within: Duration,
) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let signer = Signer {
            access_key_id: &new.access_key_id,
            secret_access_key: &new.secret_access_key,
            session_token: None,
        };
        match get_caller_identity(endpoint, signer) {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() + pause >= within => return Err(e),
            Err(_) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(4));
            }
        }
    }
}

/// Step 4 for keys in the files: both keys replaced in the file (config or
/// credentials) and section that held them, every other line kept.
fn store_in_files(
    config: &std::path::Path,
    credentials: &std::path::Path,
    profile: &str,
    new: &LongTermKeys,
) -> Result<String> {
    let [id, secret] = KEY_SETTINGS;
    let changes = [
        (id, Some(new.access_key_id.as_str())),
        (secret, Some(new.secret_access_key.expose())),
    ];
    let mut written = Vec::new();
    // The credentials file wins over the config file: both are changed
    // where they hold keys, so neither keeps the old one.
    for (path, is_config) in [(credentials, false), (config, true)] {
        let Some(text) = read_file(path)? else {
            continue;
        };
        // Whether the profile's own section holds a key there.
        if edit_profile(&text, is_config, profile, &[(id, None)]) == text {
            continue;
        }
        let edited = edit_profile(&text, is_config, profile, &changes);
        if edited != text {
            rewrite(path, &edited)?;
            written.push(path.display().to_string());
        }
    }
    match written.is_empty() {
        true => Err(Error::config(format!(
            "the keys of profile '{profile}' are in neither AWS file any more"
        ))),
        false => Ok(written.join(" and ")),
    }
}
