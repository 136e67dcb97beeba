//! What the integration tests share: a private world per test (a temporary
//! HOME with AWS files and a cache folder, and an STS stand-in), a way to
//! run the built binary in it, and a check on every run that no secret
//! reaches its stderr.
#![allow(dead_code, unused_imports)]

pub mod keyring;
pub mod proxy;
pub mod signin;
pub mod sts;
pub mod tls;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
pub use sts::{ALICE_ARN, ALICE_KEY, ALICE_SECRET, ALICE_SERIAL, Sts, WRONG_CODE};

pub const BIN: &str = env!("CARGO_BIN_EXE_awsmfa");

/// The AWS CLI asked who is signing: prints the caller's ARN.
pub const CALLER_ARN: &[&str] = &[
    "aws",
    "sts",
    "get-caller-identity",
    "--query",
    "Arn",
    "--output",
    "text",
];

pub const ALICE_CONFIG: &str =
    "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n";

/// The role alice may assume, and a world where profile `admin` assumes it.
pub const ADMIN: &str = "arn:aws:iam::123456789012:role/admin";

pub fn world_with_admin() -> World {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n"
    ));
    world.sts.add_role(ADMIN, None);
    world
}

pub fn alice_credentials() -> String {
    format!("[alice]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n")
}

/// A fresh MFA code: the stand-in accepts only codes handed out here, each
/// once, as STS refuses a code used before.
pub fn code() -> String {
    sts::next_code()
}

/// The MFA codes a command carries: its `--token-code` arguments and its
/// `AWSMFA_TOKEN_CODE` variable (as given, and without white space).
pub fn codes_in(command: &Command) -> Vec<String> {
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let given = args
        .windows(2)
        .filter(|pair| pair[0] == "--token-code")
        .map(|pair| pair[1].clone());
    let from_env = command
        .get_envs()
        .filter(|(name, _)| *name == "AWSMFA_TOKEN_CODE")
        .filter_map(|(_, value)| value)
        .map(|value| value.to_string_lossy().into_owned());
    let mut codes = Vec::new();
    for code in given.chain(from_env) {
        let bare: String = code.split_whitespace().collect();
        codes.extend([code, bare].into_iter().filter(|c| !c.trim().is_empty()));
    }
    codes
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub sts: Sts,
    /// Values that must never appear on stderr.
    secrets: std::sync::Mutex<Vec<String>>,
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl World {
    /// A world with alice's user profile and a fresh stand-in.
    pub fn new() -> World {
        World::with(Sts::start())
    }

    /// A world with alice's user profile and `sts` (a TLS stand-in).
    pub fn with(sts: Sts) -> World {
        let world = World {
            dir: tempfile::tempdir().expect("temporary folder"),
            sts,
            secrets: std::sync::Mutex::new(vec![ALICE_SECRET.to_owned()]),
        };
        world.write_config(ALICE_CONFIG);
        world.write_credentials(&alice_credentials());
        world
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `path` as awsmfa writes it for a person: in the home folder, with `~`.
    pub fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(self.home()) {
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => path.display().to_string(),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.home().join("cache")
    }

    pub fn config_path(&self) -> PathBuf {
        self.home().join("aws-config")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// The credentials file, private (mode 600) as `aws configure` writes it.
    pub fn write_credentials(&self, text: &str) {
        let path = self.home().join("aws-credentials");
        std::fs::write(&path, text).expect("write credentials");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod credentials");
    }

    /// Cache entries (not locks or used-code records).
    pub fn cache_entries(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.cache_dir()) else {
            return Vec::new();
        };
        let mut entries: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        entries
    }

    /// Marks a value as secret: no run's stderr may contain it.
    pub fn secret(&self, value: &str) {
        self.secrets.lock().unwrap().push(value.to_owned());
    }

    /// The binary in this world: its own HOME, AWS files, cache and STS;
    /// no controlling terminal; stdin from /dev/null.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.terminal_command(args);
        command.stdin(Stdio::null());
        // A new session has no controlling terminal, so /dev/tty cannot open.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        command
    }

    /// The binary in this world, for a pseudo-terminal to run as its
    /// controlling terminal.
    pub fn terminal_command(&self, args: &[&str]) -> Command {
        self.program(BIN, args)
    }

    /// Any program in this world's environment (HOME, AWS files, cache, STS).
    pub fn program(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", test_path())
            .env("HOME", self.home())
            .env("LANG", "C.UTF-8")
            .env("AWS_CONFIG_FILE", self.config_path())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join("aws-credentials"),
            )
            .env("AWSMFA_CACHE_DIR", self.cache_dir())
            .env("AWS_ENDPOINT_URL_STS", &self.sts.url)
            // The stand-in serves IAM too (ListMFADevices, rotate's calls).
            .env("AWS_ENDPOINT_URL_IAM", &self.sts.url)
            .env("AWS_PROFILE", "alice");
        command
    }

    /// Runs the binary to completion and checks its stderr for secrets.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_command(self.command(args))
    }

    /// `run` with a fresh `--token-code` after the subcommand.
    pub fn run_with_code(&self, args: &[&str]) -> Run {
        self.run_command(self.command_with_code(args))
    }

    /// `command` with a fresh `--token-code` after the subcommand.
    pub fn command_with_code(&self, args: &[&str]) -> Command {
        let code = code();
        let mut argv = args.to_vec();
        argv.splice(
            1.min(argv.len())..1.min(argv.len()),
            ["--token-code", code.as_str()],
        );
        self.command(&argv)
    }

    pub fn run_command(&self, mut command: Command) -> Run {
        let codes = codes_in(&command);
        let output = command.output().expect("run awsmfa");
        let run = Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.check_no_secrets(&run.stderr, &codes);
        run
    }

    /// Fails if `stderr` shows a secret: a long-term secret key, issued
    /// credentials, one of `codes` (those the run was given: `codes_in`),
    /// or any code the stand-in received (from `mfa_process`, a prompt).
    pub fn check_no_secrets(&self, stderr: &str, codes: &[String]) {
        let received: Vec<String> = self
            .sts
            .codes()
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect();
        for secret in self
            .secrets
            .lock()
            .unwrap()
            .iter()
            .chain(codes)
            .chain(&received)
        {
            assert!(
                !stderr.contains(secret.as_str()),
                "stderr shows a secret: {stderr}"
            );
        }
        for issued in ["tempSecret", "FwoGZXIvYXdzE"] {
            assert!(
                !stderr.contains(issued),
                "stderr shows issued credentials: {stderr}"
            );
        }
    }
}

