# The two commands a newcomer needs: `make dev` and `make test`. Both bootstrap everything
# from the lock file with only Python 3.11+, make and access to PyPI.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .xpcore/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
XPCORE := $(BIN)/python -m src.cli
TEST_WORKERS ?= auto
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install dev test test-fast lint format migrate revision seed down bench clean

help:
	@echo "make dev       embedded Postgres+Valkey (unless DATABASE_URL/REDIS_URL), migrate, seed, serve :8000"
	@echo "make test      the whole suite (real Postgres and Redis; embedded when no URLs are set)"
	@echo "make lint      ruff format --check, ruff check, mypy src"
	@echo "make migrate   xpcore database upgrade"
	@echo "make revision m='what changed'   a new DDL revision (functions need none: edit db/functions)"
	@echo "make down      stop the embedded servers"
	@echo "make bench     run the benchmarks in bench/ (see bench/README.md)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	@touch $@

install: $(VENV)/.synced

dev: install
	$(BIN)/python -m src.devserver

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(BIN)/pytest -x -q -m "not slow"

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(XPCORE) database upgrade --no-prompt

revision: install
	@test -n "$(m)" || (echo "usage: make revision m='what changed'" && exit 2)
	$(XPCORE) db-functions revision -m "$(m)"

seed: install
	$(XPCORE) seed demo

down: install
	$(BIN)/python -m src.embedded down

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(TOOLS)
