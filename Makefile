# Ecosystem Tracker: `make run` serves the app with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := TRACKER_ENV=development $(BIN)/flask --app tracker
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lint format browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Serve on http://127.0.0.1:5000 with the embedded SQLite database and demo data.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) refresh
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) serve --host $(HOST) --port $(PORT)

## The whole suite: on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set.
test: install-test browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Debian's chromium for the browser tests (no browser download).
browser:
	@bash scripts/ensure-chromium.sh

## Every page, the scan, the digest, exports and an import at 1x, 10x and 100x the demo, on
## SQLite (and PostgreSQL with TEST_DATABASE_URL): printed, and written to bench/results/;
## then what hostile and large uploads cost. BENCH_ARGS passes options (--help lists them).
bench: install-test
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)
	$(BIN)/python scripts/upload_memory.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
