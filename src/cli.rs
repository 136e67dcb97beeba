//! The command line: the one place a flag is named.

use crate::secret::Secret;
use crate::settings::{Flags, Span, parse_duration, parse_role_duration, parse_seconds};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;

const AFTER_HELP: &str = "\
Examples:
  awsmfa exec -- aws s3 ls
  awsmfa exec --profile prod -- terraform plan
  AWS_PROFILE=ci AWSMFA_TOKEN_CODE=123456 awsmfa exec -- ./deploy.sh

Exit status: exec exits with the command's status, or 125 when awsmfa fails \
(configuration, MFA, STS, cache), 126 when the command cannot be run, 127 when it \
is not found. The other commands exit 0 on success and 1 on failure. Usage errors: 2.

Files: ~/.aws/config and ~/.aws/credentials (keys: mfa_serial, region, \
duration_seconds, role_arn, source_profile, external_id, role_session_name, \
mfa_process, mfa_prompt, ca_bundle); the session cache in $AWSMFA_CACHE_DIR, else the platform cache \
folder + awsmfa (~/.cache/awsmfa on Linux).";

/// The long help's closing text, with the variables of the settings' table.
fn after_help() -> String {
    let names: Vec<&str> = crate::settings::VARS.iter().map(|var| var.name).collect();
    format!(
        "{AFTER_HELP}\n\nEnvironment: {}. See man awsmfa.",
        names.join(", ")
    )
}

/// The examples closing `exec --help`.
const EXEC_EXAMPLES: &str = "\
Examples:
  awsmfa exec -- aws s3 ls
  awsmfa exec -- aws --region us-east-1 sts get-caller-identity
  AWS_PROFILE=ci AWSMFA_TOKEN_CODE=123456 awsmfa exec -- ./deploy.sh
  # a role, on the MFA session:
  awsmfa exec --profile admin -- terraform plan
  # a run that outlasts its credentials:
  awsmfa exec --server --profile admin -- terraform apply
  # a shell with the session:
  awsmfa exec --profile admin";

// What an option of `SessionArgs` does in each command that flattens it
// (the struct's own doc comments are `exec`'s).

/// `--duration` where the session is what the command gets.
const DURATION_HELP: &str = "Session length: seconds, or 15m, 1h, 12h. An IAM user: 15m-36h \
[default: $AWSMFA_DURATION, duration_seconds, 12h]. A role: 15m-1h on the user's MFA session, \
more (up to 12h, the role's maximum) assumed directly with a new code, not for a role whose \
source is a role [default: $AWSMFA_DURATION, the role's duration_seconds, 1h]";

const EXPORT_REGION: &str = "AWS region for STS, printed as AWS_REGION and AWS_DEFAULT_REGION \
[default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]";

const CREDENTIAL_PROCESS_REGION: &str =
    "AWS region for STS [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]";

const LOGIN_REGION: &str = "AWS region for STS; its partition picks the sign-in endpoint \
[default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]";

const LOGIN_DURATION: &str = "The role session's length: seconds, or 15m, 1h, 12h. Up to 1h the \
role is assumed on the user's MFA session and the console session lasts 1h; more (up to 12h, \
the role's maximum) assumes it directly with a new code, and the console session lasts as long \
[default: $AWSMFA_DURATION, the role's duration_seconds, 1h]";

const LOGIN_REFRESH: &str = "Get new role credentials (on the user's cached MFA session) even when cached ones are still good";

const ROTATE_REGION: &str = "AWS region for STS; its partition picks IAM's endpoint \
[default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]";

const ROTATE_DURATION: &str = "Length of the MFA session rotate works on, when it needs a new \
one: seconds, or 15m, 1h, 12h; 15m-36h; for a user profile only (a role profile's user keeps its \
own) [default: $AWSMFA_DURATION, duration_seconds, 12h]";

const ROTATE_PROFILE: &str = "The profile whose IAM user's key to replace (a role profile: the \
user it stands on) [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]";

/// Sets an argument's help, for `mut_arg`.
fn help(text: &'static str) -> impl FnOnce(clap::Arg) -> clap::Arg {
    move |arg| arg.help(text)
}

