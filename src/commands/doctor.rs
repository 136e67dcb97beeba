//! `awsmfa doctor`: every check a run depends on, one line each, with what
//! to do about anything that is not right. It asks for no code, makes no
//! signed call and prints no secret; home-folder paths are shown as `~`, so
//! the output can go into a bug report as it is.

use crate::cli::DoctorArgs;
use crate::error::{Error, Result};
use crate::profile::{Files, KeysAt, Plan, Request};
use crate::session::cache::Cache;
use crate::session::{self, Endpoint, Network, Route};
use crate::settings::{Flags, Settings};
use crate::sys;
use crate::words::{tilde, tilde_text};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long STS may take to answer the probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock offsets STS's SigV4 check tolerates (5 min), and a margin before it.
const CLOCK_FAIL: u64 = 5 * 60;
const CLOCK_WARN: u64 = 60;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// The word in its colour: green, yellow, red.
    fn coloured(self) -> String {
        let code = match self {
            Status::Ok => 32,
            Status::Warn => 33,
            Status::Fail => 31,
        };
        format!("\x1b[{code}m{:<4}\x1b[0m", self.word())
    }
}

/// One check's outcome.
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    pub hint: Option<String>,
}

fn check(name: &'static str, status: Status, detail: String, hint: Option<String>) -> Check {
    Check {
        name,
        status,
        detail,
        hint,
    }
}

pub fn run(args: &DoctorArgs) -> Result<()> {
    use std::io::IsTerminal;
    let env = |name: &str| std::env::var(name).ok();
    let checks = check_all(&Inputs {
        profile: args.profile.as_deref(),
        env: &env,
        now: SystemTime::now(),
    });
    let colour = std::io::stdout().is_terminal() && env("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = render(&checks, args.json, colour)?;
    let text = match args.json {
        true => std::borrow::Cow::Borrowed(text.as_str()),
        false => crate::words::for_locale(&text),
    };
    super::print(text.as_bytes())?;
    if failed(&checks) {
        return Err(Error::Reported);
    }
    Ok(())
}

/// Everything doctor looks at, from the outside.
pub struct Inputs<'a> {
    pub profile: Option<&'a str>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub now: SystemTime,
}

