//! `awsmfa`: serves a cache hit itself and hands everything else to
//! `awsmfa-full` (see `awsmfa::fast`).

fn main() -> std::process::ExitCode {
    awsmfa::fast::main()
}
