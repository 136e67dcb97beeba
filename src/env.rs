//! The child's environment: the parent's, less every credential variable,
//! plus the session's. Pure: values in, values out.

use crate::session::Credentials;
use std::ffi::{OsStr, OsString};

/// Variables that must not reach the child from the parent: credentials, the
/// profile selection (it would shadow the session), and awsmfa's own code.
pub const REMOVED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWSMFA_TOKEN_CODE",
];

/// The variables a session puts in the child's environment, in a stable order.
pub fn session_vars(
    credentials: &Credentials,
    region: Option<&str>,
    profile: &str,
) -> Vec<(&'static str, String)> {
    let token = credentials.session_token.expose();
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            credentials.secret_access_key.expose().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", token.to_owned()),
        ("AWS_SECURITY_TOKEN", token.to_owned()),
        ("AWS_CREDENTIAL_EXPIRATION", credentials.expiration()),
    ];
    vars.extend(context_vars(region, profile));
    vars
}

/// The variables of `exec --server`: where the child's SDK fetches its
/// credentials, and the token it must show there.
pub fn endpoint_vars(
    url: &str,
    token: &str,
    region: Option<&str>,
    profile: &str,
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.to_owned()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.to_owned()),
    ];
    vars.extend(context_vars(region, profile));
    vars
}

/// The region, where one is known, and the profile name.
fn context_vars(region: Option<&str>, profile: &str) -> Vec<(&'static str, String)> {
    let mut vars = Vec::new();
    if let Some(region) = region {
        vars.push(("AWS_REGION", region.to_owned()));
        vars.push(("AWS_DEFAULT_REGION", region.to_owned()));
    }
    vars.push(("AWSMFA_PROFILE", profile.to_owned()));
    vars
}

/// The parent's environment less every credential variable, plus `vars`.
pub fn child_env<N: AsRef<OsStr>, V: Into<OsString>>(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
    vars: Vec<(N, V)>,
) -> Vec<(OsString, OsString)> {
    let replaced = |name: &OsStr| {
        REMOVED.iter().any(|r| name == *r) || vars.iter().any(|(v, _)| name == v.as_ref())
    };
    let mut env: Vec<(OsString, OsString)> = parent
        .into_iter()
        .filter(|(name, _)| !replaced(name))
        .collect();
    env.extend(
        vars.into_iter()
            .map(|(name, value)| (name.as_ref().to_owned(), value.into())),
    );
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "ASIATEMP".into(),
            secret_access_key: Secret::new("tempsecret"),
            session_token: Secret::new("token"),
            expires_at: 1_795_460_400, // 2026-11-23T19:00:00Z
        }
    }

    fn parent(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    fn get<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a str> {
        env.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.to_str())
    }

    #[test]
    fn credentials_replace_the_parents() {
        let env = child_env(
            parent(&[
                ("PATH", "/bin"),
                ("AWS_ACCESS_KEY_ID", "AKIALONGTERM"),
                ("AWS_SECRET_ACCESS_KEY", "longterm"),
                ("AWS_SECURITY_TOKEN", "stale"),
                ("AWS_PROFILE", "alice"),
                ("AWS_DEFAULT_PROFILE", "alice"),
                ("AWSMFA_TOKEN_CODE", "123456"),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
                ("AWS_REGION", "us-west-1"),
            ]),
            session_vars(&credentials(), Some("eu-west-1"), "alice"),
        );
        assert_eq!(get(&env, "PATH"), Some("/bin"));
        assert_eq!(
            get(&env, "AWS_ENDPOINT_URL_STS"),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(get(&env, "AWS_ACCESS_KEY_ID"), Some("ASIATEMP"));
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY"), Some("tempsecret"));
        assert_eq!(get(&env, "AWS_SESSION_TOKEN"), Some("token"));
        assert_eq!(get(&env, "AWS_SECURITY_TOKEN"), Some("token"));
        assert_eq!(
            get(&env, "AWS_CREDENTIAL_EXPIRATION"),
            Some("2026-11-23T19:00:00Z")
        );
        assert_eq!(get(&env, "AWS_REGION"), Some("eu-west-1"));
        assert_eq!(get(&env, "AWS_DEFAULT_REGION"), Some("eu-west-1"));
        assert_eq!(get(&env, "AWSMFA_PROFILE"), Some("alice"));
        for gone in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWSMFA_TOKEN_CODE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ] {
            assert_eq!(get(&env, gone), None, "{gone}");
        }
        assert_eq!(env.len(), 10, "each variable once: {env:?}");
    }

    #[test]
    fn no_region_known_leaves_the_parents_alone() {
        let env = child_env(
            parent(&[("AWS_REGION", "us-west-1")]),
            session_vars(&credentials(), None, "p"),
        );
        assert_eq!(get(&env, "AWS_REGION"), Some("us-west-1"));
        assert_eq!(get(&env, "AWS_DEFAULT_REGION"), None);
    }

    #[test]
    fn the_server_child_gets_the_endpoint_and_no_static_keys() {
        let env = child_env(
            parent(&[
                ("AWS_ACCESS_KEY_ID", "AKIALONGTERM"),
                ("AWS_SECRET_ACCESS_KEY", "longterm"),
                ("AWS_PROFILE", "alice"),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials"),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale"),
                ("HOME", "/home/alice"),
            ]),
            endpoint_vars(
                "http://127.0.0.1:1234/c",
                "t0ken",
                Some("eu-west-1"),
                "admin",
            ),
        );
        let mut names: Vec<&str> = env.iter().filter_map(|(k, _)| k.to_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "AWSMFA_PROFILE",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_DEFAULT_REGION",
                "AWS_REGION",
                "HOME"
            ]
        );
        assert_eq!(
            get(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            Some("http://127.0.0.1:1234/c")
        );
        assert_eq!(
            get(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            Some("t0ken")
        );
        assert_eq!(get(&env, "AWSMFA_PROFILE"), Some("admin"));
    }
}

#[cfg(test)]
mod edge_tests;
