//! The integration tests: one program, a module per area, all running the
//! built binaries against the loopback stand-ins in `support`.
//!
//! One program links the library once (eighteen programs linked it
//! eighteen times); `cargo test --test it AREA::` runs one area. Unix only:
//! Windows has its own program, `tests/windows` (run under Wine).
#![cfg(unix)]

mod support;

mod botocore_reader;
mod cache;
mod cached_path;
mod commands;
mod completions;
mod device;
mod dialogs;
mod doctor;
mod exec;
mod first_minutes;
mod hardening;
mod hardening_cache;
mod hardening_input;
mod hardening_keys;
mod keystore;
mod login;
mod man;
mod moto;
mod network;
mod newcomer;
mod no_imds;
mod parallel;
mod prompt;
mod release;
mod roles;
mod rotate;
mod server;
mod settings;
mod sts_faults;
mod usage;
mod vocabulary;
mod words;
