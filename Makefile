# Talk for Django. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export TALK_DATA_DIR ?= $(CURDIR)/data
SHARED_DATA ?= $(CURDIR)/../shared/data
DEMO_FILES ?= $(SHARED_DATA)/disqus-export-2023.xml $(SHARED_DATA)/wordpress-theme-unit-test.xml
PYTEST_ARGS ?=

.PHONY: help install run demo-data test test-fast test-browser test-postgres lint format schema chromium clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Create the virtual environment and install everything

demo-data: install ## Migrate, set up the demo site and import the demo exports once
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py setup_demo --origin http://$(HOST):$(PORT) --origin http://localhost:$(PORT)
	@if [ ! -f "$(TALK_DATA_DIR)/.demo-imported" ]; then \
	  for f in $(DEMO_FILES); do \
	    if [ -f "$$f" ]; then $(PY) manage.py import_comments "$$f" || exit 1; \
	    else echo "demo export $$f not found: skipping"; fi; \
	  done; \
	  touch "$(TALK_DATA_DIR)/.demo-imported"; \
	fi

run: demo-data ## Set up and serve the platform on the embedded default (SQLite) at http://$(HOST):$(PORT)/
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

chromium: ## Install Debian's Chromium for the browser tests (needs root)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: run 'sudo apt-get install chromium'"; exit 1; fi; \
	fi

test: install chromium ## Set up and run the whole test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install ## Run the suite without the browser and slow multi-process tests
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

test-postgres: install ## Run the suite (browser tests aside) on the local PostgreSQL (127.0.0.1:5432)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/talk $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install ## Ruff lint and format check, migrations and GraphQL schema up to date
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) manage.py graphql_schema --out /tmp/talk-schema.graphql >/dev/null && diff -u schema.graphql /tmp/talk-schema.graphql

format: install ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schema: install ## Regenerate schema.graphql
	$(PY) manage.py graphql_schema --out schema.graphql

clean: ## Remove the virtual environment and the local data directory
	rm -rf $(VENV) data
