# Two commands matter: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG15_BIN ?= /usr/lib/postgresql/15/bin

.PHONY: install demo test lint test-embedded test-pg15 test-isolation bench stop clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/python manage.py dbserver start
	$(BIN)/python manage.py bootstrap_db
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py check
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py rls_audit

lint: install
	$(BIN)/ruff check .

test-embedded: install
	$(BIN)/python -m pytest
	# cdc_check across a PostgreSQL restart: its own process, since it restarts the server.
	CDC_RESTART_TEST=1 $(BIN)/python -m pytest tests/cdc/test_commands.py -k restart -p no:cacheprovider

# The RLS and isolation suites again, on Debian's PostgreSQL 15 (the plan's minimum).
test-pg15: install
	@if [ -x "$(PG15_BIN)/postgres" ]; then \
		export LAKEHOUSE_PG_BIN=$(PG15_BIN) LAKEHOUSE_PGDATA=$(CURDIR)/.pgdata-pg15; \
		$(BIN)/python -m pytest -m "rls or isolation" -p no:cacheprovider && \
		$(BIN)/python -m pytest tests/cdc -p no:cacheprovider -q && \
		CDC_RESTART_TEST=1 $(BIN)/python -m pytest tests/cdc/test_commands.py -k restart -p no:cacheprovider -q; \
	else \
		echo "test-pg15: PostgreSQL 15 not found in $(PG15_BIN); .ci/run installs it (apt-get install postgresql-15)"; \
		exit 1; \
	fi

test: lint test-embedded test-pg15

test-isolation: install
	$(BIN)/python -m pytest -m isolation

# Benchmarks print JSON figures, each with a reference measured in the same run.
bench: install
	$(BIN)/python manage.py bench_seed --scale medium --json
	$(BIN)/python manage.py seed_all --scale medium --seed 1 --clean --verbosity 0
	$(BIN)/python manage.py bench_rls --analyze --json
	$(BIN)/python manage.py cdc_check --seconds 30 --rate 0 --json

stop:
	-LAKEHOUSE_NO_AUTOSTART=1 $(BIN)/python manage.py dbserver stop
	-LAKEHOUSE_NO_AUTOSTART=1 LAKEHOUSE_PG_BIN=$(PG15_BIN) LAKEHOUSE_PGDATA=$(CURDIR)/.pgdata-pg15 \
		$(BIN)/python manage.py dbserver stop

clean: stop
	rm -rf .pgdata .pgdata-pg15 .hypothesis .pytest_cache
