//! The man pages in man/ are generated: the synopsis, description and
//! options from the clap definitions, the environment from the settings'
//! table of variables, the rest (files, the cache, exit status, examples)
//! from the sections below. This test fails
//! when the committed pages are stale. Regenerate with:
//!     AWSMFA_UPDATE_MAN=1 cargo test --test it man::

use awsmfa::cli::Cli;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
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
spaces in it are ignored. At the terminal prompt a malformed or rejected code is asked for \
again, 3 tries in all, each failed one saying how many are left; an empty line asks again \
without spending one. A --token-code that is not six digits is a usage error, which never \
repeats the code. STS refuses a code it has accepted before, and so does awsmfa, without \
sending it; a code that mfa_process or ykman gives twice in one 30-second step is followed by \
the next step's. The MFA device need not be looked up: for a user profile with long-term keys \
and no mfa_serial, awsmfa asks IAM for the user's own devices (ListMFADevices, signed with the \
long-term key, allowed without MFA) before any code is asked for; on a terminal it offers to \
write the one device (or the one chosen of several) into the config file as mfa_serial, \
elsewhere the error's hint is the exact line. A code STS refuses while mfa_serial is not one \
of the user's devices is said to be so, naming theirs. A cache hit never calls IAM.";

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
    (
        "2",
        "A usage error: an unknown option, a malformed value (--token-code not six digits, a \
         --duration outside what STS allows: 15m to 36h, 12h for a role, 1h for a role whose \
         source is a role), said in the words typed.",
    ),
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

/// What a page says beyond its command's long help: paragraphs added to
/// its DESCRIPTION (from the README, which says the same).
const DESCRIPTIONS: &[(&str, &[&str])] = &[
    (
        "awsmfa-exec",
        &[
            "Every word before \"--\", or before the command's first word, that starts with \
             \"-\" is an option of awsmfa; an unknown one is a usage error (exit status 2). From \
             the command's first word on, every word is the command's. The command is found on \
             PATH before any code is asked for, so a typo costs no MFA code.",
            "A --profile given to the command itself (aws --profile x, or profile = \"x\" in a \
             terraform provider block) makes its SDK read that profile from the files instead \
             of the session in its environment: leave the profile to awsmfa.",
        ],
    ),
    (
        "awsmfa-list",
        &[
            "One line per profile in the AWS files, in the columns below. A profile that \
             cannot be used (no long-term keys, a FIDO security key as mfa_serial, a \
             source_profile that is not there, another kind of credentials) says why in its \
             line, in place of its kind; awsmfa doctor --profile NAME says what to do. The exit \
             status is 1 when no profile can be used. --json prints an array of objects: \
             profile and usable, then kind (user or role), sources, role_arn, mfa_serial, keys \
             and seconds_left, or why. No secret is shown, and the keystore is not opened.",
            "Where the locale is not UTF-8 (the first of LC_ALL, LC_CTYPE and LANG that is \
             set), awsmfa prints its symbols in ASCII, here and in status, doctor, -v and its \
             messages: <- for a chain's arrows, -> before a hint, ... for an ellipsis.",
        ],
    ),
    (
        "awsmfa-status",
        &[
            "One line per cached session, in the columns below; --json prints the same as an \
             array of objects, with the expiry in RFC 3339 UTC. No secret is shown.",
        ],
    ),
    (
        "awsmfa-clear",
        &[
            "Without --profile, every cached session is removed. With --profile, only the \
             entries a run of that profile would use: a user profile's MFA session, or a role \
             profile's role credentials (the MFA session of the user under the role stays). It \
             says what it removed, one line for each session, and with -v also its file.",
            "The record of used codes is kept: a code STS has already accepted is still refused \
             without being sent.",
        ],
    ),
    (
        "awsmfa-doctor",
        &[
            "It judges the profile a run would use (--profile, else AWS_PROFILE, \
             AWS_DEFAULT_PROFILE, AWSMFA_PROFILE, default). Each line is ok, warn or fail, the \
             check, what it found, and after an arrow what to do. Paths in the home folder are \
             shown with ~, so the output can go into a bug report as it is.",
            "Colour is used only when the output is a terminal, and never with NO_COLOR set. \
             --json prints an array with one object per check: name, status (ok, warn or fail), \
             detail, and hint (null when there is nothing to do).",
        ],
    ),
];

