"""The stream consumer's retries: S3 fails, then SNS fails half-way, then the mapping's third attempt
succeeds. One audit object (same key, same bytes) and alerts a subscriber can de-duplicate.

Moved from ``tests/image/test_webhook_faults.py``; the single-failure tests are in
``test_stream_handler.py``.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fraud_detection.handlers import stream
from tests.support.events import load_event
from tests.support.faults import Faults
from tests.support.lambda_context import FakeLambdaContext
from tests.support.moto_stack import NAMES
from tests.support.outputs import AlertInbox, bucket_objects

pytestmark = pytest.mark.unit

STREAM_EVENT = "dynamodb_stream_patterns.json"


@pytest.fixture
def stream_env(
    lambda_env: object, table: str, bucket: str, alert_inbox: AlertInbox, fresh_containers: None
) -> AlertInbox:
    return alert_inbox


def two_blocks_event() -> dict[str, Any]:
    event = load_event(STREAM_EVENT)
    event["Records"][0]["dynamodb"]["NewImage"]["action"] = {"S": "block"}
    return event


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the failed attempts add none
def test_stream_s3_failure_then_sns_failure_then_success_leaves_one_object_and_deduplicable_alerts(
    stream_env: AlertInbox,
) -> None:
    deps = stream.dependencies()
    s3_faults = Faults.on(deps.store.client)
    s3_faults.fail("s3.PutObject", "SlowDown")
    with pytest.raises(ClientError, match="SlowDown"):
        stream.handler(two_blocks_event(), FakeLambdaContext())
    assert bucket_objects(NAMES.bucket) == {}
    assert stream_env.drain() == []
    s3_faults.clear()

    # second attempt: the object is written, the second alert fails after the first went out
    sns_faults = Faults.on(deps.publisher.client)
    sns_faults.fail("sns.Publish", "InternalError", when=lambda params: "txn-0002" in params["Message"])
    with pytest.raises(ClientError, match="InternalError"):
        stream.handler(two_blocks_event(), FakeLambdaContext())
    after_second = bucket_objects(NAMES.bucket)
    sns_faults.clear()

    result = stream.handler(two_blocks_event(), FakeLambdaContext())
    objects = bucket_objects(NAMES.bucket)
    assert list(objects) == [result["audit_key"]] and objects == after_second  # same key, same bytes
    assert len(gzip.decompress(objects[result["audit_key"]]).splitlines()) == 3

    alerts = stream_env.drain()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        assert alert["attributes"]["dedupe_key"] == alert["body"]["dedupe_key"]
        by_key.setdefault(alert["attributes"]["dedupe_key"], []).append(alert["body"])
    assert sorted(by_key) == ["txn-0001", "txn-0002"]
    assert len(by_key["txn-0001"]) == 2  # delivered on attempts 2 and 3: at-least-once ...
    assert all(body == by_key["txn-0001"][0] for body in by_key["txn-0001"])  # ... and identical
    assert len(by_key["txn-0002"]) == 1