#[derive(Parser)]
#[command(
    name = "awsmfa",
    version,
    about = "Run commands with an MFA-backed AWS session",
    long_about = "Gets an MFA session for an AWS IAM-user (or role) profile, or reuses a cached \
one, and runs a command with the temporary credentials in that command's environment only.",
    after_long_help = after_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run COMMAND with temporary AWS credentials in its environment
    #[command(
        override_usage = "awsmfa exec [OPTIONS] [--] [COMMAND [ARGS]...]",
        long_about = "Gets an MFA session (or reuses a cached one), then replaces itself with \
COMMAND, whose environment carries AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. \
With no COMMAND it starts $SHELL. Exit status: the command's own, or 125 when awsmfa fails, \
126 when the command cannot be run, 127 when it is not found.",
        after_help = EXEC_EXAMPLES,
        mut_arg("duration", help(DURATION_HELP))
    )]
    Exec(ExecArgs),
    /// Print the session's variables for a shell to evaluate
    #[command(
        mut_arg("region", help(EXPORT_REGION)),
        mut_arg("duration", help(DURATION_HELP))
    )]
    Export(ExportArgs),
    /// Print the session as credential_process JSON (for ~/.aws/config)
    #[command(
        mut_arg("region", help(CREDENTIAL_PROCESS_REGION)),
        mut_arg("duration", help(DURATION_HELP))
    )]
    CredentialProcess(SessionArgs),
    /// List the profiles: IAM users and roles with their MFA device, and why any other is not usable (no secrets)
    List(ListArgs),
    /// List the cached sessions (no secrets)
    Status(StatusArgs),
    /// Remove cached sessions: all of them, or those of one profile
    Clear(ClearArgs),
    /// Check everything a run depends on, and say what to fix (no code, no secrets)
    #[command(
        long_about = "Checks the AWS files, the profile and its MFA device, the shell's variables, \
mfa_process, STS (reachable, and this machine's clock against STS's) and the cache, one line per \
check: ok, warn or fail, what was checked, and what to do. It asks for no code and prints no \
secret, so its output can go into a bug report. Its one signed call is read-only: IAM \
ListMFADevices with the long-term key in the AWS files (allowed without MFA), to check that \
mfa_serial is one of the user's own devices. Exit status: 0 when nothing \
fails, 1 otherwise."
    )]
    Doctor(DoctorArgs),
    /// Open the AWS console signed in as a role profile, on the same MFA session
    #[command(
        long_about = "Opens the AWS console signed in as a role profile: the role's credentials \
(cached, or new on the user's cached MFA session) are exchanged at the federation endpoint for a \
sign-in URL, which goes to $BROWSER (else the platform's opener), or to stdout with --stdout. \
The URL is a bearer secret: treat it like a password. A user profile cannot sign in this way.",
        mut_arg(
            "profile",
            help(
                "The role profile to sign in as [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]"
            )
        ),
        mut_arg("region", help(LOGIN_REGION)),
        mut_arg("duration", |arg| arg
            .help(LOGIN_DURATION)
            .value_parser(parse_role_duration)),
        mut_arg("refresh", help(LOGIN_REFRESH))
    )]
    Login(LoginArgs),
    /// Store an IAM user's long-term keys in the OS keystore instead of ~/.aws/credentials
    #[command(
        long_about = "Stores an IAM user's access key pair in the operating system's keystore \
(the Secret Service on Linux, the login Keychain on macOS, the Credential Manager on Windows), \
checked first with STS GetCallerIdentity. The keys are asked for on the terminal (the secret is \
never echoed), or taken from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY with --env, or moved out \
of the credentials file with --from-file (removed from it only once the keystore holds them). A \
profile whose keys are not in the AWS files gets them from the keystore; a cache hit never reads \
it."
    )]
    Add(AddArgs),
    /// Delete a profile's keys from the OS keystore, and its cached sessions
    Remove(RemoveArgs),
    /// Replace the IAM user's access key with a new one, on the MFA session
    #[command(
        long_about = "Replaces the IAM user's access key, as security teams require every 90 days: \
on the profile's MFA session (cached, or a code), IAM CreateAccessKey; a wait until the new key \
works (IAM is eventually consistent, up to 30 s); the new key stored where the old one lived (the \
credentials file, rewritten in one step with every other line kept, or the keystore); IAM \
DeleteAccessKey of the old key, and its cached sessions removed. A failure at any step leaves a \
working key stored and says what is left to do. No secret is printed. The IAM endpoint is \
AWS_ENDPOINT_URL_IAM, else AWS_ENDPOINT_URL, else the partition's global one. On a terminal it \
asks first (not with --force); --dry-run says what it would do and changes nothing. An AWS file \
that group or others may read is made private (mode 600) when it gets the new key, and rotate \
says so.",
        mut_arg("profile", help(ROTATE_PROFILE)),
        mut_arg("region", help(ROTATE_REGION)),
        mut_arg("duration", help(ROTATE_DURATION))
    )]
    Rotate(RotateArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

/// What every command that gets a session understands.
#[derive(Args, Clone, Default)]
pub struct SessionArgs {
    /// The profile (in ~/.aws/config or ~/.aws/credentials) [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region for STS and the command [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Session length: seconds, or 15m, 1h, 12h (each command's help says its range and default)
    // Hyphens allowed, so that `--duration -5m` is said to be negative.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: Option<Span>,

    /// Reuse a cached session only with this much time left, at most half its length [default: $AWSMFA_MIN_TTL, 15m]
    #[arg(long, value_name = "DURATION", value_parser = parse_seconds, allow_hyphen_values = true)]
    pub min_ttl: Option<u64>,

    /// Get a new session even when a cached one is still good
    #[arg(long)]
    pub refresh: bool,

    /// The 6-digit MFA code (spaces are ignored) [default: $AWSMFA_TOKEN_CODE, mfa_process, a prompt on the terminal]
    #[arg(long, value_name = "CODE", value_parser = parse_code, hide_default_value = true)]
    pub token_code: Option<Secret>,

    /// Say on stderr what awsmfa does (never secrets)
    #[arg(short, long)]
    pub verbose: bool,
}

impl SessionArgs {
    /// The flags, for the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            profile: self.profile.clone(),
            region: self.region.clone(),
            duration: self.duration.clone(),
            min_ttl: self.min_ttl,
            refresh: self.refresh,
            token_code: self.token_code.clone(),
            verbose: self.verbose,
        }
    }
}

