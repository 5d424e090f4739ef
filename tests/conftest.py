"""Session-wide fixtures: the app is synthesized once per test session (the provider import is slow)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from stacks.config import AppConfig, load_config

# Tests never depend on the developer's shell or cdktf.json edits: the configuration is pinned,
# including the image tag (a content hash would change the snapshots with every code change).
TEST_CONTEXT = {"environment": "dev", "region": "us-east-1", "imageTag": "src-0123456789abcdef"}
# jsii prints a banner when Node is past end of life unless this names the running major version.
os.environ.setdefault(
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
    subprocess.run(
        ["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True
    ).stdout.strip(),
)


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