/// A section of a page's own, after OPTIONS: paragraphs, then a `.TP` list.
struct Extra {
    page: &'static str,
    heading: &'static str,
    text: &'static [&'static str],
    items: &'static [Item],
}

const EXTRAS: &[Extra] = &[
    Extra {
        page: "awsmfa-exec",
        heading: "THE COMMAND'S ENVIRONMENT",
        text: &[
            "The command gets this environment, minus every credential variable \
             (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN, \
             AWS_CREDENTIAL_EXPIRATION, AWS_SESSION_EXPIRATION, AWS_PROFILE, \
             AWS_DEFAULT_PROFILE, the AWS_CONTAINER_* credential variables, AWSMFA_TOKEN_CODE), \
             plus the variables below. The long-term keys never reach it; everything else \
             passes through unchanged, and awsmfa exec inside another awsmfa exec works.",
        ],
        items: &[
            (
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
                "The temporary credentials (not with --server).",
            ),
            (
                "AWS_SECURITY_TOKEN",
                "The same token, for older tools (not with --server).",
            ),
            (
                "AWS_CREDENTIAL_EXPIRATION",
                "The expiry, RFC 3339 UTC, e.g. 2026-11-23T19:00:00Z.",
            ),
            (
                "AWS_REGION, AWS_DEFAULT_REGION",
                "The region, where --region, the environment or the profile names one.",
            ),
            (
                "AWSMFA_PROFILE",
                "The profile, so that a nested run keeps it.",
            ),
        ],
    },
    Extra {
        page: "awsmfa-exec",
        heading: "ROLE PROFILES",
        text: &[
            "A profile with role_arn and source_profile gets (or reuses) the MFA session of the \
             IAM user at the end of its source_profile chain, then calls AssumeRole signed with \
             it: one code serves every role of that user for as long as the user's session \
             lasts. STS limits a role assumed with temporary credentials to one hour, so a role \
             session lasts 1h by default. Asking for more (--duration, or the role's \
             duration_seconds; up to 12h, the role's maximum) assumes the role directly with \
             the long-term keys and a new code; a role whose source is itself a role cannot, \
             so more than an hour is an error there. A cycle of source_profiles is reported \
             with the profiles it goes through.",
        ],
        items: &[],
    },
    Extra {
        page: "awsmfa-exec",
        heading: "LONG RUNS",
        text: &[
            "Plain exec hands the command credentials that stop working when they expire: \
             after at most an hour for a role, or when the MFA session ends. With --server, \
             awsmfa starts the command as its child and serves it credentials on a loopback \
             endpoint that the AWS CLI and every current SDK read (the container credentials \
             provider): the command gets AWS_CONTAINER_CREDENTIALS_FULL_URI \
             (http://127.0.0.1:PORT/awsmfa/credentials) and AWS_CONTAINER_AUTHORIZATION_TOKEN \
             instead of the keys. If the default profile in the files holds keys, a role, SSO \
             settings or a credential_process (which the SDKs read before the endpoint), the \
             command gets private copies of the files without them, and AWSMFA_CONFIG_FILE and \
             AWSMFA_SHARED_CREDENTIALS_FILE naming the originals. In the copies, every other \
             profile awsmfa can serve gets credential_process = awsmfa credential-process \
             --profile NAME instead of its keys and role settings, so a profile the command \
             picks by name (AWS_PROFILE=admin, terraform's provider profile) works, through \
             awsmfa.",
            "Before the credentials run low (less than --min-ttl left, or half their life for \
             short ones) awsmfa gets new ones: from the cache, or for a role by assuming it \
             again on the cached MFA session, with no code. When the MFA session itself runs \
             low it asks for the next code ahead of time, from mfa_process or at the terminal, \
             while the endpoint keeps serving the credentials that are still valid; with no \
             way to ask it prints one line saying when the credentials will stop.",
            "The endpoint listens on 127.0.0.1 only and answers only requests that carry the \
             run's random token, with a Host of 127.0.0.1, localhost or [::1] and its own \
             port. The exit status is the command's; a command killed by a signal makes \
             awsmfa end by the same signal; SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and \
             SIGUSR2 sent to awsmfa alone are passed on once. Containers the command starts \
             cannot reach the endpoint.",
        ],
        items: &[],
    },
    Extra {
        page: "awsmfa-status",
        heading: "COLUMNS",
        text: &[],
        items: &[
            ("PROFILE", "The profile the session was got for."),
            (
                "KIND",
                "MFA session: a user's session (GetSessionToken); role session: a role's \
                 credentials (AssumeRole). -v, doctor and clear use the same words.",
            ),
            (
                "LENGTH",
                "The length asked for, which tells apart two sessions of one profile.",
            ),
            (
                "EXPIRES",
                "When it expires, in the local time zone (TZ), to the minute: 2026-11-23 20:00 \
                 CET.",
            ),
            ("LEFT", "The time left, as in list."),
            (
                "USABLE",
                "Whether a run would reuse it, by the rule every command applies: at least the \
                 minimum time to live left (--min-ttl, AWSMFA_MIN_TTL, 15m), but never more \
                 than half the session's length (so a 15m session is reused for 7.5m).",
            ),
            ("ROLE", "The role's ARN, for role credentials."),
        ],
    },
    Extra {
        page: "awsmfa-list",
        heading: "COLUMNS",
        text: &[],
        items: &[
            ("PROFILE", "The profile's name."),
            (
                "KIND",
                "IAM user, or for a role profile role <- SOURCE <- ... <- USER: the \
                 source_profile chain down to the IAM user whose MFA session the role is \
                 assumed on (drawn so in doctor and -v too). For a profile that cannot be used: \
                 not usable, and why.",
            ),
            ("MFA DEVICE", "The mfa_serial a run uses."),
            (
                "KEYS",
                "Where the user's long-term keys live: file (the AWS files) or keystore.",
            ),
            (
                "LEFT",
                "The time left on the cached session a run of the profile would reuse, as in \
                 status; - when it would get a new one.",
            ),
        ],
    },
    Extra {
        page: "awsmfa-doctor",
        heading: "CHECKS",
        text: &[
            "It asks for no code, makes no signed call to STS and prints no secret. A check \
             that cannot run because another failed is left out; the others still run.",
        ],
        items: &[
            (
                "config file, credentials file",
                "Found, readable and parsed; a credentials file that group or others can read \
                 is a warn.",
            ),
            (
                "AWS files",
                "A temporary file .awsmfa-XXXXXX beside them, left by a run killed while it \
                 changed a file (it may hold keys), is a warn naming it; the next add, remove or \
                 rotate removes those over a minute old.",
            ),
            (
                "profile",
                "It resolves: an IAM user, or a role chain down to one; otherwise the error a \
                 run would give.",
            ),
            (
                "MFA device",
                "mfa_serial is an MFA device ARN (or a hardware token's serial); a FIDO \
                 security key (u2f/) is a fail, since security keys cannot serve API calls.",
            ),
            (
                "access key",
                "The user's key id is a long-term one (AKIA...), not a temporary ASIA... one.",
            ),
            (
                "environment",
                "Credential variables left in this shell, or an AWS_PROFILE naming a profile \
                 that is not there.",
            ),
            (
                "mfa_process",
                "Its program is on PATH (it is not run: that would spend a code).",
            ),
            (
                "network",
                "How STS is reached: directly or through which proxy (HTTPS_PROXY, HTTP_PROXY, \
                 ALL_PROXY, NO_PROXY), and trusting the system's CA certificates or a CA \
                 bundle (AWS_CA_BUNDLE, the profile's ca_bundle).",
            ),
            (
                "STS",
                "Reachable at the endpoint a run would use (an unsigned request, 5 s at most), \
                 answering as STS does, how long it took, and this machine's clock against \
                 STS's Date: over 1 minute off is a warn, over 5 minutes a fail (SigV4 refuses \
                 such signatures).",
            ),
            (
                "cache, session",
                "The folder's owner and mode; usable, expired and unusable entries, stale \
                 temporary files and locks; the profile's cached MFA session or role session, \
                 until when (local time) and its time left.",
            ),
        ],
    },
];

