//! Long-term keys in the operating system's keystore (`awsmfa add`): the
//! Secret Service on Linux, the login Keychain on macOS, the Credential
//! Manager on Windows, through the `keyring` crate. One entry per profile,
//! service `awsmfa`, account the profile's name, holding the key pair as
//! JSON. Read only when STS must be called: a cache hit never comes here.

use crate::error::{Error, Result};
use crate::profile::LongTermKeys;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The service name of every entry.
const SERVICE: &str = "awsmfa";

/// How long one call may wait for the keystore. One that stopped answering
/// (a daemon stopped, a wedged bus) must not hold a run, and the cache lock
/// it holds, for ever. The login Keychain may be showing its dialog to a
/// person typing a password, so it gets longer.
#[cfg(target_os = "macos")]
const ANSWER_WITHIN: Duration = Duration::from_secs(120);
#[cfg(not(target_os = "macos"))]
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// The keystore of this platform, as the user knows it.
#[cfg(target_os = "macos")]
pub const NAME: &str = "the login Keychain";
#[cfg(windows)]
pub const NAME: &str = "the Windows Credential Manager";
#[cfg(not(any(target_os = "macos", windows)))]
pub const NAME: &str = "the Secret Service (GNOME Keyring, KWallet, KeePassXC)";

/// What an entry holds.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Stored {
    access_key_id: String,
    secret_access_key: String,
}

/// `call` on the entry of `profile`, on a thread of its own so that the
/// wait is bounded; if it times out, the thread is left behind (the run
/// ends soon after, and the thread with it).
fn bounded<T: Send + 'static>(
    action: &'static str,
    profile: &str,
    call: impl FnOnce(keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<keyring::Result<T>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = profile.to_owned();
    std::thread::Builder::new()
        .name("keystore".into())
        .spawn(move || {
            let _ = sender.send(match keyring::Entry::new(SERVICE, &owned) {
                Ok(entry) => Ok(call(entry)),
                Err(e) => Err(e),
            });
        })
        .map_err(|e| {
            Error::config(format!(
                "cannot {action} the keys of profile '{profile}': cannot start a thread: {}",
                crate::io_reason(&e)
            ))
        })?;
    match receiver.recv_timeout(ANSWER_WITHIN) {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(failed("open", profile, &e)),
        Err(_) => Err(Error::config_with_hint(
            format!(
                "cannot {action} the keys of profile '{profile}': {NAME} did not answer within {} s",
                ANSWER_WITHIN.as_secs()
            ),
            "it hangs: restart it (or log out and in again), or keep the keys in ~/.aws/credentials",
        )),
    }
}

/// The keys stored for `profile`, if any.
pub fn read(profile: &str) -> Result<Option<LongTermKeys>> {
    let text = match bounded("read", profile, |entry| entry.get_password())? {
        Ok(text) => Secret::new(text),
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(e) => return Err(failed("read", profile, &e)),
    };
    let stored: Stored = serde_json::from_str(text.expose()).map_err(|_| {
        Error::config_with_hint(
            format!("the keystore entry of profile '{profile}' is not one awsmfa wrote"),
            format!("store the keys again: awsmfa add --profile {profile}"),
        )
    })?;
    Ok(Some(LongTermKeys {
        access_key_id: stored.access_key_id,
        secret_access_key: Secret::new(stored.secret_access_key),
    }))
}

/// Stores `keys` for `profile`, replacing what was there.
pub fn store(profile: &str, keys: &LongTermKeys) -> Result<()> {
    let text = Secret::new(
        serde_json::to_string(&Stored {
            access_key_id: keys.access_key_id.clone(),
            secret_access_key: keys.secret_access_key.expose().to_owned(),
        })
        .map_err(|e| Error::config(format!("cannot encode the keys: {e}")))?,
    );
    bounded("store", profile, move |entry| {
        entry.set_password(text.expose())
    })?
    .map_err(|e| failed("store", profile, &e))
}

/// Deletes the entry of `profile`; whether there was one.
pub fn delete(profile: &str) -> Result<bool> {
    match bounded("delete", profile, |entry| entry.delete_credential())? {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(failed("delete", profile, &e)),
    }
}

/// One line for a keystore that is absent, locked or refuses, in the
/// user's terms (the crate's errors name D-Bus objects and codes).
fn failed(action: &str, profile: &str, error: &keyring::Error) -> Error {
    let detail = crate::one_line(&error.to_string(), 200);
    let (what, hint) = match error {
        keyring::Error::NoStorageAccess(_) => (
            format!("{NAME} is locked or refused access"),
            "unlock it (log in to the desktop session, or unlock the keyring), then try again",
        ),
        _ if cfg!(not(any(target_os = "macos", windows)))
            && (detail.contains("org.freedesktop.DBus")
                || detail.contains("D-Bus")
                || detail.contains("DBUS")
                || detail.contains("ServiceUnknown")
                || detail.contains("No such file")
                || detail.contains("no secret service")) =>
        {
            (
                format!("no keystore answers: {NAME} is not running in this session"),
                "start one (gnome-keyring-daemon, KeePassXC with its Secret Service on), or keep the \
                 keys in ~/.aws/credentials",
            )
        }
        _ => (
            format!("{NAME} failed"),
            "check that the keystore works, or keep the keys in ~/.aws/credentials",
        ),
    };
    Error::config_with_hint(
        format!("cannot {action} the keys of profile '{profile}': {what} ({detail})"),
        hint.to_owned(),
    )
}
