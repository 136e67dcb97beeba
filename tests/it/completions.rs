//! `--profile <TAB>` offers the usable profiles in the user's files, in a
//! real bash (sourcing the generated script), fish and zsh; bash completes
//! `exec`'s command; the README's install lines work on a fresh account.

use crate::support::*;
use std::path::Path;

fn world_with_profiles() -> World {
    let world = World::new();
    // Usable: alice, admin (a role on alice), prod-eu (keys in the keystore).
    // Not usable: broken (no MFA device), sso (another kind of credentials).
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n\
         [profile prod-eu]\nmfa_serial = arn:aws:iam::123456789012:mfa/eu\n\
         [profile broken]\nmfa_serial = m\n\
         [profile sso]\nsso_start_url = https://example.com/start\nsso_region = eu-west-1\n"
    ));
    world
}

/// The completion script for `shell`, written to a file.
pub(crate) fn script(world: &World, shell: &str) -> std::path::PathBuf {
    let run = world.run(&["completions", shell]);
    run.ok();
    let file = world.home().join(format!("awsmfa.{shell}"));
    std::fs::write(&file, &run.stdout).unwrap();
    file
}

/// `shell -c script` in the world, with awsmfa itself on PATH as installed.
pub(crate) fn shell(world: &World, shell: &str, script: &str) -> String {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut command = world.program(shell, &["-c", script]);
    command.env("PATH", format!("{}:{}", bin_dir.display(), test_path()));
    let run = world.run_command(command);
    run.ok();
    run.stdout
}

pub(crate) fn sorted(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    words.sort();
    words
}

/// What bash offers for `words` (with the cursor on word `current`), after
/// `before` (such as a stand-in for bash-completion's functions).
pub(crate) fn bash_complete(
    world: &World,
    file: &Path,
    before: &str,
    words: &str,
    current: usize,
) -> String {
    shell(
        world,
        "bash",
        &format!(
            "{before} source '{}'; COMP_WORDS=({words}); COMP_CWORD={current}; \
             _awsmfa awsmfa \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        ),
    )
}

#[test]
fn bash_completes_profile_names() {
    let world = world_with_profiles();
    let file = script(&world, "bash");
    let complete = |words: &str, current: usize| bash_complete(&world, &file, "", words, current);
    assert_eq!(
        sorted(&complete("awsmfa exec --profile ''", 3)),
        ["admin", "alice", "prod-eu"]
    );
    assert_eq!(
        sorted(&complete("awsmfa exec --profile pr", 3)),
        ["prod-eu"]
    );
    assert_eq!(
        sorted(&complete("awsmfa clear --profile a", 3)),
        ["admin", "alice"]
    );
}

#[test]
fn fish_completes_profile_names() {
    let world = world_with_profiles();
    let file = script(&world, "fish");
    let out = shell(
        &world,
        "fish",
        &format!(
            "source '{}'; complete -C 'awsmfa exec --profile '",
            file.display()
        ),
    );
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert!(
        names.contains(&"alice") && names.contains(&"prod-eu"),
        "{out}"
    );
    // Only the usable ones, each with its kind as the description.
    assert!(
        !names.contains(&"broken") && !names.contains(&"sso"),
        "unusable profiles offered: {out}"
    );
    assert!(out.lines().any(|l| l == "alice\tIAM user"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("admin\trole") && l.ends_with("alice")),
        "{out}"
    );
    assert!(
        !names.iter().any(|n| n.contains("aws-config")),
        "no file names: {out}"
    );
}

#[test]
fn zsh_completes_profile_names() {
    let world = world_with_profiles();
    let file = script(&world, "zsh");
    let text = std::fs::read_to_string(&file).unwrap();
    let profile_options: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("'--profile="))
        .collect();
    // exec, export, credential-process, clear, doctor and login take --profile.
    assert!(
        profile_options.len() >= 6,
        "--profile in too few subcommands: {profile_options:?}"
    );
    for line in &profile_options {
        assert!(
            line.contains(":NAME:_awsmfa_profiles'")
                || line.contains(":NAME:_awsmfa_profiles all'"),
            "--profile does not complete profiles: {line}"
        );
    }
    // The function the script defines, with zsh's _describe standing in
    // for the completion system: it offers the names from the files.
    let out = shell(
        &world,
        "zsh",
        &format!(
            "compdef() {{ : }}; source '{}'; \
             _describe() {{ print -l -- ${{(P)${{argv[-1]}}}} }}; _awsmfa_profiles",
            file.display()
        ),
    );
    // name:kind, as _describe takes them.
    let names: Vec<String> = out
        .lines()
        .map(|l| l.split(':').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sorted(&names.join(" ")), ["admin", "alice", "prod-eu"]);
    assert!(out.lines().any(|l| l == "alice:IAM user"), "{out}");
}

