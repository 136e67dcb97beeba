#!/usr/bin/env bash
# The Windows suite: the Windows build of awsmfa and its tests
# (tests/windows/main.rs), run under Wine against the loopback stand-in.
# Needs the x86_64-pc-windows-gnu target, mingw and Wine (.ci/run installs
# them). Extra arguments go to the test program (a test name, say).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=x86_64-pc-windows-gnu
bash tests/windows/wine/setup.sh
# The Windows HTTP client that --server's test runs as its command.
cargo build --locked --quiet --target "$target" --example container_credentials
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/tests/windows/wine/run.sh" \
  cargo test --locked --target "$target" --test windows -- "$@"
