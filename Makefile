# Two entry points a fresh machine needs: `make demo` and `make test`.
# Both build .venv from scratch with only python3 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench

clean:
	rm -rf $(VENV) .reconciler .pytest_cache
