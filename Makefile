# Two commands on a fresh machine with Python 3.11: `make serve` and `make test`.
# Each creates the virtual environment it needs in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build build-public test lint format browser-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install Debian's python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

## Build the example knowledge base and serve it on http://127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/pmkb check
	$(BIN)/pmkb serve --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

## The public incident history (mkdocs.public.yml) into site-public/; fails on any leak
build-public: $(STAMP)
	$(BIN)/pmkb build --public

## Run the whole test suite (browser tests need Debian's chromium: `make browser-deps`)
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/ruff format --check plugins tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports   # the layers in pyproject.toml [tool.importlinter]
	node --test tests/js/

format: $(STAMP)
	$(BIN)/ruff format plugins tests benchmarks
	$(BIN)/ruff check --fix plugins tests benchmarks

## Debian's Chromium for the browser tests (needs root)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean:
	rm -rf site site-public .pmkb
