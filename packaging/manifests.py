#!/usr/bin/env python3
"""Package manifests made from one release's SHA256SUMS.

    packaging/manifests.py --url URL [--sums target/dist/SHA256SUMS] [--out target/dist/manifests]

URL is where the release's archives can be downloaded, the folder that holds
them (for a GitHub release: .../releases/download/vVERSION); it is the one
place the release's address comes from, and the homepage is taken from it
unless --homepage is given. Writes:

    homebrew/awsmfa.rb                       a formula (macOS and Linux archives)
    scoop/awsmfa.json                        a Scoop manifest (the Windows zip)
    winget/awsmfa.awsmfa*.yaml               a winget manifest set (the Windows zip)

Only archives listed in SHA256SUMS are named; a platform with none is left out
(a manifest with no archive at all is not written, and that is said).
"""

import argparse
import json
import pathlib
import re
import sys

DESCRIPTION = "Run commands with an MFA-backed AWS session, without touching your shell"
PUBLISHER = "The awsmfa developers"
ARCHIVE = re.compile(r"^awsmfa-(?P<version>\d+\.\d+\.\d+[^-]*)-(?P<target>[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+(?:-[a-z0-9_]+)?)\.(?P<ext>tar\.gz|zip)$")


def archives(sums):
    """{target: (file name, sha256)} and the one version they carry."""
    found, versions = {}, set()
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        match = ARCHIVE.match(name)
        if not match:
            continue  # the .deb, say
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            sys.exit(f"manifests: {sums}: '{name}' has no SHA-256 digest")
        versions.add(match["version"])
        found[match["target"]] = (name, digest)
    if len(versions) != 1:
        sys.exit(f"manifests: {sums} must list the archives of one version, not {sorted(versions) or 'none'}")
    return found, versions.pop()


def homebrew(found, version, url, homepage):
    def block(target, indent):
        name, digest = found[target]
        pad = " " * indent
        return f'{pad}url "{url}/{name}"\n{pad}sha256 "{digest}"\n'

    platforms = []
    for os_block, arm, intel in [
        ("on_macos", "aarch64-apple-darwin", "x86_64-apple-darwin"),
        ("on_linux", "aarch64-unknown-linux-musl", "x86_64-unknown-linux-musl"),
    ]:
        arches = [(cpu, t) for cpu, t in (("on_arm", arm), ("on_intel", intel)) if t in found]
        if arches:
            inner = "".join(f"    {cpu} do\n{block(t, 6)}    end\n" for cpu, t in arches)
            platforms.append(f"  {os_block} do\n{inner}  end\n")
    if not platforms:
        return None
    return f'''class Awsmfa < Formula
  desc "{DESCRIPTION}"
  homepage "{homepage}"
  version "{version}"
  license any_of: ["MIT", "Apache-2.0"]

{"".join(platforms)}
  def install
    # The two programs stay side by side: awsmfa hands all but a cache hit
    # to awsmfa-full beside it.
    bin.install "awsmfa", "awsmfa-full"
    man1.install Dir["man/*.1"]
    bash_completion.install "complete/awsmfa.bash" => "awsmfa"
    zsh_completion.install "complete/_awsmfa"
    fish_completion.install "complete/awsmfa.fish"
  end

  test do
    assert_match "awsmfa #{{version}}", shell_output("#{{bin}}/awsmfa --version")
  end
end
'''


def windows_zip(found):
    for target in ("x86_64-pc-windows-msvc", "x86_64-pc-windows-gnu"):
        if target in found:
            return target, found[target]
    return None


def scoop(found, version, url, homepage):
    zip_ = windows_zip(found)
    if not zip_:
        return None
    target, (name, digest) = zip_
    return json.dumps({
        "version": version,
        "description": DESCRIPTION,
        "homepage": homepage,
        "license": "MIT|Apache-2.0",
        "architecture": {
            "64bit": {
                "url": f"{url}/{name}",
                "hash": digest,
                "extract_dir": f"awsmfa-{version}-{target}",
            }
        },
        # Scoop's shim starts the real awsmfa.exe in the app's folder, where
        # awsmfa-full.exe sits beside it.
        "bin": ["awsmfa.exe"],
        "notes": "awsmfa hands everything but a cache hit to awsmfa-full.exe beside it: keep both.",
    }, indent=4) + "\n"


def winget(found, version, url, homepage):
    zip_ = windows_zip(found)
    if not zip_:
        return None
    target, (name, digest) = zip_
    ident = "awsmfa.awsmfa"
    head = f"PackageIdentifier: {ident}\nPackageVersion: {version}\n"
    tail = "ManifestVersion: 1.6.0\n"
    folder = f"awsmfa-{version}-{target}"
    return {
        f"{ident}.yaml": f"{head}DefaultLocale: en-US\nManifestType: version\n{tail}",
        f"{ident}.installer.yaml": (
            f"{head}InstallerType: zip\nNestedInstallerType: portable\n"
            "NestedInstallerFiles:\n"
            # Both programs get a command alias, so awsmfa-full is found
            # beside awsmfa wherever winget links them.
            f"  - RelativeFilePath: {folder}\\awsmfa.exe\n    PortableCommandAlias: awsmfa\n"
            f"  - RelativeFilePath: {folder}\\awsmfa-full.exe\n    PortableCommandAlias: awsmfa-full\n"
            "Installers:\n"
            f"  - Architecture: x64\n    InstallerUrl: {url}/{name}\n    InstallerSha256: {digest.upper()}\n"
            f"ManifestType: installer\n{tail}"
        ),
        f"{ident}.locale.en-US.yaml": (
            f"{head}PackageLocale: en-US\nPublisher: {PUBLISHER}\nPackageName: awsmfa\n"
            f"PackageUrl: {homepage}\nLicense: MIT OR Apache-2.0\n"
            f"ShortDescription: {DESCRIPTION}\n"
            "Moniker: awsmfa\nTags:\n  - aws\n  - mfa\n  - sts\n  - credentials\n"
            f"ManifestType: defaultLocale\n{tail}"
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="where the release's archives are (https://…)")
    parser.add_argument("--homepage", help="the project's page (default: from --url)")
    parser.add_argument("--sums", default="target/dist/SHA256SUMS", type=pathlib.Path)
    parser.add_argument("--out", default="target/dist/manifests", type=pathlib.Path)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    if not re.match(r"^https://[^\s\"'\\]+$", url):
        sys.exit(f"manifests: --url must be an https:// address without quotes or spaces, not '{url}'")
    homepage = args.homepage or re.sub(r"/releases/download/[^/]+$", "", url)
    found, version = archives(args.sums)

    written = []
    def write(path, text):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(str(path))

    formula = homebrew(found, version, url, homepage)
    if formula:
        write(args.out / "homebrew" / "awsmfa.rb", formula)
    else:
        print("manifests: no macOS or Linux archive: no Homebrew formula", file=sys.stderr)
    manifest = scoop(found, version, url, homepage)
    if manifest:
        write(args.out / "scoop" / "awsmfa.json", manifest)
    files = winget(found, version, url, homepage)
    if files:
        for name, text in files.items():
            write(args.out / "winget" / name, text)
    if not manifest:
        print("manifests: no Windows zip: no Scoop or winget manifest", file=sys.stderr)
    print("\n".join(written))


if __name__ == "__main__":
    main()
