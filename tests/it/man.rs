//! The man pages in man/ are generated: the synopsis, description and
//! options from the clap definitions, the environment from the settings'
//! table of variables, the rest (files, the cache, exit status, examples)
//! from the sections below. This test fails
//! when the committed pages are stale. Regenerate with:
//!     AWSMFA_UPDATE_MAN=1 cargo test --test it man::

use awsmfa::cli::Cli;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};
use std::path::Path;

/// A term and what it means, for a `.TP` list.
type Item = (&'static str, &'static str);

const FILES: &[Item] = &[
    (
        "~/.aws/config",
        "Profiles: [default] and [profile NAME] with mfa_serial, region, duration_seconds, \
         role_arn, source_profile, external_id, role_session_name, mfa_process and mfa_prompt.",
    ),
    (
        "~/.aws/credentials",
        "Long-term keys: [NAME] with aws_access_key_id and aws_secret_access_key. For a key \
         set in both files, this one wins. A user profile with no keys in either file takes \
         them from the OS keystore (awsmfa-add(1)).",
    ),
    (
        "~/.cache/awsmfa (Linux), ~/Library/Caches/awsmfa (macOS)",
        "The session cache, unless AWSMFA_CACHE_DIR is set: a folder of mode 0700 with one \
         JSON file of mode 0600 per session, named by a hash of what makes the session \
         different (never a secret). Writes are atomic; an entry that is damaged, of another \
         version, not yours or readable by others is ignored with a warning and replaced. \
         Parallel runs that need the same session wait on a lock and share one code.",
    ),
];

const MFA: &str = "The MFA code comes from --token-code, else AWSMFA_TOKEN_CODE, else the \
profile's mfa_process (a command whose standard output is the code, such as \
\"ykman oath accounts code --single NAME\"), else a prompt on the terminal (/dev/tty, never \
standard input). Where there is no terminal, the profile's mfa_prompt (or AWSMFA_PROMPT) \
asks in a dialog (zenity, kdialog, osascript, wincredui) or reads a YubiKey (ykman); with \
neither, a desktop session with zenity or kdialog asks in that dialog. A code is six digits; \
spaces in it are ignored. STS refuses a code it has accepted before, and so does awsmfa, \
without sending it.";

const EXIT_STATUS: &[Item] = &[
    (
        "exec",
        "The command's own status; with --server, a command killed by a signal makes awsmfa \
         end by the same signal.",
    ),
    (
        "125",
        "exec: awsmfa failed (configuration, MFA, STS, cache).",
    ),
    ("126", "exec: the command was found but cannot be run."),
    ("127", "exec: the command was not found."),
    ("0, 1", "The other commands: success, failure."),
    ("2", "A usage error: an unknown option, a malformed value."),
];

const EXAMPLES: &[(&str, &[Item])] = &[
    (
        "awsmfa",
        &[
            (
                "awsmfa exec -- aws s3 ls",
                "Run the AWS CLI with an MFA session of the default profile.",
            ),
            (
                "awsmfa exec --profile admin -- terraform plan",
                "Assume a role on the MFA session.",
            ),
            (
                "awsmfa exec --server --profile admin -- terraform apply",
                "A long run whose credentials are refreshed before they expire.",
            ),
            (
                "eval \"$(awsmfa export)\"",
                "Put the session in this shell.",
            ),
            (
                "awsmfa login --profile admin",
                "Open the AWS console as the role.",
            ),
            ("awsmfa list", "The profiles awsmfa can use."),
        ],
    ),
    (
        "awsmfa-exec",
        &[
            (
                "awsmfa exec -- aws sts get-caller-identity",
                "Who the session is.",
            ),
            (
                "AWS_PROFILE=ci awsmfa exec --token-code 123456 -- ./deploy.sh",
                "A code given on the command line, for a script.",
            ),
            (
                "awsmfa exec --server --profile admin -- terraform apply",
                "Serve credentials to a long run and refresh them.",
            ),
        ],
    ),
    (
        "awsmfa-export",
        &[
            ("eval \"$(awsmfa export)\"", "sh, bash, zsh."),
            ("awsmfa export --format fish | source", "fish."),
            ("awsmfa export --format dotenv > .env", "A dotenv file."),
        ],
    ),
    (
        "awsmfa-login",
        &[
            (
                "awsmfa login --profile admin",
                "Open the console in the browser.",
            ),
            (
                "awsmfa login --profile admin --stdout",
                "Print the sign-in URL (a secret).",
            ),
        ],
    ),
    (
        "awsmfa-completions",
        &[(
            "awsmfa completions bash > ~/.local/share/bash-completion/completions/awsmfa",
            "Install bash completion; --profile completes the profile names in your files.",
        )],
    ),
];

fn items(roff: &mut Roff, heading: &str, items: &[Item]) {
    roff.control("SH", [heading]);
    for (term, text) in items {
        roff.control("TP", []);
        roff.text([bold(*term)]);
        roff.text([roman(*text)]);
    }
}