/// Runs every check.
pub fn check_all(inputs: &Inputs<'_>) -> Vec<Check> {
    let env = inputs.env;
    let home = env("HOME").filter(|h| !h.is_empty());
    let tilde = |path: &Path| tilde(path, home.as_deref());
    let mut checks = Vec::new();

    // Every variable with a value that cannot be right, each a line; the
    // checks below go on with the defaults in their place.
    let flags = Flags {
        profile: inputs.profile.map(str::to_owned),
        ..Flags::default()
    };
    let (settings, problems) = Settings::resolve_all(&flags, env);
    for problem in problems {
        checks.push(check("settings", Status::Fail, problem.to_string(), None));
    }
    let files = Files::load(&settings.config_file, &settings.credentials_file);
    let request = Request::from(&settings);
    let plan = files.as_ref().ok().map(|files| files.resolve(&request));

    // The two files: each is there, private enough, and (both) readable.
    for (name, path, secret) in [
        ("config file", &settings.config_file, false),
        ("credentials file", &settings.credentials_file, true),
    ] {
        checks.push(file_check(name, path, secret, &tilde));
    }
    checks.extend(leftover_check(
        &[&settings.config_file, &settings.credentials_file],
        &tilde,
    ));
    if let Err(e) = &files {
        checks.push(check(
            "AWS files",
            Status::Fail,
            e.to_string(),
            e.hint().map(str::to_owned),
        ));
    }

    // The profile, and what it stands on.
    let usable = match &plan {
        Some(Err(e)) => {
            checks.push(check(
                "profile",
                Status::Fail,
                e.to_string(),
                e.hint().map(str::to_owned),
            ));
            // What can still be checked of it, so every problem shows at once.
            if let Some(serial) = files
                .as_ref()
                .ok()
                .and_then(|files| files.mfa_serial_of(&settings.profile))
            {
                checks.push(device_check(serial));
            } else if e.to_string().ends_with(crate::profile::NO_MFA_SERIAL)
                && let Some(found) = files
                    .as_ref()
                    .ok()
                    .and_then(|files| missing_device_check(&settings, files))
            {
                checks.push(found);
            }
            None
        }
        Some(Ok(plan)) => {
            checks.push(profile_check(plan));
            let device = device_check(&plan.mfa.serial);
            checks.push(match (&device.status, &files) {
                (Status::Ok, Ok(files)) => users_device_check(&settings, files, plan, device),
                _ => device,
            });
            if let Ok(files) = &files {
                checks.push(key_check(plan, &files.credentials));
            }
            if let Some(process) = &plan.mfa.process {
                checks.push(process_check(process, env));
            }
            Some(plan)
        }
        None => None,
    };

    checks.push(environment_check(env, files.as_ref().ok(), inputs.now));

    // STS, where a run would reach it.
    let region = (settings.region.clone()).or_else(|| usable.and_then(|p| p.region.clone()));
    let network = Network::from_env(
        env,
        files.as_ref().ok(),
        &settings.profile,
        settings.home.as_deref(),
    );
    let endpoint = Endpoint::new(region.as_deref(), settings.sts_url.clone()).with_network(network);
    let network = network_check(&endpoint, env, &tilde);
    let probe = network.status != Status::Fail;
    checks.push(network);
    checks.push(if probe {
        sts_check(&endpoint, inputs.now)
    } else {
        check(
            "STS",
            Status::Warn,
            format!(
                "{} not probed: the CA bundle cannot be used",
                endpoint.describe()
            ),
            None,
        )
    });

    // The cache.
    match Cache::new(&settings) {
        Ok(cache) => checks.extend(cache_checks(
            &cache,
            usable,
            settings.min_ttl,
            inputs.now,
            &tilde,
        )),
        Err(e) => checks.push(check("cache", Status::Fail, e.to_string(), None)),
    }
    // Messages made elsewhere (a profile's error, a file's) name full paths.
    for c in &mut checks {
        c.detail = tilde_text(&c.detail, home.as_deref());
        c.hint = c.hint.as_deref().map(|h| tilde_text(h, home.as_deref()));
    }
    checks
}

/// A temporary file beside an AWS file, left by a run killed while it
/// rewrote that file: it may hold keys (the next rewrite removes it).
fn leftover_check(files: &[&Path], tilde: &dyn Fn(&Path) -> String) -> Option<Check> {
    let mut folders: Vec<_> = files
        .iter()
        .map(|f| crate::profile::edit::temp_folder(f))
        .collect();
    folders.dedup();
    let found: Vec<_> = folders
        .iter()
        .flat_map(|dir| crate::profile::edit::leftovers(dir))
        .collect();
    let first = tilde(found.first()?);
    let more = match found.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(check(
        "AWS files",
        Status::Warn,
        format!(
            "{first}{more} was left by an awsmfa run stopped while it changed an AWS file; it may \
             hold keys"
        ),
        Some(format!(
            "the next add, remove or rotate removes it; or remove it now: rm {first}"
        )),
    ))
}

fn file_check(
    name: &'static str,
    path: &Path,
    secret: bool,
    tilde: &dyn Fn(&Path) -> String,
) -> Check {
    let shown = tilde(path);
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return check(
                name,
                Status::Warn,
                format!("{shown} does not exist"),
                Some(format!("create it, or point {} at yours", file_var(secret))),
            );
        }
        Err(e) => {
            return check(
                name,
                Status::Fail,
                format!("cannot read {shown}: {}", crate::io_reason(&e)),
                None,
            );
        }
    };
    let mode = sys::mode_of(&meta);
    if secret && sys::shared(&meta) {
        return check(
            name,
            Status::Warn,
            format!("{shown} can be read by group or others (mode {mode:o})"),
            Some(format!("chmod 600 {shown}")),
        );
    }
    check(name, Status::Ok, format!("{shown} (mode {mode:o})"), None)
}

fn file_var(secret: bool) -> &'static str {
    if secret {
        "AWS_SHARED_CREDENTIALS_FILE"
    } else {
        "AWS_CONFIG_FILE"
    }
}

