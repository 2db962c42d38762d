# creditguard — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= var/demo.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test gates pytest venv clean bench format

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

## make demo: virtual environment, a fresh SQLite database with a synthetic portfolio, the server.
demo: $(STAMP)
	$(BIN)/creditguard demo --database-url sqlite:///$(DEMO_DB) --host $(HOST) --port $(PORT)

## make test: every gate, then the whole suite (PostgreSQL too when CREDITGUARD_TEST_DATABASE_URL is set).
test: $(STAMP) gates pytest

gates: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/foundation.py
	$(BIN)/python bench/analytics.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
