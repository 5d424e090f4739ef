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

# Skipped (< 1 s) when no input changed and the output is intact since the last synth: tools/synth_inputs.py.
synth: setup ## Synthesize every stack into cdktf.out/stacks/<name>/cdk.tf.json (skipped when nothing changed)
	@$(PY) -m tools.synth_inputs --outdir cdktf.out -- cdktf synth --output cdktf.out

test: setup tools ## Run every test tier (unit, synth, tool, network, terraform, e2e: tests/support/tiers.py)
	$(PY) -m pytest

test-fast: setup ## Only the unit tier: no process, no network, no synth (under a minute)
	$(PY) -m pytest --tier unit --snapshot-warn-unused  # the snapshot tests are synth tier: not run here

lint: setup ## ruff
	$(VENV)/bin/ruff check .

# --- deployment, in this order (docs/deploy.md). FRAUD_EMULATOR_ENDPOINT=http://127.0.0.1:<port> (a moto
# server) sends the same steps to the emulator instead of the AWS account of your credentials.
.PHONY: deploy-bootstrap migrate-bootstrap-state set-secrets check-alert-subscription destroy-app destroy-registry \
	destroy-bootstrap
DEPLOY := $(PY) -m fraud_ops.deploy

deploy-bootstrap: setup ## 1. Bootstrap (state bucket + key, API Gateway logging role) on local state/<env>/
	$(DEPLOY) bootstrap

migrate-bootstrap-state: setup ## 2. Move bootstrap's state into its bucket (FRAUD_BACKEND=s3 + bucket + key ARN)
	$(DEPLOY) migrate-bootstrap-state

deploy-registry: setup ## 3. Deploy the registry stack (ECR repository and its key)
	$(DEPLOY) registry

deploy-app: setup ## 5. Check the image tag is in ECR, then deploy the app stack (webhook 503 until 6.)
	$(DEPLOY) app

set-secrets: setup ## 6. Create the signing key (secret to a mode-600 file) and the card-fingerprint key
	$(DEPLOY) set-secrets

check-alert-subscription: setup ## 7. List the alert topic's subscriptions; fails while the e-mail one is pending
	$(DEPLOY) check-alert-subscription

destroy-app: setup ## Undo 5.: destroy the app stack (the secret parameters are not Terraform's: docs/deploy.md)
	$(DEPLOY) destroy-app

destroy-registry: setup ## Undo 3.: destroy the registry stack (after destroy-app)
	$(DEPLOY) destroy-registry

destroy-bootstrap: setup ## Undo 1.: destroy bootstrap (state moved back to local, bucket emptied first)
	$(DEPLOY) destroy-bootstrap

clean: ## Remove generated output (not state)
	rm -rf cdktf.out .pytest_cache

# --- security tools (issue 6): checkov in its own venv, its pins conflict with the app's boto3 ---
.PHONY: tools checkov

tools: ## Install checkov (.tools/checkov) and parliament + cloudsplaining (.tools/iam-analyzers), hash-pinned
	bash tools/install_checkov.sh
	bash tools/install_iam_analyzers.sh

checkov: setup tools ## Synthesize, then run checkov over every stack (same as tests/security)
	$(PY) -m pytest -q tests/security/test_checkov.py

# --- performance (issue 7): side-by-side numbers, table also in bench/results/latest.md ---
.PHONY: bench

bench: setup ## Synth, batch reads, import floor per library, cold start + first request, per-request CPU, write cost, wheels (< 10 min)
	$(PY) -m bench.run

# --- image (issue 4): build the arm64 Lambda image and push it unless its content-hash tag exists ---
.PHONY: image pin-base-image

pin-base-image: setup ## 4a. Look up the Lambda base image digest (needs registry access) and write it into the Dockerfile
	$(if $(FRAUD_EMULATOR_ENDPOINT),@echo "[pin-base-image] emulator: skipped (needs a registry; the Dockerfile keeps its digest)",$(PY) -m tools.base_image)

# On the emulator there is no Docker: a bare manifest is pushed under the expected tag instead.
image: setup ## 4b. Build (buildx, linux/arm64, no attestations) and push the image to ECR; prints repo@sha256 digest
	$(if $(FRAUD_EMULATOR_ENDPOINT),$(DEPLOY) emulator-image,$(PY) -m tools.build_image)

# --- local stage (issue 5, docs/local-stage.md): the whole app against moto, one worker process per
# function, 127.0.0.1 only ---
.PHONY: local local-down

local: setup ## Bring the app up locally (moto, function workers, gateway, stream pump, alerts, schedule); Ctrl-C stops
	$(PY) -m local_stage.stage up

local-down: ## Stop a running `make local`, showing each step (destroys its stacks, stops servers and workers)
	$(PY) -m local_stage.stage down

# --- after a deploy (issue 11): smoke-test the running local stage or a real deployment ---
.PHONY: smoke prune-images

smoke: setup ## Smoke-test the local stage (if running) or the deployment named by --target aws settings; one line per check
	$(PY) -m fraud_ops.cli smoke $(SMOKE_ARGS)

prune-images: setup ## List images no function version runs, older than the 30-day rollback horizon (PRUNE_ARGS="--yes" deletes)
	$(PY) -m fraud_ops.image_prune --environment $${FRAUD_ENVIRONMENT:-dev} --region $${FRAUD_REGION:-us-east-1} $(PRUNE_ARGS)
