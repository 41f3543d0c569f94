# Two commands for a newcomer: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint format openapi bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## run: install, migrate the embedded SQLite database, load the demo org, serve on :5000
run: $(VENV)/.installed
	$(BIN)/accord db upgrade
	$(BIN)/accord demo --if-empty
	$(BIN)/accord run --host 127.0.0.1 --port 5000

## test: install test tools (PostgreSQL, Chromium) and run everything on SQLite and PostgreSQL
test: $(VENV)/.installed-test
	./scripts/install-test-services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_imports.py
	./scripts/run-tests.sh

## test-fast: the unit tests only (no database, no browser)
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -q tests/unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_imports.py

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## openapi: rewrite the committed OpenAPI document from the code
openapi: $(VENV)/.installed
	$(BIN)/accord openapi write --format=json openapi.json

bench: $(VENV)/.installed-test
	$(BIN)/python bench/evaluate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