#[test]
fn bash_completes_the_command_of_exec() {
    let world = world_with_profiles();
    let file = script(&world, "bash");
    let complete = |words: &str, current: usize| bash_complete(&world, &file, "", words, current);
    // Commands from PATH, after `--` or as the first word that is not an option.
    assert_eq!(
        sorted(&complete("awsmfa exec -- awsmfa-f", 3)),
        ["awsmfa-full"]
    );
    assert_eq!(
        sorted(&complete("awsmfa exec --profile admin -v awsmfa-f", 5)),
        ["awsmfa-full"]
    );
    // Options are still options, and an option's value is not a command.
    assert!(
        complete("awsmfa exec --pro", 2)
            .lines()
            .any(|l| l == "--profile")
    );
    assert_eq!(sorted(&complete("awsmfa exec --profile ad", 3)), ["admin"]);
    // The command's own words: its file names.
    std::fs::write(world.home().join("plan.tf"), "").unwrap();
    let home = world.home().display().to_string();
    assert_eq!(
        sorted(&complete(
            &format!("awsmfa exec -- terraform {home}/plan."),
            4
        )),
        [format!("{home}/plan.tf")]
    );
    // With bash-completion loaded, its function completes the command's
    // words, from the command's position.
    let offset = "_command_offset() { COMPREPLY=(\"offset:$1\"); };";
    for (words, current, at) in [
        ("awsmfa exec -v -- aws s3", 5, "offset:4"),
        ("awsmfa exec --region eu-west-1 aws s3", 5, "offset:4"),
        ("awsmfa exec -- aw", 3, "offset:3"),
    ] {
        assert_eq!(
            bash_complete(&world, &file, offset, words, current).trim(),
            at,
            "{words}"
        );
    }
}

/// The README's completion lines, as a fresh account runs them.
#[test]
fn the_readme_installs_completion_on_a_fresh_account() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("Shell completion (")
        .expect("the README's completion lines");
    let lines: Vec<&str> = readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with("    "))
        .take_while(|l| l.starts_with("    "))
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();

    let world = World::new();
    let steps = lines.join("\n");
    shell(&world, "sh", &format!("set -e\n{steps}"));
    // The file is where bash-completion loads it from, and the package is named.
    assert!(readme[start..].contains("bash-completion package"));
    let home = world.home();
    let bash = home.join(".local/share/bash-completion/completions/awsmfa");
    assert!(
        shell(
            &world,
            "bash",
            &format!("source '{}'; declare -F _awsmfa", bash.display())
        )
        .contains("_awsmfa")
    );
    // zsh finds it through fpath, as the README says.
    let zsh = shell(
        &world,
        "zsh",
        "fpath+=(~/.zfunc); autoload -U compinit; compinit -u -d ~/.zcompdump; print -r -- $_comps[awsmfa]",
    );
    assert_eq!(zsh.trim(), "_awsmfa");
    // fish loads it by itself.
    let fish = shell(&world, "fish", "complete -C 'awsmfa exec --prof'");
    assert!(fish.contains("--profile"), "{fish}");
}

/// A folder for PATH whose `awsmfa` writes each run's words to `runs.log`
/// and then runs the real one: what a completion file made awsmfa do.
fn logging_awsmfa(world: &World) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = world.home().join("logging-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let log = world.home().join("runs.log");
    executable(
        &dir.join("awsmfa"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{BIN}' \"$@\"\n",
            log.display()
        ),
    );
    // A command only PATH has, for `exec -- <TAB>`.
    executable(&dir.join("awsmfa-test-command"), "#!/bin/sh\nexit 0\n");
    (dir, log)
}

