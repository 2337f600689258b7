# syncd developer entry points. The README's two setup commands are
# `make demo` and `make test`; both work on a fresh machine: they install the
# system packages, create the virtual environment and build the e2e tools
# (cached outside the checkout, keyed by content hash) before running.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help
help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: system
system: ## Install the Debian packages the tests and demo need (idempotent)
	@bash scripts/install-system.sh

$(STAMP): pyproject.toml constraints.txt
	@echo "[venv] creating $(VENV) and installing syncd with its dev tools"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create the virtual environment (.venv)

.PHONY: tools
tools: ## Build the control plane, kwok, kustomize and helm (cached)
	@bash scripts/build-tools.sh >/dev/null

PY_DIRS := $(wildcard syncd tests e2e bench)

.PHONY: lint
lint: venv ## ruff, mypy --strict and the import-linter contracts
	$(VENV)/bin/ruff check $(PY_DIRS)
	$(VENV)/bin/ruff format --check $(PY_DIRS)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

.PHONY: test
test: system venv tools lint ## Lint gates, unit tests and e2e tests against real servers
	$(VENV)/bin/pytest tests e2e

.PHONY: unit
unit: venv ## Unit tests only (seconds, no servers)
	$(VENV)/bin/pytest tests

.PHONY: e2e
e2e: system venv tools ## e2e tests only
	$(VENV)/bin/pytest e2e

.PHONY: cluster
cluster: system venv tools ## Start a local control plane and wait (Ctrl-C stops it)
	$(PY) -m syncd.devenv cluster

# `make demo EXAMPLE=kustomize`: which of examples/ the demo syncs (see examples/README.md).
EXAMPLE ?= hello

.PHONY: demo
demo: system venv tools ## Run syncd's main job locally: control plane + Git server + examples/EXAMPLE (default hello; or kustomize, helm, kpt, hierarchy, tenant)
	$(PY) -m syncd.devenv demo --example $(EXAMPLE)

.PHONY: fmt
fmt: venv ## Format and autofix
	$(VENV)/bin/ruff format $(PY_DIRS)
	$(VENV)/bin/ruff check --fix $(PY_DIRS)

.PHONY: clean
clean: ## Remove the virtual environment and local caches (not the tool cache)
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache

.PHONY: bench
bench: system venv tools ## Benchmark syncd against kubectl and a raw SSA client (see bench/README.md)
	$(PY) -m bench.sync_bench
