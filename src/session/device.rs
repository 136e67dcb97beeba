//! The MFA device found, not looked up: where a user profile has long-term
//! keys but no `mfa_serial`, IAM is asked for the user's own devices
//! (ListMFADevices, which AWS's "force MFA" example policy allows without
//! MFA), signed with the long-term key. One device that gives codes: the
//! line to add, which a terminal may have written for it. Several: a
//! numbered choice, or each named. None, or only FIDO keys: said plainly.
//! Where IAM refuses or cannot be reached, the error is what it would have
//! been without asking.

use super::Network;
use super::iam::{Device, Iam, partition_arn};
use crate::error::{Error, Result};
use crate::profile::edit::{Snapshot, Staging};
use crate::profile::{Files, LongTermKeys};
use crate::settings::Settings;
use std::path::Path;

/// The devices of the IAM user whose long-term key `keys` is, or why IAM
/// did not say.
pub fn of_user(
    settings: &Settings,
    files: &Files,
    profile: &str,
    keys: &LongTermKeys,
) -> Result<Vec<Device>> {
    let region = settings
        .region
        .as_deref()
        .or_else(|| files.setting_of(profile, "region"));
    let network = Network::of_profile(files, profile, settings.home.as_deref());
    let iam = Iam::with_long_term_key(
        settings.iam_url.clone(),
        partition_arn(region),
        keys,
        &network,
    );
    if settings.verbose {
        crate::say!(
            "awsmfa: profile '{profile}' has no mfa_serial: asking IAM ListMFADevices at {} for \
             the user's devices",
            iam.describe()
        );
    }
    iam.list_mfa_devices()
}

/// The section a profile's settings go in, in the config file.
fn section(profile: &str) -> String {
    match profile {
        "default" => "[default]".to_owned(),
        _ => format!("[profile {profile}]"),
    }
}

/// One device in words: `arn:…:mfa/alice (a virtual device of user alice)`.
fn named(device: &Device) -> String {
    format!("{} ({})", device.serial, device.describe())
}

/// For `profile`, which has no `mfa_serial`: the device to write, given the
/// user's devices. With a terminal, the one device is offered, or one of
/// several chosen by number, and written into the config file (every other
/// line kept); without one, an error whose hint is the line to add, unless
/// `unasked` (`awsmfa add`, which sets a profile up): then the one device
/// is written. `Ok(serial)` once written.
pub fn settle(
    devices: &[Device],
    profile: &str,
    config: &Path,
    terminal: Option<crate::sys::Terminal>,
    unasked: bool,
) -> Result<String> {
    let section = section(profile);
    let at = format!("{section} in {}", config.display());
    let usable: Vec<&Device> = devices.iter().filter(|d| d.gives_codes()).collect();
    let user = devices
        .first()
        .map(|d| d.user.clone())
        .unwrap_or_else(|| "of these keys".to_owned());
    if devices.is_empty() {
        return Err(Error::config_with_hint(
            format!(
                "profile '{profile}' has no mfa_serial, and its IAM user has no MFA device (IAM \
                 ListMFADevices lists none)"
            ),
            "assign one in the IAM console (IAM → Users → your user → Security credentials → \
             Assign MFA device: an authenticator app), then run again: awsmfa finds it",
        ));
    }
    if usable.is_empty() {
        let keys: Vec<String> = devices.iter().map(|d| d.serial.clone()).collect();
        return Err(Error::config_with_hint(
            format!(
                "profile '{profile}' has no mfa_serial, and IAM user {user} has only FIDO \
                 security keys ({}), which cannot serve API calls: STS takes codes only from a \
                 virtual or hardware TOTP device",
                keys.join(", ")
            ),
            "assign a virtual MFA device (an authenticator app) in the IAM console as well, \
             then run again: awsmfa finds it",
        ));
    }
    let chosen = match (terminal, usable.as_slice()) {
        (None, [one]) if unasked => one.serial.clone(),
        (None, [one]) => {
            return Err(Error::config_with_hint(
                format!("profile '{profile}' has no mfa_serial"),
                format!(
                    "add this line to {at}: mfa_serial = {} ({}, found with IAM ListMFADevices)",
                    one.serial,
                    one.describe()
                ),
            ));
        }
        (None, several) => {
            let listed: Vec<String> = several.iter().map(|d| named(d)).collect();
            return Err(Error::config_with_hint(
                format!(
                    "profile '{profile}' has no mfa_serial, and IAM user {user} has {} MFA \
                     devices: {}",
                    several.len(),
                    listed.join(", ")
                ),
                format!(
                    "add the one to use to {at}: mfa_serial = {}",
                    several[0].serial
                ),
            ));
        }
        (Some(mut tty), [one]) => {
            let question = crate::words::for_people(&format!(
                "Profile '{profile}' has no mfa_serial; IAM says its user's device is {}. Write \
                 mfa_serial = {} into {at}? [Y/n] ",
                named(one),
                one.serial
            ));
            let answer = tty.prompt(&question)?;
            if !matches!(answer.trim(), "" | "y" | "Y" | "yes" | "Yes" | "YES") {
                return Err(Error::config_with_hint(
                    "nothing was written",
                    format!("add this line to {at}: mfa_serial = {}", one.serial),
                ));
            }
            one.serial.clone()
        }
        (Some(mut tty), several) => {
            tty.say(&crate::words::for_people(&format!(
                "Profile '{profile}' has no mfa_serial; IAM user {user} has {} MFA devices:",
                several.len()
            )));
            for (number, device) in several.iter().enumerate() {
                tty.say(&format!("  {}) {}", number + 1, named(device)));
            }
            let question = crate::words::for_people(&format!(
                "Which one should be written into {at}? [1-{}] ",
                several.len()
            ));
            let answer = tty.prompt(&question)?;
            match answer.trim().parse::<usize>() {
                Ok(n) if (1..=several.len()).contains(&n) => several[n - 1].serial.clone(),
                _ => {
                    return Err(Error::config_with_hint(
                        format!(
                            "'{}' is not one of 1 to {}; nothing was written",
                            answer.trim(),
                            several.len()
                        ),
                        format!(
                            "add the one to use to {at}: mfa_serial = {}",
                            several[0].serial
                        ),
                    ));
                }
            }
        }
    };
    write(config, profile, &chosen)?;
    Ok(chosen)
}