fn runs(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

const FORMATS: [&str; 6] = ["sh", "fish", "powershell", "cmd", "dotenv", "json"];

/// Loading a completion file runs nothing (fish 3.4+ runs a `$(…)` inside
/// double quotes as it loads the file), and `export --format <TAB>` offers
/// the formats, in each shell, with awsmfa on PATH as installed.
#[test]
fn loading_a_completion_file_runs_nothing_and_formats_complete() {
    let world = world_with_profiles();
    let (dir, log) = logging_awsmfa(&world);
    let path = format!("{}:{}", dir.display(), test_path());

    // fish: the file loads without an error, runs no awsmfa, offers formats.
    let file = script(&world, "fish");
    let mut command = world.program(
        "fish",
        &[
            "-c",
            &format!(
                "source '{}'; complete -C 'awsmfa export --format '",
                file.display()
            ),
        ],
    );
    command.env("PATH", &path);
    let run = world.run_command(command);
    run.ok();
    assert!(
        runs(&log).is_empty(),
        "loading ran awsmfa: {:?}",
        runs(&log)
    );
    assert!(run.stderr.trim().is_empty(), "fish said: {}", run.stderr);
    let offered: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert_eq!(
        sorted(&offered.join(" ")),
        sorted(&FORMATS.join(" ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| l == "sh\tbash, zsh, ksh, dash"),
        "{}",
        run.stdout
    );

    // bash: the same.
    let file = script(&world, "bash");
    let mut command = world.program(
        "bash",
        &[
            "-c",
            &format!(
                "source '{}'; COMP_WORDS=(awsmfa export --format ''); COMP_CWORD=3; \
                 _awsmfa awsmfa '' --format; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            ),
        ],
    );
    command.env("PATH", &path);
    let run = world.run_command(command);
    run.ok();
    assert!(runs(&log).is_empty(), "bash ran awsmfa: {:?}", runs(&log));
    assert_eq!(sorted(&run.stdout), sorted(&FORMATS.join(" ")));
}

/// zsh, interactive on a terminal with compinit, as a user has it: TAB after
/// `export --format ` lists the formats (no `number expected`), and after
/// `exec --` it completes a command from PATH.
#[test]
fn zsh_completes_formats_and_the_command_of_exec_at_a_terminal() {
    use rexpect::session::spawn_command;
    let world = world_with_profiles();
    let (dir, log) = logging_awsmfa(&world);
    let functions = world.home().join("zfunc");
    std::fs::create_dir_all(&functions).unwrap();
    let file = script(&world, "zsh");
    std::fs::rename(&file, functions.join("_awsmfa")).unwrap();

    let mut command = world.program("zsh", &["-f", "-i"]);
    command
        .env("PATH", format!("{}:{}", dir.display(), test_path()))
        .env("TERM", "xterm")
        .current_dir(world.home());
    let mut zsh = spawn_command(command, Some(20_000)).expect("zsh on a pty");
    zsh.send_line(&format!(
        "PS1='rea''dy> '; fpath=({} $fpath); autoload -Uz compinit; compinit -u -d ~/.zcompdump; echo LOAD''ED",
        functions.display()
    ))
    .unwrap();
    zsh.exp_string("LOADED").unwrap();
    zsh.exp_string("ready> ").unwrap();
    zsh.send("awsmfa export --format \t").unwrap();
    zsh.flush().unwrap();
    let listed = zsh.exp_string("dotenv").unwrap();
    zsh.send("\x15echo FORMATS-DONE\r").unwrap();
    zsh.flush().unwrap();
    let rest = zsh.exp_string("FORMATS-DONE").unwrap();
    zsh.exp_string("FORMATS-DONE").unwrap();
    let screen = format!("{listed}{rest}");
    assert!(!screen.contains("number expected"), "{screen}");
    for format in FORMATS {
        assert!(screen.contains(format), "{format} not offered: {screen}");
    }

    zsh.exp_string("ready> ").unwrap();
    zsh.send("awsmfa exec -- awsmfa-test-comm\t").unwrap();
    zsh.flush().unwrap();
    let completed = zsh.exp_string("awsmfa-test-command").unwrap();
    zsh.send("\x15exit\r").unwrap();
    zsh.flush().unwrap();
    let _ = zsh.exp_eof();
    assert!(!completed.contains("number expected"), "{completed}");
    // Completing `--format` and a command asked awsmfa for nothing.
    assert!(
        runs(&log).iter().all(|run| run.starts_with("list --names")),
        "{:?}",
        runs(&log)
    );
}
