//! The shared AWS files as the child of `exec --server` sees them. An SDK
//! looks at the default profile before the container endpoint, so keys (or a
//! role, SSO, a process) in `[default]` would shadow the endpoint: the child
//! gets copies without them, in a private folder removed when the run ends.
//! A profile the child picks by name (`AWS_PROFILE=admin`, terraform's
//! `provider { profile = … }`) that awsmfa can serve loses its keys and role
//! settings too, and gets `credential_process = awsmfa credential-process
//! --profile NAME` instead: it works, through awsmfa, never with the
//! long-term keys. Files that need no change are not copied.

use crate::error::{Error, Result};
use crate::profile::{Files, Line, classify, read_file};
use crate::session::cache::Cache;
use std::collections::{BTreeMap, BTreeSet};
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
/// copies, the profiles served through awsmfa there, and the folder that
/// holds the copies (removed on drop).
pub struct ChildFiles {
    pub vars: Vec<(&'static str, OsString)>,
    pub served: Vec<String>,
    _dir: Option<crate::session::cache::RunDir>,
}

impl ChildFiles {
    pub fn prepare(files: &Files, cache: &Cache) -> Result<ChildFiles> {
        // What runs killed before they could clean up left behind.
        cache.sweep_dead_runs();
        // An install path no SDK can be given safely serves no profile:
        // they stay as they were.
        let served: BTreeMap<String, String> = match awsmfa_program().filter(|p| safe_in_line(p)) {
            None => BTreeMap::new(),
            Some(awsmfa) => served_profiles(files)
                .into_iter()
                .map(|name| {
                    let line = served_line(&awsmfa, &name);
                    (name, line)
                })
                .collect(),
        };
        let mut copies = Vec::new();
        for (path, var, is_config) in [
            (&files.config, ("AWS_CONFIG_FILE", "config"), true),
            (
                &files.credentials,
                ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                false,
            ),
        ] {
            let text = match read_file(path) {
                Ok(Some(text)) => text,
                Ok(None) => String::new(),
                // A file that cannot be read here cannot shadow anything
                // either: the profiles were read from it a moment ago.
                Err(_) => continue,
            };
            if let Some(copy) = child_copy(&text, is_config, &served) {
                copies.push((var, copy));
            }
        }
        if copies.is_empty() {
            return Ok(ChildFiles {
                vars: Vec::new(),
                served: Vec::new(),
                _dir: None,
            });
        }
        let dir = cache.run_dir()?;
        // An awsmfa the command runs reads the user's own files, wherever
        // the command has gone (`cd`) by then.
        let absolute = |path: &Path| {
            std::path::absolute(path)
                .unwrap_or_else(|_| path.to_owned())
                .into_os_string()
        };
        let mut vars = vec![
            ("AWSMFA_CONFIG_FILE", absolute(&files.config)),
            (
                "AWSMFA_SHARED_CREDENTIALS_FILE",
                absolute(&files.credentials),
            ),
        ];
        for ((var, name), text) in copies {
            let path = dir.path().join(name);
            write_private(&path, &text)?;
            vars.push((var, path.into_os_string()));
        }
        Ok(ChildFiles {
            vars,
            served: served.into_keys().collect(),
            _dir: Some(dir),
        })
    }
}

/// The profiles other than `[default]` that awsmfa can get a session for
/// (a user with an MFA device that gives codes, or a role on one). Others
/// (SSO, web identity, a process of their own) are left as they are, and so
/// is a name that would need quotes: in a section header the SDKs split
/// names differently, and on a line run by `cmd /C` quotes do not survive
/// the SDKs' escaping.
fn served_profiles(files: &Files) -> Vec<String> {
    files
        .names()
        .into_iter()
        .filter(|name| *name != "default" && quote(name) == *name)
        .filter(|name| files.usable(name).is_ok())
        .map(str::to_owned)
        .collect()
}

/// The `awsmfa` the copies name: the front beside this program, which
/// serves a cached session without starting the rest. On Windows, a path
/// with spaces in its short form, where there is one.
fn awsmfa_program() -> Option<String> {
    let name = format!("awsmfa{}", std::env::consts::EXE_SUFFIX);
    let Ok(exe) = std::env::current_exe() else {
        return Some(name);
    };
    let front = exe.with_file_name(&name);
    let path = if front.is_file() { front } else { exe };
    #[cfg(windows)]
    let path = match crate::sys::short_path(&path) {
        Some(short) if quote(&path.to_string_lossy()) != path.to_string_lossy() => short,
        _ => path,
    };
    path.to_str().map(str::to_owned)
}

/// The `credential_process` line that serves `profile` through `awsmfa`:
/// `--profile=NAME`, so that a name starting with `-` is still a name.
fn served_line(awsmfa: &str, profile: &str) -> String {
    format!(
        "{} credential-process --profile={}",
        quote(awsmfa),
        quote(profile)
    )
}

/// Whether `program` can stand in a `credential_process` line: no control
/// character (a line break would write lines of its own into the copy), and
/// no ` #` or ` ;`, where the SDKs that strip comments inside values (Go v2,
/// Rust) would cut the line, quotes or not.
fn safe_in_line(program: &str) -> bool {
    !program.chars().any(char::is_control)
        && !program
            .as_bytes()
            .windows(2)
            .any(|pair| pair[0].is_ascii_whitespace() && matches!(pair[1], b'#' | b';'))
}

/// One word of a `credential_process` line, quoted when it must be: the
/// SDKs run the line with `sh -c` (botocore splits it as a POSIX shell
/// does), and with `cmd /C` on Windows.
fn quote(word: &str) -> String {
    let plain = |c: char| {
        c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c) || (cfg!(windows) && c == '\\')
    };
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else if cfg!(windows) {
        format!("\"{word}\"")
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
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

/// The child's copy of one file, or `None` when it needs no change:
/// `[default]` and the `served` profiles lose their credential settings,
/// and in the config file each served profile gets its `credential_process`
/// line (a section is added for one that has none there). Everything else
/// is kept as it was, byte for byte. Lines are read by the profile reader's
/// own `classify`, so a key written `key: value` goes as surely as
/// `key = value`.
fn child_copy(text: &str, is_config: bool, served: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut seen = BTreeSet::new();
    let (mut in_section, mut stripping) = (false, false);
    let mut dropping = false;
    let mut changed = false;
    for line in crate::profile::lines_with_endings(text) {
        let raw = line.trim_end_matches(['\n', '\r']);
        match classify(raw, is_config, in_section) {
            // A continuation of a dropped setting goes with it.
            Line::Continuation(_) if dropping => continue,
            // Comments between a setting and its continuation keep it open.
            Line::Nothing => {}
            Line::Section(profile) => {
                in_section = true;
                dropping = false;
                let process = profile.as_deref().and_then(|p| served.get_key_value(p));
                // `[DEFAULT]`: botocore's parser gives its keys to every
                // section of the file, `[default]` included.
                let defaults = raw.trim().strip_prefix("[DEFAULT]").is_some();
                stripping = profile.as_deref() == Some("default") || process.is_some() || defaults;
                if let Some((name, command)) = process.filter(|_| is_config) {
                    let ending = &line[raw.len()..];
                    let ending = if ending.is_empty() { "\n" } else { ending };
                    out.push_str(raw);
                    out.push_str(ending);
                    out.push_str(&format!("credential_process = {command}{ending}"));
                    seen.insert(name.as_str());
                    changed = true;
                    continue;
                }
            }
            Line::Setting(key, _)
                if stripping && CREDENTIAL_KEYS.contains(&key.to_ascii_lowercase().as_str()) =>
            {
                dropping = true;
                changed = true;
                continue;
            }
            _ => dropping = false,
        }
        out.push_str(line);
    }
    if is_config {
        for (name, command) in served.iter().filter(|(n, _)| !seen.contains(n.as_str())) {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!(
                "[profile {name}]\ncredential_process = {command}\n"
            ));
            changed = true;
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without_default_credentials(text: &str, is_config: bool) -> Option<String> {
        child_copy(text, is_config, &BTreeMap::new())
    }

    fn served(names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    format!("awsmfa credential-process --profile={n}"),
                )
            })
            .collect()
    }