/// Writes `mfa_serial` into the profile's section of the config file,
/// every other line kept, while it still has none.
pub fn write(config: &Path, profile: &str, serial: &str) -> Result<()> {
    let snapshot = Snapshot::take(config, true, profile, &["mfa_serial"])?;
    match snapshot.stage(&[("mfa_serial", Some(serial))])? {
        Staging::Ready(file) => file.commit(),
        Staging::Same => Ok(()),
        Staging::Changed => Err(Error::config(format!(
            "{} changed meanwhile: profile '{profile}' has an mfa_serial now; nothing was written",
            config.display()
        ))),
    }
}

/// When a user profile has long-term keys and no `mfa_serial`, and IAM can
/// say which device the user has: the device written (on a terminal) and
/// `Ok(true)`, or the error that says what to write. `Ok(false)` when IAM
/// did not answer (refused, unreachable): the caller's own error stands.
pub fn find_for(
    settings: &Settings,
    files: &Files,
    profile: &str,
    keys: &LongTermKeys,
) -> Result<bool> {
    let devices = match of_user(settings, files, profile, keys) {
        Ok(devices) => devices,
        Err(e) => {
            if settings.verbose {
                crate::say!("awsmfa: IAM did not list the user's MFA devices: {e}");
            }
            return Ok(false);
        }
    };
    let serial = settle(
        &devices,
        profile,
        &files.config,
        crate::sys::Terminal::open(),
        false,
    )?;
    crate::say!(
        "wrote mfa_serial = {serial} into {} in {}",
        section(profile),
        files.config.display()
    );
    Ok(true)
}

/// What a refused code was asked for: the device, the profile, and how
/// IAM is reached.
pub struct Asked<'a> {
    pub serial: &'a str,
    pub profile: &'a str,
    pub region: Option<&'a str>,
    pub iam_url: Option<String>,
    pub network: &'a Network,
    pub verbose: bool,
}

/// After STS refused a code: when `mfa_serial` is not one of the user's
/// own devices (IAM ListMFADevices, with the long-term key), that, with
/// the right one. `None` when it is, or IAM does not say.
pub fn not_the_users(asked: &Asked<'_>, keys: &LongTermKeys) -> Option<Error> {
    let serial = asked.serial;
    let arn = match serial.starts_with("arn:") {
        true => serial,
        false => partition_arn(asked.region),
    };
    let iam = Iam::with_long_term_key(asked.iam_url.clone(), arn, keys, asked.network);
    let say = |text: String| {
        if asked.verbose {
            crate::say!("awsmfa: {text}");
        }
    };
    say(format!(
        "STS refused the code: asking IAM ListMFADevices at {} whether {serial} is the user's",
        iam.describe()
    ));
    match iam.list_mfa_devices() {
        Ok(devices) => wrong_device(&devices, serial, asked.profile),
        Err(e) => {
            say(format!("IAM did not list the user's MFA devices: {e}"));
            None
        }
    }
}

