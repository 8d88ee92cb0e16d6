# Ecosystem Tracker: `make run` serves the app with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := TRACKER_ENV=development $(BIN)/flask --app tracker
HOST ?= 127.0.0.1
PORT ?= 5000

SERVE_PORT ?= 8000

.PHONY: run serve test install install-test lint format browser bench clean

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

## The production shape on this machine: the Procfile's release step (migrations), then its
## web (gunicorn, gunicorn.conf.py) on http://127.0.0.1:8000 and its scheduler, under honcho;
## embedded SQLite with the demo data. The README's "Deployment" section has the real thing.
serve: install
	PATH="$(CURDIR)/$(BIN):$$PATH" TRACKER_ENV=development $(BIN)/honcho start -f Procfile release
	$(FLASK) seed-demo
	PATH="$(CURDIR)/$(BIN):$$PATH" TRACKER_ENV=development APP_BASE_URL=http://127.0.0.1:$(SERVE_PORT) \
		$(BIN)/honcho start -f Procfile -p $(SERVE_PORT) web scheduler

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
