//! `awsmfa completions SHELL`: clap's completion script, taught that
//! `--profile` takes a usable profile from the user's files (bash, zsh, fish),
//! which it asks `awsmfa list --names` for at completion time (a name, a tab,
//! its kind), and (bash) that `exec`'s command is a command.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};
use clap::CommandFactory;
use clap_complete::Shell;

/// What prints the usable profiles, one a line: the name, a tab, the kind.
const NAMES: &str = "awsmfa list --names 2>/dev/null";

/// What bash does in `exec` before clap's script: from the command's word
/// on (after `--`, or the first word that is not an option), complete as
/// for that command: bash-completion's own function where it is loaded,
/// else commands on PATH, then file names.
fn bash_exec(value_options: &str) -> String {
    format!(
        r#"        awsmfa__subcmd__exec)
            local word=2 start=""
            while (( word < COMP_CWORD )); do
                case "${{COMP_WORDS[word]}}" in
                    --) start=$((word + 1)); break ;;
                    {value_options}) (( word += 2 )) ;;
                    -*) (( word += 1 )) ;;
                    *) start=${{word}}; break ;;
                esac
            done
            if [[ -z ${{start}} && ${{word}} -eq ${{COMP_CWORD}} && -n ${{cur}} && ${{cur}} != -* ]]; then
                start=${{COMP_CWORD}}
            fi
            if [[ -n ${{start}} ]]; then
                if declare -F _comp_command_offset >/dev/null; then
                    _comp_command_offset "${{start}}"
                elif declare -F _command_offset >/dev/null; then
                    _command_offset "${{start}}"
                else
                    local IFS=$'\n'
                    if (( start == COMP_CWORD )); then
                        COMPREPLY=($(compgen -c -- "${{cur}}"))
                    else
                        COMPREPLY=($(compgen -f -- "${{cur}}"))
                    fi
                fi
                return 0
            fi
"#
    )
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    super::print(script(args.shell)?.as_bytes())
}

pub fn script(shell: Shell) -> Result<String> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "awsmfa", &mut out);
    let text = String::from_utf8(out)
        .map_err(|_| Error::Output("the completion script is not UTF-8".into()))?;
    Ok(match shell {
        Shell::Bash => {
            let exec = Cli::command();
            let value_options: Vec<String> = exec
                .find_subcommand("exec")
                .into_iter()
                .flat_map(|exec| exec.get_arguments())
                .filter(|arg| arg.get_action().takes_values() && !arg.is_positional())
                .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
                .collect();
            text.replace(
                "--profile)\n                    COMPREPLY=($(compgen -f \"${cur}\"))",
                &format!(
                    "--profile)\n                    local IFS=$'\\n'\n                    \
                     COMPREPLY=($(compgen -W \"$({NAMES} | cut -f1)\" -- \"${{cur}}\"))"
                ),
            )
            .replacen(
                "        awsmfa__subcmd__exec)\n",
                &bash_exec(&value_options.join("|")),
                1,
            )
        }
        Shell::Zsh => {
            let profiles = format!(
                "(( $+functions[_awsmfa_profiles] )) ||\n_awsmfa_profiles() {{\n    \
                 local -a profiles\n    local line\n    \
                 for line in ${{(f)\"$({NAMES})\"}}; do\n        \
                 profiles+=(\"${{${{line%%$'\\t'*}}//:/\\\\:}}:${{line#*$'\\t'}}\")\n    \
                 done\n    \
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