fn profile_check(plan: &Plan) -> Check {
    let role = plan
        .roles
        .last()
        .map(|role| format!(", role {}", role.arn))
        .unwrap_or_default();
    let detail = format!("'{}': {}{role}", plan.profile, crate::session::kind(plan));
    check("profile", Status::Ok, detail, None)
}

/// The MFA device line checked against the user's own devices, which IAM
/// lists to the long-term key in the files (ListMFADevices: read-only, no
/// MFA needed). Keys in the keystore are not read (it may ask to be
/// unlocked); IAM refusing or unreachable leaves the line as it was.
fn users_device_check(settings: &Settings, files: &Files, plan: &Plan, device: Check) -> Check {
    let KeysAt::Files(keys) = &plan.user.keys else {
        return device;
    };
    let Ok(devices) = session::device::of_user(settings, files, &plan.user.profile, keys) else {
        return device;
    };
    let serial = &plan.mfa.serial;
    if let Some(found) = devices.iter().find(|d| &d.serial == serial) {
        return check(
            "MFA device",
            Status::Ok,
            format!("{serial} ({})", found.describe()),
            None,
        );
    }
    let theirs: Vec<String> = devices
        .iter()
        .filter(|d| d.gives_codes())
        .map(|d| format!("{} ({})", d.serial, d.describe()))
        .collect();
    let hint = devices
        .iter()
        .find(|d| d.gives_codes())
        .map(|d| {
            format!(
                "set mfa_serial = {} for profile '{}'",
                d.serial, plan.user.profile
            )
        })
        .unwrap_or_else(|| "assign a virtual MFA device to the user in the IAM console".into());
    check(
        "MFA device",
        Status::Fail,
        match theirs.is_empty() {
            true => format!(
                "mfa_serial = {serial} is not a device of the IAM user of profile '{}', who has \
                 none that gives codes",
                plan.user.profile
            ),
            false => format!(
                "mfa_serial = {serial} is not a device of the IAM user of profile '{}': theirs \
                 {} {}",
                plan.user.profile,
                if theirs.len() == 1 { "is" } else { "are" },
                theirs.join(", ")
            ),
        },
        Some(hint),
    )
}

/// For a user profile with keys and no `mfa_serial`: the device IAM lists,
/// as the line to add (or why there is none to add).
fn missing_device_check(settings: &Settings, files: &Files) -> Option<Check> {
    let (user, keys) = files.without_device(&settings.profile)?;
    let devices = session::device::of_user(settings, files, &user, &keys).ok()?;
    let error = session::device::settle(&devices, &user, &files.config, None, false).err()?;
    Some(check(
        "MFA device",
        Status::Fail,
        error.to_string(),
        error.hint().map(str::to_owned),
    ))
}

/// `arn:PARTITION:iam::ACCOUNT:mfa/NAME`; a FIDO key (`u2f/`) cannot serve
/// API calls.
fn device_check(serial: &str) -> Check {
    let parts: Vec<&str> = serial.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit());
    let resource = parts.get(5).copied().unwrap_or("");
    if let Some(error) = crate::profile::security_key(serial) {
        return check(
            "MFA device",
            Status::Fail,
            error.to_string(),
            error.hint().map(str::to_owned),
        );
    }
    if well_formed && resource.starts_with("mfa/") && resource.len() > 4 {
        return check("MFA device", Status::Ok, serial.to_owned(), None);
    }
    if !serial.starts_with("arn:")
        && serial.len() >= 9
        && serial.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return check(
            "MFA device",
            Status::Ok,
            format!("{serial} (a hardware token's serial number)"),
            None,
        );
    }
    check(
        "MFA device",
        Status::Fail,
        format!("mfa_serial = {serial} is not an MFA device ARN"),
        Some("the IAM console shows it: arn:aws:iam::ACCOUNT:mfa/NAME".into()),
    )
}

