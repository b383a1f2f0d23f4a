# flask-authadapter: `make demo` runs the example, `make test` runs every check.
# Each creates the virtual environment in .venv and installs what it needs first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check test-min lint typecheck pytest bench system-deps clean
BENCH_STAMP := $(VENV)/.installed-bench
DEMO_STAMP  := $(VENV)/.installed-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres,mysql,migrations,demo]"
	touch $(STAMP)

# Only what the demo runs (the package's dependencies, the mail sink and OpenID provider,
# Flask-Migrate); the demo imports the package from the checkout, so nothing is built.
$(DEMO_STAMP): pyproject.toml scripts/requirements.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python scripts/requirements.py demo,migrations > $(VENV)/requirements-demo.txt
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements-demo.txt
	touch $(DEMO_STAMP)

## demo: the example on http://127.0.0.1:5000 (PORT=... to change), with a local mail sink
##       and OpenID provider; upgrades its database first; Ctrl-C stops it all
demo: $(DEMO_STAMP)
	$(BIN)/python -m example

## test: lint, format check, type check (mypy strict) and the whole pytest suite
test: lint typecheck pytest

# What `make check` leaves out: the tests that need a server, a browser or a wheel build, and
# the slow ones (pyproject.toml's markers; tests/conftest.py applies them).
QUICK_TESTS := -m "not postgres and not mariadb and not redis and not browser and not wheel and not slow"

## check: the quick loop (under a minute): lint, format check, type check and the tests
##        that need no server, browser or wheel build, on two processes
check: lint typecheck
	$(BIN)/pytest -q -n 2 $(QUICK_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# The lowest versions pyproject.toml allows, in a virtual environment of their own.
MIN_VENV  := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed
MIN_EXTRAS := postgres,mysql,redis,migrations
# The suite on SQLite and Redis (no PostgreSQL or MariaDB, no browser): about a minute.
MIN_TESTS := tests/core tests/adapters tests/web tests/providers tests/config tests/ratelimit \
	tests/email_flow tests/extension tests/test_*.py

$(MIN_STAMP): pyproject.toml scripts/requirements.py
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python scripts/requirements.py --lowest $(MIN_EXTRAS) > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_VENV)/constraints.txt \
		-e ".[$(MIN_EXTRAS)]" pytest pytest-timeout hypothesis aiosmtpd oidc-provider-mock
	touch $(MIN_STAMP)

## test-min: the tests on SQLite and Redis, on the lowest declared versions of the dependencies
test-min: $(MIN_STAMP)
	$(MIN_VENV)/bin/pytest -k "not postgres and not mariadb" $(MIN_TESTS)

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
	rm -rf $(VENV) $(MIN_VENV) .mypy_cache .ruff_cache .pytest_cache instance