fn items(roff: &mut Roff, heading: &str, items: &[Item]) {
    roff.control("SH", [heading]);
    for (term, text) in items {
        roff.control("TP", []);
        roff.text([bold(*term)]);
        roff.text([roman(*text)]);
    }
}

/// SYNOPSIS: the command, then every option with its value
/// (`[--profile NAME]`), then the positional arguments.
fn synopsis(cmd: &clap::Command, name: &str) -> Roff {
    let mut roff = Roff::default();
    roff.control("SH", ["SYNOPSIS"]);
    if name == "awsmfa" {
        roff.text([
            bold("awsmfa"),
            roman(" "),
            italic("COMMAND"),
            roman(" [options] [arguments]"),
        ]);
        roff.control("br", []);
        roff.text([
            bold("awsmfa"),
            roman(" "),
            bold("-h"),
            roman("|"),
            bold("--help"),
            roman("|"),
            bold("-V"),
            roman("|"),
            bold("--version"),
        ]);
        return roff;
    }
    // `awsmfa-credential-process` is run as `awsmfa credential-process`.
    let mut line: Vec<Inline> = vec![bold(name.replacen('-', " ", 1))];
    let mut options: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    // In the help's order (a `mut_arg` moves an option to the end).
    options.sort_by_key(|a| a.get_display_order());
    for arg in options {
        line.push(roman(" ["));
        match (arg.get_short(), arg.get_long()) {
            (Some(short), Some(long)) => {
                line.push(bold(format!("-{short}")));
                line.push(roman("|"));
                line.push(bold(format!("--{long}")));
            }
            (Some(short), None) => line.push(bold(format!("-{short}"))),
            (None, Some(long)) => line.push(bold(format!("--{long}"))),
            (None, None) => {}
        }
        if arg.get_action().takes_values() {
            let value = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
            line.push(roman(" "));
            line.push(italic(value));
        }
        line.push(roman("]"));
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
        if arg.is_required_set() {
            line.push(roman(" "));
            line.push(italic(value));
        } else if arg.is_trailing_var_arg_set() {
            line.push(roman(" [--] ["));
            line.push(italic(value));
            line.push(roman(" ["));
            line.push(italic("ARGS"));
            line.push(roman("...]]"));
        } else {
            line.push(roman(" ["));
            line.push(italic(value));
            line.push(roman("]"));
        }
    }
    roff.text(line);
    roff
}