fn key_check(plan: &Plan, credentials_file: &Path) -> Check {
    let profile = &plan.user.profile;
    let (keys, place) = match &plan.user.keys {
        KeysAt::Files(keys) => (std::borrow::Cow::Borrowed(keys), "in the AWS files"),
        KeysAt::Keystore => match crate::keystore::read(profile) {
            Ok(Some(keys)) => (std::borrow::Cow::Owned(keys), "in the keystore"),
            Ok(None) => {
                let error = crate::session::missing_keys(profile);
                return check(
                    "access key",
                    Status::Fail,
                    error.to_string(),
                    error.hint().map(str::to_owned),
                );
            }
            Err(error) => {
                return check(
                    "access key",
                    Status::Fail,
                    error.to_string(),
                    error.hint().map(str::to_owned),
                );
            }
        },
    };
    let id = &keys.access_key_id;
    let shown = super::add::shown_key_id(id);
    let of = format!("profile '{}'", plan.user.profile);
    if id.starts_with("AKIA") {
        check(
            "access key",
            Status::Ok,
            format!("{of}: {shown}, a long-term key, {place}"),
            None,
        )
    } else if id.starts_with("ASIA") {
        check(
            "access key",
            Status::Fail,
            format!("{of}: {shown} is a temporary key, not an IAM user's long-term key"),
            Some(match &plan.user.keys {
                KeysAt::Files(_) => crate::profile::long_term_pair_hint(profile, credentials_file),
                KeysAt::Keystore => format!(
                    "store the IAM user's long-term pair (AKIA…) instead: awsmfa add --profile \
                     {profile}"
                ),
            }),
        )
    } else {
        check(
            "access key",
            Status::Warn,
            format!("{of}: {shown} does not look like an IAM user's access key (AKIA…)"),
            None,
        )
    }
}

fn process_check(process: &str, env: &dyn Fn(&str) -> Option<String>) -> Check {
    let program = process.split_whitespace().next().unwrap_or("");
    let search = env("PATH").unwrap_or_default();
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let found = if program.contains('/') {
        Path::new(program).is_file()
    } else {
        which::which_in(program, Some(search), cwd).is_ok()
    };
    if found {
        check(
            "mfa_process",
            Status::Ok,
            format!("'{program}' is installed (not run: it would spend a code)"),
            None,
        )
    } else {
        check(
            "mfa_process",
            Status::Fail,
            format!("'{program}' is not on PATH"),
            Some(format!(
                "install {program}, or fix mfa_process in the profile"
            )),
        )
    }
}

fn environment_check(
    env: &dyn Fn(&str) -> Option<String>,
    files: Option<&Files>,
    now: SystemTime,
) -> Check {
    let set: Vec<&str> = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ]
    .into_iter()
    .filter(|name| env(name).is_some_and(|v| !v.is_empty()))
    .collect();
    // What `eval "$(awsmfa export)"` (or a run inside `awsmfa exec`) sets:
    // awsmfa's own session, not a surprise.
    let own = (
        env("AWSMFA_PROFILE").filter(|v| !v.is_empty()),
        env("AWS_CREDENTIAL_EXPIRATION").and_then(|at| humantime::parse_rfc3339(at.trim()).ok()),
    );
    if let (Some(profile), Some(expiry)) = own
        && set.contains(&"AWS_SESSION_TOKEN")
    {
        let left = match expiry.duration_since(now) {
            Ok(left) => left.as_secs() as i64,
            Err(_) => 0,
        };
        let at = crate::words::local_time(
            expiry
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        let from = format!("credentials from awsmfa export (or exec), profile '{profile}'");
        return if left > 0 {
            check(
                "environment",
                Status::Ok,
                format!("{from}, until {at} ({})", crate::words::left(left)),
                None,
            )
        } else {
            check(
                "environment",
                Status::Warn,
                format!("{from}, expired at {at}: tools run without awsmfa will be refused"),
                Some(format!(
                    "eval \"$(awsmfa export --profile {profile})\" again, or unset {}",
                    set.join(" ")
                )),
            )
        };
    }
    if !set.is_empty() {
        return check(
            "environment",
            Status::Warn,
            format!(
                "{} set in this shell: tools run without awsmfa use those credentials",
                set.join(", ")
            ),
            Some(format!("unset {}", set.join(" "))),
        );
    }
    for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
        if let (Some(profile), Some(files)) = (env(name).filter(|v| !v.is_empty()), files)
            && !files.names().contains(&profile.as_str())
        {
            return check(
                "environment",
                Status::Warn,
                format!("{name}={profile} names a profile that is not in the files"),
                Some(format!("unset {name}, or fix the name")),
            );
        }
    }
    check(
        "environment",
        Status::Ok,
        "no credential variables in this shell".into(),
        None,
    )
}

