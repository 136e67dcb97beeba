//! `--profile <TAB>` offers the profile names in the user's files, in a real
//! bash (sourcing the generated script), fish and zsh.

use crate::support::*;
use std::path::Path;

fn world_with_profiles() -> World {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n\
         [profile prod-eu]\nmfa_serial = m\n"
    ));
    world
}

/// The completion script for `shell`, written to a file.
fn script(world: &World, shell: &str) -> std::path::PathBuf {
    let run = world.run(&["completions", shell]);
    run.ok();
    let file = world.home().join(format!("awsmfa.{shell}"));
    std::fs::write(&file, &run.stdout).unwrap();
    file
}

/// `shell -c script` in the world, with awsmfa itself on PATH as installed.
fn shell(world: &World, shell: &str, script: &str) -> String {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut command = world.program(shell, &["-c", script]);
    command.env("PATH", format!("{}:{}", bin_dir.display(), test_path()));
    let run = world.run_command(command);
    run.ok();
    run.stdout
}

fn sorted(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    words.sort();
    words
}

#[test]
fn bash_completes_profile_names() {
    let world = world_with_profiles();
    let file = script(&world, "bash");
    let complete = |words: &str, current: usize| {
        shell(
            &world,
            "bash",
            &format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD={current}; \
                 _awsmfa awsmfa \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            ),
        )
    };
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
    let names: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert!(
        names.contains(&"alice") && names.contains(&"prod-eu"),
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
            line.contains(":NAME:_awsmfa_profiles'"),
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
    assert_eq!(sorted(&out), ["admin", "alice", "prod-eu"]);
}
