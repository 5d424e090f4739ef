"""One synth per session for the policy tests: a throwaway app with deliberately bad constructs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

QUEUE_REASON = "Throwaway queue of a test app; nothing is ever sent to it, so there is no data to protect."


@dataclass(frozen=True)
class BadSynth:
    """Result of synthesizing the deliberately non-compliant app."""

    app: Any
    outdir: Path
    error: str  # the message synth raised with ("" if it did not raise)
    pack: Any


@pytest.fixture(scope="session")
def bad_synth(tmp_path_factory: pytest.TempPathFactory) -> BadSynth:
    """Stack ``bad``: an unencrypted public-by-default bucket (FD-S3-*), a suppressed plain queue."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    import fraud_constructs  # noqa: F401  (installs the fast provider loader first)
    from fraud_constructs.policy import apply_policy_pack, suppress

    outdir = tmp_path_factory.mktemp("policy-bad")
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "bad")
    AwsProvider(stack, "aws", region="us-east-1")
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
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.kms_key import KmsKey
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    import fraud_constructs  # noqa: F401
    from fraud_constructs.policy import apply_policy_pack

    outdir = tmp_path_factory.mktemp("policy-good")
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "good")
    AwsProvider(stack, "aws", region="us-east-1")
    key = KmsKey(stack, "key", enable_key_rotation=True)
    SqsQueue(stack, "queue", kms_master_key_id=key.arn)
    apply_policy_pack(app)
    app.synth()
    return outdir
