"""The audit store's writes carry an explicit checksum (Object Lock buckets refuse writes without one)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fraud_detection.adapters.audit_store import AuditStore

pytestmark = pytest.mark.unit


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="audit")
        yield client


def test_every_put_names_sha256_and_the_object_keeps_it(s3: Any) -> None:
    sent: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        sent.append({k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})

    s3.meta.events.register("before-send.s3.PutObject", record)
    body = b'{"transaction_id":"t-1"}\n'
    AuditStore(s3, "audit").put("audit/x.jsonl.gz", body, "application/x-ndjson", "gzip")

    (headers,) = sent
    assert headers["x-amz-sdk-checksum-algorithm"] == "SHA256"
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    head = s3.head_object(Bucket="audit", Key="audit/x.jsonl.gz", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected
