//! The command line's session flags and the environment, resolved once into
//! one plain value, `Settings`, from one table of the variables awsmfa reads
//! (`VARS`, which also writes the manual's ENVIRONMENT section). The rest of
//! awsmfa takes numbers and paths from here and reads no variable itself.

use crate::error::{Error, Result};
use crate::secret::MfaCode;
use std::path::PathBuf;
use std::time::Duration;

/// A variable awsmfa reads, and what it means to a user.
pub struct Var {
    pub name: &'static str,
    /// One sentence for the manual.
    pub about: &'static str,
}

const fn var(name: &'static str, about: &'static str) -> Var {
    Var { name, about }
}

/// Every variable awsmfa reads as text, in the order the manual lists them.
/// A value in any of them that cannot be right is an error naming it.
pub const VARS: &[Var] = &[
    var(
        "AWS_PROFILE",
        "The profile, when --profile is not given; then AWS_DEFAULT_PROFILE, then AWSMFA_PROFILE, \
         then default.",
    ),
    var(
        "AWS_DEFAULT_PROFILE",
        "The profile, when neither --profile nor AWS_PROFILE is given.",
    ),
    var(
        "AWSMFA_PROFILE",
        "The profile after those two: set by awsmfa exec for its command and by an evaluated \
         awsmfa export, so nested runs and such a shell keep their profile.",
    ),
    var(
        "AWS_REGION",
        "The region for STS and for the command, when --region is not given; then \
         AWS_DEFAULT_REGION, then the profile's region.",
    ),
    var(
        "AWS_DEFAULT_REGION",
        "The region, when neither --region nor AWS_REGION is given.",
    ),
    var(
        "AWS_CONFIG_FILE",
        "The shared config file (default ~/.aws/config).",
    ),
    var(
        "AWS_SHARED_CREDENTIALS_FILE",
        "The shared credentials file (default ~/.aws/credentials).",
    ),
    var(
        "AWSMFA_CONFIG_FILE",
        "Read before AWS_CONFIG_FILE: set by exec --server for its command, whose AWS_* \
         variables name copies of the files where profiles get credentials through awsmfa.",
    ),
    var(
        "AWSMFA_SHARED_CREDENTIALS_FILE",
        "Read before AWS_SHARED_CREDENTIALS_FILE, for the same reason.",
    ),
    var(
        "AWS_ENDPOINT_URL_STS",
        "The STS endpoint, instead of the region's.",
    ),
    var(
        "AWS_ENDPOINT_URL",
        "Every service's endpoint: STS's and IAM's, when their own variable is not set.",
    ),
    var(
        "AWS_ENDPOINT_URL_IAM",
        "The IAM endpoint for rotate, instead of the partition's global one.",
    ),
    var(
        "AWS_ENDPOINT_URL_SIGNIN",
        "The console federation endpoint for login (a base URL; /federation is appended).",
    ),
    var(
        "AWSMFA_TOKEN_CODE",
        "The MFA code, when --token-code is not given. Never passed to the command.",
    ),
    var(
        "AWSMFA_DURATION",
        "The session length, when --duration is not given: seconds, or 15m, 1h, 12h.",
    ),
    var(
        "AWSMFA_MIN_TTL",
        "Reuse a cached session only with this much left (default 15m, at most half the \
         session's length), when --min-ttl is not given.",
    ),
    var(
        "AWSMFA_CACHE_DIR",
        "The cache folder (default: the platform's cache folder + awsmfa).",
    ),
    var(
        "AWSMFA_LOCK_TIMEOUT",
        "How long a run waits for another that is getting the same session (default 300 s).",
    ),
    var(
        "AWSMFA_PROMPT",
        "How to ask for a code when no other source gives one, instead of the profile's \
         mfa_prompt: terminal, zenity, kdialog, osascript, wincredui (Windows) or ykman.",
    ),
    var(
        "AWSMFA_PROCESS_TIMEOUT",
        "How long mfa_process may take before it is killed (default 60 s).",
    ),
    var(
        "AWSMFA_ROTATE_WAIT",
        "How long rotate waits for IAM to serve a new access key (default 30 s).",
    ),
    var("HOME", "Where ~/.aws is (Unix)."),
    var(
        "XDG_CACHE_HOME",
        "The platform's cache folder on Linux (default ~/.cache).",
    ),
    var(
        "USERPROFILE",
        "Where .aws is on Windows, as the AWS CLI has it (HOME is not read there).",
    ),
    var("LOCALAPPDATA", "The platform's cache folder on Windows."),
    var(
        "BROWSER",
        "The browser login opens; else xdg-open (open on macOS).",
    ),
    var(
        "AWS_CA_BUNDLE",
        "A PEM file of the certificate authorities to trust for HTTPS calls (STS, IAM, \
         sign-in), instead of the system's; the profile's ca_bundle when unset.",
    ),
    var(
        "HTTPS_PROXY",
        "The proxy for HTTPS calls (also https_proxy), as the AWS CLI reads it.",
    ),
    var(
        "HTTP_PROXY",
        "The proxy for plain HTTP calls to an http:// endpoint (also http_proxy).",
    ),
    var(
        "ALL_PROXY",
        "The proxy for calls no other proxy variable covers (also all_proxy).",
    ),
    var(
        "NO_PROXY",
        "Hosts reached without a proxy, separated by commas (also no_proxy).",
    ),
];

