//! A Secret Service of a test's own: a private D-Bus session bus (no
//! service activation, so nothing else answers on it) and a GNOME Keyring
//! daemon on it, its login keyring unlocked, both ended when dropped.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Keyring {
    pub address: String,
    _dir: tempfile::TempDir,
    bus: Child,
    daemon: Option<Child>,
}

impl Keyring {
    pub fn start() -> Keyring {
        let dir = tempfile::tempdir().expect("temporary folder");
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<busconfig><type>session</type><listen>unix:path={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                socket.display()
            ),
        )
        .expect("bus config");
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt-get install dbus)");
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().expect("bus stdout"))
            .read_line(&mut address)
            .expect("bus address");
        let address = address.trim().to_owned();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("runtime folder");
        std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", super::test_path())
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (apt-get install gnome-keyring)");
        // The keyring's password, then end of input.
        let mut stdin = daemon.stdin.take().expect("daemon stdin");
        stdin.write_all(b"test-password").expect("password");
        drop(stdin);
        let keyring = Keyring {
            address,
            _dir: dir,
            bus,
            daemon: Some(daemon),
        };
        let started = Instant::now();
        while !keyring.serves() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "gnome-keyring-daemon did not come up on the bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        keyring
    }

    /// Whether the Secret Service answers on the bus.
    fn serves(&self) -> bool {
        self.gdbus(&[
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.NameHasOwner",
            "org.freedesktop.secrets",
        ])
        .is_some_and(|out| out.contains("true"))
    }

    fn gdbus(&self, args: &[&str]) -> Option<String> {
        let output = Command::new("gdbus")
            .args(["call", "--session"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("gdbus (apt-get install libglib2.0-bin)");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `secret-tool lookup service awsmfa username PROFILE`: the entry's text.
    pub fn lookup(&self, profile: &str) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", "awsmfa", "username", profile])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool (apt-get install libsecret-tools)");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `secret-tool store`: an entry written by another program.
    pub fn store(&self, profile: &str, text: &str) {
        let mut child = Command::new("secret-tool")
            .args([
                "store",
                "--label=test",
                "service",
                "awsmfa",
                "username",
                profile,
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::piped())
            .spawn()
            .expect("secret-tool");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        assert!(child.wait().expect("secret-tool").success());
    }

    /// Locks the login keyring, as a screen lock or a timeout would.
    pub fn lock(&self) {
        self.gdbus(&[
            "--dest",
            "org.freedesktop.secrets",
            "--object-path",
            "/org/freedesktop/secrets",
            "--method",
            "org.freedesktop.Secret.Service.Lock",
            "['/org/freedesktop/secrets/collection/login']",
        ])
        .expect("lock the keyring");
    }

    /// Ends the keyring daemon: the Secret Service is gone from the bus.
    pub fn stop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let started = Instant::now();
        while self.serves() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_in(dir: &Path, secret: &str) -> bool {
        walk(dir).iter().any(|path| {
            std::fs::read(path)
                .is_ok_and(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
        })
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.stop();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