/// One page: clap's sections, then ours.
fn page(cmd: &clap::Command, name: &str) -> String {
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    synopsis(cmd, name).to_writer(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    if let Some((_, paragraphs)) = DESCRIPTIONS.iter().find(|(page, _)| *page == name) {
        let mut roff = Roff::default();
        for paragraph in *paragraphs {
            roff.control("PP", []);
            roff.text([roman(*paragraph)]);
        }
        roff.to_writer(&mut out).unwrap();
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).unwrap();
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).unwrap();
    }
    let mut roff = Roff::default();
    for extra in EXTRAS.iter().filter(|extra| extra.page == name) {
        roff.control("SH", [extra.heading]);
        for (i, paragraph) in extra.text.iter().enumerate() {
            if i > 0 {
                roff.control("PP", []);
            }
            roff.text([roman(*paragraph)]);
        }
        for (term, text) in extra.items {
            roff.control("TP", []);
            roff.text([bold(*term)]);
            roff.text([roman(*text)]);
        }
    }
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

/// `-h, --help` without clap's "(see a summary with '-h')", which means
/// nothing in a manual.
fn plain_help(cmd: clap::Command) -> clap::Command {
    cmd.mut_arg("help", |arg| arg.help("Print help").long_help(None::<&str>))
}

/// Every page, by file name.
fn pages() -> Vec<(String, String)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![(
        "awsmfa.1".to_owned(),
        page(&plain_help(cmd.clone()), "awsmfa"),
    )];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("awsmfa-{}", sub.get_name());
        let sub = plain_help(sub.clone()).display_name(&name);
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
            "THE COMMAND'S ENVIRONMENT",
            "ROLE PROFILES",
            "LONG RUNS",
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