/// Runs `command` with `input` on its stdin; returns its stdout.
pub fn feed(mut command: Command, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// A failure with exactly one `awsmfa:` line, and at most a hint.
    pub fn fails_with(&self, status: i32, words: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines[0].starts_with("awsmfa: ") && lines[0].contains(words),
            "expected one line with '{words}', got: {}",
            self.stderr
        );
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "more than one line and a hint: {}",
            self.stderr
        );
        self
    }
}

/// What a pseudo-terminal showed, as text: rexpect hands over each byte
/// as a character, so `→` arrives as three.
pub fn from_pty(shown: &str) -> String {
    match shown.chars().all(|c| (c as u32) < 256) {
        true => String::from_utf8_lossy(&shown.chars().map(|c| c as u8).collect::<Vec<u8>>())
            .into_owned(),
        false => shown.to_owned(),
    }
}

/// PATH for the tests: the Python that has the AWS CLI and boto3 first.
pub fn test_path() -> String {
    format!("{}:/usr/local/bin:/usr/bin:/bin", python_bin().display())
}

/// The folder of the real Python executable, where pip puts `aws`.
pub fn python_bin() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let output = Command::new("python3")
            .args([
                "-c",
                "import os, sys; print(os.path.dirname(os.path.realpath(sys.executable)))",
            ])
            .output()
            .expect("python3 is installed (.ci/run installs what the tests need)");
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        assert!(
            dir.join("aws").exists(),
            "the AWS CLI is not in {}: run .ci/run, which installs it",
            dir.display()
        );
        dir
    })
}

/// Mode bits of a path.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Writes an executable script at `path`.
///
/// Written by a child process (`sh`), never through a descriptor of this
/// test program: another test thread that forks while such a descriptor is
/// open for writing keeps a copy of it until its child execs, and running
/// the file meanwhile fails with "Text file busy" (ETXTBSY).
pub fn executable(path: &Path, script: &str) {
    let mut child = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write the script");
    assert!(
        child.wait().expect("wait for sh").success(),
        "write {}",
        path.display()
    );
}

/// Copies a program to `to`, as `executable` writes a script: by a child
/// process (`cp`), so that no descriptor open for writing ever exists here.
pub fn copy_program(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(
        status.success(),
        "copy {} to {}",
        from.display(),
        to.display()
    );
}

/// Whether the process `pid` has ended: gone, or a zombie waiting for its
/// (new) parent to reap it.
pub fn has_ended(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // `pid (comm) state …`: comm may hold anything, even ") ".
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    matches!(state, None | Some("Z"))
}
