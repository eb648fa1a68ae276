# The two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app hilogistics
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format system-deps clean reset-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

## run: install, migrate the SQLite database in instance/, load demo data when empty, serve.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) hilo seed-demo
	@$(FLASK) hilo demo-logins
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## test: install test extras and system packages (as root), lint, then the whole suite.
test: $(VENV)/.installed-test system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## reset-demo: delete the SQLite database in instance/ (after a yes), so `make run` loads a fresh demo.
reset-demo:
	@if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: reset-demo only deletes the SQLite demo in instance/." >&2; exit 1; fi
	@printf 'Delete instance/hilogistics.sqlite and everything recorded in it? [y/N] '; read answer; [ "$$answer" = y ] || [ "$$answer" = yes ]
	rm -f instance/hilogistics.sqlite instance/hilogistics.sqlite-wal instance/hilogistics.sqlite-shm instance/demo-logins.txt
	@echo "Done. Run make run to load a fresh demo."

## system-deps: install (as root) the Debian packages the tests need, then start the browser once.
system-deps: $(VENV)/.installed-test
	@PYTHON_BIN=$(BIN)/python scripts/ensure-test-deps.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
