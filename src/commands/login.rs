//! `awsmfa login`: the AWS console, signed in as a role profile on the same
//! MFA session. Role credentials → the federation endpoint's
//! `getSigninToken` → a sign-in URL for the browser. The URL is a bearer
//! secret: it is never logged, and `-v` names only the endpoint.

use crate::cli::LoginArgs;
use crate::error::{Error, Result};
use crate::profile::{Files, Plan};
use crate::session::cache::Cache;
use crate::session::{self, Credentials, Network, Setup};
use crate::settings::Settings;
use std::io::Write;
use std::process::{Command, Stdio};

pub fn run(args: &LoginArgs) -> Result<()> {
    let settings = Settings::from_process(&args.session.flags())?;
    let setup = Setup::finding_device(&settings)?;
    // Before any code is spent or any sign-in token asked for.
    check_role(&setup.plan, &setup.files)?;
    if !args.stdout {
        check_browser(settings.browser.as_deref())?;
    }
    let credentials = setup.get()?;
    let url = signin_url(
        &setup.plan,
        &credentials,
        &settings,
        setup.options.endpoint.network(),
    )?;
    if args.stdout {
        return super::print(format!("{url}\n").as_bytes());
    }
    let browser = open(&url, settings.browser.as_deref(), &setup.cache)?;
    crate::say!(
        "opened the AWS console for profile '{}' with {browser}",
        setup.plan.profile
    );
    Ok(())
}

/// Who the sign-in says it comes from.
const ISSUER: &str = "awsmfa";
/// How long the federation endpoint may take to answer.
const FEDERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// A partition's sign-in and console addresses.
#[derive(Debug, PartialEq, Eq)]
pub struct Partition {
    pub signin: &'static str,
    pub console: &'static str,
}

/// The partition a region belongs to (`aws` for none).
pub fn partition(region: Option<&str>) -> Partition {
    match region.unwrap_or("") {
        r if r.starts_with("cn-") => Partition {
            signin: "https://signin.amazonaws.cn",
            console: "https://console.amazonaws.cn",
        },
        r if r.starts_with("us-gov-") => Partition {
            signin: "https://signin.amazonaws-us-gov.com",
            console: "https://console.amazonaws-us-gov.com",
        },
        _ => Partition {
            signin: "https://signin.aws.amazon.com",
            console: "https://console.aws.amazon.com",
        },
    }
}

/// Refuses a user profile before anything is spent: the console needs a role.
pub fn check_role(plan: &Plan, files: &Files) -> Result<()> {
    if !plan.roles.is_empty() {
        return Ok(());
    }
    let hint = match files.roles_on(&plan.user.profile).as_slice() {
        [] => format!(
            "use a role profile: one with role_arn and source_profile = {}, \
             then awsmfa login --profile ROLE",
            plan.user.profile
        ),
        [role] => format!("sign in as its role: awsmfa login --profile {role}"),
        roles => format!(
            "sign in as one of its roles ({}): awsmfa login --profile {}",
            roles.join(", "),
            roles[0]
        ),
    };
    Err(Error::config_with_hint(
        format!(
            "profile '{}' is an IAM user profile: the console cannot be signed in from an MFA \
             session (GetFederationToken cannot use one, and the console session would carry \
             no MFA)",
            plan.profile
        ),
        hint,
    ))
}

/// The console session to ask for, in seconds: only a role assumed directly
/// with the long-term keys may ask; credentials from role chaining may not
/// carry `SessionDuration`, and their console session lasts the default hour.
pub fn session_duration(plan: &Plan) -> Option<u64> {
    plan.direct_role()
        .then(|| plan.roles.last().map(|role| role.duration))
        .flatten()
}

/// Gets a sign-in token for `credentials` and returns the sign-in URL.
/// The request goes out as STS's do (`network`: proxies, CA bundle).
pub fn signin_url(
    plan: &Plan,
    credentials: &Credentials,
    settings: &Settings,
    network: &Network,
) -> Result<String> {
    let partition = partition(plan.region.as_deref());
    let verbose = settings.verbose;
    let base = settings
        .signin_url
        .clone()
        .unwrap_or_else(|| partition.signin.to_owned());
    let federation = format!("{}/federation", base.trim_end_matches('/'));
    let what = format!("the federation endpoint at {federation}");
    if verbose {
        crate::say!(
            "awsmfa: profile '{}': getting a console sign-in token from {federation}",
            plan.profile
        );
    }
    let answer = session::fetch(
        network,
        &token_request(&federation, credentials, session_duration(plan)),
        &what,
        FEDERATION_TIMEOUT,
        Error::Signin,
    )?;
    if answer.status != 200 {
        return Err(Error::Signin(format!(
            "{what} refused the sign-in (HTTP {}){}",
            answer.status,
            if answer.status == 400 && session_duration(plan).is_some() {
                "; the role may not allow a console session that long"
            } else {
                ""
            }
        )));
    }
    let token = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|json| json.get("SigninToken")?.as_str().map(str::to_owned))
        .filter(|token| !token.is_empty())
        .ok_or_else(|| Error::Signin(format!("{what} answered without a sign-in token")))?;
    let destination = match &plan.region {
        Some(region) => format!(
            "{}/console/home?region={}",
            partition.console,
            encode(region)
        ),
        None => format!("{}/console/home", partition.console),
    };
    Ok(format!(
        "{federation}?Action=login&Issuer={ISSUER}&Destination={}&SigninToken={}",
        encode(&destination),
        encode(&token)
    ))
}

