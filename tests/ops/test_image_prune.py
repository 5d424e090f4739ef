"""The prune command never deletes an image a function version runs or one inside the rollback horizon."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fraud_ops.image_prune import StoredImage, digest_of, prunable, prune, referenced_digests
from local_stage.emulator import IMAGE_MANIFEST

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, tzinfo=UTC)
HORIZON = timedelta(days=30)


def _image(n: int, age_days: float, *tags: str) -> StoredImage:
    return StoredImage(f"sha256:{n:064x}", tags, NOW - timedelta(days=age_days))


def test_keeps_referenced_and_recent_images_deletes_the_rest_oldest_first() -> None:
    deployed_oldest = _image(1, 400, "src-1")
    images = [deployed_oldest, _image(2, 90, "src-2"), _image(3, 45), _image(4, 10, "src-4"), _image(5, 29.9)]
    doomed = prunable(images, {deployed_oldest.digest}, NOW, HORIZON)
    assert [i.digest for i in doomed] == [images[1].digest, images[2].digest]


def test_digest_of_a_uri() -> None:
    assert digest_of("1.dkr.ecr.us-east-1.amazonaws.com/r@sha256:abc") == "sha256:abc"
    assert digest_of("1.dkr.ecr.us-east-1.amazonaws.com/r:src-1") is None


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        yield boto3.client("ecr", region_name="us-east-1"), boto3.client("lambda", region_name="us-east-1")


def _push(ecr: Any, tag: str, salt: int) -> str:
    text = json.dumps({**IMAGE_MANIFEST, "annotations": {"salt": str(salt)}})
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    ecr.put_image(repositoryName="fraud-detection-dev", imageManifest=text, imageTag=tag, imageDigest=digest)
    return digest


def test_against_the_emulator_only_unreferenced_images_go(aws: tuple[Any, Any]) -> None:
    ecr, lam = aws
    ecr.create_repository(repositoryName="fraud-detection-dev")
    digests = [_push(ecr, f"src-{n:016x}", n) for n in range(4)]
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detection-dev"
    # moto keeps a function's first ImageUri for every later version, so two functions stand in for
    # "a published version and the live one" (the per-version walk is the same calls)
    for name, digest in (("fraud-webhook-dev", digests[0]), ("fraud-stream-dev", digests[1])):
        lam.create_function(
            FunctionName=name, Role=role, PackageType="Image", Code={"ImageUri": f"{uri}@{digest}"}, Publish=True
        )
    functions = ["fraud-webhook-dev", "fraud-stream-dev", "fraud-batch-dev"]  # batch does not exist: skipped
    assert referenced_digests(lam, functions) >= {digests[0], digests[1]}

    later = datetime.now(UTC) + timedelta(days=31)
    planned = prune(ecr, lam, "fraud-detection-dev", functions, now=later, horizon=HORIZON, delete=False)
    assert {i.digest for i in planned} == {digests[2], digests[3]}
    assert len(ecr.describe_images(repositoryName="fraud-detection-dev")["imageDetails"]) == 4  # dry run

    prune(ecr, lam, "fraud-detection-dev", functions, now=later, horizon=HORIZON, delete=True)
    left = {d["imageDigest"] for d in ecr.describe_images(repositoryName="fraud-detection-dev")["imageDetails"]}
    assert left == {digests[0], digests[1]}
    # inside the horizon nothing goes, referenced or not
    assert prune(ecr, lam, "fraud-detection-dev", functions, now=datetime.now(UTC), horizon=HORIZON, delete=False) == []
