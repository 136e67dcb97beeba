//! The child's environment at its edges: what a nested run inherits, the
//! order the session's variables come in, and values that are not text.

use super::*;
use crate::secret::Secret;

fn credentials() -> Credentials {
    Credentials {
        access_key_id: "ASIANEW".into(),
        secret_access_key: Secret::new("newsecret"),
        session_token: Secret::new("newtoken"),
        expires_at: 1_795_460_400, // 2026-11-23T19:00:00Z
    }
}

fn names(env: &[(OsString, OsString)]) -> Vec<String> {
    env.iter()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_session_comes_in_a_stable_order() {
    let vars = session_vars(&credentials(), Some("eu-west-1"), "admin");
    assert_eq!(
        vars,
        [
            ("AWS_ACCESS_KEY_ID", "ASIANEW".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "newsecret".to_owned()),
            ("AWS_SESSION_TOKEN", "newtoken".to_owned()),
            ("AWS_SECURITY_TOKEN", "newtoken".to_owned()),
            (
                "AWS_CREDENTIAL_EXPIRATION",
                "2026-11-23T19:00:00Z".to_owned()
            ),
            ("AWS_REGION", "eu-west-1".to_owned()),
            ("AWS_DEFAULT_REGION", "eu-west-1".to_owned()),
            ("AWSMFA_PROFILE", "admin".to_owned()),
        ]
    );
    let vars = endpoint_vars("http://127.0.0.1:1/c", "t", None, "admin");
    assert_eq!(
        vars,
        [
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:1/c".to_owned()
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t".to_owned()),
            ("AWSMFA_PROFILE", "admin".to_owned()),
        ]
    );
}

#[test]
fn a_nested_run_replaces_what_the_outer_one_set() {
    // The environment an outer `awsmfa exec --profile a` gave its command.
    let outer: Vec<(OsString, OsString)> = child_env(
        [("PATH".into(), "/bin".into())],
        session_vars(&credentials(), Some("us-east-1"), "a"),
    );
    let mut inner_credentials = credentials();
    inner_credentials.access_key_id = "ASIAINNER".into();
    let inner = child_env(outer, session_vars(&inner_credentials, None, "b"));
    // The outer region stays (none is known now); everything else is the inner run's.
    assert_eq!(
        names(&inner),
        [
            "PATH",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWSMFA_PROFILE",
        ]
    );
    let value = |name: &str| {
        inner
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string_lossy().into_owned())
    };
    assert_eq!(value("AWS_ACCESS_KEY_ID").as_deref(), Some("ASIAINNER"));
    assert_eq!(value("AWSMFA_PROFILE").as_deref(), Some("b"));
    assert_eq!(value("AWS_REGION").as_deref(), Some("us-east-1"));
}

#[test]
fn every_removed_variable_goes_and_nothing_else() {
    let mut parent: Vec<(OsString, OsString)> = REMOVED
        .iter()
        .map(|name| (OsString::from(name), OsString::from("stale")))
        .collect();
    parent.push(("AWS_PROFILE_X".into(), "kept".into()));
    parent.push(("aws_profile".into(), "kept".into()));
    parent.push(("AWS_ENDPOINT_URL".into(), "kept".into()));
    let env = child_env(parent, Vec::<(&str, String)>::new());
    assert_eq!(
        names(&env),
        ["AWS_PROFILE_X", "aws_profile", "AWS_ENDPOINT_URL"]
    );
}

#[cfg(unix)]
#[test]
fn values_that_are_not_text_pass_through() {
    use std::os::unix::ffi::OsStringExt;
    let odd = OsString::from_vec(vec![0x66, 0xff, 0x6f]);
    let env = child_env([("ODD".into(), odd.clone())], vec![("AWSMFA_PROFILE", "p")]);
    assert_eq!(env[0], ("ODD".into(), odd));
    assert_eq!(env[1], ("AWSMFA_PROFILE".into(), "p".into()));
}
