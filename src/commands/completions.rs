//! `awsmfa completions SHELL`: clap's completion script, taught that
//! `--profile` takes a profile from the user's files (bash, zsh, fish),
//! which it asks `awsmfa list --names` for at completion time (a name, a tab,
//! its kind or `not usable`), and (bash) that `exec`'s command is a command.
//! Only the usable profiles are offered, except to the commands that are
//! there to mend a profile (`doctor`, `add`), which are offered every one.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};
use clap::CommandFactory;
use clap_complete::Shell;

/// What prints every profile, one a line: the name, a tab, the kind (or
/// `not usable`).
const NAMES: &str = "awsmfa list --names 2>/dev/null";

/// The subcommands whose `--profile` is offered every profile, usable or
/// not: `doctor` says what is wrong with one, `add` gives one its keys.
const EVERY_PROFILE: &[&str] = &["doctor", "add"];

/// Where a script's profile completion goes, until it is known which
/// subcommand's it is.
const PROFILES: &str = "@AWSMFA_PROFILES@";

/// Replaces each `PROFILES` in `text` with `every` in the sections of the
/// subcommands of `EVERY_PROFILE`, `usable` elsewhere; `section` tells from
/// a line which subcommand's section begins there.
fn per_subcommand(
    text: &str,
    section: impl Fn(&str) -> Option<&str>,
    usable: &str,
    every: &str,
) -> String {
    let mut current = "";
    text.lines()
        .map(|line| {
            if let Some(name) = section(line) {
                current = name;
            }
            let with = if EVERY_PROFILE.contains(&current) {
                every
            } else {
                usable
            };
            line.replace(PROFILES, with) + "\n"
        })
        .collect()
}

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

/// The command line as completion scripts describe it: each value's help
/// cut to its name for people (`POSIX shells (sh, bash, zsh, ksh, dash)`,
/// not the `eval "$(awsmfa export)"` that follows), since the generators
/// put it inside the shell's own double quotes, where fish (3.4 and later)
/// runs a `$(…)` as the file loads and zsh's `_arguments` trips on quotes.
fn described(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            let values = arg.get_possible_values();
            if values.iter().all(|value| value.get_help().is_none()) {
                return arg;
            }
            let values = values.into_iter().map(|value| match value.get_help() {
                Some(help) => {
                    let help = quiet(&help.to_string());
                    value.help(help)
                }
                None => value,
            });
            arg.value_parser(clap::builder::PossibleValuesParser::new(values))
        })
        .mut_subcommands(described)
}

/// A value's help as words a shell leaves alone: up to its first `: `, with
/// no quote, `$`, backquote or backslash left.
fn quiet(help: &str) -> String {
    let words = help.split(": ").next().unwrap_or(help);
    words
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '$' | '`' | '\\'))
        .collect()
}

pub fn script(shell: Shell) -> Result<String> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut described(Cli::command()), "awsmfa", &mut out);
    let text = String::from_utf8(out)
        .map_err(|_| Error::Output("the completion script is not UTF-8".into()))?;
    // The profile's description is `not usable` for one that cannot be used.
    let not_usable = crate::words::NOT_USABLE;
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
            let text = text
                .replace(
                    "--profile)\n                    COMPREPLY=($(compgen -f \"${cur}\"))",
                    &format!(
                        "--profile)\n                    local IFS=$'\\n'\n                    \
                         COMPREPLY=($(compgen -W \"$({NAMES} | {PROFILES})\" -- \"${{cur}}\"))"
                    ),
                )
                .replacen(
                    "        awsmfa__subcmd__exec)\n",
                    &bash_exec(&value_options.join("|")),
                    1,
                );
            per_subcommand(
                &text,
                |line| {
                    line.strip_prefix("        awsmfa__subcmd__")
                        .and_then(|rest| rest.strip_suffix(')'))
                },
                &format!("awk -F '\\t' '$2 != \"{not_usable}\" {{ print $1 }}'"),
                "cut -f1",
            )
        }
        Shell::Zsh => {
            let profiles = format!(
                "(( $+functions[_awsmfa_profiles] )) ||\n_awsmfa_profiles() {{\n    \
                 local -a profiles\n    local line\n    \
                 for line in ${{(f)\"$({NAMES})\"}}; do\n        \
                 [[ $1 != all && ${{line#*$'\\t'}} == '{not_usable}' ]] && continue\n        \
                 profiles+=(\"${{${{line%%$'\\t'*}}//:/\\\\:}}:${{line#*$'\\t'}}\")\n    \
                 done\n    \
                 _describe -t profiles 'profile' profiles\n}}\n\n_awsmfa() {{"
            );
            let text = text
                .lines()
                .map(|line| {
                    if line.starts_with("'--profile=") {
                        line.replace(":NAME:_default'", &format!(":NAME:{PROFILES}'"))
                    } else if line.starts_with("'*::command -- ") {
                        // exec's command: a command and its words, as zsh
                        // completes them after sudo or env.
                        line.replace(":_default'", ":_normal'")
                    } else {
                        line.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                .replacen("_awsmfa() {", &profiles, 1)
                + "\n";
            per_subcommand(
                &text,
                |line| {
                    line.trim()
                        .strip_prefix('(')
                        .and_then(|rest| rest.strip_suffix(')'))
                },
                "_awsmfa_profiles",
                "_awsmfa_profiles all",
            )
        }
        Shell::Fish => {
            let profiles = format!(
                "# The profiles in the AWS files, each with its kind: the usable ones, or\n\
                 # with `all` every one.\n\
                 function __awsmfa_profiles\n    \
                 if test \"$argv[1]\" = all\n        \
                 {NAMES}\n    \
                 else\n        \
                 {NAMES} | string match -v -- '*\t{not_usable}'\n    \
                 end\nend\n\n"
            );
            let text: String = text
                .lines()
                .map(|line| {
                    if line.contains(" -l profile ") && line.ends_with(" -r") {
                        let every = EVERY_PROFILE.iter().any(|name| {
                            line.contains(&format!("__fish_awsmfa_using_subcommand {name}\""))
                        });
                        let all = if every { " all" } else { "" };
                        format!("{line} -f -a '(__awsmfa_profiles{all})'\n")
                    } else {
                        format!("{line}\n")
                    }
                })
                .collect();
            profiles + &text
        }
        _ => text,
    })
}