/// One page: clap's sections, then ours.
fn page(cmd: &clap::Command, name: &str) -> String {
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).unwrap();
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).unwrap();
    }
    let mut roff = Roff::default();
    if name == "awsmfa" {
        // From the settings' table: every variable awsmfa reads.
        let environment: Vec<Item> = awsmfa::settings::VARS
            .iter()
            .map(|var| (var.name, var.about))
            .collect();
        items(&mut roff, "ENVIRONMENT", &environment);
        items(&mut roff, "FILES", FILES);
        roff.control("SH", ["MFA CODES"]);
        roff.text([roman(MFA)]);
        items(&mut roff, "EXIT STATUS", EXIT_STATUS);
    } else {
        roff.control("SH", ["ENVIRONMENT, FILES, EXIT STATUS"]);
        roff.text([
            roman("As for every command: see "),
            bold("awsmfa"),
            roman("(1)."),
        ]);
    }
    if let Some((_, examples)) = EXAMPLES.iter().find(|(page, _)| *page == name) {
        items(&mut roff, "EXAMPLES", examples);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see: Vec<String> = if name == "awsmfa" {
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("awsmfa-{}(1)", s.get_name()))
            .collect()
    } else {
        vec!["awsmfa(1)".to_owned()]
    };
    see.push("aws(1)".to_owned());
    roff.text([italic(see.join(", "))]);
    roff.to_writer(&mut out).unwrap();
    if name == "awsmfa" {
        man.render_version_section(&mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// Every page, by file name.
fn pages() -> Vec<(String, String)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![("awsmfa.1".to_owned(), page(&cmd, "awsmfa"))];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("awsmfa-{}", sub.get_name());
        let sub = sub.clone().display_name(&name);
        pages.push((format!("{name}.1"), page(&sub, &name)));
    }
    pages
}

#[test]
fn man_pages_match_the_command_line() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let update = std::env::var_os("AWSMFA_UPDATE_MAN").is_some();
    let pages = pages();
    let mut stale = Vec::new();
    for (name, fresh) in &pages {
        let path = committed.join(name);
        if update {
            std::fs::create_dir_all(&committed).unwrap();
            std::fs::write(&path, fresh).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(name.clone());
        }
    }
    let extra: Vec<_> = std::fs::read_dir(&committed)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !pages.iter().any(|(p, _)| p == n))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        stale.is_empty() && (update || extra.is_empty()),
        "man pages out of date: {stale:?}, left over: {extra:?}; run AWSMFA_UPDATE_MAN=1 cargo test --test it man::"
    );
}

/// A committed page, as a reader of the manual gets it.
fn committed(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The section headings of a page, in order.
fn sections(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|line| line.strip_prefix(".SH "))
        .map(|heading| heading.trim_matches('"').to_owned())
        .collect()
}

#[test]
fn the_manual_has_the_sections_of_a_manual() {
    let main = committed("awsmfa.1");
    assert_eq!(
        sections(&main),
        [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "SUBCOMMANDS",
            "ENVIRONMENT",
            "FILES",
            "MFA CODES",
            "EXIT STATUS",
            "EXAMPLES",
            "SEE ALSO",
            "VERSION",
        ]
    );
    for needle in ["mfa_process", "125", "awsmfa\\-exec(1)"] {
        assert!(main.contains(needle), "awsmfa.1 says nothing of {needle}");
    }
    // Every variable awsmfa reads, under ENVIRONMENT, and in the long help.
    let environment = &main[main.find(".SH ENVIRONMENT").unwrap()..main.find(".SH FILES").unwrap()];
    let help = std::process::Command::new(crate::support::BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for var in awsmfa::settings::VARS {
        let roff_name = var.name.replace('_', "\\_");
        assert!(
            environment.contains(var.name) || environment.contains(&roff_name),
            "ENVIRONMENT of awsmfa.1 says nothing of {}",
            var.name
        );
        assert!(
            help.contains(var.name),
            "--help says nothing of {}",
            var.name
        );
    }
    let exec = committed("awsmfa-exec.1");
    assert_eq!(
        sections(&exec),
        [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "ENVIRONMENT, FILES, EXIT STATUS",
            "EXAMPLES",
            "SEE ALSO",
        ]
    );
    assert!(exec.contains("\\-\\-server"));
    // Every subcommand has its page, each naming the main one.
    let cmd = Cli::command();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = committed(&format!("awsmfa-{}.1", sub.get_name()));
        assert!(page.contains("awsmfa(1)"), "awsmfa-{}.1", sub.get_name());
    }
}

/// `awsmfa SUB --help` in a terminal `columns` wide (told by COLUMNS, as
/// when stdout is not the terminal).
fn help_in(columns: usize, sub: &str) -> String {
    let out = std::process::Command::new(crate::support::BIN)
        .args([sub, "--help"])
        .env("COLUMNS", columns.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{sub} --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_wraps_to_the_terminal() {
    for sub in ["exec", "export", "login", "doctor"] {
        let help = help_in(60, sub);
        let long: Vec<&str> = help.lines().filter(|l| l.chars().count() > 60).collect();
        assert!(long.is_empty(), "{sub} --help, 60 columns: {long:?}");
    }
    // A wider terminal gets longer lines, up to clap's 100.
    let wide = help_in(200, "exec");
    assert!(
        wide.lines().any(|l| l.chars().count() > 80),
        "exec --help, 200 columns:\n{wide}"
    );
}
