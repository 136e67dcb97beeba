//! The words a person reads, the same in every command (`list`, `status`,
//! `doctor`, `-v`): what a session is called, the column of time left, how a
//! role chain is drawn, times in the local zone, and plain ASCII where the
//! locale cannot show more. Machine formats (JSON, `credential-process`, the
//! child's variables) keep RFC 3339 UTC and are not touched here.

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// A user's session from GetSessionToken.
pub const MFA_SESSION: &str = "MFA session";
/// Role credentials from AssumeRole.
pub const ROLE_SESSION: &str = "role session";
/// The column of time left, in `list` and `status`; sentences say `… left`.
pub const LEFT: &str = "LEFT";
/// What a profile that cannot be used is called, in `list` and completion.
pub const NOT_USABLE: &str = "not usable";

/// A profile's kind: `IAM user`, or `role ← source ← … ← user` with the
/// profiles a role stands on, nearest first (the arrows point the way the
/// credentials go: from the user's MFA session to the role).
pub fn kind(sources: &[&str]) -> String {
    if sources.is_empty() {
        return "IAM user".to_owned();
    }
    let mut chain = vec!["role"];
    chain.extend(sources);
    chain.join(" ← ")
}

/// A session's length: `12h`, `1h 30m`, `15m`.
pub fn length(seconds: u64) -> String {
    match seconds {
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s => crate::human_seconds(i64::try_from(s).unwrap_or(i64::MAX)),
    }
}

/// `seconds` left, in a sentence: `11h 59m left`, `expired`.
pub fn left(seconds: i64) -> String {
    match seconds {
        s if s <= 0 => crate::human_seconds(s),
        s => format!("{} left", crate::human_seconds(s)),
    }
}

/// A time as a person reads it, in the local zone: `2026-11-23 20:00 CET`.
/// Where the zone cannot be had, UTC, said so.
pub fn local_time(unix: u64) -> String {
    // The last second RFC 3339 can write (9999-12-31T23:59:59Z).
    const LATEST: i64 = 253_402_300_799;
    let unix = unix.min(LATEST as u64) as i64;
    let (offset, zone) = local_offset(unix).unwrap_or((0, "UTC".to_owned()));
    let shifted = (unix + offset).clamp(0, LATEST) as u64;
    let text =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(shifted)).to_string();
    // 2026-11-23T20:00:00Z: the date, and the time to the minute.
    let (date, time) = (text.get(..10).unwrap_or(""), text.get(11..16).unwrap_or(""));
    let zone = if !zone.is_empty()
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
    {
        zone
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.unsigned_abs();
        format!("{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60)
    };
    format!("{date} {time} {zone}")
}

fn local_offset(unix: i64) -> Option<(i64, String)> {
    crate::sys::local_offset(unix)
}

/// Whether the locale shows UTF-8: the first of `LC_ALL`, `LC_CTYPE` and
/// `LANG` that is set names UTF-8 (`en_US.UTF-8`, `C.utf8`). None set is the
/// C locale on Unix; on Windows the console takes Unicode whatever they say.
pub fn utf8_locale(env: &dyn Fn(&str) -> Option<String>) -> bool {
    match ["LC_ALL", "LC_CTYPE", "LANG"]
        .into_iter()
        .find_map(|name| env(name).filter(|v| !v.is_empty()))
    {
        Some(locale) => {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        }
        None => cfg!(windows),
    }
}

/// `path` with the home folder as `~`.
pub fn tilde(path: &Path, home: Option<&str>) -> String {
    let shown = path.display().to_string();
    match home.map(|h| h.trim_end_matches('/')) {
        Some(home) if !home.is_empty() => match shown.strip_prefix(home) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("~{rest}"),
            _ => shown,
        },
        _ => shown,
    }
}