/// The error for a refused code when `serial` is not among the user's
/// `devices`: naming theirs. `None` when it is among them.
fn wrong_device(devices: &[Device], serial: &str, profile: &str) -> Option<Error> {
    if devices.iter().any(|d| d.serial == serial) {
        return None;
    }
    let theirs: Vec<&Device> = devices.iter().filter(|d| d.gives_codes()).collect();
    let named: Vec<String> = theirs.iter().map(|d| named(d)).collect();
    Some(match theirs.first() {
        Some(right) => Error::config_with_hint(
            format!(
                "STS refused the code: mfa_serial = {serial} (profile '{profile}') is not a \
                 device of this IAM user, whose {} {}",
                if theirs.len() == 1 {
                    "device is"
                } else {
                    "devices are"
                },
                named.join(", ")
            ),
            format!(
                "set mfa_serial = {} for profile '{profile}', then use a code of that device",
                right.serial
            ),
        ),
        None => Error::config_with_hint(
            format!(
                "STS refused the code: mfa_serial = {serial} (profile '{profile}') is not a \
                 device of this IAM user, who has no MFA device that gives codes"
            ),
            "assign a virtual MFA device (an authenticator app) in the IAM console",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(serial: &str) -> Device {
        Device {
            serial: serial.to_owned(),
            user: "alice".to_owned(),
        }
    }

    #[test]
    fn a_refused_code_names_the_users_devices_when_its_own_is_not_one() {
        let phone = device("arn:aws:iam::123456789012:mfa/alice");
        let two = device("arn:aws:iam::123456789012:mfa/alice-2");
        let key = device("arn:aws:iam::123456789012:u2f/user/alice/key-ABC");
        let old = "arn:aws:iam::123456789012:mfa/old";
        assert!(wrong_device(std::slice::from_ref(&phone), &phone.serial, "alice").is_none());
        let one = wrong_device(&[key.clone(), phone.clone()], old, "alice").unwrap();
        assert!(
            one.to_string().ends_with(
                "is not a device of this IAM user, whose device is \
                 arn:aws:iam::123456789012:mfa/alice (a virtual device of user alice)"
            ),
            "{one}"
        );
        assert_eq!(
            one.hint(),
            Some(
                "set mfa_serial = arn:aws:iam::123456789012:mfa/alice for profile 'alice', then \
                 use a code of that device"
            )
        );
        let both = wrong_device(&[phone.clone(), two], old, "alice").unwrap();
        assert!(both.to_string().contains("whose devices are"), "{both}");
        let none = wrong_device(&[key], old, "alice").unwrap();
        assert!(
            none.to_string()
                .ends_with("who has no MFA device that gives codes"),
            "{none}"
        );
    }

    #[test]
    fn without_a_terminal_each_case_says_what_to_do() {
        let config = Path::new("/home/a/.aws/config");
        let phone = device("arn:aws:iam::123456789012:mfa/alice");
        let token = device("GAHT12345678");
        let key = device("arn:aws:iam::123456789012:u2f/user/alice/key-ABC");
        let one = settle(std::slice::from_ref(&phone), "alice", config, None, false).unwrap_err();
        assert_eq!(one.to_string(), "profile 'alice' has no mfa_serial");
        assert_eq!(
            one.hint(),
            Some(
                "add this line to [profile alice] in /home/a/.aws/config: mfa_serial = \
                 arn:aws:iam::123456789012:mfa/alice (a virtual device of user alice, found \
                 with IAM ListMFADevices)"
            )
        );
        // A FIDO key beside a phone: the phone is the one device that gives codes.
        let beside = settle(
            &[key.clone(), phone.clone()],
            "default",
            config,
            None,
            false,
        )
        .unwrap_err();
        assert!(
            beside
                .hint()
                .is_some_and(|h| h.starts_with("add this line to [default] in")),
            "{beside:?}"
        );
        let several = settle(
            &[phone.clone(), token.clone()],
            "alice",
            config,
            None,
            false,
        )
        .unwrap_err();
        assert!(
            several.to_string().ends_with(
                "has 2 MFA devices: arn:aws:iam::123456789012:mfa/alice (a virtual device of \
                 user alice), GAHT12345678 (a hardware TOTP token of user alice)"
            ),
            "{several}"
        );
        let fido = settle(std::slice::from_ref(&key), "alice", config, None, false).unwrap_err();
        assert!(
            fido.to_string().contains("only FIDO security keys"),
            "{fido}"
        );
        let none = settle(&[], "alice", config, None, false).unwrap_err();
        assert!(none.to_string().contains("has no MFA device"), "{none}");
    }
}
