"""Session-wide fixtures: the app is synthesized once per test session (the provider import is slow)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from fraud_constructs import provider_loader
from stacks.config import AppConfig, load_config
from tools.jsii_env import silence_banner

# Test setup, like main.py: the lazy provider import is registered before any test module or fixture
# imports the provider (tests/constructs/test_provider_setup.py fails if a synth ran without it).
provider_loader.install()

pytest_plugins = [
    "tests.support.tiers",
    "tests.support.aws",
    "tests.support.moto_stack",
    "tests.support.faults",
    "tests.support.lambda_context",
]

# Tests never depend on the developer's shell or cdktf.json edits: the configuration is pinned,
# including the image tag (a content hash would change the snapshots with every code change).
TEST_CONTEXT = {"environment": "dev", "region": "us-east-1", "imageTag": "src-0123456789abcdef"}
# The configuration matrix: every construct, rule and scanner is proven on each of these, not only on
# the dev default. "privileged" turns on everything that grants or protects: the GitHub deploy role
# (and its permissions boundary), the S3 backend under the state key, Object Lock and X-Ray's CMK.
STATE_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VARIANT_CONTEXTS: Mapping[str, Mapping[str, Any]] = {
    "dev": TEST_CONTEXT,
    "prod": TEST_CONTEXT | {"environment": "prod", "alertEmail": "oncall@example.com"},
    # The prod preset with every option of the hardened profile on (docs/configuration.md, "Profile options").
    "prod-full": TEST_CONTEXT
    | {
        "environment": "prod",
        "alertEmail": "oncall@example.com",
        "vpcMode": "create",
        "auditReplicaRegion": "us-west-2",
        "webhookProvisionedConcurrency": 20,
        "wafAllowedIps": ["52.94.76.0/22", "2600:1f18::/36"],
        "shadowSettingsFile": "settings/shadow.example.json",
    },
    "privileged": TEST_CONTEXT
    | {
        "environment": "staging",
        "alertEmail": "oncall@example.com",
        "githubRepository": "example-org/fraud-detection",
        "deployEnvironments": ["staging", "prod"],
        "backend": "s3",
        "stateBucket": "fraud-tfstate-123456789012-us-east-1",
        "stateKmsKeyArn": STATE_KEY_ARN,
        "auditObjectLockDays": 30,
        "xrayEncryption": True,
        # Non-default values of settings the image reads, to prove they reach it (not only the defaults).
        "patternTtlDays": 30,
        "windowShards": 3,
    },
}
VARIANTS = tuple(VARIANT_CONTEXTS)
# Session-wide, so in-process synths and every subprocess that inherits os.environ are quiet too.
silence_banner()


@pytest.fixture(scope="session")
def test_config() -> AppConfig:
    return load_config(TEST_CONTEXT, {})


def _synth(config: AppConfig, outdir: Path) -> Path:
    """``<outdir>/stacks/<name>/cdk.tf.json`` for every stack, written by the real ``App.synth``."""
    from stacks.assembly import build_app

    assert config.image_tag is not None
    build_app(config, image_tag=config.image_tag, outdir=str(outdir)).app.synth()
    return outdir


@pytest.fixture(scope="session")
def synth_outdir(tmp_path_factory: pytest.TempPathFactory, variant_outdir: Callable[[str], Path]) -> Path:
    """The dev default's synth output (``variant_outdir("dev")``)."""
    return variant_outdir("dev")


@pytest.fixture(scope="session")
def variant_outdir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Synthesizes a variant of the matrix on first use (once per session); a variant that cannot be
    synthesized fails every test that asks for it."""
    done: dict[str, Path] = {}

    def get(variant: str) -> Path:
        if variant not in done:
            config = load_config(VARIANT_CONTEXTS[variant], {})
            done[variant] = _synth(config, tmp_path_factory.mktemp(f"cdktf.out-{variant}"))
        return done[variant]

    return get


def read_stacks(outdir: Path) -> dict[str, dict]:
    """Stack name -> parsed ``cdk.tf.json`` under a synth output directory."""
    files = sorted((outdir / "stacks").glob("*/cdk.tf.json"))
    return {path.parent.name: json.loads(path.read_text()) for path in files}


@pytest.fixture(scope="session")
def variant_stacks(variant_outdir: Callable[[str], Path]) -> Callable[[str], dict[str, dict]]:
    """Variant name -> (stack name -> parsed ``cdk.tf.json``)."""
    cache: dict[str, dict[str, dict]] = {}

    def get(variant: str) -> dict[str, dict]:
        if variant not in cache:
            cache[variant] = read_stacks(variant_outdir(variant))
        return cache[variant]

    return get


@pytest.fixture(scope="session")
def synthesized(synth_outdir: Path) -> dict[str, dict]:
    """Stack name -> parsed ``cdk.tf.json`` of the dev default."""
    return read_stacks(synth_outdir)
