//! Changing the shared AWS files (`add --from-file`, `remove --to-file`,
//! `rotate`): a few settings of one profile set or removed, every other
//! line, comment and blank kept as it was, and the file replaced in one
//! step with its mode and owner kept, only while the settings it changes
//! still hold what was read.

use super::reader::{Line, classify, read_file};
use crate::error::{Error, Result};
use crate::secret::Secret;
use std::path::{Path, PathBuf};

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
    let lines: Vec<&str> = super::lines_with_endings(text).collect();
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

/// The values `profile` sets for `keys` in one file's text, as the reader
/// reads them: the last one set wins, continuation lines join the value.
pub fn values_of(text: &str, is_config: bool, profile: &str, keys: &[&str]) -> Vec<Option<Secret>> {
    let mut values: Vec<Option<String>> = vec![None; keys.len()];
    let mut current: Option<String> = None;
    let mut in_section = false;
    // The key of `keys` the last setting line set, for continuation lines.
    let mut last: Option<usize> = None;
    for raw in super::lines(text) {
        match classify(raw, is_config, in_section) {
            Line::Section(name) => {
                current = name;
                in_section = true;
                last = None;
            }
            Line::Setting(key, value) if current.as_deref() == Some(profile) => {
                last = keys.iter().position(|k| k.eq_ignore_ascii_case(key));
                if let Some(at) = last {
                    values[at] = Some(value.to_owned());
                }
            }
            Line::Setting(..) => last = None,
            Line::Continuation(more) => {
                if let Some(value) = last.and_then(|at| values[at].as_mut()) {
                    value.push('\n');
                    value.push_str(more);
                }
            }
            Line::Nothing | Line::Bad(_) => {}
        }
    }
    values.into_iter().map(|v| v.map(Secret::new)).collect()
}

/// What some settings of one profile held in one AWS file when it was read.
/// Another program (an editor, `aws configure`) may write the file while
/// awsmfa talks to AWS or waits for an answer: a change is made only while
/// those settings still hold what was read, so nothing written meanwhile
/// is lost.
pub struct Snapshot {
    pub path: PathBuf,
    is_config: bool,
    profile: String,
    keys: Vec<&'static str>,
    values: Vec<Option<Secret>>,
}

/// What `Snapshot::stage` found.
pub enum Staging {
    /// The new text is written beside the file, ready to take its place.
    Ready(Staged),
    /// The change would change nothing.
    Same,
    /// The settings no longer hold what was read: nothing was written.
    Changed,
}

impl Snapshot {
    /// `keys` of `profile` in the file at `path` (none when it does not exist).
    pub fn take(
        path: &Path,
        is_config: bool,
        profile: &str,
        keys: &[&'static str],
    ) -> Result<Snapshot> {
        let text = read_file(path)?.unwrap_or_default();
        Ok(Snapshot {
            path: path.to_owned(),
            is_config,
            profile: profile.to_owned(),
            keys: keys.to_vec(),
            values: values_of(&text, is_config, profile, keys),
        })
    }

    /// What `key` (one of those taken) held when read.
    pub fn value(&self, key: &str) -> Option<&Secret> {
        let at = self.keys.iter().position(|k| *k == key)?;
        self.values[at].as_ref()
    }

    /// Reads the file again and, when the settings still hold what was
    /// read, writes it with `changes` (as `edit_profile`) beside it, ready
    /// to take its place.
    pub fn stage(&self, changes: &[(&str, Option<&str>)]) -> Result<Staging> {
        let text = read_file(&self.path)?.unwrap_or_default();
        if values_of(&text, self.is_config, &self.profile, &self.keys) != self.values {
            return Ok(Staging::Changed);
        }
        let edited = edit_profile(&text, self.is_config, &self.profile, changes);
        if edited == text {
            return Ok(Staging::Same);
        }
        Ok(Staging::Ready(stage(&self.path, &edited, text)?))
    }
}

/// A file's new text, synced to a temporary file in its folder (with the
/// file's mode, owner and group), not yet in its place.
pub struct Staged {
    /// The path as the user named it, for messages.
    pub path: PathBuf,
    target: PathBuf,
    temp: tempfile::NamedTempFile,
    /// The text it replaces, to put back if a change of two files fails
    /// half way.
    pub before: String,
}

impl Staged {
    /// Keeps group and others out of the new file (it holds a secret key):
    /// the mode the file had, when they could use it.
    pub fn make_private(&self) -> Result<Option<u32>> {
        crate::sys::make_file_private(self.temp.as_file())
            .map_err(|e| cannot_write(&self.path, crate::io_reason(&e)))
    }

