#!/usr/bin/env bash
# The awsmfa benchmark: medians and ratios measured in one run, against a
# loopback STS stand-in (examples/sts_standin.rs).
#
#   bench/run.sh            everything, including a clean release build (~4 min)
#   bench/run.sh --quick    skip the clean build measurement
#
# Needs hyperfine, curl and GNU time (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}

missing=()
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --locked --quiet --bins --example sts_standin --example pairs
# The programs users get from the static Linux tarball (musl: another
# allocator, no loader), measured beside the cargo build.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
musl=$(uname -m)-unknown-linux-musl
tarball=$PWD/target/dist/awsmfa-$version-$musl.tar.gz
[ -f "$tarball" ] || bash packaging/build.sh "$musl" > /dev/null
bin=$PWD/target/release/awsmfa
standin=$PWD/target/release/examples/sts_standin
pairs=$PWD/target/release/examples/pairs

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$standin" > "$work/url" &
pids+=($!)
until [ -s "$work/url" ]; do sleep 0.05; done
url=$(cat "$work/url")

key=AKIAALICEEXAMPLE0001
secret=aliceLongTermSecret/K7MDENG+bPxRfiCYEXAMPLE
serial=arn:aws:iam::123456789012:mfa/alice
printf '[profile alice]\nmfa_serial = %s\nregion = eu-west-1\n' "$serial" > "$work/config"
printf '[alice]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" > "$work/credentials"
export AWS_PROFILE=alice AWS_CONFIG_FILE=$work/config \
  AWS_SHARED_CREDENTIALS_FILE=$work/credentials AWSMFA_CACHE_DIR=$work/cache \
  AWS_ENDPOINT_URL_STS=$url
cache=$work/cache
body="Action=GetSessionToken&Version=2011-06-15&SerialNumber=${serial//:/%3A}&TokenCode=123456&DurationSeconds=43200"
curl_call="curl -sf -o /dev/null --aws-sigv4 aws:amz:eu-west-1:sts --user $key:$secret -d $body $url/"
$curl_call || { echo "curl's signed call was refused by the stand-in" >&2; exit 1; }

cat > "$work/parallel.sh" <<SH
#!/bin/sh
# \$1 runs at once (cold when the cache was removed before); \$2 only labels.
for i in \$(seq "\$1"); do "$bin" exec --token-code 123456 -- true & done
wait
SH
chmod +x "$work/parallel.sh"

# The two ratios that matter are taken in alternating pairs (A B A B …, the
# order flipping each pair), the ratio pair by pair: this machine's speed
# drifts too much between blocks of runs for block medians to tell 10 %.
echo "== cached path: awsmfa exec -- true against env true (the floor of any exec wrapper), 300 pairs"
"$bin" exec --token-code 123456 -- true
"$pairs" 300 - "env true" "$bin exec -- true" | tee "$work/cached.pairs"
echo "== cached path against bare true, 300 pairs"
"$pairs" 300 - "true" "$bin exec -- true" | tee "$work/true.pairs"

echo "== cold path: no cache at all, against curl making the same signed GetSessionToken, 100 pairs"
"$pairs" 100 "rm -rf $cache" "$curl_call" "$bin exec --token-code 123456 -- true" | tee "$work/cold.pairs"

echo "== the static tarball's programs: cached against env true (300 pairs), cold against curl (100 pairs)"
tar -C "$work" -xzf "$tarball"
static=$work/awsmfa-$version-$musl/awsmfa
"$static" exec --token-code 123456 -- true
"$pairs" 300 - "env true" "$static exec -- true" | tee "$work/static-cached.pairs"
"$pairs" 100 "rm -rf $cache" "$curl_call" "$static exec --token-code 123456 -- true" | tee "$work/static-cold.pairs"

echo "== cold path against moto's server (a second STS, in Python), against curl making the same call, 100 pairs"
moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids+=($!)
moto_url=http://127.0.0.1:$moto_port
until curl -sf -o /dev/null "$moto_url/moto-api/"; do sleep 0.1; done
moto_curl="curl -sf -o /dev/null --aws-sigv4 aws:amz:eu-west-1:sts --user $key:$secret -d $body $moto_url/"
$moto_curl || { echo "curl's signed call was refused by moto" >&2; exit 1; }
AWS_ENDPOINT_URL_STS=$moto_url "$pairs" 100 "rm -rf $cache" "$moto_curl" "$bin exec --token-code 123456 -- true" \
  | tee "$work/moto-cold.pairs"
