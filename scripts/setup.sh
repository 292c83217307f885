#!/usr/bin/env bash
# Creates or refreshes everything the project needs. Safe to run again: it only
# does what is missing or outdated.
#   .venv          CPython 3.13: Home Assistant 2025.4.4 and its test harness (the
#                  oldest release the integration supports), the dev tools
#   .venv-ha2026   CPython 3.14: the test harness of the newest release it supports
#                  (Home Assistant 2026.10.4)
#   .venv-hass     CPython 3.14: Home Assistant 2026.11.0, what users run, for the
#                  demo and the end-to-end tests; the library is not installed
#                  there: Home Assistant installs it from the manifest
# CPython 3.14 comes from scripts/python314.sh (a cache outside the checkout).
# Debian packages: the Mosquitto broker, Chromium for the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local candidate
    if command -v pyenv >/dev/null 2>&1; then
        candidate="$(pyenv root)/versions/3.13.0/bin/python"
        [ -x "$candidate" ] && { echo "$candidate"; return; }
    fi
    for candidate in "${HOME}/.pyenv/versions/3.13.0/bin/python" python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            command -v "$candidate"; return
        fi
    done
    echo "error: CPython 3.13 not found (looked in pyenv and on PATH)" >&2
    exit 1
}

# make_venv DIR PYTHON LOCKFILE [editable]: DIR from LOCKFILE, refreshed when
# the lock file or pyproject.toml changes.
make_venv() {
    local dir="$1" python="$2" lock="$3" editable="${4:-}"
    local version
    version="$("$python" -c 'import sys; print(sys.version_info[:2])')"
    if [ ! -x "$dir/bin/python" ] ||
        [ "$("$dir/bin/python" -c 'import sys; print(sys.version_info[:2])' 2>/dev/null)" != "$version" ]; then
        rm -rf "$dir"
        "$python" -m venv "$dir"
        "$dir/bin/python" -m pip install --quiet --upgrade pip
    fi
    local stamp="$dir/.installed" want
    want="$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "setup: installing Python packages into $dir (first run takes a few minutes)"
        "$dir/bin/python" -m pip install --quiet -r "$lock"
        if [ -n "$editable" ]; then
            "$dir/bin/python" -m pip install --quiet --no-deps -e .
        else
            "$dir/bin/python" -m pip uninstall --quiet --yes nukilocal 2>/dev/null || true
        fi
        echo "$want" > "$stamp"
    fi
}

make_venv .venv "$(find_python)" requirements-lock.txt editable

python314="$(scripts/python314.sh)"
make_venv .venv-ha2026 "$python314" requirements-ha2026.txt editable
make_venv .venv-hass "$python314" requirements-hass.txt

# Debian packages: Mosquitto (MQTT tests), Chromium (the end-to-end tests'
# screenshot of Home Assistant's dashboard) and libturbojpeg (without it Home
# Assistant logs an error at every start). Installed only when missing.
apt_packages=()
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    apt_packages+=(mosquitto mosquitto-clients)
fi
if ! command -v chromium >/dev/null 2>&1; then
    # Without recommends Chromium has no fonts: the screenshot would show boxes.
    apt_packages+=(chromium fonts-liberation)
fi
if ! command -v ffmpeg >/dev/null 2>&1; then
    # Home Assistant 2026.x sets up its ffmpeg integration at every start and
    # logs an error without the program (Home Assistant OS ships it).
    apt_packages+=(ffmpeg)
fi
if ! dpkg -s libturbojpeg0 >/dev/null 2>&1; then
    apt_packages+=(libturbojpeg0)
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages ${apt_packages[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
        "${apt_packages[@]}" >/dev/null
fi