/// A page as text: roff's escapes and font changes taken out.
fn plain(page: &str) -> String {
    page.replace("\\-", "-")
        .replace("\\_", "_")
        .replace("\\*(Aq", "'")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
}

/// The text of a page's section, up to the next heading.
fn section(page: &str, heading: &str) -> String {
    let start = page
        .lines()
        .position(|l| {
            l.trim_start_matches(".SH ").trim_matches('"') == heading && l.starts_with(".SH")
        })
        .unwrap_or_else(|| panic!("no section {heading}"));
    page.lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with(".SH"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_synopsis_shows_option_values() {
    for (page, needles) in [
        (
            "awsmfa-exec.1",
            &[
                "[--profile NAME]",
                "[--region REGION]",
                "[--duration DURATION]",
                "[--token-code CODE]",
                "[-v|--verbose]",
                "[--server]",
                "[--] [COMMAND [ARGS...]]",
            ][..],
        ),
        (
            "awsmfa-export.1",
            &["[--format FORMAT]", "[--profile NAME]"],
        ),
        ("awsmfa-add.1", &["[--mfa-serial ARN]"]),
        ("awsmfa-completions.1", &[" SHELL"]),
        ("awsmfa.1", &["awsmfa COMMAND"]),
    ] {
        let synopsis = plain(&section(&committed(page), "SYNOPSIS"));
        for needle in needles {
            assert!(synopsis.contains(needle), "{page}: {needle} in {synopsis}");
        }
    }
}

#[test]
fn the_pages_have_no_clap_artefacts() {
    for (name, page) in pages() {
        for artefact in ["see a summary", "see more with", "[OPTIONS]"] {
            assert!(!page.contains(artefact), "{name}: {artefact}");
        }
    }
}

#[test]
fn the_pages_say_what_the_readme_says() {
    let readme = include_str!("../../README.md");
    // README's paragraph between `from` and `to`.
    let part = |from: &str, to: &str| -> String {
        let start = readme
            .find(from)
            .unwrap_or_else(|| panic!("README: {from}"));
        let rest = &readme[start..];
        rest[..rest.find(to).unwrap_or(rest.len())].to_owned()
    };
    // The names in backquotes of the README's part.
    let quoted = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };

    // exec: every variable the command gets or loses, --server's, role profiles.
    let exec = plain(&committed("awsmfa-exec.1"));
    let gets = part("### What the command gets", "### A code without");
    for name in quoted(&gets).iter().filter(|n| n.starts_with("AWS")) {
        let name = name.trim_end_matches('*');
        assert!(exec.contains(name), "awsmfa-exec.1 says nothing of {name}");
    }
    for needle in [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWSMFA_CONFIG_FILE",
        "127.0.0.1",
        "source_profile",
        "role_arn",
        "up to 12h",
    ] {
        assert!(
            exec.contains(needle),
            "awsmfa-exec.1 says nothing of {needle}"
        );
    }

    // doctor: each check of the README's table.
    let doctor = plain(&section(&committed("awsmfa-doctor.1"), "CHECKS"));
    let table = part("The checks:", "Colour is used");
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split('|').nth(1).unwrap_or_default();
        for check in quoted(first) {
            assert!(
                doctor.contains(&check),
                "awsmfa-doctor.1 lacks the check {check}"
            );
        }
    }

    // clear: what it removes, and what it keeps.
    let clear = plain(&committed("awsmfa-clear.1"));
    for needle in [
        "every cached session",
        "role credentials",
        "MFA session",
        "record of used codes is kept",
    ] {
        assert!(clear.contains(needle), "awsmfa-clear.1: {needle}");
    }

    // status: the reuse rule.
    let status = plain(&committed("awsmfa-status.1"));
    for needle in ["--min-ttl", "half the session's length"] {
        assert!(status.contains(needle), "awsmfa-status.1: {needle}");
    }
}

