//! `awsmfa status`: the cached sessions as the user sees them (never their
//! secrets), each judged usable by the rule a run applies; times in the
//! local zone (`--json`: RFC 3339 UTC).

use crate::cli::StatusArgs;
use crate::error::{Error, Result};
use crate::session::cache::Cache;
use std::time::SystemTime;

pub fn run(args: &StatusArgs) -> Result<()> {
    let settings = super::settings()?;
    let cache = Cache::new(&settings)?;
    let text = list(&cache, settings.min_ttl, args.json, SystemTime::now())?;
    if args.json {
        // For programs: as it is, whatever the locale.
        return super::print(text.as_bytes());
    }
    // For people: home paths as `~`, as every command shows them.
    super::print(crate::words::for_people(&text).as_bytes())
}

/// The cached sessions as a table, or as JSON, at `now`, each usable or not
/// by the rule a run applies with `min_ttl` asked for.
pub fn list(cache: &Cache, min_ttl: u64, json: bool, now: SystemTime) -> Result<String> {
    // A folder a write would refuse is not listed either.
    cache.check_dir()?;
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for (path, entry) in cache.entries() {
        let file = path.display().to_string();
        let entry = match entry {
            Ok(entry) => entry,
            Err(why) => {
                rows.push(vec![format!("({file}: {why})")]);
                values.push(serde_json::json!({ "file": file, "error": why }));
                continue;
            }
        };
        let left = entry.credentials.seconds_left(now);
        let usable = entry.usable(min_ttl, now);
        rows.push(vec![
            entry.profile.clone(),
            entry.kind.describe().to_owned(),
            length(entry.duration),
            crate::words::local_time(entry.credentials.expires_at),
            crate::human_seconds(left),
            if usable { "yes" } else { "no" }.to_owned(),
            entry.role_arn.clone().unwrap_or_else(|| "-".into()),
        ]);
        values.push(serde_json::json!({
            "profile": entry.profile,
            "kind": entry.kind.name(),
            "role_arn": entry.role_arn,
            "mfa_serial": entry.mfa_serial,
            "duration_seconds": entry.duration,
            "expiration": entry.credentials.expiration(),
            "seconds_left": left.max(0),
            "usable": usable,
            "file": file,
        }));
    }
    if json {
        let text = serde_json::to_string_pretty(&values)
            .map_err(|e| Error::Output(format!("cannot encode the status: {e}")))?;
        return Ok(format!("{text}\n"));
    }
    if rows.is_empty() {
        return Ok(format!("no cached sessions in {}\n", cache.dir().display()));
    }
    let header = [
        "PROFILE",
        "KIND",
        "LENGTH",
        "EXPIRES",
        crate::words::LEFT,
        "USABLE",
        "ROLE",
    ];
    Ok(table(&header, &rows))
}

/// A session length as `12h`, `15m`, `1h 30m`; `-` when not recorded.
pub(super) fn length(seconds: Option<u64>) -> String {
    seconds.map_or("-".to_owned(), crate::words::length)
}

/// Columns padded to their widest cell; a one-cell row stands alone.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    // Measured as printed: `←` is one column, its ASCII `<-` two.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| crate::words::for_locale(cell).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    // Every cell a row pads counts, short rows' too (a profile that cannot
    // be used has a name and why): only a row's last cell is not padded.
    for row in &rows {
        let padded = row.len().saturating_sub(1);
        for (width, cell) in widths.iter_mut().zip(&row[..padded]) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns_and_leaves_the_last_ragged() {
        let rows = vec![
            vec!["alice".to_owned(), "session".to_owned()],
            vec!["(broken entry)".to_owned()],
        ];
        assert_eq!(
            table(&["PROFILE", "KIND"], &rows),
            "PROFILE  KIND\nalice    session\n(broken entry)\n"
        );
    }
}
