#!/usr/bin/env bash
# Tests the archives in a dist folder on the machine they are for (the
# release workflow runs it on each platform's own runner): each archive's
# programs print the crate's version and serve an `exec` against the
# loopback STS stand-in, on a cache miss and then a hit; a .deb is also
# installed, run and removed. (`packaging/check.sh` proves much more, for
# what this machine builds.)
#
#   bash packaging/smoke.sh target/dist
set -euo pipefail
dist=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ext=""; case $(uname -s) in MINGW*|MSYS*|CYGWIN*) ext=.exe ;; esac

cargo build --locked --quiet --example sts_standin
"$root/target/debug/examples/sts_standin$ext" > "$work/url" &
pids+=($!)
until [ -s "$work/url" ]; do sleep 0.1; done
url=$(tr -d '\r' < "$work/url")
mkdir -p "$work/aws"
printf '[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n' > "$work/aws/config"
printf '[alice]\naws_access_key_id = AKIAALICEEXAMPLE0001\naws_secret_access_key = aliceLongTermSecret/K7MDENG+bPxRfiCYEXAMPLE\n' \
  > "$work/aws/credentials"

serves() { # $1 the awsmfa program: a miss, then a hit, each giving the command a session
  local program=$1 run
  test "$("$program" --version | tr -d '\r')" = "awsmfa $version"
  rm -rf "$work/cache"
  for run in miss hit; do
    local code=(); [ $run = miss ] && code=(--token-code 123456)
    AWS_PROFILE=alice AWS_CONFIG_FILE=$work/aws/config AWS_SHARED_CREDENTIALS_FILE=$work/aws/credentials \
      AWSMFA_CACHE_DIR=$work/cache AWS_ENDPOINT_URL_STS=$url \
      "$program" exec "${code[@]}" -- env > "$work/env"
    grep -q '^AWS_ACCESS_KEY_ID=ASIA' "$work/env"
    grep -q '^AWS_SESSION_TOKEN=.' "$work/env"
    echo "ok   $program: $run"
  done
}

shopt -s nullglob
tested=0
for archive in "$dist"/awsmfa-"$version"-*.tar.gz "$dist"/awsmfa-"$version"-*.zip; do
  name=$(basename "$archive"); folder=${name%.tar.gz}; folder=${folder%.zip}
  case $name in
    *.zip) python3 -m zipfile -e "$archive" "$work" ;;
    *) tar -C "$work" -xzf "$archive" ;;
  esac
  serves "$work/$folder/awsmfa$ext"
  tested=$((tested + 1))
done
for deb in "$dist"/*.deb; do
  sudo dpkg -i "$deb"
  serves /usr/bin/awsmfa
  sudo dpkg -r awsmfa
  test ! -e /usr/bin/awsmfa
  tested=$((tested + 1))
done
[ "$tested" -gt 0 ] || { echo "smoke.sh: no archive in $dist" >&2; exit 1; }
echo "smoke: $tested passed, 0 failed"