/// `text` with every path in the home folder written with `~`: where the
/// home folder's path stands as a whole (not `/home/ab` for `/home/a`).
pub fn tilde_text(text: &str, home: Option<&str>) -> String {
    let Some(home) = home
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.is_empty())
    else {
        return text.to_owned();
    };
    let part_of_path = |c: char| c.is_alphanumeric() || "._-~/".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(home) {
        let (before, after) = (&rest[..at], &rest[at + home.len()..]);
        let starts = out
            .chars()
            .chain(before.chars())
            .last()
            .is_none_or(|c| !part_of_path(c));
        let ends = after
            .chars()
            .next()
            .is_none_or(|c| c == '/' || !part_of_path(c));
        out.push_str(before);
        out.push_str(if starts && ends { "~" } else { home });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The home folder as messages show it (`~`): `HOME` on Unix. None on
/// Windows, whose paths messages show whole.
pub fn home() -> Option<String> {
    match cfg!(unix) {
        true => std::env::var("HOME").ok(),
        false => None,
    }
}

/// A line for a person on stderr: home paths as `~`, in the locale's
/// characters.
pub fn for_people(text: &str) -> String {
    for_locale(&tilde_text(text, home().as_deref())).into_owned()
}

/// `line` broken at spaces into lines of at most `width` columns, each
/// after the first indented by `indent` spaces; a word longer than a line
/// stays whole, and a line that fits is left as it is.
pub fn wrap(line: &str, width: usize, indent: usize) -> String {
    let columns = |text: &str| text.chars().count();
    if columns(line) <= width || width <= indent + 10 {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 16);
    let mut used = 0;
    for word in line.split(' ') {
        let size = columns(word);
        if used > indent && used + 1 + size > width {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
            used = indent;
        } else if !out.is_empty() {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += size;
    }
    out
}

/// `text` for this process's locale: as it is where the locale is UTF-8,
/// else with each of awsmfa's symbols in ASCII (`ascii`).
pub fn for_locale(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || utf8_locale(&|name| std::env::var(name).ok()) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(ascii(text))
    }
}

/// `text` with the symbols awsmfa writes (arrows, ellipsis, dashes, check
/// marks, quotes) in ASCII. Anything else (a profile's own name) is left
/// as it is.
pub fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '←' => out.push_str("<-"),
            '→' => out.push_str("->"),
            '↔' => out.push_str("<->"),
            '…' => out.push_str("..."),
            '—' | '–' | '−' => out.push('-'),
            '✓' | '✔' => out.push_str("ok"),
            '✗' | '✘' | '×' => out.push('x'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '•' | '·' => out.push('*'),
            '≤' => out.push_str("<="),
            '≥' => out.push_str(">="),
            '\u{a0}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_broken_at_spaces_under_their_first_word() {
        let line = "hint: put the keys in ~/.aws/credentials under [default]";
        assert_eq!(wrap(line, 80, 6), line, "a line that fits is kept");
        assert_eq!(
            wrap(line, 30, 6),
            "hint: put the keys in\n      ~/.aws/credentials under\n      [default]"
        );
        for wrapped in wrap(line, 30, 6).lines() {
            assert!(wrapped.chars().count() <= 30, "{wrapped}");
        }
        // A word longer than the line is not cut; a narrow terminal gets the line whole.
        assert_eq!(
            wrap("hint: arn:aws:iam::123456789012:mfa/alice here", 20, 6),
            "hint: arn:aws:iam::123456789012:mfa/alice\n      here"
        );
        assert_eq!(wrap(line, 12, 6), line);
        assert_eq!(wrap(line, line.len(), 6), line, "exactly the width fits");
        assert_eq!(
            wrap(line, line.len() - 1, 6),
            "hint: put the keys in ~/.aws/credentials under\n      [default]"
        );
    }

    #[test]
    fn home_paths_are_shown_with_a_tilde() {
        assert_eq!(
            tilde(Path::new("/home/a/.aws/config"), Some("/home/a")),
            "~/.aws/config"
        );
        assert_eq!(
            tilde(Path::new("/home/ab/x"), Some("/home/a")),
            "/home/ab/x"
        );
        assert_eq!(tilde(Path::new("/home/a"), Some("/home/a/")), "~");
        assert_eq!(tilde(Path::new("/etc/x"), None), "/etc/x");
        assert_eq!(
            tilde_text(
                "remove x from [a] in /home/a/.aws/credentials",
                Some("/home/a")
            ),
            "remove x from [a] in ~/.aws/credentials"
        );
        assert_eq!(
            tilde_text(
                "'/home/a/c' or /home/ab/x, /x/home/a/y, /home/a",
                Some("/home/a/")
            ),
            "'~/c' or /home/ab/x, /x/home/a/y, ~"
        );
        assert_eq!(tilde_text("/home/a/x", None), "/home/a/x");
    }

    #[test]
    fn kinds_draw_the_chain_one_way() {
        assert_eq!(kind(&[]), "IAM user");
        assert_eq!(kind(&["alice"]), "role ← alice");
        assert_eq!(kind(&["admin", "alice"]), "role ← admin ← alice");
    }

    #[test]
    fn the_locale_decides_utf8_in_posix_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(utf8_locale(&env(&[("LANG", "en_US.UTF-8")])));
        assert!(utf8_locale(&env(&[("LANG", "C.utf8")])));
        assert!(!utf8_locale(&env(&[("LANG", "C")])));
        assert!(!utf8_locale(&env(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(utf8_locale(&env(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.utf-8"),
            ("LANG", "C")
        ])));
        assert_eq!(utf8_locale(&env(&[])), cfg!(windows));
    }

    #[test]
    fn symbols_in_ascii() {
        assert_eq!(
            ascii("role ← admin ← alice → AKIA…0001 — ✓ ünïcode"),
            "role <- admin <- alice -> AKIA...0001 - ok ünïcode"
        );
        assert_eq!(left(0), "expired");
        assert_eq!(left(3600), "1h 0m left");
    }
}
