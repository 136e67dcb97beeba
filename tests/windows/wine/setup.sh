#!/usr/bin/env bash
# Prepares the Wine prefix the Windows tests run in (target/wine), once:
# a new prefix, and in it the test-only ProcessPrng shim (processprng.c)
# that lets a Rust .exe start under Debian's Wine 8.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
export WINEPREFIX=${WINEPREFIX:-$top/target/wine} WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wineboot --init >/dev/null 2>&1
  wineserver --wait
fi
if [ ! -f "$dll" ] || [ "$here/processprng.c" -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$here/processprng.c" "$here/processprng.def" -ladvapi32
fi
