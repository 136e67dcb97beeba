//! Times two commands in alternating pairs (A B A B …) and prints the
//! median, minimum and maximum of the per-pair ratios B/A, for the
//! benchmark (`bench/run.sh`): on a machine whose speed drifts, a ratio
//! taken within each pair holds where block timings do not.
//!
//!     pairs N PREPARE A B
//!
//! Each of PREPARE, A and B is one command line, its words split on white
//! space; PREPARE (or `-` for none) runs, untimed, before every timed run.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn run(line: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(line[0])
        .args(&line[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", line[0]));
    let took = started.elapsed();
    assert!(status.success(), "{line:?} failed: {status}");
    took
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pairs, prepare, a, b] = &args[..] else {
        eprintln!("usage: pairs N PREPARE A B");
        std::process::exit(2);
    };
    let pairs: usize = pairs.parse().expect("N is a number");
    let (prepare, a, b) = (words(prepare), words(a), words(b));
    let timed = |line: &[&str]| {
        if prepare != ["-"] {
            run(&prepare);
        }
        run(line)
    };
    // Warm the page cache and the CPU's caches alike for both.
    for _ in 0..pairs.min(20) {
        timed(&a);
        timed(&b);
    }
    let (mut ratios, mut times_a, mut times_b) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        // Which goes first alternates too, so neither always runs warmer.
        let (ta, tb) = if i.is_multiple_of(2) {
            let ta = timed(&a);
            (ta, timed(&b))
        } else {
            let tb = timed(&b);
            (timed(&a), tb)
        };
        ratios.push(tb.as_secs_f64() / ta.as_secs_f64());
        times_a.push(ta.as_secs_f64() * 1000.0);
        times_b.push(tb.as_secs_f64() * 1000.0);
    }
    let (min, max) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!(
        "{:.3} {:.3} {:.3} {:.3} {:.3} {}",
        median(&mut ratios),
        min,
        max,
        median(&mut times_a),
        median(&mut times_b),
        pairs
    );
}
