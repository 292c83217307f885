#!/usr/bin/env bash
# Creates or refreshes everything the project needs: the virtual environment
# in .venv (CPython 3.13, pinned packages), the Mosquitto broker the tests
# run against and Chromium for the end-to-end tests. Safe to run again: it
# only does what is missing or outdated.
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

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then
    rm -rf .venv
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi

stamp=.venv/.installed
want="$(cat requirements-lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing Python packages into .venv (first run takes a few minutes)"
    .venv/bin/python -m pip install --quiet -r requirements-lock.txt
    .venv/bin/python -m pip install --quiet --no-deps -e .
    echo "$want" > "$stamp"
fi

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
