# flask-authadapter: `make demo` runs the example, `make test` runs every check.
# Each creates the virtual environment in .venv and installs what it needs first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench system-deps clean
BENCH_STAMP := $(VENV)/.installed-bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres,mysql,migrations,demo]"
	touch $(STAMP)

## demo: the example on http://127.0.0.1:5000 (PORT=... to change), with a local mail sink
##       and OpenID provider; upgrades its database first; Ctrl-C stops it all
demo: $(STAMP)
	$(BIN)/python -m example

## test: lint, format check, type check (mypy strict) and the whole pytest suite
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres,bench]"
	touch $(BENCH_STAMP)

## bench: the benchmarks of benchmarks/README.md side by side (Flask-Login, Flask-Security-Too,
##        gunicorn + wrk, PostgreSQL started as the tests start it): one table and
##        benchmarks/results.json, in about 5 minutes
bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || echo "make bench: wrk is not installed (apt-get install wrk): the HTTP figures use the slower Python load generator"
	$(BIN)/python -m benchmarks

## system-deps: install the Debian packages the tests use (PostgreSQL, MariaDB), as root
system-deps:
	bash scripts/install-system-deps

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache instance