#[derive(Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Run COMMAND as a child and serve it credentials on a loopback endpoint, refreshed before they expire (for runs that outlast a session)
    #[arg(long)]
    pub server: bool,

    /// The command and its arguments [default: $SHELL]
    // Words before the command that start with `-` are awsmfa's options (an
    // unknown one is a usage error); from the command's first word, or
    // after `--`, every word is the command's.
    #[arg(value_name = "COMMAND", trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// The syntax to print
    #[arg(long, value_enum, default_value_t = Format::Sh)]
    pub format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// bash, zsh, ksh, dash: eval "$(awsmfa export)"
    #[value(alias = "bash", alias = "zsh", alias = "ksh", alias = "dash")]
    Sh,
    /// fish: awsmfa export --format fish | source
    Fish,
    /// PowerShell: awsmfa export --format powershell | Out-String | Invoke-Expression
    #[value(alias = "pwsh")]
    Powershell,
    /// Windows cmd.exe: set lines
    Cmd,
    /// KEY=value lines, as docker --env-file and dotenv read them
    Dotenv,
    /// The credential_process JSON
    Json,
}

#[derive(Args)]
pub struct DoctorArgs {
    /// The profile to check [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Print JSON: one object per check (name, status, detail, hint)
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Print the sign-in URL instead of opening a browser
    #[arg(long)]
    pub stdout: bool,
}

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,

    /// Print every profile, one a line, each with its kind (or `not usable`) after a tab (for shell completion)
    #[arg(long, hide = true, conflicts_with = "json")]
    pub names: bool,
}

#[derive(Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ClearArgs {
    /// Remove only the sessions a run of this profile would use
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Say on stderr what awsmfa does
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Args)]
pub struct AddArgs {
    /// The profile the keys are for [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Take the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    #[arg(long, conflicts_with = "from_file")]
    pub env: bool,

    /// Move the profile's keys out of the credentials file into the keystore
    #[arg(long)]
    pub from_file: bool,

    /// The MFA device to write into a profile that has none in ~/.aws/config
    #[arg(long, value_name = "ARN", value_parser = parse_serial)]
    pub mfa_serial: Option<String>,

    /// AWS region for the STS check [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's]
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Say on stderr what awsmfa does (never secrets)
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Args)]
pub struct RemoveArgs {
    /// The profile whose keys to delete [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, $AWSMFA_PROFILE, default]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Delete without asking (required where there is no terminal)
    #[arg(long, short)]
    pub force: bool,

    /// Put the keys back into the credentials file before deleting them from the keystore
    #[arg(long)]
    pub to_file: bool,
}