#[test]
fn status_and_doctor_pages_name_what_the_commands_print() {
    let world = crate::support::world_with_admin();
    world.write_credentials(&crate::support::alice_credentials());
    let code = crate::support::code();
    world
        .run(&[
            "exec",
            "--profile",
            "admin",
            "--token-code",
            &code,
            "--",
            "true",
        ])
        .ok();

    let status = world.run(&["status"]);
    status.ok();
    let header = status.stdout.lines().next().unwrap_or_default().to_owned();
    let columns = plain(&section(&committed("awsmfa-status.1"), "COLUMNS"));
    for column in header.split_whitespace() {
        assert!(
            columns.contains(column),
            "awsmfa-status.1 lacks the column {column}"
        );
    }

    let list = world.run(&["list"]);
    list.ok();
    let header = list.stdout.lines().next().unwrap_or_default().to_owned();
    let columns = plain(&section(&committed("awsmfa-list.1"), "COLUMNS"));
    for column in header.split_whitespace() {
        assert!(
            columns.contains(column),
            "awsmfa-list.1 lacks the column {column}"
        );
    }

    let doctor = world.run(&["doctor", "--profile", "admin", "--json"]);
    let checks: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap_or_default();
    let checks = checks.as_array().cloned().unwrap_or_default();
    assert!(checks.len() > 5, "doctor --json: {}", doctor.stdout);
    let page = plain(&section(&committed("awsmfa-doctor.1"), "CHECKS"));
    for check in &checks {
        let name = check["name"].as_str().unwrap_or_default();
        assert!(
            page.contains(name),
            "awsmfa-doctor.1 lacks the check {name}"
        );
    }
}

#[test]
fn man_finds_the_pages_installed_as_the_readme_says() {
    let readme = include_str!("../../README.md");
    let install = &readme[readme.find("The manual pages are in `man/`").unwrap_or(0)..];
    // The indented block: its commands, then `man awsmfa`.
    let block: Vec<&str> = install
        .lines()
        .skip_while(|l| !l.starts_with("    "))
        .take_while(|l| l.starts_with("    "))
        .map(str::trim)
        .collect();
    assert_eq!(block.last(), Some(&"man awsmfa"), "{block:?}");
    let home = tempfile::tempdir().unwrap();
    // A fresh cargo user: ~/.cargo/bin on PATH, no MANPATH.
    let path = format!("{}/.cargo/bin:/usr/bin:/bin", home.path().display());
    let sh = |script: &str| {
        std::process::Command::new("sh")
            .args(["-c", script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    std::fs::create_dir_all(home.path().join(".cargo/bin")).unwrap();
    let steps = block[..block.len() - 1].join("\n");
    let run = sh(&steps);
    assert!(
        run.status.success(),
        "{steps}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    for page in ["awsmfa", "awsmfa-exec"] {
        let found = sh(&format!("man -w {page}"));
        let found_at = String::from_utf8_lossy(&found.stdout);
        assert!(
            found.status.success() && found_at.starts_with(&*home.path().to_string_lossy()),
            "man -w {page}: {found_at} {}",
            String::from_utf8_lossy(&found.stderr)
        );
    }
}
