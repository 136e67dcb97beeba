#!/usr/bin/env bash
# The runner of the x86_64-pc-windows-gnu target (CARGO_TARGET_..._RUNNER):
# runs a Windows test program under Wine, in the prefix setup.sh prepared.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
export WINEPREFIX=${WINEPREFIX:-$top/target/wine} WINEDEBUG=-all
export WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree,mshtml="
exec wine "$@"