/// The `getSigninToken` request for `credentials`.
fn token_request(federation: &str, credentials: &Credentials, duration: Option<u64>) -> String {
    let session = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key.expose(),
        "sessionToken": credentials.session_token.expose(),
    });
    let mut url = format!("{federation}?Action=getSigninToken");
    if let Some(seconds) = duration {
        url.push_str(&format!("&SessionDuration={seconds}"));
    }
    url.push_str(&format!("&Session={}", encode(&session.to_string())));
    url
}

/// How long the page that forwards to the sign-in URL is kept for the
/// browser to read (a browser that has to start first may take a while).
const PAGE_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

/// Opens `url` in `$BROWSER`, else the platform's opener. The URL is a
/// bearer token, so it is never an argument (every local user can read
/// those): the browser gets a page that forwards to it, a 0600 file in a
/// private folder of the cache, removed a minute later (or by the next run
/// if that cannot be arranged). The browser's environment carries no code
/// and no credentials, and its output is discarded, so nothing of the URL
/// reaches this terminal through it.
pub fn open(url: &str, browser: Option<&str>, cache: &Cache) -> Result<String> {
    cache.sweep_dead_runs();
    let folder = cache.run_dir()?;
    let page = folder.path().join("signin.html");
    let written = crate::sys::create_private_file(&page)
        .and_then(|mut file| file.write_all(forwarding_page(url).as_bytes()));
    if let Err(e) = written {
        return Err(Error::Signin(format!(
            "cannot write the sign-in page {}: {}",
            page.display(),
            crate::io_reason(&e)
        )));
    }
    let target = page.to_string_lossy().into_owned();
    let (program, mut args) = browser_command(browser)?;
    if args.iter().any(|w| w.contains("%s")) {
        args = args.into_iter().map(|w| w.replace("%s", &target)).collect();
    } else {
        args.push(target);
    }
    let mut command = Command::new(&program);
    command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for name in crate::env::REMOVED {
        command.env_remove(name);
    }
    command.spawn().map_err(|e| {
        Error::Signin(format!(
            "cannot start the browser '{program}': {}; use --stdout to print the URL instead",
            crate::io_reason(&e)
        ))
    })?;
    crate::sys::remove_later(&folder.keep(), PAGE_KEPT);
    Ok(program)
}

/// The browser's program and its words, from `$BROWSER` (which may list
/// several commands, `a:b`, the first one used; `%s` stands for the page),
/// else the platform's opener.
fn browser_command(browser: Option<&str>) -> Result<(String, Vec<String>)> {
    let Some(browser) = browser else {
        return Ok((crate::sys::OPENER.to_owned(), Vec::new()));
    };
    let first = browser.split(':').next().unwrap_or("").trim();
    let mut words: Vec<String> = first.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Err(Error::Signin("BROWSER names no program".into()));
    }
    let program = words.remove(0);
    Ok((program, words))
}

/// A browser that cannot be started is found out before a sign-in token is
/// asked for (or a code spent on one).
fn check_browser(browser: Option<&str>) -> Result<()> {
    let (program, _) = browser_command(browser)?;
    if which::which(&program).is_ok() {
        return Ok(());
    }
    let from = if browser.is_some() {
        " (from BROWSER)"
    } else {
        ""
    };
    Err(Error::config_with_hint(
        format!("cannot start the browser '{program}'{from}: it is not on PATH"),
        "print the sign-in URL instead: awsmfa login --stdout",
    ))
}

/// A page that sends the browser on to `url` at once.
fn forwarding_page(url: &str) -> String {
    let url: String = url
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\n<title>AWS console</title>\n\
         <p>Signing in to the AWS console… <a href=\"{url}\">continue</a></p>\n"
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(
            partition(Some("eu-west-1")).signin,
            "https://signin.aws.amazon.com"
        );
        assert_eq!(partition(None).console, "https://console.aws.amazon.com");
        assert_eq!(
            partition(Some("cn-north-1")).signin,
            "https://signin.amazonaws.cn"
        );
        assert_eq!(
            partition(Some("cn-northwest-1")).console,
            "https://console.amazonaws.cn"
        );
        assert_eq!(
            partition(Some("us-gov-west-1")).signin,
            "https://signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            partition(Some("us-gov-east-1")).console,
            "https://console.amazonaws-us-gov.com"
        );
        // Not a prefix match on anything else.
        assert_eq!(
            partition(Some("us-east-1")).signin,
            "https://signin.aws.amazon.com"
        );
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(
            encode("{\"k\": \"v/+=\"}"),
            "%7B%22k%22%3A%20%22v%2F%2B%3D%22%7D"
        );
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn the_token_request_carries_the_session_and_maybe_a_duration() {
        let credentials = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: crate::secret::Secret::new("s/k"),
            session_token: crate::secret::Secret::new("t+"),
            expires_at: 0,
        };
        let url = token_request("https://x/federation", &credentials, None);
        assert_eq!(
            url,
            "https://x/federation?Action=getSigninToken&Session=\
             %7B%22sessionId%22%3A%22ASIA1%22%2C%22sessionKey%22%3A%22s%2Fk%22%2C%22sessionToken%22%3A%22t%2B%22%7D"
        );
        let url = token_request("https://x/federation", &credentials, Some(7200));
        assert!(url.contains("Action=getSigninToken&SessionDuration=7200&Session="));
    }
}
