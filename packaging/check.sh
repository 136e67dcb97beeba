#!/usr/bin/env bash
# Proves what packaging/build.sh made in target/dist/: every archive holds
# what it should, the Linux programs are static and run in an empty chroot,
# the .deb installs, works and leaves nothing behind, the Windows suite
# passes on the zip's programs, and the manifests made from SHA256SUMS parse.
# Needs root (chroot, dpkg -i); installs busybox-static, lintian, man-db,
# ruby, Wine when missing. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$root/target/dist
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
linux=$(uname -m)-unknown-linux-musl
windows=x86_64-pc-windows-gnu
passed=0 failed=0
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

check() { # $1 what; the rest: a command that succeeds when it holds
  local what=$1; shift
  if "$@" > "$work/out" 2>&1; then
    passed=$((passed + 1)); echo "ok   $what"
  else
    failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/out" | tail -n 60
  fi
}

missing=()
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The loopback STS stand-in (the tests' own, as a process).
cargo build --locked --quiet --example sts_standin
"$root/target/debug/examples/sts_standin" > "$work/url" &
pids+=($!)
until [ -s "$work/url" ]; do sleep 0.05; done
url=$(cat "$work/url")
port=${url##*:}
key=AKIAALICEEXAMPLE0001
secret=aliceLongTermSecret/K7MDENG+bPxRfiCYEXAMPLE
aws_files() { # $1 folder: alice's profile and keys
  mkdir -p "$1"
  printf '[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n' > "$1/config"
  printf '[alice]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" > "$1/credentials"
  chmod 600 "$1/credentials"
}

cd "$dist" || exit 1
check "SHA256SUMS lists every artefact and each one matches" \
  bash -c 'sha256sum -c SHA256SUMS && test "$(wc -l < SHA256SUMS)" = "$(ls *.tar.gz *.zip *.deb | wc -l)"'

# What every archive's folder holds, besides the programs.
expected_docs() {
  printf '%s\n' README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE complete/awsmfa.bash \
    complete/_awsmfa complete/awsmfa.fish complete/_awsmfa.ps1 man/awsmfa-full.1
  (cd "$root/man" && ls ./*.1 | sed 's|^\./|man/|')
}

## The static Linux tarball
tarball=awsmfa-$version-$linux.tar.gz
folder=awsmfa-$version-$linux
tar -C "$work" -xzf "$tarball"
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }
check "$tarball holds both programs, the pages, the completions, the README and the licences" \
  diff <(listing "$work/$folder") <( (printf '%s\n' awsmfa awsmfa-full; expected_docs) | sort)
static() { # no program interpreter (loader) and no shared library
  for program in "$@"; do
    ! readelf -l "$program" | grep -q 'program interpreter' || { echo "$program has a loader"; return 1; }
    ! readelf -d "$program" | grep -q NEEDED || { echo "$program needs shared libraries"; return 1; }
  done
}
check "both Linux programs are static (no loader, no shared library)" \
  static "$work/$folder/awsmfa" "$work/$folder/awsmfa-full"
check "awsmfa --version prints the version the artefacts carry ($version)" \
  bash -c "test \"\$('$work/$folder/awsmfa' --version)\" = 'awsmfa $version' && test \"\$('$work/$folder/awsmfa-full' --version)\" = 'awsmfa $version'"

# An empty chroot: the two programs and busybox, nothing else: no loader,
# no libc, no /etc (so no hosts file, no resolver configuration, no CA files).
jail=$work/jail
mkdir -p "$jail/bin" "$jail/usr/bin" "$jail/tmp" "$jail/home/alice"
cp /bin/busybox "$jail/bin/busybox"
ln -s busybox "$jail/bin/env"
cp "$work/$folder/awsmfa" "$work/$folder/awsmfa-full" "$jail/usr/bin/"
aws_files "$jail/home/alice/.aws"
chroot=$(command -v chroot)
in_jail() { # runs awsmfa in the jail as a user would, with the endpoint $1
  local endpoint=$1; shift
  env -i PATH=/usr/bin:/bin HOME=/home/alice AWS_PROFILE=alice \
    AWSMFA_CACHE_DIR=/home/alice/.cache/awsmfa AWS_ENDPOINT_URL_STS="$endpoint" \
    "$chroot" "$jail" /usr/bin/awsmfa "$@"
}
session_in() { # the child's environment holds a session (ASIA… key, a token)
  grep -q '^AWS_ACCESS_KEY_ID=ASIA' "$1" && grep -q '^AWS_SESSION_TOKEN=.' "$1" && ! grep -q "$key" "$1"
}
check "in an empty chroot, exec gets a session from STS at 127.0.0.1" \
  bash -c "$(declare -f in_jail session_in); jail=$jail key=$key chroot=$chroot; \
    in_jail http://127.0.0.1:$port exec --token-code 123456 -- env > $work/env1 && session_in $work/env1"
check "in the empty chroot, the cached session is served by the front alone" \
  bash -c "$(declare -f in_jail session_in); jail=$jail key=$key chroot=$chroot; rm -f $jail/usr/bin/awsmfa-full; \
    in_jail http://127.0.0.1:$port exec -- env > $work/env2 && session_in $work/env2; \
    status=\$?; cp $work/$folder/awsmfa-full $jail/usr/bin/; exit \$status"
check "in the empty chroot (no /etc/hosts), 'localhost' names loopback" \
  bash -c "$(declare -f in_jail session_in); jail=$jail key=$key chroot=$chroot; rm -rf $jail/home/alice/.cache; \
    in_jail http://localhost:$port exec --token-code 123456 -- env > $work/env3 && session_in $work/env3"
check "in the chroot, other names resolve from its /etc/hosts, as on any system" \
  bash -c "$(declare -f in_jail session_in); jail=$jail key=$key chroot=$chroot; rm -rf $jail/home/alice/.cache; \
    mkdir -p $jail/etc && echo '127.0.0.1 sts.internal.test' > $jail/etc/hosts; \
    in_jail http://sts.internal.test:$port exec --token-code 123456 -- env > $work/env4 && session_in $work/env4; \
    status=\$?; rm -rf $jail/etc; exit \$status"
check "in the chroot, a name that does not resolve is one line naming the endpoint" \
  bash -c "$(declare -f in_jail); jail=$jail chroot=$chroot; rm -rf $jail/home/alice/.cache; \
    ! in_jail http://sts.nowhere.test:$port exec --token-code 123456 -- env 2> $work/err; \
    cat $work/err; test \$(wc -l < $work/err) -le 2 && grep -q 'sts.nowhere.test' $work/err && ! grep -q panicked $work/err"

## The .deb
deb=awsmfa_${version}-1_$(dpkg --print-architecture).deb
want_deb() {
  printf '%s\n' ./usr/bin/awsmfa ./usr/bin/awsmfa-full \
    ./usr/share/bash-completion/completions/awsmfa ./usr/share/zsh/vendor-completions/_awsmfa \
    ./usr/share/fish/vendor_completions.d/awsmfa.fish ./usr/share/doc/awsmfa/copyright \
    ./usr/share/man/man1/awsmfa.1.gz ./usr/share/man/man1/awsmfa-full.1.gz ./usr/share/man/man1/awsmfa-exec.1.gz
}
check "$deb holds the programs, gzipped pages, completions where Debian's shells load them, a copyright file" \
  bash -c "dpkg-deb -c $deb | awk '{print \$6}' > $work/deb.list; cat $work/deb.list; \
    for f in \$($(declare -f want_deb); want_deb); do grep -qx \"\$f\" $work/deb.list || { echo missing \$f; exit 1; }; done; \
    test \$(grep -c '^./usr/share/man/man1/.*\.1\.gz$' $work/deb.list) = $(( $(ls "$root"/man/*.1 | wc -l) + 1 ))"
check "lintian finds no error or warning in $deb" lintian --fail-on error,warning "$deb"
dpkg -r awsmfa >/dev/null 2>&1
check "dpkg -i installs it" dpkg -i "$deb"
dpkg -L awsmfa 2>/dev/null | sort > "$work/installed"
check "/usr/bin/awsmfa --version prints $version" bash -c "test \"\$(/usr/bin/awsmfa --version)\" = 'awsmfa $version'"
aws_files "$work/deb-home/.aws"
check "the installed awsmfa gets a session and runs the command" \
  bash -c "$(declare -f session_in); key=$key; env -i PATH=/usr/bin:/bin HOME=$work/deb-home AWS_PROFILE=alice \
    AWS_ENDPOINT_URL_STS=$url AWSMFA_CACHE_DIR=$work/deb-home/cache \
    /usr/bin/awsmfa exec --token-code 123456 -- env > $work/env5 && session_in $work/env5"
check "man -w awsmfa finds the installed page" bash -c 'test "$(man -w awsmfa)" = /usr/share/man/man1/awsmfa.1.gz'
check "dpkg -r removes it and leaves none of its files behind" \
  bash -c "dpkg -r awsmfa && ! dpkg-query -W -f='\${Status}' awsmfa 2>/dev/null | grep -q installed; \
    left=0; while read -r f; do [ -f \"\$f\" ] && { echo left: \$f; left=1; }; done < $work/installed; \
    test -s $work/installed && test \$left = 0"

## The Windows zip
zip=awsmfa-$version-$windows.zip
zfolder=awsmfa-$version-$windows
python3 -m zipfile -e "$zip" "$work/zip"
check "$zip holds both .exe files, the pages, the completions, the README and the licences" \
  diff <(listing "$work/zip/$zfolder") <( (printf '%s\n' awsmfa.exe awsmfa-full.exe; expected_docs) | sort)
check "the .exe files need no DLL beyond Windows' own (no libgcc, no winpthread)" \
  bash -c "x86_64-w64-mingw32-objdump -p $work/zip/$zfolder/awsmfa.exe $work/zip/$zfolder/awsmfa-full.exe \
    | sed -n 's/.*DLL Name: //p' | sort -u | tee /dev/stderr | grep -qvi -E 'gcc|pthread|stdc' "
check "the Windows suite passes on the zip's programs (under Wine)" \
  env AWSMFA_TEST_PROGRAMS="$work/zip/$zfolder" bash "$root/tests/windows/run.sh"

## The manifests, made from this SHA256SUMS (the URL is a stand-in: nothing is published from here)
release_url=https://downloads.example.org/awsmfa/v$version
check "manifests.py makes a Homebrew formula, a Scoop manifest and a winget set" \
  python3 "$root/packaging/manifests.py" --url "$release_url" --sums SHA256SUMS --out "$work/manifests"
check "Ruby parses the formula, which installs both programs, pages, completions and tests --version" \
  bash -c "ruby -c $work/manifests/homebrew/awsmfa.rb && for w in 'class Awsmfa < Formula' 'bin.install \"awsmfa\", \"awsmfa-full\"' \
    'man1.install' 'bash_completion.install' 'zsh_completion.install' 'fish_completion.install' \
    'awsmfa --version' \"url \\\"$release_url/$tarball\\\"\" \"sha256 \\\"\$(grep ' $tarball\$' SHA256SUMS | cut -c1-64)\\\"\"; \
    do grep -qF \"\$w\" $work/manifests/homebrew/awsmfa.rb || { echo missing: \$w; exit 1; }; done"
check "the Scoop manifest is JSON with version, url, hash, extract_dir and bin" \
  python3 - "$work/manifests/scoop/awsmfa.json" "$release_url/$zip" "$(grep " $zip\$" SHA256SUMS | cut -c1-64)" "$version" <<'PY'
import json, sys
path, url, digest, version = sys.argv[1:]
m = json.load(open(path))
x64 = m["architecture"]["64bit"]
assert m["version"] == version and m["license"] and m["homepage"] and m["description"], m
assert x64["url"] == url and x64["hash"] == digest and x64["extract_dir"], x64
assert m["bin"] == ["awsmfa.exe"], m["bin"]
PY
check "the winget set is YAML with the fields each manifest type requires" \
  python3 - "$work/manifests/winget" "$release_url/$zip" "$(grep " $zip\$" SHA256SUMS | cut -c1-64)" "$version" <<'PY'
import pathlib, sys, yaml
folder, url, digest, version = sys.argv[1:]
docs = {p.name: yaml.safe_load(p.read_text()) for p in pathlib.Path(folder).glob("*.yaml")}
required = {
    "version": ["PackageIdentifier", "PackageVersion", "DefaultLocale", "ManifestType", "ManifestVersion"],
    "installer": ["PackageIdentifier", "PackageVersion", "Installers", "ManifestType", "ManifestVersion"],
    "defaultLocale": ["PackageIdentifier", "PackageVersion", "PackageLocale", "Publisher", "PackageName",
                      "License", "ShortDescription", "ManifestType", "ManifestVersion"],
}
kinds = {doc["ManifestType"]: doc for doc in docs.values()}
assert sorted(kinds) == sorted(required), kinds.keys()
for kind, fields in required.items():
    missing = [f for f in fields if not kinds[kind].get(f)]
    assert not missing, (kind, missing)
    assert kinds[kind]["PackageVersion"] == version and kinds[kind]["PackageIdentifier"] == "awsmfa.awsmfa"
(installer,) = kinds["installer"]["Installers"]
assert installer["InstallerUrl"] == url and installer["InstallerSha256"] == digest.upper(), installer
assert kinds["installer"]["InstallerType"] == "zip" and kinds["installer"]["NestedInstallerType"] == "portable"
aliases = {f["PortableCommandAlias"] for f in kinds["installer"]["NestedInstallerFiles"]}
assert aliases == {"awsmfa", "awsmfa-full"}, aliases
PY

echo
echo "packaging: $passed passed, $failed failed"
[ "$failed" = 0 ]
