//! The session's variables as text for a shell to evaluate, each value
//! quoted for that shell, and the `credential_process` JSON.

use crate::cli::{ExportArgs, Format};
use crate::env::REMOVED;
use crate::error::{Error, Result};
use crate::session::Credentials;
use std::io::IsTerminal;

pub fn run(args: &ExportArgs) -> Result<()> {
    let setup = super::setup(&args.session)?;
    let credentials = setup.get()?;
    let plan = &setup.plan;
    let text = render(
        args.format,
        &credentials,
        plan.region.as_deref(),
        &plan.profile,
    )?;
    super::print(text.as_bytes())?;
    // Printed to a person, not to a shell that evaluates it: say how.
    if std::io::stdout().is_terminal()
        && let Some(how) = how_to_use(args.format)
    {
        crate::say!("to set these in this shell: {how}");
    }
    Ok(())
}

/// How a shell takes `format`'s text, for a person who printed it.
pub fn how_to_use(format: Format) -> Option<&'static str> {
    match format {
        Format::Sh => Some("eval \"$(awsmfa export)\""),
        Format::Fish => Some("awsmfa export --format fish | source"),
        Format::Powershell => {
            Some("awsmfa export --format powershell | Out-String | Invoke-Expression")
        }
        Format::Cmd => Some("awsmfa export --format cmd > aws-env.bat && call aws-env.bat"),
        Format::Dotenv | Format::Json => None,
    }
}

/// The text for `format`: what `exec` would put in a command's environment,
/// and, where the shell can, the removal of the variables `exec` removes.
pub fn render(
    format: Format,
    credentials: &Credentials,
    region: Option<&str>,
    profile: &str,
) -> Result<String> {
    if format == Format::Json {
        return Ok(credential_process(credentials));
    }
    let vars = crate::env::session_vars(credentials, region, profile);
    let mut out = String::new();
    for name in REMOVED
        .iter()
        .filter(|r| !vars.iter().any(|(v, _)| v == *r))
    {
        let line = match format {
            Format::Sh => format!("unset {name}"),
            Format::Fish => format!("set -e {name}"),
            Format::Powershell => {
                format!("Remove-Item -ErrorAction SilentlyContinue Env:{name}")
            }
            Format::Cmd => format!("set {name}="),
            Format::Dotenv | Format::Json => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    for (name, value) in &vars {
        let line = match format {
            Format::Sh => format!("export {name}={}", sh_quote(value)),
            Format::Fish => format!("set -gx {name} {}", fish_quote(value)),
            Format::Powershell => format!("$Env:{name} = {}", powershell_quote(value)),
            Format::Cmd => format!("set {name}={}", cmd_quote(name, value)?),
            Format::Dotenv => format!("{name}={}", dotenv_quote(name, value)?),
            Format::Json => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// `{"Version":1,...}` as `credential_process` expects it.
pub fn credential_process(credentials: &Credentials) -> String {
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "SessionToken": credentials.session_token.expose(),
        "Expiration": credentials.expiration(),
    });
    format!("{json}\n")
}

/// POSIX shells: single quotes, with `'` written as `'\''`.
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish: single quotes, where only `\` and `'` are escaped.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell: single quotes, where every kind of single quote is doubled.
fn powershell_quote(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// cmd.exe, as run from a batch file: `^` before its special characters,
/// `%` doubled. A line break cannot be written.
fn cmd_quote(name: &str, value: &str) -> Result<String> {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '\r' | '\n' => return Err(unwritable(name, "cmd")),
            '%' => out.push_str("%%"),
            '^' | '&' | '|' | '<' | '>' | '(' | ')' | '"' | '!' => {
                out.push('^');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// dotenv: bare when plain, else single quotes, else double quotes; in
/// both, python-dotenv reads `\\` as one backslash, so `\` is doubled, and
/// `"` is escaped in double quotes.
fn dotenv_quote(name: &str, value: &str) -> Result<String> {
    if value.contains(['\r', '\n']) {
        return Err(unwritable(name, "dotenv"));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:+=@,".contains(c);
    Ok(if value.chars().all(plain) {
        value.to_owned()
    } else if !value.contains('\'') {
        format!("'{}'", value.replace('\\', r"\\"))
    } else {
        let escaped = value.replace('\\', r"\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    })
}

fn unwritable(name: &str, format: &str) -> Error {
    Error::Output(format!(
        "{name} holds a line break, which the {format} format cannot write"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("it's $HOME"), r"'it'\''s $HOME'");
        assert_eq!(fish_quote(r"a\b'c"), r"'a\\b\'c'");
        assert_eq!(powershell_quote("it's ‘x’"), "'it''s ‘‘x’’'");
        assert_eq!(cmd_quote("N", "50% & \"up\"").unwrap(), "50%% ^& ^\"up^\"");
        assert_eq!(dotenv_quote("N", "eu-west-1").unwrap(), "eu-west-1");
        assert_eq!(dotenv_quote("N", "a b$c").unwrap(), "'a b$c'");
        assert_eq!(dotenv_quote("N", r"C:\\t\n").unwrap(), r"'C:\\\\t\\n'");
        assert_eq!(
            dotenv_quote("N", r#"it's "$x"\"#).unwrap(),
            r#""it's \"$x\"\\""#
        );
        assert!(cmd_quote("N", "a\nb").is_err());
    }
}