/// The longest span any setting takes (ten years): larger numbers are typos
/// or attacks, and would overflow the arithmetic on times.
pub const MAX_SECONDS: u64 = 10 * 366 * 86_400;
/// Reuse a cached session only with this much left, unless told otherwise.
pub const DEFAULT_MIN_TTL: u64 = 15 * 60;
/// How long a run waits for another that holds the lock (it may be at a prompt).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);
/// How long `mfa_process` may take (it may wait for a touch of a security key).
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// How long IAM may take to serve a new key everywhere (eventual consistency).
pub const DEFAULT_ROTATE_WAIT: Duration = Duration::from_secs(30);

/// The shortest session STS gives (15 minutes).
pub const SHORTEST_SESSION: u64 = 900;
/// The longest session STS gives an IAM user (36 hours).
pub const LONGEST_SESSION: u64 = 129_600;
/// The longest session STS gives a role (12 hours, if the role allows it).
pub const LONGEST_ROLE_SESSION: u64 = 43_200;

/// Seconds as a bare number, or a duration such as `15m`, `1h`, `1h30m`.
pub fn parse_seconds(value: &str) -> std::result::Result<u64, String> {
    let value = value.trim();
    if value
        .strip_prefix('-')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(format!(
            "'{value}' is negative; give a length such as 15m, 1h, 12h"
        ));
    }
    let seconds = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        value
            .parse()
            .map_err(|_| format!("'{value}' is too large"))?
    } else {
        humantime::parse_duration(value)
            .map(|d| d.as_secs())
            .map_err(|_| format!("'{value}' is not seconds or a duration like 15m, 1h, 12h"))?
    };
    if seconds > MAX_SECONDS {
        return Err(format!("'{value}' is too large (at most ten years)"));
    }
    Ok(seconds)
}

/// A session length as the user wrote it, and its seconds: messages about
/// it quote what was typed (`'10m'`), not a number of seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub seconds: u64,
    pub typed: String,
}

/// A session length (`--duration`, `AWSMFA_DURATION`) within what STS gives
/// any session: 15 minutes to 36 hours. A role's tighter bound depends on
/// its profile, and is checked once the files are read.
pub fn parse_duration(value: &str) -> std::result::Result<Span, String> {
    span_within(value, LONGEST_SESSION, "")
}

/// A role session's length (`login --duration`): 15 minutes to 12 hours.
pub fn parse_role_duration(value: &str) -> std::result::Result<Span, String> {
    span_within(value, LONGEST_ROLE_SESSION, " a role")
}

