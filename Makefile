# Two commands matter: `make demo` and `make test` (see README.md). `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PG15_BIN ?= /usr/lib/postgresql/15/bin
PG15_ENV := LAKEHOUSE_PG_BIN=$(PG15_BIN) LAKEHOUSE_PGDATA=$(CURDIR)/.pgdata-pg15
# `DEMO_CLEAN=1 make demo` rebuilds the world; by default an existing one is kept.
DEMO_FLAGS := $(if $(filter 1 yes true,$(DEMO_CLEAN)),--clean,)

.PHONY: help install demo reseed test lint test-embedded test-pg15 test-isolation bench stop clean \
	status report audit shell

help:  ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'
	@echo "  Any manage.py command: $(MANAGE) <command> --help  (or: source $(BIN)/activate)"

install: $(VENV)/.installed  ## create .venv and install the project with its dev extras

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install  ## install, start PostgreSQL, bootstrap, migrate, seed (kept if present), audit
	$(MANAGE) dbserver start
	$(MANAGE) bootstrap_db
	$(MANAGE) migrate --database owner --verbosity 0
	$(MANAGE) check --database default
	$(MANAGE) demo $(DEMO_FLAGS)
	$(MANAGE) rls_audit

reseed:  ## delete the demo world and seed it again (same as DEMO_CLEAN=1 make demo)
	$(MAKE) demo DEMO_CLEAN=1

status: install  ## one screen: server, roles, world, slots, last landed file
	$(MANAGE) status

report: install  ## the HTML report of every metric (report.html)
	$(MANAGE) report --out report.html

audit: install  ## the security review of the live database
	$(MANAGE) rls_audit

shell: install  ## a shell with the virtualenv active
	@echo "(.venv active; exit to leave)"; . $(BIN)/activate && exec $${SHELL:-/bin/sh}

lint: install  ## ruff
	$(BIN)/ruff check .

# Stops the embedded server afterwards only if the tests started it (a demo server keeps running).
test-embedded: install
	@was_running=$$(LAKEHOUSE_NO_AUTOSTART=1 $(MANAGE) dbserver status --json 2>/dev/null \
		| $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["running"])' 2>/dev/null || echo False); \
	status=0; \
	$(BIN)/python -m pytest && \
	CDC_RESTART_TEST=1 $(BIN)/python -m pytest tests/cdc/test_commands.py -k restart -p no:cacheprovider \
	|| status=$$?; \
	if [ "$$was_running" != "True" ]; then LAKEHOUSE_NO_AUTOSTART=1 $(MANAGE) dbserver stop >/dev/null 2>&1 || true; fi; \
	exit $$status

# The RLS, isolation, attack (marked rls), CDC and lake suites again, on Debian's PostgreSQL 15 (the plan's minimum).
test-pg15: install
	@if [ -x "$(PG15_BIN)/postgres" ]; then \
		export $(PG15_ENV); \
		status=0; \
		$(BIN)/python -m pytest -m "rls or isolation" -p no:cacheprovider && \
		$(BIN)/python -m pytest tests/cdc tests/lakehouse -p no:cacheprovider -q && \
		CDC_RESTART_TEST=1 $(BIN)/python -m pytest tests/cdc/test_commands.py -k restart -p no:cacheprovider -q \
		|| status=$$?; \
		LAKEHOUSE_NO_AUTOSTART=1 $(MANAGE) dbserver stop >/dev/null 2>&1 || true; \
		exit $$status; \
	else \
		echo "test-pg15: PostgreSQL 15 not found in $(PG15_BIN); .ci/run installs it (apt-get install postgresql-15)"; \
		exit 1; \
	fi

test: lint test-embedded test-pg15  ## ruff + the whole suite (embedded PostgreSQL, then PostgreSQL 15)

test-isolation: install  ## the property-based isolation proofs only
	$(BIN)/python -m pytest -m isolation

# Benchmarks print JSON figures, each with a reference measured in the same run.
bench: install  ## the benchmarks (JSON): seeding, RLS tax, CDC
	$(MANAGE) bench_seed --scale medium --json
	$(MANAGE) seed_all --scale medium --seed 1 --clean --verbosity 0
	$(MANAGE) bench_rls --analyze --json
	$(MANAGE) bench_dms --format parquet
	$(MANAGE) bench_dms --format csv
	$(MANAGE) cdc_check --seconds 30 --rate 0 --json
	$(MANAGE) lake_bench --freshness-seconds 30

stop:  ## stop the local servers (embedded PostgreSQL, PostgreSQL 15, the local S3)
	-LAKEHOUSE_NO_AUTOSTART=1 $(MANAGE) s3server stop
	-LAKEHOUSE_NO_AUTOSTART=1 $(MANAGE) dbserver stop
	-LAKEHOUSE_NO_AUTOSTART=1 $(PG15_ENV) $(MANAGE) dbserver stop

clean: stop  ## stop the servers and delete their data folders
	rm -rf .pgdata .pgdata-pg15 .hypothesis .pytest_cache
