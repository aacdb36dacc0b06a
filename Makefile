# Every target bootstraps .venv itself: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help stress test lint typecheck layering drift regenerate-check regenerate conformance mock bench clean chromium

help:  ## list the targets
	@grep -E '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# (Re)install when the venv is missing or pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

$(VENV): $(STAMP)  ## create .venv and install the project with its test extra

test: $(STAMP) lint typecheck drift layering chromium  ## everything CI runs: lint, types, drift (spec + generated/), layering, pytest
	$(PY) -m pytest -q tests contract_tests

lint: $(STAMP)  ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy --strict on generated/, overlays/, scripts/, tests/
	$(BIN)/mypy

drift: $(STAMP)  ## upstream pages -> openapi.yaml -> generated/: one summary, fails on any drift
	$(PY) scripts/drift.py

regenerate-check: $(STAMP)  ## fail when generated/ or spec.lock.json is stale
	$(PY) scripts/regenerate.py --check

layering: $(STAMP)  ## enforce spec -> generated -> overlays -> contract_tests -> scripts
	$(BIN)/lint-imports --no-cache

regenerate: $(STAMP)  ## rewrite generated/ and spec.lock.json from openapi.yaml
	$(PY) scripts/regenerate.py

# GNU make itself can only exit 0, 1 or 2: when the run does not pass, the recipe names the script's own exit code
# (1 fail, 2 usage, 3 inconclusive, 130 interrupted); CI that needs it calls the script directly.
conformance: $(STAMP)  ## the main job: contract suite against the embedded mock (ARGS="--target URL ..."), reports/
	@$(PY) scripts/conformance.py $(ARGS) || { code=$$?; \
		echo "make conformance: scripts/conformance.py exited $$code (make reports it as 2; run the script for the code)" >&2; \
		exit $$code; }

# The HTML report test renders the page in headless Chromium (Debian's package); installed here when possible,
# otherwise that one test is skipped and says how to run it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } \
		|| echo "chromium unavailable (needs root and apt-get): the HTML report test will be skipped"

mock: $(STAMP)  ## serve the stateful mock on http://127.0.0.1:4010 (ARGS="--fault server_error,count=3 ...")
	$(PY) -m contract_tests.mock $(ARGS)

stress: $(STAMP)  ## the mock under 100,000 requests over 16 connections on 127.0.0.1 (make test sends 4,000)
	TOKENOPS_STRESS_REQUESTS=100000 $(PY) -m pytest -q tests/test_mock_load.py

bench: $(STAMP)  ## performance benchmarks (ratios measured in one run); not part of make test
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 \
		|| echo "wrk unavailable: bench_mock falls back to its Python load generator"
	$(PY) benchmarks/run_all.py

clean:  ## remove the venv, caches and reports
	rm -rf $(VENV) reports .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
