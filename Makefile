# The README's two commands: `make demo` and `make test`. Both create the venv when missing
# and reinstall when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench bench-tools venv

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

venv: $(INSTALLED)

demo: $(INSTALLED)
	DEBUG=1 $(BIN)/python manage.py sandbox --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The load benchmarks (callbacks, api) need wrk; py-spy makes their --profile flame graphs;
# bench/instructions.py counts instructions with valgrind.
bench-tools: $(INSTALLED)
	command -v wrk || apt-get install -y wrk
	command -v valgrind || apt-get install -y valgrind
	$(BIN)/python -m pip install --quiet py-spy

bench: $(INSTALLED) bench-tools
	$(BIN)/python bench/crypto.py
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/tokens.py
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/sso.py
