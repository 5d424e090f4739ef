"""End to end: apply bootstrap -> registry -> (push image) -> app to moto, count state, destroy.

Proves the synthesized stacks are accepted by the real provider in dependency order, with no
`-target`. Nothing is invoked (moto does not run image functions). Slow: minutes, not seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fraud_ops.emulator import MotoServer, StackRunner, put_image
from stacks.assembly import STACK_NAMES
from stacks.registry import repository_name

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer.start(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        server.stop()  # also on failure: the finalizer runs whatever the test did


@pytest.mark.timeout(1500)
def test_apply_and_destroy_every_stack(synth_outdir: Path, test_config, moto: MotoServer, tmp_path: Path) -> None:
    runner = StackRunner(synth_outdir, tmp_path / "emulator", moto.url, region=test_config.region)
    applied: list[str] = []
    errors: list[str] = []
    try:
        for stack in STACK_NAMES:
            if stack == "app":
                digest = put_image(moto.url, repository_name(test_config), str(test_config.image_tag))
                assert digest.startswith("sha256:")
            applied.append(stack)  # before apply: a half-applied stack is destroyed too
            runner.apply(stack)
            in_state = runner.state_resources(stack)
            assert len(in_state) == runner.declared_resources(stack), (stack, sorted(in_state))
        outputs = runner.outputs("app")
        assert outputs["webhook_url"].endswith("/v1/webhook")
        assert outputs["image_uri"].endswith("@" + digest)
        assert outputs["webhook_function_name"] == "fraud-webhook-dev"
        assert sorted(outputs["schedule_rule_names"]) == ["fraud-batch-daily-report-dev", "fraud-batch-window-dev"]
    finally:
        for stack in reversed(applied):
            try:
                runner.destroy(stack)
                assert runner.state_resources(stack) == [], stack
            except Exception as error:  # keep destroying the others, report all
                errors.append(f"{stack}: {error}")
        print("\nemulator timings (s):", json.dumps(runner.timings, indent=1))
    assert not errors, errors
