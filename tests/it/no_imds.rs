//! No code path consults EC2 instance metadata (169.254.169.254): the only
//! place awsmfa connects to is the STS endpoint, on cold, cached and role
//! paths alike, even with no region set anywhere.

use crate::support::*;
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A listener that counts connections. It is set as the SDK's metadata
/// endpoint: were an SDK region or credential chain consulted, it would be
/// called here instead of 169.254.169.254.
struct Imds {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Imds {
    fn start() -> Imds {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for _ in listener.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        Imds { url, hits }
    }
}

/// Runs awsmfa under strace and returns every `ADDRESS:PORT` it connected to over IP.
fn connections(world: &World, imds: &Imds, args: &[&str]) -> Vec<String> {
    let trace = world.home().join("connect.trace");
    let command = world.command(args);
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(&trace)
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url)
        .stdin(std::process::Stdio::null())
        .status()
        .expect("strace is installed (.ci/run installs it)");
    assert!(status.success(), "{args:?} failed under strace");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains("169.254.169.254"), "{text}");
    text.lines()
        .filter(|line| line.contains("connect(") && line.contains("sin"))
        .map(|line| {
            let field = |name: &str| {
                line.split(name)
                    .nth(1)
                    .and_then(|rest| rest.split('"').nth(1))
                    .unwrap_or("?")
                    .to_owned()
            };
            let port = line
                .split("htons(")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
                .unwrap_or("?");
            let address = if line.contains("AF_INET6") {
                field("inet_pton(AF_INET6, ")
            } else {
                field("inet_addr(")
            };
            format!("{address}:{port}")
        })
        .collect()
}

#[test]
fn only_the_sts_endpoint_is_ever_contacted() {
    let world = World::new();
    let imds = Imds::start();
    // No region anywhere: a default region chain would ask instance metadata.
    world.write_config(&format!(
        "[profile alice]\nmfa_serial = {ALICE_SERIAL}\n\
         [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = alice\n"
    ));
    world
        .sts
        .add_role("arn:aws:iam::123456789012:role/admin", None);
    let sts = world.sts.url.trim_start_matches("http://").to_owned();
    let c = code();
    let runs: [&[&str]; 4] = [
        &["exec", "--token-code", &c, "--", "true"],
        &["exec", "--", "true"],
        &["exec", "--profile", "admin", "--", "true"],
        &["credential-process"],
    ];
    let mut seen = Vec::new();
    for args in runs {
        seen.extend(connections(&world, &imds, args));
    }
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.sts.count("AssumeRole"), 1);
    assert!(!seen.is_empty(), "the trace recorded the STS connections");
    assert!(
        seen.iter().all(|a| *a == sts),
        "connected to {seen:?}, expected only {sts}"
    );
    assert_eq!(
        imds.hits.load(Ordering::SeqCst),
        0,
        "the metadata endpoint was called"
    );
}
