# Cầu Họp — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export DATA_DIR ?= $(CURDIR)/data

.PHONY: demo test test-sqlite test-postgres check services services-stop install bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate, seed the demo province into ./data (SQLite), serve on http://127.0.0.1:8000
demo: $(STAMP)
	bash scripts/system-deps
	$(VENV)/bin/cauhop migrate
	$(VENV)/bin/cauhop seed-demo --if-empty
	$(VENV)/bin/cauhop serve --demo

## make test: install what the tests need, start PostgreSQL, run the whole suite on SQLite, then on PostgreSQL
test: $(STAMP)
	bash scripts/test

check: $(STAMP)
	bash scripts/check

services: $(STAMP)
	bash scripts/services start

services-stop:
	bash scripts/services stop

## make bench: every benchmark in bench/ (a few minutes each; figures and commands in bench/RESULTS.md)
bench: $(STAMP)
	$(PY) bench/scheduling.py
	$(PY) bench/fanout.py
	$(PY) bench/documents.py
	$(PY) bench/relay.py

clean:
	rm -rf $(VENV) data .services test-output
