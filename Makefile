# Permit Portal. `make demo` and `make test` work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint format install migrate seed serve worker beat bench load clean help

help:
	@echo "make demo   - install, migrate, seed the demo city and serve on http://127.0.0.1:8000"
	@echo "make test   - install and run lint and the whole test suite"
	@echo "make bench  - generate a 1,000,000-permit city on PostgreSQL and benchmark it"
	@echo "make load   - 50 Locust users for 2 minutes against gunicorn on PostgreSQL, then the ledger checks"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

demo: seed
	@echo "Permit Portal: http://127.0.0.1:8000  (logins in the README; mail lands in var/mail/)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=portal.settings.test
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO

bench: install
	bench/prepare.sh
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/run.py

# Needs PostgreSQL and Redis running (it never starts or restarts them); LOAD_ARGS="--no-wait" etc.
load: install
	$(BIN)/python load/run.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
