"""Stream handler against moto: audit object, block alerts, replay, failures, no card data."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from fraud_detection.handlers import stream
from tests.support.aws import REGION
from tests.support.events import load_event
from tests.support.faults import Faults
from tests.support.lambda_context import FakeLambdaContext
from tests.support.leaks import SENTINEL_PAN
from tests.support.outputs import AlertInbox, bucket_objects

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]

STREAM_EVENT = "dynamodb_stream_patterns.json"
EXPECTED_KEY = "audit/dt=2026-11-22/hour=10/4421584500000000017450439091-4421584700000000017450439093.jsonl.gz"


@pytest.fixture
def env(lambda_env: object, table: str, bucket: str, topic: str) -> str:
    return bucket


def test_writes_one_gzip_jsonl_object_per_batch(env: str, alert_inbox: AlertInbox) -> None:
    result = stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    objects = bucket_objects(env, "audit/")
    assert list(objects) == [EXPECTED_KEY]
    lines = gzip.decompress(objects[EXPECTED_KEY]).decode().splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == [
        "req-aaa-0001",
        "req-bbb-0002",
        "req-ccc-0003",
    ]
    head = boto3.client("s3", region_name=REGION).head_object(Bucket=env, Key=EXPECTED_KEY)
    assert head["ContentEncoding"] == "gzip"
    assert result == {"audit_key": EXPECTED_KEY, "lines": 3, "alerts": 1}


def test_publishes_one_alert_per_block_with_dedupe_key_in_body_and_attribute(env: str, alert_inbox: AlertInbox) -> None:
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    alerts = alert_inbox.drain()
    assert len(alerts) == 1
    assert alerts[0]["body"]["dedupe_key"] == "txn-0002"
    assert alerts[0]["attributes"]["dedupe_key"] == "txn-0002"
    assert alerts[0]["body"]["action"] == "block"


def test_replay_rewrites_the_same_object_and_repeats_the_same_dedupe_keys(env: str, alert_inbox: AlertInbox) -> None:
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    first_objects = bucket_objects(env)
    first_alerts = alert_inbox.drain()
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    assert bucket_objects(env) == first_objects
    replayed = alert_inbox.drain()
    assert [a["attributes"]["dedupe_key"] for a in replayed] == [a["attributes"]["dedupe_key"] for a in first_alerts]
    assert [a["body"] for a in replayed] == [a["body"] for a in first_alerts]


def test_batch_without_pattern_inserts_writes_nothing(env: str, alert_inbox: AlertInbox) -> None:
    event = load_event(STREAM_EVENT)
    event["Records"] = [r for r in event["Records"] if r["eventName"] == "REMOVE"]
    assert stream.handler(event, FakeLambdaContext())["audit_key"] is None
    assert bucket_objects(env) == {}
    assert alert_inbox.drain() == []


def test_s3_failure_raises_and_publishes_nothing(env: str, alert_inbox: AlertInbox) -> None:
    Faults.on(stream.dependencies().store.client).fail("s3.PutObject", "InternalError")
    with pytest.raises(ClientError, match="InternalError"):
        stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    assert bucket_objects(env) == {}
    assert alert_inbox.drain() == []


def test_sns_failure_raises_after_the_audit_object_is_written(env: str, alert_inbox: AlertInbox) -> None:
    Faults.on(stream.dependencies().publisher.client).fail("sns.Publish", "KMSThrottling")
    with pytest.raises(ClientError, match="KMSThrottling"):
        stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    # the retry (same batch) rewrites this very key, so the object is not a partial leftover
    assert list(bucket_objects(env)) == [EXPECTED_KEY]


def test_malformed_pattern_raises_so_the_mapping_bisects(env: str) -> None:
    event = load_event(STREAM_EVENT)
    del event["Records"][2]["dynamodb"]["NewImage"]["action"]
    with pytest.raises(ValueError):
        stream.handler(event, FakeLambdaContext())
    assert bucket_objects(env) == {}


def test_sentinel_card_number_never_reaches_s3_sns_or_logs(
    env: str, alert_inbox: AlertInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event(STREAM_EVENT)
    image = event["Records"][1]["dynamodb"]["NewImage"]
    image["card_number"] = {"S": SENTINEL_PAN}
    image["pattern_data"] = {"M": {"raw": {"S": f"pan={SENTINEL_PAN}"}}}
    image["merchant"] = {"S": f"Evil Corp {SENTINEL_PAN}"}
    stream.handler(event, FakeLambdaContext())
    stored = b"".join(gzip.decompress(body) for body in bucket_objects(env).values()).decode()
    alerts = alert_inbox.drain()
    logs = capsys.readouterr()
    assert alerts and stored
    for text in (stored, *(a["raw"] for a in alerts), logs.out, logs.err):
        assert SENTINEL_PAN not in text
