"""The pack runs at synth time: a non-compliant construct makes synth fail, naming rule, path and fix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fraud_constructs.policy import Suppression
from tests.conftest import VARIANT_CONTEXTS, VARIANTS

from .conftest import QUEUE_REASON, BadSynth

pytestmark = pytest.mark.synth


def test_synth_fails_naming_rule_path_and_fix(bad_synth: BadSynth) -> None:
    assert bad_synth.error, "synth of a non-compliant stack must raise"
    for rule_id in ("FD-S3-1", "FD-S3-2", "FD-S3-3"):
        assert f"[{rule_id}]" in bad_synth.error
    assert "at bad/audit_bucket" in bad_synth.error
    assert "Fix: Add aws_s3_bucket_public_access_block" in bad_synth.error


def test_failed_stack_is_not_written(bad_synth: BadSynth) -> None:
    assert not (bad_synth.outdir / "stacks" / "bad" / "cdk.tf.json").exists()


def test_suppressed_rule_is_not_reported(bad_synth: BadSynth) -> None:
    assert "FD-SQS-1" not in bad_synth.error
    report = bad_synth.pack.validations["bad"].last_report
    assert [(f.rule_id, f.path) for f, _ in report.suppressed] == [("FD-SQS-1", "bad/queue")]
    assert report.unused_suppressions == ()


def test_compliant_stack_synthesizes(good_synth: Path) -> None:
    doc = json.loads((good_synth / "stacks" / "good" / "cdk.tf.json").read_text())
    assert set(doc["resource"]) == {"aws_kms_key", "aws_sqs_queue"}


def test_list_suppressions_of_app(bad_synth: BadSynth) -> None:
    from fraud_constructs.policy import list_suppressions

    assert list_suppressions(bad_synth.app) == (Suppression("bad/queue", "FD-SQS-1", QUEUE_REASON),)


def test_aspect_on_app_alone_never_runs(tmp_path: Path, good_synth: Path) -> None:
    """cdktf 0.21 invokes aspects from each stack down, not from the App: why apply_policy_pack exists."""
    from cdktf import App, Aspects, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

    from fraud_constructs.policy import PolicyPack

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "ignored")
    AwsProvider(stack, "aws", region="us-east-1")
    S3Bucket(stack, "bucket")
    pack = PolicyPack()
    Aspects.of(app).add(pack)
    app.synth()  # would raise if the pack ran
    assert pack.validations == {}


def test_apply_policy_pack_needs_a_stack(good_synth: Path) -> None:
    from cdktf import App

    from fraud_constructs.policy import apply_policy_pack

    with pytest.raises(ValueError, match="no TerraformStack"):
        apply_policy_pack(App())


@pytest.mark.tool
def test_synth_process_exits_non_zero(tmp_path: Path) -> None:
    """What ``python main.py`` does on a finding: a non-zero exit with the rule id on stderr."""
    script = tmp_path / "bad_main.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from fraud_constructs import provider_loader
            provider_loader.install()
            from cdktf import App, TerraformStack
            from cdktf_cdktf_provider_aws.provider import AwsProvider
            from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
            from fraud_constructs.policy import apply_policy_pack

            app = App(outdir={str(tmp_path / "out")!r})
            stack = TerraformStack(app, "proc")
            AwsProvider(stack, "aws", region="us-east-1")
            SqsQueue(stack, "plain_queue")
            apply_policy_pack(app)
            app.synth()
            """
        )
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "[FD-SQS-1]" in result.stderr and "at proc/plain_queue" in result.stderr


# --- the configuration matrix: the project's own app passes the pack in every variant ---------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_synthesizes_through_the_pack(variant: str, variant_outdir: Callable[[str], Path]) -> None:
    """``build_app`` applies the pack, so a finding would have made this variant's synth raise (and
    ``variant_outdir`` fail); every stack was written."""
    from stacks.assembly import STACK_NAMES

    written = {p.parent.name for p in (variant_outdir(variant) / "stacks").glob("*/cdk.tf.json")}
    assert written == set(STACK_NAMES)


@pytest.mark.tool
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_clean_under_the_pack(variant: str, variant_outdir: Callable[[str], Path]) -> None:
    """The written JSON judged again with the app's own suppressions (from a second build of the same
    configuration): no finding and no suppression that matches nothing, in every variant."""
    from fraud_constructs.policy import list_suppressions
    from fraud_constructs.policy.engine import evaluate_stack
    from stacks.assembly import build_app
    from stacks.config import load_config

    config = load_config(VARIANT_CONTEXTS[variant], {})
    assert config.image_tag is not None
    assembly = build_app(config, image_tag=config.image_tag)
    outdir = variant_outdir(variant)
    for stack in (assembly.bootstrap, assembly.registry, assembly.application):
        name = stack.node.id
        written = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
        report = evaluate_stack(written, list_suppressions(stack))
        assert report.findings == (), f"{variant}/{name}:\n" + "\n".join(f.render() for f in report.findings)
        assert report.unused_suppressions == (), f"{variant}/{name}: {report.unused_suppressions}"
        assert written["resource"], f"{variant}/{name}: nothing to judge"
