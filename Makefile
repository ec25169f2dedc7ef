# The two commands a newcomer runs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck bench clean assets browser screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

## run: install, migrate ./data/sonic.db, create the first admin, serve on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/sonic db migrate
	$(BIN)/sonic users ensure-admin
	$(BIN)/sonic serve

## test: install dev extras and run the whole suite in parallel; ARGS narrows it
## (make test ARGS="-x tests/content")
ARGS ?=
test: $(DEV_STAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(ARGS)

## browser: Debian's chromium for the admin's browser tests (Playwright's own browser download is
## not used); installed when missing and this is root with apt, else the tests say why they skip
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

## screenshots: the admin's main pages at 360 and 1440 px into docs/screenshots/ (a real server on a
## temporary SQLite database with sample data; the page list is tests/admin/main_pages.py)
screenshots: $(DEV_STAMP) browser
	$(BIN)/python -m tests.admin.screenshots

lint: $(DEV_STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run_all

## assets: re-vendor Swagger UI, ReDoc, htmx and Quill (versions pinned in assets/package-lock.json)
## into the package, so /docs, /redoc and /admin need no CDN, and axe-core into tests/ (the browser
## tests' accessibility check, never shipped); the copies are committed, so running needs no Node
VENDOR := src/sonic_cms/api/static/vendor
ADMIN_VENDOR := src/sonic_cms/admin/static/vendor
AXE_VENDOR := tests/admin/vendor/axe-core
assets:
	cd assets && npm ci
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/redoc
	cd assets/node_modules/swagger-ui-dist && cp swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt \
		swagger-ui.css favicon-32x32.png LICENSE NOTICE package.json ../../../$(VENDOR)/swagger-ui/
	cd assets/node_modules/redoc && cp bundles/redoc.standalone.js \
		bundles/redoc.standalone.js.LICENSE.txt LICENSE package.json ../../../$(VENDOR)/redoc/
	rm -rf $(ADMIN_VENDOR) && mkdir -p $(ADMIN_VENDOR)/htmx
	cd assets/node_modules/htmx.org && cp dist/htmx.min.js LICENSE package.json \
		../../../$(ADMIN_VENDOR)/htmx/
	mkdir -p $(ADMIN_VENDOR)/quill
	cd assets/node_modules/quill && cp dist/quill.js dist/quill.js.LICENSE.txt dist/quill.snow.css \
		LICENSE package.json ../../../$(ADMIN_VENDOR)/quill/
	rm -rf $(AXE_VENDOR) && mkdir -p $(AXE_VENDOR)
	cd assets/node_modules/axe-core && cp axe.min.js LICENSE package.json ../../../$(AXE_VENDOR)/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
