# Every target installs what it needs, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test

.PHONY: run test bench lint system-deps clean

# The demo server: standard library only, SQLite in memory, port 5433.
run:
	$(PYTHON) -m riffq

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# psql and a PostgreSQL server are real test peers (differential tests);
# psqlODBC (with unixODBC) is the ODBC client of tests/test_catalog_odbc.py;
# valgrind counts instructions in bench/instructions.py.
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then \
		echo "installing PostgreSQL (server and psql) for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null; \
	fi
	@if ! command -v valgrind >/dev/null 2>&1; then \
		echo "installing valgrind for tests/test_bench_smoke.py (bench/instructions.py)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; \
	fi
	@if ! odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1; then \
		echo "installing psqlODBC and unixODBC for the ODBC client tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq odbc-postgresql unixodbc >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: $(STAMP) system-deps
	$(PY) bench/run.py

lint: $(STAMP)
	$(PY) -m compileall -q riffq

clean:
	rm -rf $(VENV) build *.egg-info
