//! `awsmfa rotate`: replaces the IAM user's access key on its MFA session,
//! in five steps, each leaving a stored key that works: the session, a new
//! key, a wait until IAM serves it, the new key stored where the old one
//! was, the old key deleted and its sessions forgotten. One rotate at a
//! time per IAM user, and the new key stored only where the old one still is.

use super::add::KEY_SETTINGS;
use crate::cli::RotateArgs;
use crate::error::{Error, Result};
use crate::keystore;
use crate::profile::edit::{Snapshot, Staging, rewrite};
use crate::profile::{KeysAt, LongTermKeys};
use crate::session::cache::Cache;
use crate::session::iam::Iam;
use crate::session::{Signer, get_caller_identity, missing_keys};
use crate::settings::Settings;
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub fn run(args: &RotateArgs) -> Result<()> {
    let settings = Settings::from_process(&args.session.flags())?;
    let mut setup = crate::session::Setup::finding_device(&settings)?;
    let verbose = settings.verbose;
    let step = |text: &str| {
        if verbose {
            crate::say!("awsmfa: {text}");
        }
    };
    let user = setup.plan.user.profile.clone();
    if user != setup.plan.profile {
        // Said always: the key replaced is not the named profile's own.
        crate::say!(
            "awsmfa: profile '{}' is a role on IAM user profile '{user}': rotate replaces the \
             key of that user",
            setup.plan.profile
        );
    }
    // The user's own MFA session: IAM is called as the user, not a role.
    setup.plan.roles.clear();
    // Held until the run ends: a second rotate would list, create and
    // delete keys under this one's feet. A dry run changes nothing.
    let _one_at_a_time = match args.dry_run {
        true => None,
        false => Some(lock_rotation(&setup.cache, &setup.plan.mfa.serial, &user)?),
    };
    let snapshots = [
        Snapshot::take(&setup.files.credentials, false, &user, &KEY_SETTINGS)?,
        Snapshot::take(&setup.files.config, true, &user, &KEY_SETTINGS)?,
    ];
    let (old, in_keystore) = match &setup.plan.user.keys {
        KeysAt::Files(keys) => {
            // Read before the lock was taken: still what the files hold?
            if !held_by(&snapshots, keys) {
                return Err(changed(&user, "the AWS files", "rotate started"));
            }
            (keys.clone(), false)
        }
        KeysAt::Keystore => (
            keystore::read(&user)?.ok_or_else(|| missing_keys(&user))?,
            true,
        ),
    };
    let stored_in = match in_keystore {
        true => keystore::NAME.to_owned(),
        false => holding(&snapshots),
    };
    if args.dry_run {
        let plan = dry_run(&settings, &setup, &user, &old, &stored_in, &snapshots);
        return super::print(crate::words::for_people(&plan).as_bytes());
    }
    if !args.force {
        confirm(&user, &old, &stored_in)?;
    }

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
        store_in_keystore(&user, &old, &new).map(|place| (place, Vec::new()))
    } else {
        step("4/5 writing the new key to the AWS files");
        store_in_files(&snapshots, &user, &new)
    };
    let place = match place {
        Ok((place, notes)) => {
            for note in notes {
                crate::say!("awsmfa: {note}");
            }
            place
        }
        Err(NotStored::Partly(why)) => {
            return Err(Error::config_with_hint(
                format!(
                    "{why}; both keys stay active at IAM: the old one {} and the new one {}",
                    old.access_key_id, new.access_key_id
                ),
                "put one key pair in both files by hand, then delete the other key: aws iam \
                 delete-access-key --access-key-id ID",
            ));
        }
        Err(NotStored::Failed(e)) => {
            return Err(given_up(
                &iam,
                &new,
                e.to_string(),
                "the old key is kept and still stored",
            ));
        }
        Err(NotStored::Changed(why)) => {
            return Err(given_up(&iam, &new, why, "the old key is not deleted"));
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
    super::print(crate::words::for_people(&out).as_bytes())
}

/// The AWS files that hold the profile's key, as the snapshots read them.
fn holding(snapshots: &[Snapshot; 2]) -> String {
    let [id, _] = KEY_SETTINGS;
    snapshots
        .iter()
        .filter(|snapshot| snapshot.value(id).is_some())
        .map(|snapshot| snapshot.path.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What a rotate would do, step by step, with nothing called or changed.
fn dry_run(
    settings: &Settings,
    setup: &crate::session::Setup,
    user: &str,
    old: &LongTermKeys,
    stored_in: &str,
    snapshots: &[Snapshot; 2],
) -> String {
    let [id, _] = KEY_SETTINGS;
    let opened: Vec<String> = snapshots
        .iter()
        .filter(|snapshot| snapshot.value(id).is_some())
        .filter_map(|snapshot| {
            let meta = std::fs::metadata(&snapshot.path).ok()?;
            crate::sys::shared(&meta).then(|| {
                format!(
                    "; {} is made private (mode {:o} → {:o})",
                    snapshot.path.display(),
                    crate::sys::mode_of(&meta),
                    crate::sys::mode_of(&meta) & 0o700
                )
            })
        })
        .collect();
    let serial = &setup.plan.mfa.serial;
    format!(
        "awsmfa rotate would replace the access key {key} of profile '{user}' (stored in \
         {stored_in}):\n\
         1/5 get the MFA session of device {serial} (cached, or a code)\n\
         2/5 create a new access key at IAM, {iam}\n\
         3/5 wait up to {wait} s until IAM serves it\n\
         4/5 store it in {stored_in} in place of {key}{opened}\n\
         5/5 delete the old key {key} at IAM, and remove its cached sessions\n\
         --dry-run: nothing was called or changed\n",
        key = old.access_key_id,
        iam = crate::session::iam::endpoint(settings.iam_url.as_deref(), serial).0,
        wait = settings.rotate_wait.as_secs(),
        opened = opened.concat(),
    )
}

/// On a terminal, asks before anything is done (no code yet).
fn confirm(user: &str, old: &LongTermKeys, stored_in: &str) -> Result<()> {
    let Some(mut tty) = crate::sys::Terminal::open() else {
        // A script or a scheduled job: rotate leaves a working key at every step.
        return Ok(());
    };
    let question = crate::words::for_people(&format!(
        "Replace the access key {} of profile '{user}' (stored in {stored_in}) with a new one, \
         and delete it at IAM? [y/N] ",
        old.access_key_id
    ));
    let answer = tty.prompt(&question)?;
    match answer.trim() {
        "y" | "Y" | "yes" | "Yes" | "YES" => Ok(()),
        _ => Err(Error::config("nothing was changed")),
    }
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

/// Why step 4 did not store the new key.
enum NotStored {
    /// Nothing was written: the old key is still stored.
    Failed(Error),
    /// Someone else changed the stored keys meanwhile: nothing was written.
    Changed(String),
    /// One file holds the new key, the other the old one, and undoing failed.
    Partly(String),
}

/// Step 4 failed with nothing written: the new key is deleted at IAM.
fn given_up(iam: &Iam, new: &LongTermKeys, why: String, old_fate: &str) -> Error {
    let fate = match iam.delete_access_key(&new.access_key_id) {
        Ok(()) => "it was deleted at IAM".to_owned(),
        Err(_) => format!(
            "delete it: aws iam delete-access-key --access-key-id {}",
            new.access_key_id
        ),
    };
    Error::config(format!(
        "cannot store the new key {}: {why}; {fate}; {old_fate}",
        new.access_key_id
    ))
}

fn changed(user: &str, place: &str, since: &str) -> Error {
    Error::config_with_hint(
        format!(
            "the keys of profile '{user}' in {place} changed since {since}; nothing was changed"
        ),
        format!("run awsmfa rotate --profile {user} again"),
    )
}

/// The lock that makes one rotate at a time per IAM user, keyed by the
/// MFA device (each belongs to one user): a file in the cache folder. A
/// second rotate does not wait: it would rotate the key just rotated.
fn lock_rotation(cache: &Cache, serial: &str, user: &str) -> Result<std::fs::File> {
    use std::fs::TryLockError;
    let dir = cache.dir();
    let failed = |e: std::io::Error| {
        Error::Cache(format!(
            "cannot lock {} for rotate: {}",
            dir.display(),
            crate::io_reason(&e)
        ))
    };
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    match crate::sys::create_private_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(failed(e)),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(dir).map_err(failed)?;
    if !meta.is_dir() || !crate::sys::is_ours(&meta) {
        return Err(Error::Cache(format!(
            "the cache folder {} is not a folder of yours; set AWSMFA_CACHE_DIR to one",
            dir.display()
        )));
    }
    let digest = Sha256::digest(format!("awsmfa-rotate:{serial}").as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    // Not `*.lock`: those are the cache's, which `clear` may remove.
    let path = dir.join(format!(".rotate-{name}"));
    let file = crate::sys::open_lock_file(&path).map_err(failed)?;
    match file.metadata() {
        Ok(meta) if meta.is_file() && crate::sys::is_ours(&meta) => {}
        _ => {
            return Err(Error::Cache(format!(
                "{} is not a file of yours; remove it",
                path.display()
            )));
        }
    }
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::config_with_hint(
            format!(
                "another awsmfa rotate is running for the IAM user of profile '{user}' (MFA \
                 device {serial}); nothing was changed"
            ),
            "let it finish; its last line says which key is stored",
        )),
        Err(TryLockError::Error(e)) => Err(failed(e)),
    }
}

/// Whether the files, as `snapshots` read them, hold `keys` for the
/// profile (the credentials file winning, key by key, as the reader reads).
fn held_by(snapshots: &[Snapshot; 2], keys: &LongTermKeys) -> bool {
    let [credentials, config] = snapshots;
    let value = |key: &str| credentials.value(key).or_else(|| config.value(key));
    let [id, secret] = KEY_SETTINGS;
    value(id).map(|v| v.expose()) == Some(keys.access_key_id.as_str())
        && value(secret) == Some(&keys.secret_access_key)
}

/// Step 4 for keys in the keystore: stored only while the entry still
/// holds the old key.
fn store_in_keystore(
    user: &str,
    old: &LongTermKeys,
    new: &LongTermKeys,
) -> std::result::Result<String, NotStored> {
    match keystore::read(user).map_err(NotStored::Failed)? {
        Some(stored)
            if stored.access_key_id == old.access_key_id
                && stored.secret_access_key == old.secret_access_key => {}
        _ => {
            return Err(NotStored::Changed(format!(
                "the keys of profile '{user}' in {} changed while rotate ran, so nothing was \
                 written",
                keystore::NAME
            )));
        }
    }
    keystore::store(user, new).map_err(NotStored::Failed)?;
    Ok(keystore::NAME.to_owned())
}

/// Step 4 for keys in the files: both keys replaced in the file (config or
/// credentials) and section that held them, every other line kept. Both
/// files are written beside themselves first, and only then put in place:
/// a file that cannot be written (a full disk) changes neither.
fn store_in_files(
    snapshots: &[Snapshot; 2],
    profile: &str,
    new: &LongTermKeys,
) -> std::result::Result<(String, Vec<String>), NotStored> {
    let [id, secret] = KEY_SETTINGS;
    let changes = [
        (id, Some(new.access_key_id.as_str())),
        (secret, Some(new.secret_access_key.expose())),
    ];
    let mut staged = Vec::new();
    let mut notes = Vec::new();
    // The credentials file wins over the config file: both are changed
    // where they hold keys, so neither keeps the old one.
    for snapshot in snapshots {
        if snapshot.value(id).is_none() {
            continue;
        }
        match snapshot.stage(&changes).map_err(NotStored::Failed)? {
            Staging::Ready(file) => {
                // A new secret goes into a file only the user may read.
                if let Some(mode) = file.make_private().map_err(NotStored::Failed)? {
                    notes.push(format!(
                        "{} could be read by group or others (mode {mode:o}); it holds the new \
                         secret key, so it is now private (mode {:o})",
                        file.path.display(),
                        mode & 0o700
                    ));
                }
                staged.push(file);
            }
            Staging::Same => {}
            Staging::Changed => {
                return Err(NotStored::Changed(format!(
                    "the keys of profile '{profile}' in {} changed while rotate ran, so nothing \
                     was written",
                    snapshot.path.display()
                )));
            }
        }
    }
    if staged.is_empty() {
        return Err(NotStored::Failed(Error::config(format!(
            "the keys of profile '{profile}' are in neither AWS file any more"
        ))));
    }
    let mut written: Vec<(std::path::PathBuf, String)> = Vec::new();
    for file in staged {
        let (path, before) = (file.path.clone(), file.before.clone());
        if let Err(e) = file.commit() {
            // Put back what was written, so that the old key is stored again.
            let undone: Vec<_> = written
                .iter()
                .filter(|(path, before)| rewrite(path, before).is_err())
                .map(|(path, _)| path.display().to_string())
                .collect();
            return Err(match undone.is_empty() {
                true => NotStored::Failed(e),
                false => NotStored::Partly(format!(
                    "{e}, and {} could not be put back: it holds the new key (and wins)",
                    undone.join(" and ")
                )),
            });
        }
        written.push((path, before));
    }
    let place = written
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    Ok((place, notes))
}
