//! `awsmfa`: serves a cache hit itself and hands everything else to
//! `awsmfa-full` (see `awsmfa::front`).
//!
//! `no_main`: the C `main` is ours, so Rust's runtime set-up is skipped. On
//! Linux that set-up reads and parses `/proc/self/maps` to find the main
//! thread's stack (for the stack overflow message), which costs more than
//! everything this program does on a cache hit. The front does not recurse,
//! ignores no signals and flushes what it prints itself; arguments and the
//! environment come through std as usual.
#![no_main]

use std::ffi::{c_char, c_int};

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    c_int::from(awsmfa::front::main())
}
