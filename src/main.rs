//! `awsmfa`: serves a cache hit itself and hands everything else to
//! `awsmfa-full` (see `awsmfa::front`).
//!
//! `no_main` on Unix: the C `main` is ours, so Rust's runtime set-up is
//! skipped. On Linux that set-up reads and parses `/proc/self/maps` to find
//! the main thread's stack (for the stack overflow message), which costs
//! more than everything this program does on a cache hit. The front does
//! not recurse, ignores no signals and flushes what it prints itself. The
//! arguments come from this `main` (std finds them by itself only with
//! glibc, and the static Linux programs use musl); the environment comes
//! through std as usual.
#![cfg_attr(unix, no_main)]

#[cfg(unix)]
// SAFETY: the one symbol named `main` in the program: the C runtime calls it.
#[unsafe(no_mangle)]
// Raw pointers from the C runtime, its only caller.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub extern "C" fn main(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // SAFETY: the C runtime calls `main` with `argc` pointers in `argv`, each
    // to a NUL-terminated string that lives as long as the process.
    let args = unsafe { awsmfa::sys::c_args(argc, argv) };
    std::ffi::c_int::from(awsmfa::front::main(args))
}

#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(awsmfa::front::main(std::env::args_os().collect()))
}