    /// Puts the new text in the file's place in one step.
    pub fn commit(self) -> Result<()> {
        let temp = self.temp.into_temp_path();
        // Dropped (removed) if the rename fails.
        crate::sys::replace_file(&temp, &self.target)
            .map_err(|e| cannot_write(&self.path, crate::io_reason(&e)))?;
        let _ = temp.keep();
        Ok(())
    }
}

/// Writes `text` in the place of the file at `path` in one step: a reader
/// sees the old text or the new, never a part. The file keeps its mode,
/// owner and group (a new one is private and ours); a link is followed, so
/// a linked file stays linked.
pub fn rewrite(path: &Path, text: &str) -> Result<()> {
    stage(path, text, String::new())?.commit()
}

fn cannot_write(path: &Path, why: String) -> Error {
    Error::config(format!("cannot write {}: {why}", path.display()))
}

/// The name of every temporary file: `.awsmfa-` and six random letters
/// or digits.
const TEMP_PREFIX: &str = ".awsmfa-";
const TEMP_RANDOM: usize = 6;
/// A temporary file older than this was left by a run killed half way.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(60);

fn stage(path: &Path, text: &str, before: String) -> Result<Staged> {
    use std::io::Write;
    let failed = |e: std::io::Error| cannot_write(path, crate::io_reason(&e));
    let target = match std::fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_owned(),
        Err(e) => return Err(failed(e)),
    };
    let dir = folder_of(&target);
    if !dir.exists() {
        std::fs::create_dir_all(&dir).map_err(failed)?;
    }
    for leftover in leftovers(&dir) {
        let _ = std::fs::remove_file(leftover);
    }
    let old = std::fs::metadata(&target).ok();
    // tempfile creates it private; it takes the old file's owner and mode
    // before the swap.
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .rand_bytes(TEMP_RANDOM)
        .tempfile_in(&dir)
        .map_err(failed)?;
    if let Some(old) = &old {
        keep_owner(temp.as_file(), old);
        temp.as_file()
            .set_permissions(old.permissions())
            .map_err(failed)?;
    }
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(failed)?;
    Ok(Staged {
        path: path.to_owned(),
        target,
        temp,
        before,
    })
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Gives the new file the old one's owner and group (root rewriting a
/// user's file under sudo must not take it from them), where permitted:
/// a user can give a file only to a group of theirs, and then it is ours.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, old: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let Ok(new) = file.metadata() else { return };
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &std::fs::File, _old: &std::fs::Metadata) {}

/// The temporary files that runs killed half way through a rewrite left in
/// `dir` (they may hold keys): named as awsmfa names them, regular files
/// of ours, untouched for a minute.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let Ok(items) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = std::time::SystemTime::now();
    let mut found: Vec<PathBuf> = items
        .flatten()
        .filter(|item| {
            let name = item.file_name();
            let named = name
                .to_str()
                .and_then(|n| n.strip_prefix(TEMP_PREFIX))
                .is_some_and(|rest| {
                    rest.len() == TEMP_RANDOM && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            // `DirEntry::metadata` does not follow a link.
            named
                && item.metadata().is_ok_and(|meta| {
                    meta.is_file()
                        && crate::sys::is_ours(&meta)
                        && meta
                            .modified()
                            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP)
                })
        })
        .map(|item| item.path())
        .collect();
    found.sort();
    found
}

/// The folder where a rewrite of the AWS file at `path` writes its
/// temporary file (that of the file a link leads to).
pub fn temp_folder(path: &Path) -> PathBuf {
    folder_of(&std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()))
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

    #[test]
    fn values_are_read_as_the_reader_reads_them() {
        let text = "[prod]\nAWS_Access_Key_Id = A1\n[other]\naws_access_key_id = B\n\
            [prod]\naws_access_key_id = A2\naws_secret_access_key = s\n  more\nregion = x\n";
        let values = values_of(
            text,
            false,
            "prod",
            &["aws_access_key_id", "aws_secret_access_key"],
        );
        let shown: Vec<Option<&str>> = values
            .iter()
            .map(|v| v.as_ref().map(Secret::expose))
            .collect();
        assert_eq!(shown, [Some("A2"), Some("s\nmore")]);
        assert_eq!(
            values_of(text, true, "prod", &["aws_access_key_id"]),
            [None]
        );
        assert_eq!(values_of("", false, "prod", &["region"]), [None]);
    }

    #[test]
    fn a_rewrite_goes_ahead_only_while_the_settings_hold_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, CREDENTIALS).unwrap();
        let keys = ["aws_access_key_id", "aws_secret_access_key"];
        let snapshot = Snapshot::take(&path, false, "prod", &keys).unwrap();
        assert_eq!(
            snapshot.value("aws_access_key_id").map(Secret::expose),
            Some("AKIAPROD")
        );
        let removed = [("aws_access_key_id", None), ("aws_secret_access_key", None)];
        // Another line changed meanwhile is kept, and the change still made.
        let added = CREDENTIALS.replace("[other]\n", "[other]\nnew = 1\n");
        std::fs::write(&path, &added).unwrap();
        let Staging::Ready(file) = snapshot.stage(&removed).unwrap() else {
            panic!("not staged")
        };
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            added,
            "written before the commit"
        );
        file.commit().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("AKIAPROD") && text.contains("new = 1"),
            "{text}"
        );
        // The key lines changed meanwhile: nothing is written.
        let snapshot = Snapshot::take(&path, false, "prod", &keys).unwrap();
        std::fs::write(&path, CREDENTIALS).unwrap();
        assert!(matches!(
            snapshot.stage(&[("region", None)]).unwrap(),
            Staging::Changed
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), CREDENTIALS);
        let snapshot = Snapshot::take(&path, false, "prod", &keys).unwrap();
        assert!(matches!(
            snapshot.stage(&[("nothing", None)]).unwrap(),
            Staging::Same
        ));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn leftovers_are_only_old_files_named_as_awsmfa_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        for name in [
            ".awsmfa-Ab12Cd",
            ".awsmfa-Ab12C",
            ".awsmfa-Ab12Cd7",
            ".awsmfa-Ab 2Cd",
            "awsmfa-Ab12Cd",
        ] {
            let file = std::fs::File::create(dir.path().join(name)).unwrap();
            file.set_modified(old).unwrap();
        }
        std::fs::File::create(dir.path().join(".awsmfa-Fresh1")).unwrap();
        std::fs::create_dir(dir.path().join(".awsmfa-Folder")).unwrap();
        assert_eq!(leftovers(dir.path()), [dir.path().join(".awsmfa-Ab12Cd")]);
    }
}
