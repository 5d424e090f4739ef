"""One synth per session for the policy tests: a throwaway app with deliberately bad constructs.

Not the project's app (``tests/conftest.py`` synthesizes that once per session): two tiny apps,
one that must fail the pack and one that must pass it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

QUEUE_REASON = "Throwaway queue of a test app; nothing is ever sent to it, so there is no data to protect."


@dataclass(frozen=True)
class BadSynth:
    """Result of synthesizing the deliberately non-compliant app."""

    app: Any
    outdir: Path
    error: str  # the message synth raised with ("" if it did not raise)
    pack: Any


def _policy_app(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Any, Any, Path]:
    """``(app, stack, outdir)``: an App writing to a fresh directory, one stack ``name`` with its provider."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    outdir = tmp_path_factory.mktemp(f"policy-{name}")
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, name)
    AwsProvider(stack, "aws", region="us-east-1")
    return app, stack, outdir


@pytest.fixture(scope="session")
def bad_synth(tmp_path_factory: pytest.TempPathFactory) -> BadSynth:
    """Stack ``bad``: an unencrypted public-by-default bucket (FD-S3-*), a suppressed plain queue."""
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    from fraud_constructs.policy import apply_policy_pack, suppress

    app, stack, outdir = _policy_app(tmp_path_factory, "bad")
    S3Bucket(stack, "audit_bucket", bucket="policy-test-bucket")
    queue = SqsQueue(stack, "queue", name="policy-test-queue")
    suppress(queue, "FD-SQS-1", QUEUE_REASON)
    pack = apply_policy_pack(app)
    try:
        app.synth()
    except Exception as error:  # jsii re-raises the JS validation error as RuntimeError
        return BadSynth(app, outdir, str(error), pack)
    return BadSynth(app, outdir, "", pack)


@pytest.fixture(scope="session")
def good_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compliant stack synthesizes normally with the pack applied (a CMK-encrypted queue)."""
    from cdktf_cdktf_provider_aws.kms_key import KmsKey
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    from fraud_constructs.policy import apply_policy_pack

    app, stack, outdir = _policy_app(tmp_path_factory, "good")
    key = KmsKey(stack, "key", enable_key_rotation=True)
    SqsQueue(stack, "queue", kms_master_key_id=key.arn)
    apply_policy_pack(app)
    app.synth()
    return outdir
