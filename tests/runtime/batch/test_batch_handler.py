"""Batch window job against moto: pagination, re-runs, backfill, late retries, failures, metric."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fraud_detection.handlers import batch
from tests.support.aws import REGION
from tests.support.events import input_transformer, load_event
from tests.support.faults import Faults
from tests.support.lambda_context import FakeLambdaContext
from tests.support.outputs import AlertInbox, bucket_objects, emf_records, metric_names
from tests.support.tables import pattern_item, put_patterns

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]

WINDOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
WINDOW_KEY = "analyses/dt=2026-11-22/window=1005.json"


def scheduled_event() -> dict[str, Any]:
    return input_transformer(load_event("eventbridge_scheduled_window.json"), "window")


def analysis(bucket: str, key: str = WINDOW_KEY) -> dict[str, Any]:
    return json.loads(bucket_objects(bucket, key)[key])


def patterns(count: int, start: datetime = WINDOW, tag: str = "t", **kwargs: Any) -> list[dict[str, Any]]:
    return [
        pattern_item(f"{tag}-{start:%d%H%M}-{i:04d}", start + timedelta(seconds=i % 300), shards=4, **kwargs)
        for i in range(count)
    ]


def test_scheduled_event_analyses_the_last_closed_window(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    put_patterns(stack.table, patterns(3) + patterns(2, tag="b", action="block", risk_score=90))
    put_patterns(stack.table, patterns(4, start=WINDOW + timedelta(minutes=5)))  # the open window
    result = batch.handler(scheduled_event(), FakeLambdaContext())
    document = analysis(stack.bucket)
    assert result["analysis_key"] == WINDOW_KEY
    assert document["transactions"] == 5
    assert document["items_read"] == 5
    assert document["counts_by_action"] == {"approve": 3, "block": 2, "review": 0}
    assert len(document["high_risk_patterns"]) == 2


def test_window_larger_than_one_query_page_is_read_completely(stack: Any) -> None:
    # ~4.3 MB over 4 shards, in an attribute the window index projects (moto pages by the whole item,
    # DynamoDB by the index entry: unprojected padding would not fill a real page)
    put_patterns(stack.table, patterns(48, merchant="m" * 90_000))
    result = batch.handler(scheduled_event(), FakeLambdaContext())
    assert result["pages"] > stack.window_shards  # at least one shard needed a second page
    document = analysis(stack.bucket)
    assert document["transactions"] == 48
    assert document["items_read"] == 48


def test_reads_the_window_with_queries_only(stack: Any) -> None:
    put_patterns(stack.table, patterns(6))
    seen: list[str] = []
    client = batch.dependencies().reader.client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: seen.append(model.name))
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert seen == ["Query"] * stack.window_shards


def test_empty_window_writes_an_empty_analysis_and_counts_as_success(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert analysis(stack.bucket)["transactions"] == 0
    assert "BatchWindowSucceeded" in metric_names(emf_records(capsys.readouterr().out))


def test_success_metric_has_exactly_the_dimensions_the_staleness_alarm_watches(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    batch.handler(scheduled_event(), FakeLambdaContext())
    records = [r for r in emf_records(capsys.readouterr().out) if "BatchWindowSucceeded" in r]
    assert len(records) == 1
    record = records[0]
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "FraudDetection"
    assert [sorted(dims) for dims in directive["Dimensions"]] == [["environment", "service"]]
    assert (record["service"], record["environment"]) == ("fraud-batch", "test")
    assert record["BatchWindowSucceeded"] == [1.0]


def test_rerun_rewrites_the_same_key_with_the_same_content(stack: Any) -> None:
    put_patterns(stack.table, patterns(7, action="review", risk_score=60))
    batch.handler(scheduled_event(), FakeLambdaContext())
    first = bucket_objects(stack.bucket)
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert bucket_objects(stack.bucket) == first
    assert list(first) == [WINDOW_KEY]


def test_explicit_backfill_window(stack: Any) -> None:
    old = datetime(2026, 11, 20, 23, 55, tzinfo=UTC)
    put_patterns(stack.table, patterns(3, start=old))
    result = batch.handler({"job": "window", "window_start": "2026-11-20T23:55:00Z"}, FakeLambdaContext())
    key = "analyses/dt=2026-11-20/window=2355.json"
    assert result["analysis_key"] == key
    assert analysis(stack.bucket, key)["transactions"] == 3


def test_retry_delivered_late_processes_the_window_of_its_own_time(stack: Any) -> None:
    """The clock is hours past the event; the window still comes from the event's ``time``."""
    put_patterns(stack.table, patterns(2))
    put_patterns(stack.table, patterns(9, start=WINDOW + timedelta(hours=3)))
    result = batch.handler(scheduled_event(), FakeLambdaContext())  # wall clock is nowhere near 10:10
    assert result["window_start"] == "2026-11-22T10:05:00Z"
    assert analysis(stack.bucket)["transactions"] == 2


