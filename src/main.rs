//! `awsmfa`: serves a cache hit itself and hands everything else to
//! `awsmfa-full` (see `awsmfa::front`).
//!
//! `no_main` on Unix: the C `main` is ours, so Rust's runtime set-up is
//! skipped. On Linux that set-up reads and parses `/proc/self/maps` to find
//! the main thread's stack (for the stack overflow message), which costs
//! more than everything this program does on a cache hit. The front does
//! not recurse, ignores no signals and flushes what it prints itself;
//! arguments and the environment come through std as usual.
#![cfg_attr(unix, no_main)]

#[cfg(unix)]
// SAFETY: the one symbol named `main` in the program: the C runtime calls it.
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    std::ffi::c_int::from(awsmfa::front::main())
}

#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(awsmfa::front::main())
}
