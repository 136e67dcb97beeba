//! `awsmfa-full`: every command of awsmfa, run by `awsmfa` for anything but
//! a plain cache hit (see `awsmfa::commands`).

fn main() -> std::process::ExitCode {
    awsmfa::commands::main()
}