fn span_within(value: &str, longest: u64, whom: &str) -> std::result::Result<Span, String> {
    let seconds = parse_seconds(value)?;
    let typed = value.trim().to_owned();
    if seconds < SHORTEST_SESSION {
        return Err(format!("'{typed}' is less than the 15 minutes STS allows"));
    }
    if seconds > longest {
        return Err(format!(
            "'{typed}' is more than the {} hours STS allows{whom}",
            longest / 3600
        ));
    }
    Ok(Span { seconds, typed })
}

/// The session flags as given on the command line (none of them required).
#[derive(Default, Clone)]
pub struct Flags {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub duration: Option<Span>,
    pub min_ttl: Option<u64>,
    pub refresh: bool,
    /// `--token-code`, as typed: checked here, like the variable.
    pub token_code: Option<crate::secret::Secret>,
    pub verbose: bool,
}

/// Everything a run takes from its flags and environment, settled.
#[derive(Debug)]
pub struct Settings {
    /// The profile asked for: the flag, else the variables, else `default`.
    pub profile: String,
    /// The variable that named the profile, when no flag did.
    pub profile_from: Option<&'static str>,
    /// The region from `--region` or the variables (a profile may name one too).
    pub region: Option<String>,
    /// `--duration`, else `AWSMFA_DURATION`: for the profile named.
    pub duration: Option<u64>,
    /// Where `duration` came from (`--duration` or `AWSMFA_DURATION`) and
    /// what was written there, for a message about it.
    pub duration_asked: Option<(&'static str, String)>,
    /// Reuse a cached session only with this many seconds left (at most half).
    pub min_ttl: u64,
    pub refresh: bool,
    /// `--token-code`, else `AWSMFA_TOKEN_CODE`, well formed.
    pub token_code: Option<MfaCode>,
    /// `AWSMFA_PROMPT`: how to ask, whatever the profile says.
    pub prompt: Option<crate::mfa::Prompt>,
    pub verbose: bool,
    pub config_file: PathBuf,
    pub credentials_file: PathBuf,
    /// `AWSMFA_CACHE_DIR`, else on Windows `%LOCALAPPDATA%\awsmfa`; `None`
    /// for the platform's cache folder (`dirs`, which reads XDG_CACHE_HOME).
    pub cache_dir: Option<PathBuf>,
    pub lock_timeout: Duration,
    pub process_timeout: Duration,
    pub rotate_wait: Duration,
    /// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`.
    pub sts_url: Option<String>,
    /// `AWS_ENDPOINT_URL_IAM`, else `AWS_ENDPOINT_URL`.
    pub iam_url: Option<String>,
    pub signin_url: Option<String>,
    pub browser: Option<String>,
    pub home: Option<PathBuf>,
}

impl Settings {
    /// Settles `flags` against the environment `env`. A variable whose value
    /// cannot be right is an error naming it, whatever the command.
    pub fn resolve(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
        let (settings, mut problems) = Settings::resolve_all(flags, env);
        match problems.is_empty() {
            true => Ok(settings),
            false => Err(problems.swap_remove(0)),
        }
    }

    /// The settings of this process: its environment, and `flags`.
    pub fn from_process(flags: &Flags) -> Result<Settings> {
        Settings::resolve(flags, &|name| std::env::var(name).ok())
    }

