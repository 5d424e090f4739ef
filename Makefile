# Every target installs what it needs first; `make synth` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
TOOLS := $(CURDIR)/.tools
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python

export PATH := $(TOOLS)/pipenv/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
export DISABLE_VERSION_CHECK := 1
# A TF_CLI_CONFIG_FILE naming a missing file makes every terraform call warn; drop it then.
export TF_CLI_CONFIG_FILE := $(if $(wildcard $(TF_CLI_CONFIG_FILE)),$(TF_CLI_CONFIG_FILE),)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(shell node -p "process.versions.node.split('.')[0]" 2>/dev/null)

.PHONY: help setup synth test test-fast lint deploy-registry deploy-app clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(TOOLS)/pipenv/bin/pipenv:
	$(PYTHON) -m venv $(TOOLS)/pipenv
	$(TOOLS)/pipenv/bin/pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)

$(VENV)/.synced: Pipfile.lock $(TOOLS)/pipenv/bin/pipenv
	pipenv sync --dev
	touch $@

node_modules/.synced: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(VENV)/.synced node_modules/.synced ## Install Python (Pipfile.lock) and Node (package-lock.json) dependencies

synth: setup ## Synthesize every stack into cdktf.out/stacks/<name>/cdk.tf.json
	time cdktf synth --output cdktf.out

test: setup tools ## Run every test tier (unit, snapshot, terraform validate, handlers, e2e, security)
	$(PY) -m pytest

test-fast: setup ## Only the tests that need neither Terraform nor a second process
	$(PY) -m pytest -m "not slow"

lint: setup ## ruff
	$(VENV)/bin/ruff check .

deploy-registry: setup ## Deploy the registry stack (after bootstrap)
	cdktf deploy registry --auto-approve

deploy-app: setup ## Check the image tag exists in ECR, then deploy the app stack
	$(PY) -m fraud_ops.preflight
	cdktf deploy app --auto-approve

clean: ## Remove generated output (not state)
	rm -rf cdktf.out .pytest_cache

# --- security tools (issue 6): checkov in its own venv, its pins conflict with the app's boto3 ---
.PHONY: tools checkov

tools: ## Install checkov into .tools/checkov (hash-pinned, tools/requirements-checkov.txt)
	bash tools/install_checkov.sh

checkov: setup tools ## Synthesize, then run checkov over every stack (same as tests/security)
	$(PY) -m pytest -q tests/security/test_checkov.py

# --- performance (issue 7): side-by-side numbers, table also in bench/results/latest.md ---
.PHONY: bench

bench: setup ## Synth lazy vs stock provider import, batch read amplification, cold start, cost model (< 10 min)
	$(PY) bench/run.py

# --- image (issue 4): build the arm64 Lambda image and push it unless its content-hash tag exists ---
.PHONY: image pin-base-image

pin-base-image: setup ## Look up the Lambda base image digest (needs registry access) and write it into the Dockerfile
	$(PY) -m tools.base_image

image: setup ## Build (buildx, linux/arm64, no attestations) and push the image to ECR; prints repo@sha256 digest
	$(PY) -m tools.build_image

# --- local stage (issue 5): the whole app against moto, real handlers in-process, 127.0.0.1 only ---
.PHONY: local local-down

local: setup ## Bring the app up locally (moto + gateway + stream pump + schedule); prints a READY curl. Ctrl-C stops
	$(PY) -m fraud_ops.local_stage up

local-down: ## Stop a running `make local` (destroys its stacks, stops its servers)
	$(PY) -m fraud_ops.local_stage down
