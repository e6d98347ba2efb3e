# Self-documenting: `make help`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help serve test lint setup bench translations clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/issuer: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	git config core.hooksPath .githooks 2>/dev/null || true
	touch $(BIN)/issuer

setup: $(BIN)/issuer  ## Create .venv and install the package

serve: setup  ## Set up and run the service (SQLite, generated keys, demo catalogue)
	$(BIN)/issuer init --demo --host $(HOST) --port $(PORT)
	$(BIN)/issuer serve --host $(HOST) --port $(PORT)

test: setup  ## Set up and run the whole test suite, gates included (tests/test_gates.py)
	./scripts/system-packages.sh
	$(BIN)/pytest

lint: setup  ## Run the gates alone: ruff, mypy, import-linter (config in pyproject.toml)
	$(BIN)/ruff check issuer tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup  ## Print the benchmark figures (python -m bench)
	$(BIN)/python -m bench

translations:  ## Re-extract messages and merge them into the French catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext --no-location --sort-output -o issuer/locale/messages.pot .
	$(BIN)/python tools/translations_fr.py

clean:  ## Remove the virtualenv and caches (keeps keys/ and var/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/interop/node_modules tests/browser/node_modules