    #[test]
    fn served_profiles_get_awsmfa_instead_of_their_keys_and_role() {
        let config = "[default]\r\nmfa_serial = arn:aws:iam::1:mfa/a\r\n\
            [profile admin] # the role\r\nrole_arn = arn:aws:iam::1:role/admin\r\n\
            source_profile = default\r\nregion = eu-west-1\r\n\
            [profile sso]\nsso_session = corp\n[sso-session corp]\nsso_region = x";
        assert_eq!(
            child_copy(config, true, &served(&["admin", "bob"])).as_deref(),
            Some(
                "[default]\r\nmfa_serial = arn:aws:iam::1:mfa/a\r\n\
                 [profile admin] # the role\r\n\
                 credential_process = awsmfa credential-process --profile=admin\r\n\
                 region = eu-west-1\r\n\
                 [profile sso]\nsso_session = corp\n[sso-session corp]\nsso_region = x\n\
                 [profile bob]\ncredential_process = awsmfa credential-process --profile=bob\n"
            )
        );
        // The credentials file gets no process: its keys go.
        let credentials = "[bob]\naws_access_key_id = AKIA\naws_secret_access_key = s\n[carol]\n\
            aws_access_key_id = AKIAC\n";
        assert_eq!(
            child_copy(credentials, false, &served(&["admin", "bob"])).as_deref(),
            Some("[bob]\n[carol]\naws_access_key_id = AKIAC\n")
        );
        // No config file at all: one with the served profiles.
        assert_eq!(
            child_copy("", true, &served(&["bob"])).as_deref(),
            Some("[profile bob]\ncredential_process = awsmfa credential-process --profile=bob\n")
        );
        assert_eq!(child_copy("", false, &served(&["bob"])), None);
    }

