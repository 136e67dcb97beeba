//! STS misbehaving: retried when STS would be retried, a clear error naming
//! the endpoint when it fails for good, and never a cache entry from a failure.

use crate::support::sts::Fault;
use crate::support::*;
use std::time::{Duration, Instant};

#[test]
fn server_errors_are_retried() {
    let world = World::new();
    world.sts.push_fault(Fault::Error(500, "InternalFailure"));
    world.sts.push_fault(Fault::Error(500, "InternalFailure"));
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 3);
    assert_eq!(world.cache_entries().len(), 1);
}

#[test]
fn throttling_is_retried() {
    let world = World::new();
    world.sts.push_fault(Fault::Error(400, "Throttling"));
    world.sts.push_fault(Fault::Error(400, "Throttling"));
    world.run_with_code(&["exec", "--", "true"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 3);
}

#[test]
fn failing_for_good_names_the_endpoint_and_caches_nothing() {
    let world = World::new();
    for _ in 0..3 {
        world.sts.push_fault(Fault::Error(500, "InternalFailure"));
    }
    let run = world.run_with_code(&["exec", "--", "true"]);
    run.fails_with(
        125,
        &format!(
            "STS GetSessionToken at {} failed: InternalFailure",
            world.sts.url
        ),
    );
    assert!(world.cache_entries().is_empty());

    world.sts.push_fault(Fault::Error(400, "ValidationError"));
    world
        .run_with_code(&["exec", "--", "true"])
        .fails_with(125, "ValidationError");
    assert!(world.cache_entries().is_empty());
}

#[test]
fn an_unreachable_endpoint_fails_fast() {
    let world = World::new();
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command.env("AWS_ENDPOINT_URL_STS", &url);
    let started = Instant::now();
    let run = world.run_command(command);
    run.fails_with(125, &format!("cannot reach STS at {url}"));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(world.cache_entries().is_empty());
}

#[test]
fn a_silent_endpoint_times_out() {
    let world = World::new();
    // Accepts connections, never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let _keep = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in silent.incoming().flatten() {
            open.push(stream);
        }
    });
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command
        .env_remove("AWS_ENDPOINT_URL_STS")
        .env("AWS_ENDPOINT_URL", &url);
    let started = Instant::now();
    let run = world.run_command(command);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    run.fails_with(125, &url);
    assert!(world.cache_entries().is_empty());
}

#[test]
fn expirations_with_fraction_digits_are_read() {
    for digits in [0, 3, 6] {
        let world = World::new();
        world.sts.set_fraction_digits(digits);
        let run = world.run(&[
            "exec",
            "--token-code",
            &code(),
            "--",
            "printenv",
            "AWS_CREDENTIAL_EXPIRATION",
        ]);
        run.ok();
        let expected = sts::rfc3339(sts::now() + 43_200, 0);
        assert_eq!(
            &run.stdout[..13],
            &expected[..13],
            "{digits} digits: {}",
            run.stdout
        );
        assert_eq!(run.stdout.trim().len(), 20);
    }
}

#[test]
fn verbose_output_tells_the_story_without_secrets() {
    let world = World::new();
    let run = world.run_with_code(&["exec", "-v", "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("calling STS GetSessionToken at"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("MFA device arn:aws:iam::123456789012:mfa/alice")
    );
    let run = world.run(&["exec", "--verbose", "--", "true"]);
    run.ok();
    assert!(
        run.stderr.contains("using the cached MFA session"),
        "{}",
        run.stderr
    );
    // World::run has checked both stderrs for every secret and the code.
}