/// How STS is reached: through which proxy (never its credentials), and
/// trusting what.
fn network_check(
    endpoint: &Endpoint,
    env: &dyn Fn(&str) -> Option<String>,
    tilde: &dyn Fn(&Path) -> String,
) -> Check {
    let route = match Network::route(env, &endpoint.describe()) {
        Route::Direct => "no proxy".to_owned(),
        Route::Proxy { url, var } => format!("through the proxy {url} ({var})"),
        Route::Excluded { var } => format!("no proxy (NO_PROXY leaves STS out of {var}'s)"),
        Route::Unusable { var } => {
            return check(
                "network",
                Status::Warn,
                format!("{var} is set, but not to a proxy URL: STS is reached directly"),
                Some(format!("set {var} to http://HOST:PORT, or unset it")),
            );
        }
    };
    let Some(bundle) = endpoint.network().ca_bundle() else {
        return check(
            "network",
            Status::Ok,
            format!("{route}; trusting the system's CA certificates"),
            None,
        );
    };
    let shown = tilde(&bundle.path);
    match bundle.check() {
        Ok((_, count)) => check(
            "network",
            Status::Ok,
            format!(
                "{route}; trusting only the CA bundle {shown} (from {}, {count} certificate{})",
                bundle.from,
                if count == 1 { "" } else { "s" }
            ),
            None,
        ),
        Err(what) => check(
            "network",
            Status::Fail,
            format!("the CA bundle {shown} (from {}) {what}", bundle.from),
            Some(bundle.hint()),
        ),
    }
}

/// Whether an answer to the probe is STS's: its XML error (an unsigned
/// call is refused with `<ErrorResponse><Error><Code>…`).
fn is_sts_error(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let after = |text: &str, tag: &str| text.find(tag).map(|at| text[at + tag.len()..].to_owned());
    after(&text, "<ErrorResponse")
        .and_then(|rest| after(&rest, "<Error>"))
        .and_then(|rest| after(&rest, "<Code>"))
        .is_some_and(|rest| rest.contains("</Code>"))
}

/// Who answered, in a few words: status, `Server`, `Content-Type`.
fn what_answered(answer: &session::Answer) -> String {
    format!(
        "HTTP {}, {}, {}",
        answer.status,
        answer
            .server
            .as_deref()
            .map_or("no Server header".to_owned(), |s| format!("Server: {s}")),
        answer
            .content_type
            .as_deref()
            .map_or("no Content-Type".to_owned(), |t| format!(
                "Content-Type: {t}"
            )),
    )
}

