"""Session-wide fixtures: the app is synthesized once per test session (the provider import is slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fraud_ops.jsii_env import silence_banner
from stacks.config import AppConfig, load_config

# Tests never depend on the developer's shell or cdktf.json edits: the configuration is pinned,
# including the image tag (a content hash would change the snapshots with every code change).
TEST_CONTEXT = {"environment": "dev", "region": "us-east-1", "imageTag": "src-0123456789abcdef"}
# Session-wide, so in-process synths and every subprocess that inherits os.environ are quiet too.
silence_banner()


@pytest.fixture(scope="session")
def test_config() -> AppConfig:
    return load_config(TEST_CONTEXT, {})


@pytest.fixture(scope="session")
def synth_outdir(tmp_path_factory: pytest.TempPathFactory, test_config: AppConfig) -> Path:
    """``<outdir>/stacks/<name>/cdk.tf.json`` for every stack, written by the real ``App.synth``."""
    from stacks.assembly import build_app

    outdir = tmp_path_factory.mktemp("cdktf.out")
    assert test_config.image_tag is not None
    build_app(test_config, image_tag=test_config.image_tag, outdir=str(outdir)).app.synth()
    return outdir


@pytest.fixture(scope="session")
def synthesized(synth_outdir: Path) -> dict[str, dict]:
    """Stack name -> parsed ``cdk.tf.json``."""
    return {
        path.parent.name: json.loads(path.read_text())
        for path in sorted((synth_outdir / "stacks").glob("*/cdk.tf.json"))
    }
