# The two commands: `make run` and `make test`. Everything they need is set up on the way.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
CHROMIUM_STAMP := $(VENV)/.chromium-stamp

.PHONY: run test setup lint typecheck check schema reindex bench clean

run: setup
	$(PY) -m server serve

test: setup lint typecheck
	$(PY) -m pytest

setup: $(STAMP) $(NODE_STAMP) $(CHROMIUM_STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[local,dev]'
	touch $@

# The browser tests drive Debian's Chromium: Playwright cannot download its own browser here.
$(CHROMIUM_STAMP): $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy

check: lint typecheck test

schema: setup
	$(PY) -m server export-schema

reindex: setup
	$(PY) -m server reindex

bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) -m bench.read_mix

.PHONY: bench-search
bench-search: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) -m bench.search

.PHONY: bench-discussion
bench-discussion: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) -m bench.discussion

.PHONY: bench-funding
bench-funding: setup
	$(PY) -m bench.funding

.PHONY: bench-live
bench-live: setup
	$(PY) -m bench.live

.PHONY: bench-crash
bench-crash: setup
	$(PY) -m bench.crash_recovery

clean:
	rm -rf $(VENV) node_modules