fn sts_check(endpoint: &Endpoint, now: SystemTime) -> Check {
    let at = endpoint.describe();
    let answer = match session::fetch(
        endpoint.network(),
        &endpoint.probe_url(),
        &format!("STS at {at}"),
        PROBE_TIMEOUT,
        crate::error::Error::Sts,
    ) {
        Ok(answer) => answer,
        Err(e) => {
            return check(
                "STS",
                Status::Fail,
                e.to_string(),
                Some("check the network, a proxy, or AWS_ENDPOINT_URL_STS".into()),
            );
        }
    };
    let took = milliseconds(answer.elapsed);
    // Anything that answers HTTP would do so far: a proxy, a captive
    // portal, another server at that address.
    if !is_sts_error(&answer.body) {
        let (status, like) = if answer.request_id {
            (
                Status::Warn,
                "with an AWS request id, but not in STS's words",
            )
        } else {
            (Status::Fail, "but it is not STS")
        };
        return check(
            "STS",
            status,
            format!(
                "{at} answered in {took}, {like}: {}",
                what_answered(&answer)
            ),
            Some(
                "something else answers there (a proxy, a captive portal, another server): \
                 check AWS_ENDPOINT_URL_STS and the proxy variables"
                    .into(),
            ),
        );
    }
    let Some(server) = answer
        .date
        .as_deref()
        .and_then(|d| httpdate::parse_http_date(d).ok())
    else {
        return check(
            "STS",
            Status::Warn,
            format!("{at} answered in {took}, without a Date to check the clock by"),
            None,
        );
    };
    // The answer's time stands for the middle of the exchange.
    let here = now + answer.elapsed / 2;
    let (offset, ahead) = match here.duration_since(server) {
        Ok(d) => (d.as_secs(), true),
        Err(e) => (e.duration().as_secs(), false),
    };
    let clock = format!(
        "this clock is {} {} STS's",
        skew(offset),
        if ahead { "ahead of" } else { "behind" }
    );
    let fix =
        Some("set the clock right (NTP: timedatectl set-ntp true; on WSL: wsl --shutdown)".into());
    if offset > CLOCK_FAIL {
        check(
            "STS",
            Status::Fail,
            format!(
                "{at} answered in {took}, but {clock}: STS refuses signatures more than 5 min off"
            ),
            fix,
        )
    } else if offset > CLOCK_WARN {
        check(
            "STS",
            Status::Warn,
            format!(
                "{at} answered in {took}; {clock}, more than a minute off (STS refuses \
                 signatures more than 5 min off)"
            ),
            fix,
        )
    } else if offset == 0 {
        check(
            "STS",
            Status::Ok,
            format!("{at} answered in {took}; the clock agrees with STS's to the second"),
            None,
        )
    } else {
        check(
            "STS",
            Status::Ok,
            format!("{at} answered in {took}; the clock agrees with STS's: {clock}"),
            None,
        )
    }
}

/// A time taken, as `12 ms`; under a millisecond as `<1 ms`, not `0 ms`.
fn milliseconds(elapsed: Duration) -> String {
    match elapsed.as_millis() {
        0 => "<1 ms".to_owned(),
        ms => format!("{ms} ms"),
    }
}

/// A clock offset to the second: `42 s`, `2 min 5 s`.
fn skew(seconds: u64) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `1 entry`, `2 entries`: `n` and the word for one or for many.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn cache_checks(
    cache: &Cache,
    plan: Option<&Plan>,
    min_ttl: u64,
    now: SystemTime,
    tilde: &dyn Fn(&Path) -> String,
) -> Vec<Check> {
    let dir = tilde(cache.dir());
    let meta = match std::fs::symlink_metadata(cache.dir()) {
        Ok(meta) => meta,
        Err(_) => {
            let mut checks = vec![check(
                "cache",
                Status::Ok,
                format!("{dir} does not exist yet: the first run creates it"),
                None,
            )];
            checks.extend(plan.map(|plan| session_check(cache, plan, min_ttl, now)));
            return checks;
        }
    };
    let refuse = |why: &str| {
        vec![check(
            "cache",
            Status::Fail,
            format!("{dir} {why}: awsmfa will not use it"),
            Some("set AWSMFA_CACHE_DIR to a folder of your own".into()),
        )]
    };
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link");
    }
    if !meta.is_dir() {
        return refuse("is not a folder");
    }
    if !sys::is_ours(&meta) {
        return refuse("belongs to another user");
    }
    let mut checks = Vec::new();
    let mode = sys::mode_of(&meta);
    let shared = sys::shared(&meta);
    // Usable by the rule a run applies; running low: not expired, but too
    // little left to be reused; unusable: not to be trusted at all.
    let (mut usable, mut low, mut expired, mut unusable) = (0, 0, 0, 0);
    for (_, entry) in cache.entries() {
        match entry {
            Ok(entry) if entry.usable(min_ttl, now) => usable += 1,
            Ok(entry) if entry.credentials.seconds_left(now) > 0 => low += 1,
            Ok(_) => expired += 1,
            Err(_) => unusable += 1,
        }
    }
    let (temps, locks) = cache.leftovers();
    let mut detail = format!(
        "{dir} (mode {mode:o}): {}: {usable} usable, {low} running low, {expired} expired, \
         {unusable} unusable",
        count(usable + low + expired + unusable, "entry", "entries")
    );
    if temps + locks > 0 {
        detail.push_str(&format!(
            "; {}, {}",
            count(temps, "stale temporary file", "stale temporary files"),
            count(locks, "stale lock", "stale locks")
        ));
    }
    let status = if shared || unusable > 0 {
        Status::Warn
    } else {
        Status::Ok
    };
    let hint = (status == Status::Warn).then(|| {
        if shared {
            format!("chmod 700 {dir} (the next run does it too)")
        } else {
            "unusable entries are replaced by the next run; awsmfa clear removes them".into()
        }
    });
    checks.push(check("cache", status, detail, hint));
    checks.extend(plan.map(|plan| session_check(cache, plan, min_ttl, now)));
    checks
}

