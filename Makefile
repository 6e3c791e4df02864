# Permit Portal. `make demo` and `make test` work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every package pinned with its hashes (pip-tools; `make lock` writes them from pyproject.toml).
LOCK := requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
APPS := core accounts licenses policy permits applications reviews inspections payments notifications portal demo
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint format install lock migrate seed serve worker beat bench bench-smoke load mutation audit lighthouse messages clean help

help:
	@echo "make demo   - install, migrate, seed the demo city and serve on http://127.0.0.1:8000"
	@echo "make test   - install and run lint and the whole test suite"
	@echo "make bench  - generate a 1,000,000-permit city on PostgreSQL and benchmark it (PERMITS=...)"
	@echo "make audit  - check the installed packages against the vulnerability database (needs it reachable)"
	@echo "make load   - 50 Locust users for 2 minutes against gunicorn on PostgreSQL, then the ledger checks"
	@echo "make lighthouse - Lighthouse (mobile) on five pages under gunicorn, scores into docs/performance.md"
	@echo "make mutation - mutation testing of the money, state and access rules (mutmut; docs/testing.md)"
	@echo "make messages - the words marked in the code into the catalogues, then compiled (docs/i18n.md)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# After a change to pyproject.toml's dependencies: pin them again, with their hashes.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --extra dev \
		--output-file requirements-dev.lock pyproject.toml

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
	$(BIN)/bandit --quiet --recursive --severity-level high --exclude '*/migrations/*' $(APPS)
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=portal.settings.test
	$(BIN)/pytest $(PYTEST_ARGS)

# The translation catalogues (docs/i18n.md): the words marked in the code into locale/*/LC_MESSAGES/
# *.po (makemessages: needs GNU gettext), then each .po compiled to its committed .mo (pure Python).
messages: install
	$(BIN)/python tools/messages.py extract compile check

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO

PERMITS ?= 1000000
bench: install
	bench/prepare.sh
	$(BIN)/python bench/generate.py --permits $(PERMITS)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/notifying.py

# The benchmark on a city of 3,000 permits, every page asked a few times and nothing judged: CI
# runs it so that the generator's SQL cannot fall behind the migrations (PostgreSQL and Redis up).
SMOKE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/permit_portal_bench_smoke
bench-smoke: install
	$(BIN)/python bench/generate.py --permits 3000 --database-url $(SMOKE_DATABASE_URL)
	$(BIN)/python bench/run.py --smoke --database-url $(SMOKE_DATABASE_URL)
	$(BIN)/python bench/notifying.py --smoke --users 200 --moves 5 --database-url $(SMOKE_DATABASE_URL)

# Known vulnerabilities in the installed packages: needs a machine that can reach the
# vulnerability database (PyPI's advisory service); installs pip-audit on first use.
audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --strict

# Needs PostgreSQL and Redis running (it never starts or restarts them); LOAD_ARGS="--no-wait" etc.
load: install
	$(BIN)/python load/run.py $(LOAD_ARGS)

# Mutation testing of the rules, each module against its own tests, on the local PostgreSQL (so
# that the row-lock tests run too); MUTATION_DATABASE_URL= (empty) runs on SQLite, faster.
# MUTATION_ARGS="trust refunds" runs some modules; --keep reuses mutmut's earlier results.
MUTATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/permit_portal_mutation
mutation: install
	$(BIN)/python mutation/run.py $(if $(MUTATION_DATABASE_URL),--database-url $(MUTATION_DATABASE_URL)) $(MUTATION_ARGS)

# Lighthouse (npm, into var/lighthouse) with Debian's Chromium on five public pages served by
# gunicorn with the production settings; the scores go into docs/performance.md. The database:
# LIGHTHOUSE_DATABASE_URL, else the benchmark's (make bench) if present, else a freshly seeded demo
# city in SQLite. Needs Redis on 127.0.0.1:6379 (the production settings' cache, databases 14-15).
LIGHTHOUSE_VERSION := 12.2.3
LIGHTHOUSE_DIR := var/lighthouse
CHROME_PATH ?= /usr/bin/chromium
LIGHTHOUSE_RUNS ?= 3
$(LIGHTHOUSE_DIR)/.installed-$(LIGHTHOUSE_VERSION):
	mkdir -p $(LIGHTHOUSE_DIR)
	npm install --prefix $(LIGHTHOUSE_DIR) --no-audit --no-fund --loglevel=error lighthouse@$(LIGHTHOUSE_VERSION)
	touch $@

lighthouse: install $(LIGHTHOUSE_DIR)/.installed-$(LIGHTHOUSE_VERSION)
	CHROME_PATH=$(CHROME_PATH) $(BIN)/python bench/lighthouse.py --runs $(LIGHTHOUSE_RUNS) $(LIGHTHOUSE_ARGS)

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
