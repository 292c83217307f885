#!/usr/bin/env bash
# The quality gates, in order: lint, types, the library's and the integration's
# tests on both ends of the supported range, coverage, then the end-to-end
# tests against a real Home Assistant (artifacts: the dashboard screenshot and
# Home Assistant's log in .artifacts/).
#   oldest: Home Assistant 2025.4.4 on CPython 3.13 (.venv, with coverage)
#   newest: Home Assistant 2026.10.4 on CPython 3.14 (.venv-ha2026), the newest
#           release pytest-homeassistant-custom-component supports
#   end-to-end: Home Assistant 2026.11.0 on CPython 3.14 (.venv-hass)
# The library's tests run without Home Assistant's test plugin (it replaces the
# event loop policy and guards sockets); the integration's tests run with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .artifacts
rm -f .coverage .coverage.*
newest=.venv-ha2026/bin/python

echo "== ruff"
ruff check src custom_components tests bench scripts demo
ruff format --check src custom_components tests bench scripts demo

echo "== mypy --strict (library and integration; demo stack and end-to-end tests)"
mypy
mypy --strict demo tests/e2e

echo "== library tests, CPython 3.13"
python -m pytest -p no:homeassistant tests/lib \
    --cov --cov-report= --cov-append -q "$@"

echo "== library tests, CPython 3.14"
"$newest" -m pytest -p no:homeassistant tests/lib -q "$@"

echo "== integration tests, Home Assistant 2025.4.4 (CPython 3.13)"
python -m pytest tests/components \
    --cov --cov-report= --cov-append -q "$@"

echo "== integration tests, Home Assistant $("$newest" -c 'from homeassistant.const import __version__; print(__version__)') (CPython 3.14)"
"$newest" -m pytest tests/components -q "$@"

echo "== coverage (all, then the integration on its own)"
coverage report --fail-under=85
coverage report --include='custom_components/*' --precision=1 --fail-under=94

echo "== end-to-end tests, Home Assistant $(.venv-hass/bin/python -c 'from homeassistant.const import __version__; print(__version__)') (the demo stack: stand-ins, broker, Chromium)"
python -m pytest -p no:homeassistant tests/e2e -q "$@"