/// The cached credentials a run of the profile would use, and their time left.
fn session_check(cache: &Cache, plan: &Plan, min_ttl: u64, now: SystemTime) -> Check {
    let keys = session::keys(plan);
    let kind = if plan.roles.is_empty() {
        crate::words::MFA_SESSION
    } else {
        crate::words::ROLE_SESSION
    };
    let load = |key: &session::cache::SessionKey| cache.load(key).ok().flatten();
    let of = format!("profile '{}'", plan.profile);
    // What the next run needs when this profile's own session is not
    // reusable: a role stands on the user's MFA session, if that is.
    let next = if !plan.roles.is_empty()
        && !plan.direct_role()
        && load(&keys[0]).is_some_and(|entry| entry.usable(min_ttl, now))
    {
        format!(
            "the next run assumes the role on the cached {}",
            crate::words::MFA_SESSION
        )
    } else {
        "the next run asks for a code".to_owned()
    };
    let detail = match keys.last().and_then(load) {
        Some(entry) if entry.usable(min_ttl, now) => format!(
            "{of}: cached {kind} until {} ({})",
            crate::words::local_time(entry.credentials.expires_at),
            crate::words::left(entry.credentials.seconds_left(now))
        ),
        Some(entry) if entry.credentials.seconds_left(now) > 0 => format!(
            "{of}: cached {kind} until {} ({}), too little to reuse: {next}",
            crate::words::local_time(entry.credentials.expires_at),
            crate::words::left(entry.credentials.seconds_left(now))
        ),
        Some(entry) => format!(
            "{of}: cached {kind} expired at {}: {next}",
            crate::words::local_time(entry.credentials.expires_at)
        ),
        None => format!("{of}: no cached {kind}: {next}"),
    };
    check("session", Status::Ok, detail, None)
}

/// The report: aligned lines (colour only when asked), or JSON.
pub fn render(checks: &[Check], json: bool, colour: bool) -> Result<String> {
    if json {
        let values: Vec<serde_json::Value> = checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "status": c.status.word(),
                    "detail": c.detail,
                    "hint": c.hint,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&values)
            .map_err(|e| crate::error::Error::Output(format!("cannot encode the report: {e}")))?;
        return Ok(format!("{text}\n"));
    }
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let status = if colour {
            c.status.coloured()
        } else {
            format!("{:<4}", c.status.word())
        };
        out.push_str(&format!("{status}  {:<width$}  {}", c.name, c.detail));
        if let Some(hint) = &c.hint {
            out.push_str(&format!(" → {hint}"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Whether anything failed.
pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_in_words() {
        assert_eq!(milliseconds(Duration::from_micros(300)), "<1 ms");
        assert_eq!(milliseconds(Duration::from_millis(31)), "31 ms");
        assert_eq!(skew(0), "0 s");
        assert_eq!(skew(59), "59 s");
        assert_eq!(skew(120), "2 min");
        assert_eq!(skew(425), "7 min 5 s");
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(0, "entry", "entries"), "0 entries");
    }

    #[test]
    fn devices() {
        let status = |serial: &str| device_check(serial).status;
        assert!(status("arn:aws:iam::123456789012:mfa/alice") == Status::Ok);
        assert!(status("arn:aws-us-gov:iam::123456789012:mfa/alice") == Status::Ok);
        assert!(status("GAHT12345678") == Status::Ok);
        assert!(status("arn:aws:iam::123456789012:u2f/user/alice/key-ABC") == Status::Fail);
        assert!(status("arn:aws:iam::12345:mfa/alice") == Status::Fail);
        assert!(status("alice") == Status::Fail);
    }
}