AWS_ENDPOINT_URL_STS=$moto_url "$pairs" 100 "rm -rf $cache" "$moto_curl" "$static exec --token-code 123456 -- true" \
  | tee "$work/static-moto-cold.pairs"

echo "== 20 parallel cold runs, against 20 parallel cached runs (what 40 processes cost here) and one cold run"
hyperfine --style basic --warmup 2 --runs 20 --export-json "$work/parallel.json" \
  --prepare "rm -rf $cache" --prepare "rm -rf $cache" \
  --prepare "$bin exec --token-code 123456 -- true" \
  "$work/parallel.sh 1 cold" "$work/parallel.sh 20 cold" "$work/parallel.sh 20 cached"

echo "== cached path with a 6 MB config of 60,000 profiles"
python3 - "$work/big-config" "$work/config" <<'PY'
import sys
big, small = sys.argv[1:]
with open(big, "w") as out:
    for i in range(60000):
        out.write(f"[profile p{i:05}]\nmfa_serial = arn:aws:iam::123456789012:mfa/user-{i:05}\n"
                  "region = eu-west-1\n# a comment to fill the file a little more\n")
    out.write(open(small).read())
PY
AWS_CONFIG_FILE=$work/big-config hyperfine -N --style basic --warmup 3 --runs 30 \
  --export-json "$work/big.json" "$bin exec -- true"

peak_rss() { # median peak RSS in KiB of N runs of a command; $1 = prepare
  local prepare=$1; shift
  for _ in $(seq 15); do
    eval "$prepare"
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
  done | sort -n | sed -n 8p
}
"$bin" exec --token-code 123456 -- true
rss_cached=$(peak_rss true "$bin" exec -- true)
rss_cold=$(peak_rss "rm -rf $cache" "$bin" exec --token-code 123456 -- true)

build="not measured (--quick)"
if [ "$quick" != "--quick" ]; then
  echo "== clean release build"
  start=$(date +%s.%N)
  CARGO_TARGET_DIR=$work/target cargo build --release --locked --quiet --bins
  build=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f} s')")
fi
size=$(stat -c %s "$bin")
size_full=$(stat -c %s "$bin-full")

python3 - "$work" "$rss_cached" "$rss_cold" "$build" "$size" "$size_full" <<'PY'
import json, sys
work, rss_cached, rss_cold, build, size, size_full = sys.argv[1:]
def medians(name):
    return [r["median"] for r in json.load(open(f"{work}/{name}.json"))["results"]]
def pairs(name):
    # median ratio, min, max, median of A (ms), median of B (ms), pairs
    ratio, low, high, a, b, n = open(f"{work}/{name}.pairs").read().split()
    return float(ratio), float(low), float(high), float(a), float(b), int(n)
one_s, twenty_s, twenty_cached_s = medians("parallel")
(big_s,) = medians("big")
ms = lambda s: f"{s * 1000:.2f} ms"
def row(what, name, baseline):
    ratio, low, high, a, b, n = pairs(name)
    print(f"| {what} | {b:.2f} ms | {baseline} {a:.2f} ms | **{ratio:.2f}x** (min {low:.2f}, max {high:.2f}, {n} pairs) |")
print()
print("| measure | awsmfa | baseline | ratio, pair by pair |")
print("|---|---|---|---|")
row("cached `exec -- true`", "cached", "`env true`")
row("cached `exec -- true`", "true", "`true`")
row("cold `exec --token-code … -- true`", "cold", "curl --aws-sigv4")
row("cold, against moto's server", "moto-cold", "curl --aws-sigv4")
row("static tarball: cached `exec -- true`", "static-cached", "`env true`")
row("static tarball: cold `exec --token-code … -- true`", "static-cold", "curl --aws-sigv4")
row("static tarball: cold, against moto's server", "static-moto-cold", "curl --aws-sigv4")
print(f"| 20 parallel cold runs | {ms(twenty_s)} | 20 parallel cached runs {ms(twenty_cached_s)} | +{ms(twenty_s - twenty_cached_s)} (one cold run: {ms(one_s)}) |")
print(f"| cached `exec -- true`, 6 MB config (60,000 profiles) | {ms(big_s)} | | |")
print(f"| peak RSS, cached | {int(rss_cached) / 1024:.1f} MB | | |")
print(f"| peak RSS, cold | {int(rss_cold) / 1024:.1f} MB | | |")
print(f"| clean release build | {build} | | |")
print(f"| stripped binaries | awsmfa {int(size) / 1e6:.1f} MB, awsmfa-full {int(size_full) / 1e6:.1f} MB | | |")
PY
