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
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV := $(VENV)/bin/uv
UV_COMPILE := $(UV) pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 --quiet
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
CREATED := $(shell git log -1 --format=%cI 2>/dev/null || echo 1970-01-01T00:00:00Z)
IMAGE ?= billing-suite:$(VERSION)
BASE_IMAGE ?=
# chroot needs no container runtime (builds inside containers and CI sandboxes); oci isolates more.
BUILDAH_ISOLATION ?= chroot
STANDIN_BASE := localhost/python-standin:3.11-bookworm
IMAGE_ARGS = --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	--build-arg CREATED=$(CREATED) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE))

.PHONY: help setup gen lint fmt test up console-screenshots bench bench-pricing bench-authorise bench-metering bench-gateway bench-notifications bench-settlement system clean lock lock-upgrade image image-standin

help:
	@echo "make up      run the whole suite locally (SQLite, local redis-server)"
	@echo "make test    run the test suite (starts its own Redis and PostgreSQL)"
	@echo "make lint    ruff, mypy and buf lint"
	@echo "make bench   every benchmark; bench-<name> for one"
	@echo "make lock    regenerate requirements*.lock after a change to pyproject.toml"
	@echo "make image   the container image (docker, or buildah where no daemon runs)"
	@echo "make console-screenshots   a PNG of every console page in docs/console (needs chromium)"

setup: $(STAMP) $(GEN_STAMP)

# The locked dependencies with their hashes, then the project itself without resolving again
# (pip refuses `-e .` under --require-hashes); pip check fails when pyproject.toml asks for
# something the lock lacks: run `make lock`.
$(STAMP): pyproject.toml $(DEV_LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	@touch $@

$(UV):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.5,<1'

# After adding or changing a dependency in pyproject.toml: keeps every other pin as it is.
lock: $(UV)
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)

# On purpose only: every dependency to its newest allowed release.
lock-upgrade: $(UV)
	$(UV_COMPILE) --upgrade -o $(LOCK)
	$(UV_COMPILE) --extra dev --upgrade -o $(DEV_LOCK)

image:
	@if docker info >/dev/null 2>&1; then \
		docker build $(IMAGE_ARGS) -t $(IMAGE) . ; \
	elif command -v buildah >/dev/null 2>&1; then \
		buildah build --isolation $(BUILDAH_ISOLATION) --layers $(IMAGE_ARGS) -t $(IMAGE) . ; \
	else \
		echo "make image: needs docker with a running daemon, or buildah (apt-get install buildah)" >&2; \
		exit 2; \
	fi

# The image on a stand-in base made from Debian's packages (no registry needed), then its size
# and contents: what the README reports.
image-standin:
	bash scripts/standin-base.sh $(STANDIN_BASE)
	buildah build --isolation $(BUILDAH_ISOLATION) --layers $(IMAGE_ARGS) \
		--build-arg BASE_IMAGE=$(STANDIN_BASE) \
		-t billing-suite:standin .
	bash scripts/image-report.sh billing-suite:standin

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
