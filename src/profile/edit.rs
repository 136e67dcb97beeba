//! Changing the shared AWS files (`add --from-file`, `remove --to-file`,
//! `rotate`): a few settings of one profile set or removed, every other
//! line, comment and blank kept as it was, and the file replaced in one
//! step with its mode kept.

use super::reader::{Line, classify};
use crate::error::{Error, Result};
use std::path::Path;

/// `text` with the settings of `profile` changed: `(key, Some(value))` sets
/// the key (in place where it was, else at the end of the profile's last
/// section, else in a new section), `(key, None)` removes it, with its
/// indented continuation lines.
pub fn edit_profile(
    text: &str,
    is_config: bool,
    profile: &str,
    changes: &[(&str, Option<&str>)],
) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Per line: dropped, or replaced by a setting of `changes`.
    let mut dropped = vec![false; lines.len()];
    let mut last_of_key: Vec<Option<usize>> = vec![None; changes.len()];
    // Where a new setting goes: after the last line of the profile's last section.
    let mut end_of_section: Option<usize> = None;
    let mut current: Option<String> = None;
    let mut in_section = false;
    let mut dropping = false;
    for (index, raw) in lines.iter().enumerate() {
        let bare = raw.trim_end_matches(['\n', '\r']);
        let line = classify(bare, is_config, in_section);
        if let Line::Section(name) = &line {
            current = name.clone();
            in_section = true;
            dropping = false;
            if current.as_deref() == Some(profile) {
                end_of_section = Some(index);
            }
            continue;
        }
        if current.as_deref() != Some(profile) {
            continue;
        }
        match line {
            Line::Setting(key, _) => {
                dropping = false;
                if let Some(at) = changes
                    .iter()
                    .position(|(name, _)| name.eq_ignore_ascii_case(key))
                {
                    dropped[index] = true;
                    dropping = true;
                    last_of_key[at] = Some(index);
                }
                end_of_section = Some(index);
            }
            Line::Continuation(_) => {
                if dropping {
                    dropped[index] = true;
                }
                end_of_section = Some(index);
            }
            // Blank lines and comments after a section belong to what follows.
            Line::Nothing | Line::Bad(_) | Line::Section(_) => {}
        }
    }
    let setting = |key: &str, value: &str| format!("{key} = {value}{newline}");
    let mut out = String::with_capacity(text.len() + 128);
    let mut appended_here = String::new();
    for (at, (key, value)) in changes.iter().enumerate() {
        if let (None, Some(value)) = (last_of_key[at], value)
            && end_of_section.is_some()
        {
            appended_here.push_str(&setting(key, value));
        }
    }
    for (index, raw) in lines.iter().enumerate() {
        if let Some(at) = last_of_key.iter().position(|l| *l == Some(index)) {
            if let (key, Some(value)) = changes[at] {
                out.push_str(&setting(key, value));
            }
        } else if !dropped[index] {
            out.push_str(raw);
        }
        if Some(index) == end_of_section && !appended_here.is_empty() {
            if !raw.ends_with('\n') {
                out.push_str(newline);
            }
            out.push_str(&appended_here);
        }
    }
    let missing: Vec<String> = changes
        .iter()
        .filter_map(|(key, value)| value.map(|value| setting(key, value)))
        .collect();
    if end_of_section.is_none() && !missing.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() && !out.ends_with(&format!("{newline}{newline}")) {
            out.push_str(newline);
        }
        let header = match (is_config, profile) {
            (true, "default") | (false, _) => format!("[{profile}]"),
            (true, _) => format!("[profile {profile}]"),
        };
        out.push_str(&header);
        out.push_str(newline);
        for line in missing {
            out.push_str(&line);
        }
    }
    out
}

/// Writes `text` in the place of the file at `path` in one step: a reader
/// sees the old text or the new, never a part. The file keeps its mode (a
/// new one is private); a link is followed, so a linked file stays linked.
pub fn rewrite(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let failed = |why: String| Error::config(format!("cannot write {}: {why}", path.display()));
    let target = match std::fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_owned(),
        Err(e) => return Err(failed(crate::io_reason(&e))),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| failed(crate::io_reason(&e)))?;
    }
    let permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    // tempfile creates it private; it takes the old file's mode before the swap.
    let mut file = tempfile::Builder::new()
        .prefix(".awsmfa-")
        .tempfile_in(&dir)
        .map_err(|e| failed(crate::io_reason(&e)))?;
    if let Some(permissions) = permissions {
        std::fs::set_permissions(file.path(), permissions)
            .map_err(|e| failed(crate::io_reason(&e)))?;
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| failed(crate::io_reason(&e)))?;
    file.persist(&target)
        .map_err(|e| failed(crate::io_reason(&e.error)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "# my keys\n[default]\naws_access_key_id = AKIADEFAULT\n\
        aws_secret_access_key = d\n\n; prod below\n[prod]\nAWS_Access_Key_Id = AKIAPROD\n\
        aws_secret_access_key = p\n  continued\nregion = eu-west-1 # kept\n\n[other]\nx = 1\n";

    #[test]
    fn removing_keys_keeps_every_other_line() {
        let out = edit_profile(
            CREDENTIALS,
            false,
            "prod",
            &[("aws_access_key_id", None), ("aws_secret_access_key", None)],
        );
        assert_eq!(
            out,
            "# my keys\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n\
             ; prod below\n[prod]\nregion = eu-west-1 # kept\n\n[other]\nx = 1\n"
        );
    }

    #[test]
    fn setting_keys_replaces_in_place_or_appends() {
        let out = edit_profile(
            CREDENTIALS,
            false,
            "prod",
            &[
                ("aws_access_key_id", Some("AKIANEW")),
                ("aws_secret_access_key", Some("n")),
            ],
        );
        assert!(
            out.contains("[prod]\naws_access_key_id = AKIANEW\naws_secret_access_key = n\nregion")
        );
        assert!(out.contains("aws_access_key_id = AKIADEFAULT"));
        // A section without the keys gets them after its last setting.
        let out = edit_profile(CREDENTIALS, false, "other", &[("a", Some("b"))]);
        assert!(out.ends_with("[other]\nx = 1\na = b\n"), "{out}");
        // A profile that is not there gets a section of its own.
        let out = edit_profile(
            "[profile a]\nregion = x",
            true,
            "new",
            &[("mfa_serial", Some("s"))],
        );
        assert_eq!(
            out,
            "[profile a]\nregion = x\n\n[profile new]\nmfa_serial = s\n"
        );
        let out = edit_profile("", false, "new", &[("k", Some("v")), ("gone", None)]);
        assert_eq!(out, "[new]\nk = v\n");
        // CRLF files stay CRLF.
        let out = edit_profile(
            "[p]\r\nk = 1\r\n",
            false,
            "p",
            &[("k", Some("2")), ("j", Some("3"))],
        );
        assert_eq!(out, "[p]\r\nk = 2\r\nj = 3\r\n");
    }
}
