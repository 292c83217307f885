#!/usr/bin/env bash
# The quality gates, in order: lint, types, the whole test suite with coverage.
# The library's tests run without Home Assistant's test plugin (it replaces the
# event loop policy and guards sockets); the integration's tests run with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .artifacts
rm -f .coverage .coverage.*

echo "== ruff"
ruff check src custom_components tests bench scripts
ruff format --check src custom_components tests bench scripts

echo "== mypy --strict (library)"
mypy

echo "== library tests"
python -m pytest -p no:homeassistant tests/lib \
    --cov --cov-report= --cov-append -q "$@"

echo "== integration tests"
python -m pytest tests/components \
    --cov --cov-report= --cov-append -q "$@"

echo "== coverage"
coverage report --fail-under=85
