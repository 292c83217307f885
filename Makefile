# The two commands a newcomer needs:
#   make demo   sets everything up and runs the demo
#   make test   sets everything up and runs every quality gate and test
.PHONY: setup demo test lint bench clean dist soak

setup:
	@scripts/setup.sh

demo: setup
	@.venv/bin/python scripts/demo.py

test: setup
	@scripts/test.sh

# The soak test with ten seeds while busy loops keep every core occupied: no
# ring may make two nuki_events or none, no command may be carried out twice.
# PYTHON=.venv-ha2026/bin/python for the newest Home Assistant, SEEDS="..." for others.
soak: setup
	@scripts/soak.sh

# Both integrations in a real Home Assistant against the stand-ins (about 8 min);
# table, results.json and charts in .artifacts/bench/.
bench: setup
	@.venv/bin/python -m bench

# The library's sdist and wheel in dist/, checked as PyPI will check them
# (release.yml builds and publishes the same way on a version tag).
dist: setup
	@rm -rf dist
	@.venv/bin/python -m build --outdir dist .
	@.venv/bin/twine check --strict dist/*

lint: setup
	@.venv/bin/ruff check src custom_components tests bench scripts
	@.venv/bin/mypy

clean:
	rm -rf .venv .venv-ha2026 .venv-hass .artifacts .coverage .coverage.* dist