#[derive(Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Say what rotate would do, and change nothing (no code, no call)
    #[arg(long)]
    pub dry_run: bool,

    /// Rotate without asking (a terminal is asked to confirm)
    #[arg(long, short)]
    pub force: bool,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--token-code`: six digits (spaces ignored), checked before any call.
/// The message never repeats the code; `commands` prints it without clap's
/// "invalid value '…'" either.
fn parse_code(value: &str) -> Result<Secret, String> {
    match crate::secret::MfaCode::parse(value, "--token-code") {
        Ok(_) => Ok(Secret::new(value)),
        Err(_) => Err(CODE_SHAPE.to_owned()),
    }
}

/// What `--token-code` must be.
pub const CODE_SHAPE: &str = "an MFA code is exactly 6 digits";

fn parse_region(value: &str) -> Result<String, String> {
    match crate::settings::is_region(value) {
        true => Ok(value.to_owned()),
        false => Err(format!("'{value}' is not a region name, such as eu-west-1")),
    }
}

fn parse_serial(value: &str) -> Result<String, String> {
    match crate::profile::is_mfa_serial(value) {
        true => Ok(value.to_owned()),
        false => Err(format!(
            "'{value}' is not an MFA device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn command_after_flags_is_kept_verbatim() {
        let cli = Cli::try_parse_from([
            "awsmfa",
            "exec",
            "--profile",
            "prod",
            "--",
            "aws",
            "--profile",
            "x",
        ])
        .unwrap();
        let Command::Exec(args) = cli.command else {
            panic!("not exec")
        };
        assert_eq!(args.session.profile.as_deref(), Some("prod"));
        assert_eq!(args.command, ["aws", "--profile", "x"]);
        // Without `--`, from the command's first word on.
        let cli = Cli::try_parse_from(["awsmfa", "exec", "-v", "aws", "--profile", "x", "--", "y"])
            .unwrap();
        let Command::Exec(args) = cli.command else {
            panic!("not exec")
        };
        assert!(args.session.verbose);
        assert_eq!(args.command, ["aws", "--profile", "x", "--", "y"]);
    }

    #[test]
    fn unknown_options_before_the_command_are_usage_errors() {
        for argv in [
            &["awsmfa", "exec", "--profle", "prod", "--", "aws"][..],
            &["awsmfa", "exec", "--no-such-flag", "--", "true"],
            &["awsmfa", "exec", "-x", "true"],
        ] {
            let error = Cli::try_parse_from(argv).err().expect("a usage error");
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::UnknownArgument,
                "{argv:?}"
            );
        }
    }

    /// The format `export` prints for `value`.
    fn export_format(value: &str) -> Result<Format, clap::Error> {
        let cli = Cli::try_parse_from(["awsmfa", "export", "--format", value])?;
        match cli.command {
            Command::Export(args) => Ok(args.format),
            _ => panic!("not export"),
        }
    }

    #[test]
    fn bash_and_zsh_are_sh() {
        for shell in ["sh", "bash", "zsh", "ksh", "dash"] {
            assert!(
                matches!(export_format(shell), Ok(Format::Sh)),
                "--format {shell}"
            );
        }
        assert!(matches!(export_format("pwsh"), Ok(Format::Powershell)));
        // An unknown shell is still a usage error, never fish in disguise.
        let error = export_format("tcsh").err().expect("a usage error");
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
    }

    #[test]
    fn the_help_and_the_readme_give_one_powershell_line() {
        let readme = include_str!("../README.md");
        let line = "awsmfa export --format powershell | Out-String | Invoke-Expression";
        assert!(readme.contains(line), "the README lost its PowerShell line");
        let help = Cli::command()
            .find_subcommand_mut("export")
            .expect("export")
            .render_long_help()
            .to_string();
        // As one line, however wide the terminal.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.contains(line), "export --help: {help}");
    }

    /// What `awsmfa SUB --help` says of `--OPTION`, and its closing text.
    fn option_help(sub: &str, option: &str) -> (String, String) {
        let mut cli = Cli::command();
        cli.build();
        let sub = cli.find_subcommand(sub).expect("a subcommand");
        let arg = sub
            .get_arguments()
            .find(|arg| arg.get_long() == Some(option))
            .expect("an option");
        let text = arg
            .get_long_help()
            .or(arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        let after = sub
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        (text, after)
    }

    #[test]
    fn each_command_says_what_its_options_do_there() {
        // Only exec runs a command.
        assert!(option_help("exec", "region").0.contains("the command"));
        for sub in ["export", "credential-process", "login", "rotate"] {
            let (region, _) = option_help(sub, "region");
            assert!(region.contains("STS"), "{sub} --region: {region}");
            assert!(
                !region.contains("the command"),
                "{sub} --region runs no command: {region}"
            );
        }
        // --duration's range, and its default for a role.
        for sub in ["exec", "export", "credential-process"] {
            let (duration, _) = option_help(sub, "duration");
            for needle in ["15m-36h", "15m-1h", "up to 12h", "duration_seconds, 1h"] {
                assert!(duration.contains(needle), "{sub} --duration: {duration}");
            }
        }
        let (login, _) = option_help("login", "duration");
        for needle in [
            "role",
            "up to 12h",
            "console session",
            "duration_seconds, 1h",
        ] {
            assert!(login.contains(needle), "login --duration: {login}");
        }
        assert!(option_help("rotate", "duration").0.contains("15m-36h"));
        // exec --help ends with examples.
        let (_, after) = option_help("exec", "server");
        assert!(
            after.contains("Examples:") && after.contains("awsmfa exec --server"),
            "exec --help: {after}"
        );
    }
}
