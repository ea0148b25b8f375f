# One entry point for every routine task. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GEN := gen
PROTO_SRC := $(shell find protos/billing -name '*.proto' 2>/dev/null)
GEN_STAMP := $(GEN)/.stamp
BUF := node_modules/.bin/buf
PYTEST_ARGS ?=

.PHONY: help setup gen lint fmt test up console-screenshots bench bench-pricing bench-authorise bench-metering bench-gateway bench-notifications bench-settlement system clean

help:
	@echo "make up      run the whole suite locally (SQLite, local redis-server)"
	@echo "make test    run the test suite (starts its own Redis and PostgreSQL)"
	@echo "make lint    ruff, mypy and buf lint"
	@echo "make bench   every benchmark; bench-<name> for one"
	@echo "make console-screenshots   a PNG of every console page in docs/console (needs chromium)"

setup: $(STAMP) $(GEN_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

protos/third_party/google/api/annotations.proto: $(STAMP) scripts/vendor_google_api.py
	$(PY) scripts/vendor_google_api.py protos/third_party

$(GEN_STAMP): $(STAMP) $(PROTO_SRC) protos/third_party/google/api/annotations.proto scripts/generate.py
	$(PY) scripts/generate.py --protos protos --out $(GEN)
	@touch $@

gen: $(GEN_STAMP)

$(BUF): package.json
	npm install --no-audit --no-fund --silent
	@touch $@

system:
	@bash scripts/ensure-system.sh

lint: setup $(BUF)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services pricing tests bench
	cd protos && ../$(BUF) lint

fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup system
	$(PY) -m pytest $(PYTEST_ARGS)

up: setup system
	$(PY) -m services.local

console-screenshots: setup system
	$(PY) -m tests.console.screenshots docs/console

bench: bench-pricing bench-authorise bench-metering bench-gateway bench-notifications bench-settlement

bench-pricing: setup
	$(PY) -m bench.pricing

bench-authorise: setup system
	$(PY) -m bench.authorise

bench-metering: setup system
	$(PY) -m bench.metering

bench-gateway: setup system
	$(PY) -m bench.gateway

bench-notifications: setup system
	$(PY) -m bench.notifications

bench-settlement: setup system
	$(PY) -m bench.settlement

clean:
	rm -rf $(GEN) protos/third_party .pytest_cache .mypy_cache .ruff_cache
