"""The pack runs at synth time: a non-compliant construct makes synth fail, naming rule, path and fix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fraud_constructs.policy import Suppression

from .conftest import QUEUE_REASON, BadSynth


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


@pytest.mark.slow
def test_synth_process_exits_non_zero(tmp_path: Path) -> None:
    """What ``python main.py`` does on a finding: a non-zero exit with the rule id on stderr."""
    script = tmp_path / "bad_main.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import fraud_constructs
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
