//! A cache hit does no network work: it starts no async runtime (tokio's I/O
//! driver would create an epoll instance), connects nowhere and starts no
//! threads, while a miss does all of that.

use crate::support::*;
use std::process::{Command, Stdio};

/// The system calls of interest that one traced run made.
fn syscalls(world: &World, args: &[&str]) -> String {
    let trace = world.home().join("syscalls.trace");
    let command = world.command(args);
    let status = Command::new("strace")
        .args([
            "-qq",
            "-e",
            "trace=epoll_create,epoll_create1,connect,clone,clone3,socket",
            "-o",
        ])
        .arg(&trace)
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null())
        .status()
        .expect("strace is installed (.ci/run installs it)");
    assert!(status.success());
    std::fs::read_to_string(trace).unwrap()
}

#[test]
fn a_cache_hit_starts_no_runtime_and_no_network() {
    let world = World::new();
    let cold = syscalls(&world, &["exec", "--token-code", &code(), "--", "true"]);
    assert!(cold.contains("epoll_create"), "the miss ran tokio: {cold}");
    assert!(cold.contains("connect("), "the miss called STS: {cold}");

    let hit = syscalls(&world, &["exec", "--", "true"]);
    for call in ["epoll_create", "connect(", "socket(", "clone"] {
        assert!(!hit.contains(call), "a cache hit made {call}: {hit}");
    }
    assert_eq!(world.sts.count("GetSessionToken"), 1);
}
