# The two commands a newcomer runs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck bench clean assets

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
test: $(DEV_STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run_all

## assets: re-vendor Swagger UI and ReDoc (versions pinned in assets/package-lock.json) into the
## package, so /docs and /redoc need no CDN; the copies are committed, so running needs no Node
VENDOR := src/sonic_cms/api/static/vendor
assets:
	cd assets && npm ci
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/redoc
	cd assets/node_modules/swagger-ui-dist && cp swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt \
		swagger-ui.css favicon-32x32.png LICENSE NOTICE package.json ../../../$(VENDOR)/swagger-ui/
	cd assets/node_modules/redoc && cp bundles/redoc.standalone.js \
		bundles/redoc.standalone.js.LICENSE.txt LICENSE package.json ../../../$(VENDOR)/redoc/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