    /// Settles everything it can: a value that cannot be right is left at
    /// its default and its error listed (for `doctor`, which shows them all).
    pub fn resolve_all(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> (Settings, Vec<Error>) {
        let mut problems = Vec::new();
        if let Some(name) = non_utf8_var() {
            problems.push(Error::config(format!(
                "{name} is not valid UTF-8; awsmfa cannot use its value"
            )));
        }
        let set = |name: &str| env(name).filter(|v| !v.is_empty());
        let mut seconds = |name: &str| match set(name).map(|text| parse_seconds(&text)) {
            Some(Ok(seconds)) => Some(seconds),
            Some(Err(why)) => {
                problems.push(Error::config(format!("{name}: {why}")));
                None
            }
            None => None,
        };
        let min_ttl = flags
            .min_ttl
            .or_else(|| seconds("AWSMFA_MIN_TTL"))
            .unwrap_or(DEFAULT_MIN_TTL);
        let lock_timeout =
            seconds("AWSMFA_LOCK_TIMEOUT").map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs);
        let process_timeout =
            seconds("AWSMFA_PROCESS_TIMEOUT").map_or(DEFAULT_PROCESS_TIMEOUT, Duration::from_secs);
        let rotate_wait =
            seconds("AWSMFA_ROTATE_WAIT").map_or(DEFAULT_ROTATE_WAIT, Duration::from_secs);
        let duration = match &flags.duration {
            Some(span) => Some(("--duration", span.clone())),
            None => match set("AWSMFA_DURATION").map(|text| parse_duration(&text)) {
                Some(Ok(span)) => Some(("AWSMFA_DURATION", span)),
                Some(Err(why)) => {
                    problems.push(Error::config(format!("AWSMFA_DURATION: {why}")));
                    None
                }
                None => None,
            },
        };
        let (duration, duration_asked) = match duration {
            Some((from, span)) => (Some(span.seconds), Some((from, span.typed))),
            None => (None, None),
        };
        // AWSMFA_PROFILE is set by an enclosing `awsmfa exec` or an
        // evaluated `awsmfa export`, both of which remove AWS_PROFILE.
        let (profile, profile_from) = match &flags.profile {
            Some(profile) => (profile.clone(), None),
            None => ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWSMFA_PROFILE"]
                .into_iter()
                .find_map(|name| set(name).map(|value| (value, Some(name))))
                .unwrap_or_else(|| ("default".to_owned(), None)),
        };
        let region = match &flags.region {
            Some(region) => Some(("--region", region.clone())),
            None => ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .into_iter()
                .find_map(|name| set(name).map(|value| (name, value))),
        };
        let region = match region {
            Some((from, region)) if !is_region(&region) => {
                problems.push(Error::config(format!(
                    "{from}: '{region}' is not a region name, such as eu-west-1"
                )));
                None
            }
            region => region.map(|(_, region)| region),
        };
        let token_code = match &flags.token_code {
            Some(code) => Some(MfaCode::parse(code.expose(), "--token-code")),
            None => env("AWSMFA_TOKEN_CODE")
                .filter(|v| !v.trim().is_empty())
                .map(|code| MfaCode::parse(&code, "AWSMFA_TOKEN_CODE")),
        };
        let token_code = match token_code {
            Some(Err(e)) => {
                problems.push(e);
                None
            }
            code => code.and_then(Result::ok),
        };
        let prompt = match set("AWSMFA_PROMPT") {
            Some(value) => match crate::mfa::Prompt::parse(&value) {
                Some(prompt) => Some(prompt),
                None => {
                    problems.push(Error::config(format!(
                        "AWSMFA_PROMPT={value} is not one of {}",
                        crate::mfa::Prompt::NAMES
                    )));
                    None
                }
            },
            None => None,
        };
        let home = set(crate::sys::HOME)
            .map(PathBuf::from)
            .or_else(dirs::home_dir);
        let mut file = |var: &str, own: &str, name: &str| {
            // Under `exec --server`, AWS_* name copies of the files without
            // the default profile's credentials (for the command's SDK);
            // AWSMFA_* name the user's own, for an awsmfa the command runs.
            let rest = match set(own).or_else(|| set(var)) {
                Some(path) => match path.strip_prefix("~/") {
                    Some(rest) => rest.to_owned(),
                    None => return PathBuf::from(path),
                },
                None => format!(".aws/{name}"),
            };
            match &home {
                Some(home) => home.join(rest),
                None => {
                    problems.push(Error::config(format!(
                        "cannot find the home folder; set {var}"
                    )));
                    PathBuf::from(rest)
                }
            }
        };
        let config_file = file("AWS_CONFIG_FILE", "AWSMFA_CONFIG_FILE", "config");
        let credentials_file = file(
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWSMFA_SHARED_CREDENTIALS_FILE",
            "credentials",
        );
        let settings = Settings {
            profile,
            profile_from,
            region,
            duration,
            duration_asked,
            min_ttl,
            refresh: flags.refresh,
            token_code,
            prompt,
            verbose: flags.verbose,
            config_file,
            credentials_file,
            // `~/` as in the file variables (a quoted '~/x' reaches us as is).
            cache_dir: set("AWSMFA_CACHE_DIR")
                .map(|dir| match (dir.strip_prefix("~/"), &home) {
                    (Some(rest), Some(home)) => home.join(rest),
                    _ => PathBuf::from(dir),
                })
                .or_else(|| {
                    let platform = crate::sys::CACHE_HOME.and_then(set)?;
                    Some(PathBuf::from(platform).join("awsmfa"))
                }),
            lock_timeout,
            process_timeout,
            rotate_wait,
            sts_url: set("AWS_ENDPOINT_URL_STS").or_else(|| set("AWS_ENDPOINT_URL")),
            iam_url: set("AWS_ENDPOINT_URL_IAM").or_else(|| set("AWS_ENDPOINT_URL")),
            signin_url: set("AWS_ENDPOINT_URL_SIGNIN"),
            browser: env("BROWSER").filter(|b| !b.trim().is_empty()),
            home,
        };
        (settings, problems)
    }
}

/// The first variable of `VARS` whose value is not UTF-8: treating it as
/// unset would silently mean another profile, file or endpoint.
pub fn non_utf8_var() -> Option<&'static str> {
    VARS.iter()
        .map(|var| var.name)
        .find(|name| matches!(std::env::var(name), Err(std::env::VarError::NotUnicode(_))))
}