    #[test]
    fn only_names_that_need_no_quotes_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let (config, credentials) = (dir.path().join("config"), dir.path().join("credentials"));
        let serial = "mfa_serial = arn:aws:iam::123456789012:mfa/u";
        std::fs::write(
            &config,
            format!("[default]\n{serial}\n[profile ok]\n{serial}\n[profile my prof]\n{serial}\n"),
        )
        .unwrap();
        let keys = "aws_access_key_id = AKIAX\naws_secret_access_key = s";
        std::fs::write(
            &credentials,
            format!("[default]\n{keys}\n[ok]\n{keys}\n[my prof]\n{keys}\n"),
        )
        .unwrap();
        let files = Files::load(&config, &credentials).unwrap();
        assert!(files.usable("my prof").is_ok());
        assert_eq!(served_profiles(&files), ["ok"]);
    }

    #[test]
    fn a_served_profile_is_named_so_that_it_cannot_be_an_option() {
        assert_eq!(
            served_line("/usr/bin/awsmfa", "-x"),
            "/usr/bin/awsmfa credential-process --profile=-x"
        );
        assert_eq!(
            served_line("/home/a b/awsmfa", "--region"),
            "'/home/a b/awsmfa' credential-process --profile=--region"
        );
    }

    #[test]
    fn an_install_path_that_cannot_stand_in_a_line_is_refused() {
        for good in [
            "/usr/bin/awsmfa",
            "/home/a b/bin/awsmfa",
            "/opt/x#y/awsmfa",
            "C:\\Tools\\awsmfa.exe",
        ] {
            assert!(safe_in_line(good), "{good}");
        }
        for bad in [
            "/tmp/x\n[default]\n/awsmfa",
            "/a\rb/awsmfa",
            "/my #1/awsmfa",
            "/a ;b/awsmfa",
            "/a\t#/awsmfa",
        ] {
            assert!(!safe_in_line(bad), "{bad:?}");
        }
    }

    #[test]
    fn defaults_of_the_credentials_file_go_too() {
        // botocore's parser hands [DEFAULT]'s keys to every section.
        let text = "[DEFAULT]\naws_access_key_id = AKIA\noutput = json\n[bob]\nregion = r\n";
        assert_eq!(
            without_default_credentials(text, false).as_deref(),
            Some("[DEFAULT]\noutput = json\n[bob]\nregion = r\n")
        );
    }

    #[test]
    fn words_of_the_line_are_quoted_for_the_shell_only_when_they_must_be() {
        assert_eq!(quote("/usr/local/bin/awsmfa"), "/usr/local/bin/awsmfa");
        assert_eq!(quote("prod-eu_1.x"), "prod-eu_1.x");
        if cfg!(windows) {
            assert_eq!(
                quote(r"C:\Program Files\awsmfa.exe"),
                r#""C:\Program Files\awsmfa.exe""#
            );
        } else {
            assert_eq!(
                quote("/home/o'neil/my bin/awsmfa"),
                r"'/home/o'\''neil/my bin/awsmfa'"
            );
            assert_eq!(quote("a$b"), "'a$b'");
        }
    }

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
    fn lone_carriage_returns_end_lines_as_botocore_reads_them() {
        // botocore splits on \r alone: these are [default]'s keys, and go.
        let text = "[default]\rregion = eu-west-1\raws_access_key_id = AKIA\raws_secret_access_key = s\r\
            [alice]\raws_access_key_id = AKIAALICE\r";
        assert_eq!(
            without_default_credentials(text, false).as_deref(),
            Some("[default]\rregion = eu-west-1\r[alice]\raws_access_key_id = AKIAALICE\r")
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
