//! moto's server as a second STS implementation: what works against the
//! stand-in works against it too (its Expiration has 6 fraction digits).

use crate::support::*;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python_bin().join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is installed (.ci/run installs moto[server])");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn exec_works_against_moto() {
    let moto = Moto::start();
    let world = World::new();
    let with_moto = |args: &[&str]| {
        let mut command = world.command(args);
        command.env("AWS_ENDPOINT_URL_STS", &moto.url);
        world.run_command(command)
    };
    let script = "echo $AWS_ACCESS_KEY_ID $AWS_CREDENTIAL_EXPIRATION ${#AWS_SESSION_TOKEN}; \
                  aws sts get-caller-identity --query Account --output text";
    let run = with_moto(&["exec", "--token-code", &code(), "--", "sh", "-c", script]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    let fields: Vec<&str> = lines[0].split(' ').collect();
    // moto issues one fixed key id for sessions; never the long-term one.
    assert_ne!(fields[0], ALICE_KEY);
    assert!(
        fields[2].parse::<usize>().unwrap() > 20,
        "a session token: {}",
        lines[0]
    );
    assert_eq!(fields[1].len(), 20, "whole seconds, UTC: {}", fields[1]);
    assert!(fields[1].ends_with('Z'));
    assert_eq!(lines[1], "123456789012", "moto answered for the session");

    // The cache works the same way.
    let run = with_moto(&["exec", "--", "printenv", "AWS_ACCESS_KEY_ID"]);
    run.ok();
    assert_eq!(run.stdout.trim(), fields[0]);
}
