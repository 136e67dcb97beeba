#!/usr/bin/env bash
# Builds release artefacts into target/dist/ and writes target/dist/SHA256SUMS:
#
#   bash packaging/build.sh              every artefact this machine can build
#   bash packaging/build.sh TARGET… [deb]  those only (the release workflow)
#
# An archive per target, named as ripgrep's are: awsmfa-VERSION-TARGET.tar.gz
# (.zip for Windows), holding one folder awsmfa-VERSION-TARGET/ with both
# programs side by side, the manual pages (man/), the completions
# (complete/), the README, the changelog and the licences. On Linux the
# programs are static (a musl target): they run with no loader and no libc.
# `deb` makes awsmfa_VERSION-1_ARCH.deb from the static Linux programs of
# this machine's architecture. What a build needs (Rust targets, musl-tools,
# mingw, cargo-deb) is installed when missing. `packaging/check.sh` proves
# what this made.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
arch=$(uname -m)
linux=$arch-unknown-linux-musl
dist=$root/target/dist
staging=$root/target/packaging
# Archives carry the time of the commit they are built from: the same commit
# gives the same bytes. (Only the packaging steps see it: the C builds of
# aws-lc would start again from scratch at every commit.)
stamp=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
if [ $# -gt 0 ]; then
  wanted=("$@")
else
  wanted=("$linux" deb)
  [ "$arch" = x86_64 ] && wanted+=(x86_64-pc-windows-gnu)
fi

step() { printf '\n== %s\n' "$*"; }
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
apt_install() {
  [ $# -gt 0 ] || return 0
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The programs of one target, built: prints the folder they are in.
build() { # $1 target
  local target=$1
  rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
  case $target in
    *-linux-musl)
      command -v musl-gcc >/dev/null 2>&1 || apt_install musl-tools >&2
      # aws-lc's C code includes <linux/random.h>, which Debian's musl-gcc
      # does not search (it passes -nostdinc): a folder of links to the
      # kernel's UAPI headers, which do not depend on the C library.
      local headers=$root/target/musl-kernel-headers
      mkdir -p "$headers"
      ln -sfn /usr/include/linux "$headers/linux"
      ln -sfn /usr/include/asm-generic "$headers/asm-generic"
      ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$headers/asm"
      local var=${target//-/_}
      env "CC_$var=musl-gcc" "CFLAGS_$var=-isystem $headers" \
        cargo build --release --locked --target "$target" --bins >&2 ;;
    *-windows-gnu)
      command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || apt_install gcc-mingw-w64-x86-64 >&2
      cargo build --release --locked --target "$target" --bins >&2 ;;
    *)
      cargo build --release --locked --target "$target" --bins >&2 ;;
  esac
  echo "$root/target/$target/release"
}

# The completions, written by the first of these programs that runs here
# (the scripts are the same whatever platform writes them).
completions() { # $@ candidate awsmfa programs
  local program
  for program in "$@"; do
    "$program" --version >/dev/null 2>&1 || continue
    mkdir -p "$staging/complete"
    "$program" completions bash > "$staging/complete/awsmfa.bash"
    "$program" completions zsh > "$staging/complete/_awsmfa"
    "$program" completions fish > "$staging/complete/awsmfa.fish"
    "$program" completions powershell > "$staging/complete/_awsmfa.ps1"
    return 0
  done
  echo "build.sh: none of the programs built runs here, to write the completions" >&2
  return 1
}

# One archive's folder: awsmfa-VERSION-TARGET/.
layout() { # $1 target, $2 folder of its programs, $3 ".exe" or ""
  local target=$1 bin=$2 ext=$3
  local dir=$staging/awsmfa-$version-$target
  rm -rf "$dir"
  mkdir -p "$dir/man" "$dir/complete"
  install -m 755 "$bin/awsmfa$ext" "$bin/awsmfa-full$ext" "$dir/"
  install -m 644 man/*.1 packaging/awsmfa-full.1 "$dir/man/"
  install -m 644 "$staging"/complete/* "$dir/complete/"
  install -m 644 README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$dir/"
  find "$dir" -exec touch -h -d "@$stamp" {} +
  echo "$dir"
}

tarball() { # $1 folder
  tar -C "$(dirname "$1")" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$stamp" -czf "$dist/$(basename "$1").tar.gz" "$(basename "$1")"
}

zipball() { # $1 folder
  SOURCE_DATE_EPOCH=$stamp python3 - "$1" "$dist/$(basename "$1").zip" <<'PY'
import os, sys, time, zipfile
folder, out = sys.argv[1:]
base = os.path.dirname(folder)
stamp = time.gmtime(int(os.environ["SOURCE_DATE_EPOCH"]))[:6]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            info = zipfile.ZipInfo(os.path.relpath(path, base).replace(os.sep, "/"), stamp)
            info.external_attr = (os.stat(path).st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as data:
                archive.writestr(info, data.read())
PY
}

deb() { # $1 folder of the static Linux programs
  command -v dpkg-deb >/dev/null 2>&1 || apt_install dpkg-dev
  command -v cargo-deb >/dev/null 2>&1 || cargo install --locked --quiet cargo-deb
  # The pages gzipped as Debian wants them, and a Debian changelog.
  mkdir -p "$staging/man"
  for page in man/*.1 packaging/awsmfa-full.1; do
    gzip -9n < "$page" > "$staging/man/$(basename "$page").gz"
  done
  local maintainer
  maintainer=$(sed -n 's/^maintainer = "\(.*\)"$/\1/p' Cargo.toml)
  {
    printf 'awsmfa (%s-1) unstable; urgency=medium\n\n' "$version"
    printf '  * Release %s: see /usr/share/doc/awsmfa/changelog.gz.\n\n' "$version"
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$stamp")"
  } > "$staging/changelog"
  gzip -9n < CHANGELOG.md > "$staging/changelog.gz"
  local debarch
  debarch=$(dpkg --print-architecture)
  SOURCE_DATE_EPOCH=$stamp cargo deb --no-build --no-strip --target "$linux" \
    --output "$dist/awsmfa_${version}-1_${debarch}.deb" >/dev/null
}

rm -rf "$dist" "$staging"
mkdir -p "$dist" "$staging"
declare -A built=()
for target in "${wanted[@]}"; do
  [ "$target" = deb ] && target=$linux
  [ -n "${built[$target]:-}" ] && continue
  step "programs for $target"
  built[$target]=$(build "$target")
done
candidates=()
for target in "${!built[@]}"; do
  candidates+=("${built[$target]}/awsmfa" "${built[$target]}/awsmfa.exe")
done
completions "${candidates[@]}"
for target in "${wanted[@]}"; do
  case $target in
    deb) step "the .deb"; deb "${built[$linux]}" ;;
    *-windows-*) step "awsmfa-$version-$target.zip"; zipball "$(layout "$target" "${built[$target]}" .exe)" ;;
    *) step "awsmfa-$version-$target.tar.gz"; tarball "$(layout "$target" "${built[$target]}" "")" ;;
  esac
done

step "SHA256SUMS"
cd "$dist"
shopt -s nullglob
files=(*.tar.gz *.zip *.deb)
sha256sum -- "${files[@]}" > SHA256SUMS
cat SHA256SUMS