def test_failure_on_second_query_page_leaves_no_analysis_object_and_no_metric(
    stack: Any, alert_inbox: AlertInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    put_patterns(stack.table, patterns(48, action="block", risk_score=90, merchant="m" * 90_000))  # projected
    Faults.on(batch.dependencies().reader.client).fail(
        "dynamodb.Query",
        "ProvisionedThroughputExceededException",
        when=lambda params: "ExclusiveStartKey" in params,
    )
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        batch.handler(scheduled_event(), FakeLambdaContext())
    assert bucket_objects(stack.bucket) == {}
    assert alert_inbox.drain() == []
    assert "BatchWindowSucceeded" not in metric_names(emf_records(capsys.readouterr().out))


def test_one_alert_when_suspicious_patterns_exceed_the_setting(stack: Any, alert_inbox: AlertInbox) -> None:
    put_patterns(stack.table, patterns(6, action="block", risk_score=90))  # default threshold 5
    batch.handler(scheduled_event(), FakeLambdaContext())
    alerts = alert_inbox.drain()
    assert [a["attributes"]["dedupe_key"] for a in alerts] == ["window#2026-11-22T10:05:00Z"]
    assert alerts[0]["body"]["suspicious_count"] == 6
    assert alerts[0]["body"]["analysis_key"] == WINDOW_KEY
    assert analysis(stack.bucket)["alerted"] is True


def test_no_alert_at_the_threshold(stack: Any, alert_inbox: AlertInbox) -> None:
    put_patterns(stack.table, patterns(5, action="block", risk_score=90))
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert alert_inbox.drain() == []


def test_alert_threshold_comes_from_the_settings_parameter(stack: Any, alert_inbox: AlertInbox) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=stack.settings_parameter,
        Type="String",
        Value=json.dumps({"alert_suspicious_count": 1}),
        Overwrite=True,
    )
    put_patterns(stack.table, patterns(2, action="block", risk_score=90))
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert len(alert_inbox.drain()) == 1


def test_sns_failure_raises_and_the_retry_rewrites_the_same_object(stack: Any, alert_inbox: AlertInbox) -> None:
    put_patterns(stack.table, patterns(6, action="block", risk_score=90))
    faults = Faults.on(batch.dependencies().publisher.client)
    faults.fail("sns.Publish", "InternalError")
    with pytest.raises(ClientError):
        batch.handler(scheduled_event(), FakeLambdaContext())
    written = bucket_objects(stack.bucket)
    faults.clear()
    batch.handler(scheduled_event(), FakeLambdaContext())
    assert bucket_objects(stack.bucket) == written
    assert [a["attributes"]["dedupe_key"] for a in alert_inbox.drain()] == ["window#2026-11-22T10:05:00Z"]


def test_invalid_event_raises(stack: Any) -> None:
    with pytest.raises(ValueError):
        batch.handler({"job": "window"}, FakeLambdaContext())
