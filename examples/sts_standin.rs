//! The tests' STS stand-in as a process of its own, for the benchmark:
//! prints its URL, then serves until killed. Unlike STS it accepts a code
//! again, so that one cold run can be timed many times.

#[path = "../tests/it/support/sts.rs"]
mod sts;

fn main() {
    let standin = sts::Sts::start();
    standin.allow_reused_codes();
    println!("{}", standin.url);
    loop {
        std::thread::park();
    }
}
