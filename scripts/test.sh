#!/usr/bin/env bash
# The quality gates, in order: lint, types, the whole test suite with coverage,
# then the end-to-end tests against a real Home Assistant (artifacts: the
# dashboard screenshot and Home Assistant's log in .artifacts/).
# The library's tests run without Home Assistant's test plugin (it replaces the
# event loop policy and guards sockets); the integration's tests run with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .artifacts
rm -f .coverage .coverage.*

echo "== ruff"
ruff check src custom_components tests bench scripts demo
ruff format --check src custom_components tests bench scripts demo

echo "== mypy --strict (library and integration; demo stack and end-to-end tests)"
mypy
mypy --strict demo tests/e2e

echo "== library tests"
python -m pytest -p no:homeassistant tests/lib \
    --cov --cov-report= --cov-append -q "$@"

echo "== integration tests"
python -m pytest tests/components \
    --cov --cov-report= --cov-append -q "$@"

echo "== coverage (all, then the integration on its own)"
coverage report --fail-under=85
coverage report --include='custom_components/*' --precision=1 --fail-under=94

echo "== end-to-end tests (the demo stack: stand-ins, broker, Home Assistant, Chromium)"
python -m pytest -p no:homeassistant tests/e2e -q "$@"
