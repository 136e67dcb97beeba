//! The settings' rules at their edges: the bounds of a length, which of
//! several variables wins, what an empty value means, and which problem a
//! run is refused with.

use super::*;
use std::collections::HashMap;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn resolve(vars: &[(&str, &str)]) -> Result<Settings> {
    Settings::resolve(&Flags::default(), &env(vars))
}

fn all(vars: &[(&str, &str)]) -> (Settings, Vec<String>) {
    let (settings, problems) = Settings::resolve_all(&Flags::default(), &env(vars));
    (settings, problems.iter().map(|e| e.to_string()).collect())
}

const HOME: (&str, &str) = (crate::sys::HOME, "/h");

#[test]
fn seconds_are_at_most_ten_years_and_never_negative() {
    assert_eq!(MAX_SECONDS, 316_224_000);
    assert_eq!(parse_seconds("316224000"), Ok(MAX_SECONDS));
    assert_eq!(
        parse_seconds("316224001"),
        Err("'316224001' is too large (at most ten years)".into())
    );
    assert_eq!(parse_seconds("3660d"), Ok(MAX_SECONDS));
    assert!(parse_seconds("3661d").is_err());
    assert_eq!(parse_seconds(" 0 "), Ok(0));
    assert_eq!(parse_seconds("1s"), Ok(1));
    assert_eq!(
        parse_seconds("-1"),
        Err("'-1' is negative; give a length such as 15m, 1h, 12h".into())
    );
    // A dash not before a digit is a word that is not a length.
    assert_eq!(
        parse_seconds("-m"),
        Err("'-m' is not seconds or a duration like 15m, 1h, 12h".into())
    );
    assert_eq!(
        parse_seconds("18446744073709551616"),
        Err("'18446744073709551616' is too large".into())
    );
    assert_eq!(
        parse_seconds("1 h"),
        Ok(3600),
        "a duration may have a space"
    );
}

#[test]
fn a_session_is_15_minutes_to_36_hours_and_a_role_session_to_12() {
    assert_eq!(parse_duration("900").unwrap().seconds, 900);
    assert!(parse_duration("899").is_err());
    assert_eq!(parse_duration("901").unwrap().seconds, 901);
    assert_eq!(parse_duration("129600").unwrap().seconds, 129_600);
    assert_eq!(parse_duration("129599").unwrap().seconds, 129_599);
    assert!(parse_duration("129601").is_err());
    assert_eq!(parse_role_duration("900").unwrap().seconds, 900);
    assert!(parse_role_duration("899").is_err());
    assert_eq!(parse_role_duration("43200").unwrap().seconds, 43_200);
    assert_eq!(
        parse_role_duration("43201").unwrap_err(),
        "'43201' is more than the 12 hours STS allows a role"
    );
    assert_eq!(
        parse_duration(" 15m ").unwrap(),
        Span {
            seconds: 900,
            typed: "15m".into()
        }
    );
}

#[test]
fn the_defaults_where_nothing_is_set() {
    let s = resolve(&[HOME]).unwrap();
    assert_eq!(s.profile, "default");
    assert_eq!(s.profile_from, None);
    assert_eq!(s.region, None);
    assert_eq!((s.duration, s.duration_asked), (None, None));
    assert_eq!(s.min_ttl, 900);
    assert!(!s.refresh && !s.verbose);
    assert!(s.token_code.is_none() && s.prompt.is_none());
    assert_eq!(s.lock_timeout, Duration::from_secs(300));
    assert_eq!(s.process_timeout, Duration::from_secs(60));
    assert_eq!(s.rotate_wait, Duration::from_secs(30));
    assert_eq!(s.config_file, PathBuf::from("/h/.aws/config"));
    assert_eq!(s.credentials_file, PathBuf::from("/h/.aws/credentials"));
    assert_eq!(s.home, Some(PathBuf::from("/h")));
    assert_eq!(s.cache_dir, None);
    assert_eq!((s.sts_url, s.iam_url, s.signin_url), (None, None, None));
    assert_eq!(s.browser, None);
}

