//! The shared AWS files as the child of `exec --server` sees them. An SDK
//! looks at the default profile before the container endpoint, so keys (or a
//! role, SSO, a process) in `[default]` would shadow the endpoint: the child
//! gets copies without them, in a private folder removed when the run ends.
//! Files whose default profile names no credentials are not copied.

use crate::error::{Error, Result};
use crate::profile::{Line, classify, read_file};
use crate::session::cache::Cache;
use std::ffi::OsString;
use std::path::Path;

/// Settings through which a profile gives an SDK credentials of its own.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
    "login_session",
];

/// The child's view of the files: the variables that point it at the
/// copies, and the folder that holds them (removed on drop).
pub struct ChildFiles {
    pub vars: Vec<(&'static str, OsString)>,
    _dir: Option<tempfile::TempDir>,
}

impl ChildFiles {
    pub fn prepare(config: &Path, credentials: &Path, cache: &Cache) -> Result<ChildFiles> {
        // What runs killed before they could clean up left behind.
        cache.sweep_dead_runs();
        let mut copies = Vec::new();
        for (path, var, is_config) in [
            (config, ("AWS_CONFIG_FILE", "config"), true),
            (
                credentials,
                ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                false,
            ),
        ] {
            // A file that cannot be read here cannot shadow anything either.
            let Ok(Some(text)) = read_file(path) else {
                continue;
            };
            if let Some(filtered) = without_default_credentials(&text, is_config) {
                copies.push((var, filtered));
            }
        }
        if copies.is_empty() {
            return Ok(ChildFiles {
                vars: Vec::new(),
                _dir: None,
            });
        }
        let dir = cache.run_dir()?;
        // An awsmfa the command runs reads the user's own files.
        let mut vars = vec![
            ("AWSMFA_CONFIG_FILE", config.as_os_str().to_owned()),
            (
                "AWSMFA_SHARED_CREDENTIALS_FILE",
                credentials.as_os_str().to_owned(),
            ),
        ];
        for ((var, name), text) in copies {
            let path = dir.path().join(name);
            write_private(&path, &text)?;
            vars.push((var, path.into_os_string()));
        }
        Ok(ChildFiles {
            vars,
            _dir: Some(dir),
        })
    }
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    crate::sys::create_private_file(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| {
            Error::Cache(format!(
                "cannot write {}: {}",
                path.display(),
                crate::io_reason(&e)
            ))
        })
}

/// `text` without the credential settings of its default profile, or
/// `None` when it has none. Everything else is kept as it was, byte for
/// byte. Lines are read by the profile reader's own `classify`, so a key
/// written `key: value` goes as surely as `key = value`.
fn without_default_credentials(text: &str, is_config: bool) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let (mut in_section, mut in_default) = (false, false);
    let mut dropping = false;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let raw = line.trim_end_matches(['\n', '\r']);
        match classify(raw, is_config, in_section) {
            // A continuation of a dropped setting goes with it.
            Line::Continuation(_) if dropping => continue,
            // Comments between a setting and its continuation keep it open.
            Line::Nothing => {}
            Line::Section(profile) => {
                in_section = true;
                in_default = profile.as_deref() == Some("default");
                dropping = false;
            }
            Line::Setting(key, _)
                if in_default && CREDENTIAL_KEYS.contains(&key.to_ascii_lowercase().as_str()) =>
            {
                dropping = true;
                changed = true;
                continue;
            }
            _ => dropping = false,
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_default_profiles_credentials_go() {
        let text = "[default]\r\nregion = eu-west-1\r\nAWS_Access_Key_Id = AKIA\r\naws_secret_access_key=s\r\n\
            # kept\n[alice]\naws_access_key_id = AKIAALICE\n";
        assert_eq!(
            without_default_credentials(text, false).as_deref(),
            Some(
                "[default]\r\nregion = eu-west-1\r\n# kept\n[alice]\naws_access_key_id = AKIAALICE\n"
            )
        );
    }

    #[test]
    fn config_default_sections_and_continuations() {
        let text = "[profile default]\ncredential_process = x\n  more\nregion = r\n[profile other]\nrole_arn = a\n\
            [default]\nsso_session = s\ns3 =\n  max_concurrent_requests = 2\n";
        assert_eq!(
            without_default_credentials(text, true).as_deref(),
            Some(
                "[profile default]\nregion = r\n[profile other]\nrole_arn = a\n[default]\ns3 =\n  max_concurrent_requests = 2\n"
            )
        );
        // In the credentials file, [profile default] is a profile named so.
        assert_eq!(
            without_default_credentials("[profile default]\naws_access_key_id = A\n", false),
            None
        );
    }

    #[test]
    fn keys_written_with_a_colon_go_too() {
        let text =
            "[default]\naws_access_key_id: AKIA\nAws_Secret_Access_Key : s\nregion: eu-west-1\n";
        assert_eq!(
            without_default_credentials(text, false).as_deref(),
            Some("[default]\nregion: eu-west-1\n")
        );
        let text = "[profile default]\nrole_arn:arn:aws:iam::1:role/r\n\tmore\nsource_profile:x\n";
        assert_eq!(
            without_default_credentials(text, true).as_deref(),
            Some("[profile default]\n")
        );
    }

    #[test]
    fn a_file_without_default_credentials_is_not_copied() {
        assert_eq!(
            without_default_credentials("[default]\nregion = eu-west-1\noutput = json\n", true),
            None
        );
        assert_eq!(without_default_credentials("", false), None);
    }
}
