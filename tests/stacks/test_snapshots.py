"""Whole-stack snapshots: a changed snapshot is a change to read in review.

The synthesized JSON must be identical across runs, machines and checkout paths: the image tag
is pinned by the test configuration and the local backend path is relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.assembly import STACK_NAMES

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_stack_matches_snapshot(synthesized: dict[str, dict], stack_name: str, snapshot) -> None:
    assert synthesized[stack_name] == snapshot


def test_every_stack_is_synthesized(synthesized: dict[str, dict]) -> None:
    assert sorted(synthesized) == sorted(STACK_NAMES)


def test_no_absolute_or_machine_paths(synth_outdir: Path) -> None:
    for path in (synth_outdir / "stacks").glob("*/cdk.tf.json"):
        text = path.read_text()
        for needle in (str(ROOT), str(synth_outdir), "/home/", "/root/", "/tmp/"):
            assert needle not in text, f"{path.parent.name} contains {needle!r}"


def test_nothing_uses_a_mutable_latest_tag(synthesized: dict[str, dict]) -> None:
    assert ":latest" not in json.dumps(synthesized)