/// A region name as AWS writes them: words of lowercase letters joined by
/// hyphens, ending in a number (`eu-west-1`, `us-gov-west-1`, `us-isob-east-1`),
/// so `foo`, `us-east-1x`, `eu-west-1#oops` or a quoted `"eu-west-1"` is caught
/// before a code is spent.
pub fn is_region(name: &str) -> bool {
    let mut parts = name.split('-');
    let (Some(first), Some(number)) = (parts.next(), parts.next_back()) else {
        return false;
    };
    let words = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase());
    let middle: Vec<&str> = parts.collect();
    // A host label, as endpoints are built from it.
    name.len() <= 63
        && first.len() >= 2
        && words(first)
        && !middle.is_empty()
        && middle.iter().all(|part| words(part))
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(flags: &Flags, vars: &[(&str, &str)]) -> Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(flags, &|name| vars.get(name).cloned())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_seconds("900"), Ok(900));
        assert_eq!(parse_seconds("15m"), Ok(900));
        assert_eq!(parse_seconds("1h"), Ok(3600));
        assert_eq!(parse_seconds("12h"), Ok(43200));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("").is_err());
        assert!(parse_seconds("-5").is_err());
        assert!(parse_seconds("9223372036854775808").is_err());
        assert!(parse_seconds("99999999999").is_err());
        assert_eq!(parse_seconds("3650d"), Ok(315_360_000));
    }

    #[test]
    fn session_lengths_are_within_what_sts_gives_in_the_words_typed() {
        let span = parse_duration(" 1h ").unwrap();
        assert_eq!((span.seconds, span.typed.as_str()), (3600, "1h"));
        assert_eq!(parse_duration("900").unwrap().seconds, 900);
        assert_eq!(parse_duration("36h").unwrap().seconds, 129_600);
        for (value, says) in [
            ("10m", "'10m' is less than the 15 minutes STS allows"),
            ("899", "'899' is less than the 15 minutes STS allows"),
            ("0", "'0' is less than the 15 minutes STS allows"),
            ("37h", "'37h' is more than the 36 hours STS allows"),
            ("129601", "'129601' is more than the 36 hours STS allows"),
            (
                "-5m",
                "'-5m' is negative; give a length such as 15m, 1h, 12h",
            ),
        ] {
            assert_eq!(parse_duration(value).unwrap_err(), says, "{value}");
        }
        assert_eq!(parse_role_duration("12h").unwrap().seconds, 43_200);
        assert_eq!(
            parse_role_duration("13h").unwrap_err(),
            "'13h' is more than the 12 hours STS allows a role"
        );
        // The same bounds as the profile's checks.
        assert_eq!(
            (SHORTEST_SESSION, LONGEST_SESSION, LONGEST_ROLE_SESSION),
            (
                *crate::profile::SESSION_DURATION.start(),
                *crate::profile::SESSION_DURATION.end(),
                *crate::profile::ROLE_DURATION.end()
            )
        );
    }

    #[test]
    fn a_duration_remembers_where_it_was_written() {
        let s = resolve(
            &Flags::default(),
            &[("HOME", "/h"), ("AWSMFA_DURATION", "90m")],
        )
        .unwrap();
        assert_eq!(s.duration, Some(5400));
        assert_eq!(
            s.duration_asked,
            Some(("AWSMFA_DURATION", "90m".to_owned()))
        );
        let flags = Flags {
            duration: Some(parse_duration("2h").unwrap()),
            ..Flags::default()
        };
        let s = resolve(&flags, &[("HOME", "/h"), ("AWSMFA_DURATION", "90m")]).unwrap();
        assert_eq!(s.duration_asked, Some(("--duration", "2h".to_owned())));
        let error = resolve(
            &Flags::default(),
            &[("HOME", "/h"), ("AWSMFA_DURATION", "10m")],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "AWSMFA_DURATION: '10m' is less than the 15 minutes STS allows"
        );
    }

    #[test]
    fn flags_win_over_variables_in_order() {
        let home = [("HOME", "/h")];
        let s = resolve(&Flags::default(), &home).unwrap();
        assert_eq!(s.profile, "default");
        assert_eq!(s.min_ttl, DEFAULT_MIN_TTL);
        assert_eq!(s.config_file, PathBuf::from("/h/.aws/config"));
        let vars = [
            ("HOME", "/h"),
            ("AWS_DEFAULT_PROFILE", "b"),
            ("AWSMFA_PROFILE", "c"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWSMFA_DURATION", "1h"),
            ("AWSMFA_MIN_TTL", "5m"),
            ("AWS_CONFIG_FILE", "~/cfg"),
            ("AWSMFA_TOKEN_CODE", "222 222"),
            ("AWSMFA_CACHE_DIR", "~/cache/awsmfa"),
        ];
        let s = resolve(&Flags::default(), &vars).unwrap();
        assert_eq!(s.cache_dir, Some(PathBuf::from("/h/cache/awsmfa")));
        assert_eq!(s.profile, "b");
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.duration, Some(3600));
        assert_eq!(s.min_ttl, 300);
        assert_eq!(s.config_file, PathBuf::from("/h/cfg"));
        assert_eq!(s.token_code.as_ref().unwrap().expose(), "222222");
        let flags = Flags {
            profile: Some("a".into()),
            region: Some("us-west-2".into()),
            duration: Some(parse_duration("15m").unwrap()),
            min_ttl: Some(60),
            token_code: Some(crate::secret::Secret::new("111111")),
            ..Flags::default()
        };
        let s = resolve(&flags, &vars).unwrap();
        assert_eq!(s.profile, "a");
        assert_eq!(s.region.as_deref(), Some("us-west-2"));
        assert_eq!((s.duration, s.min_ttl), (Some(900), 60));
        assert_eq!(s.token_code.unwrap().expose(), "111111");
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value) in [
            ("AWSMFA_DURATION", "soon"),
            ("AWSMFA_MIN_TTL", "-1"),
            ("AWSMFA_LOCK_TIMEOUT", "abc"),
            ("AWSMFA_PROCESS_TIMEOUT", "abc"),
            ("AWSMFA_TOKEN_CODE", "12345"),
            ("AWS_REGION", "Not A Region"),
        ] {
            let error = resolve(&Flags::default(), &[("HOME", "/h"), (name, value)])
                .expect_err(name)
                .to_string();
            assert!(error.starts_with(name), "{error}");
            if name == "AWSMFA_TOKEN_CODE" {
                assert!(!error.contains(value), "repeats the code: {error}");
            }
        }
    }

    #[test]
    fn the_table_names_each_variable_once() {
        let mut names: Vec<&str> = VARS.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VARS.len());
        assert!(VARS.iter().all(|v| v.about.ends_with('.')));
    }
}

#[cfg(test)]
mod edge_tests;
