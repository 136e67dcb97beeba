//! `awsmfa completions SHELL`: clap's completion script, taught that
//! `--profile` takes a profile name from the user's files (bash, zsh, fish),
//! which it asks `awsmfa list --names` for at completion time.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};
use clap::CommandFactory;
use clap_complete::Shell;

/// What prints the profile names, one a line.
const NAMES: &str = "awsmfa list --names 2>/dev/null";

pub fn run(args: &CompletionsArgs) -> Result<()> {
    super::print(script(args.shell)?.as_bytes())
}

pub fn script(shell: Shell) -> Result<String> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "awsmfa", &mut out);
    let text = String::from_utf8(out)
        .map_err(|_| Error::Output("the completion script is not UTF-8".into()))?;
    Ok(match shell {
        Shell::Bash => text.replace(
            "--profile)\n                    COMPREPLY=($(compgen -f \"${cur}\"))",
            &format!(
                "--profile)\n                    local IFS=$'\\n'\n                    \
                 COMPREPLY=($(compgen -W \"$({NAMES})\" -- \"${{cur}}\"))"
            ),
        ),
        Shell::Zsh => {
            let profiles = format!(
                "(( $+functions[_awsmfa_profiles] )) ||\n_awsmfa_profiles() {{\n    \
                 local -a profiles\n    profiles=(${{(f)\"$({NAMES})\"}})\n    \
                 _describe -t profiles 'profile' profiles\n}}\n\n_awsmfa() {{"
            );
            text.lines()
                .map(|line| {
                    if line.starts_with("'--profile=") {
                        line.replace(":NAME:_default'", ":NAME:_awsmfa_profiles'")
                    } else {
                        line.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                .replacen("_awsmfa() {", &profiles, 1)
                + "\n"
        }
        Shell::Fish => {
            text.lines()
                .map(|line| {
                    if line.contains(" -l profile ") && line.ends_with(" -r") {
                        format!("{line} -f -a '({NAMES})'")
                    } else {
                        line.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        }
        _ => text,
    })
}