#[test]
fn the_timeouts_are_read_from_their_variables() {
    let s = resolve(&[
        HOME,
        ("AWSMFA_LOCK_TIMEOUT", "7"),
        ("AWSMFA_PROCESS_TIMEOUT", "2m"),
        ("AWSMFA_ROTATE_WAIT", "0"),
        ("AWSMFA_MIN_TTL", "1h"),
    ])
    .unwrap();
    assert_eq!(s.lock_timeout, Duration::from_secs(7));
    assert_eq!(s.process_timeout, Duration::from_secs(120));
    assert_eq!(s.rotate_wait, Duration::ZERO);
    assert_eq!(s.min_ttl, 3600);
    let error = resolve(&[HOME, ("AWSMFA_ROTATE_WAIT", "later")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "AWSMFA_ROTATE_WAIT: 'later' is not seconds or a duration like 15m, 1h, 12h"
    );
}

#[test]
fn the_profile_comes_from_the_first_variable_set_and_says_which() {
    let s = resolve(&[
        HOME,
        ("AWS_PROFILE", "a"),
        ("AWS_DEFAULT_PROFILE", "b"),
        ("AWSMFA_PROFILE", "c"),
    ])
    .unwrap();
    assert_eq!(
        (s.profile.as_str(), s.profile_from),
        ("a", Some("AWS_PROFILE"))
    );
    // An empty value is not set.
    let s = resolve(&[HOME, ("AWS_PROFILE", ""), ("AWSMFA_PROFILE", "c")]).unwrap();
    assert_eq!(
        (s.profile.as_str(), s.profile_from),
        ("c", Some("AWSMFA_PROFILE"))
    );
    let flags = Flags {
        profile: Some("flag".into()),
        ..Flags::default()
    };
    let s = Settings::resolve(&flags, &env(&[HOME, ("AWS_PROFILE", "a")])).unwrap();
    assert_eq!((s.profile.as_str(), s.profile_from), ("flag", None));
}

#[test]
fn the_region_comes_from_the_flag_then_aws_region_then_the_default_region() {
    let s = resolve(&[
        HOME,
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ])
    .unwrap();
    assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    let s = resolve(&[
        HOME,
        ("AWS_REGION", ""),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ])
    .unwrap();
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    let error = resolve(&[HOME, ("AWS_DEFAULT_REGION", "eu west")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "AWS_DEFAULT_REGION: 'eu west' is not a region name, such as eu-west-1"
    );
    let flags = Flags {
        region: Some("EU".into()),
        ..Flags::default()
    };
    let (s, problems) = Settings::resolve_all(&flags, &env(&[HOME]));
    assert_eq!(s.region, None, "a bad region is left unset");
    assert_eq!(
        problems[0].to_string(),
        "--region: 'EU' is not a region name, such as eu-west-1"
    );
}

#[test]
fn a_region_is_words_and_a_number_in_one_host_label() {
    // At the host label's 63 characters, and one over.
    let longest = format!("{}-west-1", "a".repeat(56));
    assert_eq!(longest.len(), 63);
    assert!(is_region(&longest));
    assert!(!is_region(&format!("a{longest}")));
    for good in [
        "eu-west-1",
        "us-gov-west-1",
        "ap-southeast-12",
        "eu-central-2",
    ] {
        assert!(is_region(good), "{good}");
    }
    for bad in [
        "",
        "a-west-1",
        "eu",
        "eu-1",
        "-eu-west-1",
        "eu-west-1-",
        "eu-west-",
        "eu-west-123",
        "eu-west-1x",
        "eu_west_1",
        "eu-wést-1",
        "eu-We-1",
    ] {
        assert!(!is_region(bad), "{bad}");
    }
}

#[test]
fn a_token_code_from_the_flag_or_the_variable_is_checked() {
    let s = resolve(&[HOME, ("AWSMFA_TOKEN_CODE", " 123 456 ")]).unwrap();
    assert_eq!(s.token_code.unwrap().expose(), "123456");
    // Only white space: not set.
    let s = resolve(&[HOME, ("AWSMFA_TOKEN_CODE", "   ")]).unwrap();
    assert!(s.token_code.is_none());
    let (s, problems) = all(&[HOME, ("AWSMFA_TOKEN_CODE", "12345")]);
    assert!(s.token_code.is_none());
    assert_eq!(
        problems,
        ["AWSMFA_TOKEN_CODE: an MFA code is exactly 6 digits"]
    );
    let flags = Flags {
        token_code: Some(crate::secret::Secret::new("1234567")),
        ..Flags::default()
    };
    let error =
        Settings::resolve(&flags, &env(&[HOME, ("AWSMFA_TOKEN_CODE", "123456")])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--token-code: an MFA code is exactly 6 digits"
    );
}

#[test]
fn the_prompt_is_one_of_the_names() {
    let s = resolve(&[HOME, ("AWSMFA_PROMPT", "zenity")]).unwrap();
    assert_eq!(s.prompt, Some(crate::mfa::Prompt::Zenity));
    let (s, problems) = all(&[HOME, ("AWSMFA_PROMPT", "gui")]);
    assert_eq!(s.prompt, None);
    assert_eq!(
        problems,
        [format!(
            "AWSMFA_PROMPT=gui is not one of {}",
            crate::mfa::Prompt::NAMES
        )]
    );
}

#[test]
fn the_files_are_awsmfas_own_variables_then_the_aws_ones_then_the_home() {
    let s = resolve(&[
        HOME,
        ("AWS_CONFIG_FILE", "/etc/aws/config"),
        ("AWSMFA_SHARED_CREDENTIALS_FILE", "~/mine/credentials"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/copy/credentials"),
    ])
    .unwrap();
    assert_eq!(s.config_file, PathBuf::from("/etc/aws/config"));
    assert_eq!(s.credentials_file, PathBuf::from("/h/mine/credentials"));
    let s = resolve(&[
        HOME,
        ("AWSMFA_CONFIG_FILE", "relative/config"),
        ("AWS_CONFIG_FILE", "/etc/aws/config"),
    ])
    .unwrap();
    assert_eq!(s.config_file, PathBuf::from("relative/config"));
}

#[test]
fn the_cache_folder_may_start_at_the_home() {
    let s = resolve(&[HOME, ("AWSMFA_CACHE_DIR", "/var/cache/me")]).unwrap();
    assert_eq!(s.cache_dir, Some(PathBuf::from("/var/cache/me")));
    let s = resolve(&[HOME, ("AWSMFA_CACHE_DIR", "~/c")]).unwrap();
    assert_eq!(s.cache_dir, Some(PathBuf::from("/h/c")));
    let s = resolve(&[HOME, ("AWSMFA_CACHE_DIR", "")]).unwrap();
    assert_eq!(s.cache_dir, None);
}

#[test]
fn endpoints_are_the_services_own_then_the_common_one() {
    let s = resolve(&[
        HOME,
        ("AWS_ENDPOINT_URL", "http://all"),
        ("AWS_ENDPOINT_URL_STS", "http://sts"),
        ("AWS_ENDPOINT_URL_SIGNIN", "http://signin"),
    ])
    .unwrap();
    assert_eq!(s.sts_url.as_deref(), Some("http://sts"));
    assert_eq!(s.iam_url.as_deref(), Some("http://all"));
    assert_eq!(s.signin_url.as_deref(), Some("http://signin"));
    let s = resolve(&[
        HOME,
        ("AWS_ENDPOINT_URL", "http://all"),
        ("AWS_ENDPOINT_URL_IAM", "http://iam"),
    ])
    .unwrap();
    assert_eq!(s.sts_url.as_deref(), Some("http://all"));
    assert_eq!(s.iam_url.as_deref(), Some("http://iam"));
    assert_eq!(s.signin_url, None);
}

#[test]
fn a_browser_of_white_space_is_none() {
    let s = resolve(&[HOME, ("BROWSER", "firefox %s")]).unwrap();
    assert_eq!(s.browser.as_deref(), Some("firefox %s"));
    let s = resolve(&[HOME, ("BROWSER", "  ")]).unwrap();
    assert_eq!(s.browser, None);
}

#[test]
fn flags_that_are_only_passed_on() {
    let flags = Flags {
        refresh: true,
        verbose: true,
        min_ttl: Some(0),
        ..Flags::default()
    };
    let s = Settings::resolve(&flags, &env(&[HOME, ("AWSMFA_MIN_TTL", "1h")])).unwrap();
    assert!(s.refresh && s.verbose);
    assert_eq!(s.min_ttl, 0);
}

#[test]
fn every_problem_is_listed_and_a_run_is_refused_with_the_first() {
    let vars = [
        HOME,
        ("AWSMFA_MIN_TTL", "soon"),
        ("AWSMFA_DURATION", "1m"),
        ("AWS_REGION", "Europe"),
    ];
    let (s, problems) = all(&vars);
    assert_eq!(
        problems,
        [
            "AWSMFA_MIN_TTL: 'soon' is not seconds or a duration like 15m, 1h, 12h",
            "AWSMFA_DURATION: '1m' is less than the 15 minutes STS allows",
            "AWS_REGION: 'Europe' is not a region name, such as eu-west-1",
        ]
    );
    // Each left at its default.
    assert_eq!((s.min_ttl, s.duration, s.region), (900, None, None));
    assert_eq!(
        resolve(&vars).unwrap_err().to_string(),
        "AWSMFA_MIN_TTL: 'soon' is not seconds or a duration like 15m, 1h, 12h"
    );
    let (_, problems) = all(&[HOME]);
    assert!(problems.is_empty());
}
