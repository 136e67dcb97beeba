//! Many runs at once: one STS call and one code for a burst of cold runs,
//! and a cache that no kill can tear.

use crate::support::*;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs started at once, each with the codes it was given (`codes_in`).
fn spawn_all(world: &World, count: usize, args: &[&str]) -> Vec<(Child, Vec<String>)> {
    (0..count)
        .map(|_| {
            let mut command = world.command(args);
            let codes = codes_in(&command);
            let child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            (child, codes)
        })
        .collect()
}

/// Waits for every run and checks its stderr for secrets, as `run` does.
fn wait_all(world: &World, children: Vec<(Child, Vec<String>)>) -> Vec<Run> {
    children
        .into_iter()
        .map(|(child, codes)| {
            let output = child.wait_with_output().unwrap();
            let run = Run {
                status: output.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            };
            world.check_no_secrets(&run.stderr, &codes);
            run
        })
        .collect()
}

#[test]
fn twenty_cold_runs_make_one_sts_call() {
    let world = World::new();
    // A slow STS keeps the first run inside the lock while the others arrive.
    world.sts.set_delay(Duration::from_millis(1500));
    let code = code();
    let children = spawn_all(
        &world,
        20,
        &[
            "exec",
            "--token-code",
            &code,
            "--",
            "printenv",
            "AWS_ACCESS_KEY_ID",
        ],
    );
    let runs = wait_all(&world, children);
    let keys: Vec<&str> = runs.iter().map(|r| r.ok().stdout.trim()).collect();
    assert!(
        keys.iter().all(|k| *k == keys[0] && k.starts_with("ASIA")),
        "{keys:?}"
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    let waited: Vec<&Run> = runs.iter().filter(|r| !r.stderr.is_empty()).collect();
    assert!(!waited.is_empty(), "no run said it was waiting");
    for run in waited {
        assert_eq!(
            run.stderr,
            "awsmfa: waiting for another awsmfa run to get a session for profile 'alice'\n"
        );
    }
}

#[test]
fn mfa_process_runs_once_for_a_burst() {
    let world = World::new();
    let counter = world.home().join("mfa-process-runs");
    let produced = code();
    world.write_config(&format!(
        "{ALICE_CONFIG}mfa_process = echo ran >> '{}'; echo {produced}\n",
        counter.display(),
    ));
    world.sts.set_delay(Duration::from_millis(300));
    let runs = wait_all(&world, spawn_all(&world, 20, &["exec", "--", "true"]));
    for run in &runs {
        run.ok();
    }
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "ran\n");
    assert_eq!(
        world.sts.codes(),
        [produced],
        "mfa_process's code reached STS"
    );
}

/// A small deterministic generator, seeded from the clock, for kill moments.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

#[test]
fn sigkill_at_any_moment_never_leaves_a_torn_entry() {
    use std::os::unix::fs::MetadataExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let world = World::new();
    world.run_with_code(&["exec", "--", "true"]).ok();
    let entries = world.cache_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = entries[0].clone();

    // A reader polling the entry while runs with --refresh write it never
    // sees part of a file: every read finds none, or complete JSON.
    let stop = AtomicBool::new(false);
    let writes = 20;
    let (reads, torn) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut reads, mut torn) = (0, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                match std::fs::read(&entry) {
                    Ok(bytes) => {
                        reads += 1;
                        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                            torn.push(format!("{} bytes: {e}", bytes.len()));
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("reading {}: {e}", entry.display()),
                }
            }
            (reads, torn)
        });
        for _ in 0..writes {
            world
                .run_with_code(&["exec", "--refresh", "--", "true"])
                .ok();
        }
        stop.store(true, Ordering::SeqCst);
        reader.join().unwrap()
    });
    assert_eq!(world.sts.count("GetSessionToken"), 1 + writes);
    assert!(reads > writes, "the reader read only {reads} times");
    assert!(
        torn.is_empty(),
        "a reader saw part of an entry in {} of {reads} reads, first: {}",
        torn.len(),
        torn[0]
    );

    // The mechanism: a new file renamed over the old one, never the old one
    // rewritten in place.
    let before = std::fs::metadata(&entry).unwrap().ino();
    world
        .run_with_code(&["exec", "--refresh", "--", "true"])
        .ok();
    let after = std::fs::metadata(&entry).unwrap().ino();
    assert_ne!(
        before, after,
        "exec --refresh rewrote the entry in place instead of renaming a new file over it"
    );

    // A kill at any moment leaves the old entry or the new one, whole.
    world.sts.set_delay(Duration::from_millis(150));
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut moments = Moments(seed);
    for round in 0..12 {
        // Refresh so that every round writes the entry again.
        let mut child = world
            .command_with_code(&["exec", "--refresh", "--", "true"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moment = moments.next_millis(250);
        std::thread::sleep(Duration::from_millis(moment));
        let _ = child.kill();
        let _ = child.wait();
        let entries = world.cache_entries();
        assert_eq!(entries, std::slice::from_ref(&entry), "round {round}");
        for entry in entries {
            let text = std::fs::read_to_string(&entry).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("round {round} (seed {seed}, {moment} ms): torn entry: {e}")
            });
            assert_eq!(value["version"], 1);
            assert_eq!(mode(&entry), 0o600);
        }
    }
    // The next run works, and whatever was left is never read as an entry.
    let run = world.run(&[
        "exec",
        "--token-code",
        &code(),
        "--",
        "printenv",
        "AWSMFA_PROFILE",
    ]);
    run.ok();
    assert_eq!(run.stdout, "alice\n");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}
