"""The stream pump against moto's DynamoDB Streams: batches, bisect, DLQ record, and its redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fraud_ops import dlq
from fraud_ops.invoke import InvokeResult
from local_stage.functions import HandlerError
from local_stage.stream_pump import PumpSettings, StreamPump

pytestmark = pytest.mark.unit

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fraud-stream-dev:live"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(
            TableName="patterns",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield {
            "dynamodb": dynamodb,
            "streams": boto3.client("dynamodbstreams", region_name="us-east-1"),
            "stream_arn": table["LatestStreamArn"],
            "sqs": sqs,
            "queue_url": sqs.create_queue(QueueName="dlq")["QueueUrl"],
        }


def put(aws: dict[str, Any], *ids: str) -> None:
    for transaction_id in ids:
        aws["dynamodb"].put_item(TableName="patterns", Item={"pk": {"S": f"TXN#{transaction_id}"}})


def pump_for(aws: dict[str, Any], deliver: Any, batch_size: int = 100) -> StreamPump:
    return StreamPump(
        aws["streams"],
        aws["stream_arn"],
        deliver,
        function_arn=FUNCTION,
        send_failure=lambda body: aws["sqs"].send_message(QueueUrl=aws["queue_url"], MessageBody=body),
        settings=PumpSettings(batch_size=batch_size, max_retry_attempts=1),
    )


def test_records_reach_the_function_in_order_with_the_source_arn(aws: dict[str, Any]) -> None:
    events: list[dict[str, Any]] = []
    put(aws, "a", "b", "c")
    pump = pump_for(aws, events.append, batch_size=2)
    assert pump.drain() == 3
    assert [len(e["Records"]) for e in events] == [2, 1]
    records = [r for e in events for r in e["Records"]]
    assert [r["dynamodb"]["NewImage"]["pk"]["S"] for r in records] == ["TXN#a", "TXN#b", "TXN#c"]
    assert {r["eventSourceARN"] for r in records} == {aws["stream_arn"]}
    put(aws, "d")
    assert pump.drain() == 1  # continues where it stopped
    assert pump.drain() == 0


def test_a_poison_record_is_isolated_and_sent_to_the_dlq_then_redriven(aws: dict[str, Any]) -> None:
    delivered: list[str] = []
    poison = {"on": True}

    def deliver(event: dict[str, Any]) -> None:
        keys = [r["dynamodb"]["NewImage"]["pk"]["S"] for r in event["Records"]]
        if poison["on"] and "TXN#bad" in keys:
            raise HandlerError("boom")
        delivered.extend(keys)

    put(aws, "a", "bad", "c")
    pump = pump_for(aws, deliver)
    pump.drain()
    assert delivered == ["TXN#a", "TXN#c"]  # bisected around the poison record
    assert pump.failed_batches == 1

    queue = dlq.QueueAdapter(aws["sqs"], aws["queue_url"])
    (message,) = queue.receive_all()
    plan = dlq.classify(message)
    assert isinstance(plan, dlq.StreamRedrive) and plan.function == FUNCTION
    assert "NewImage" not in json.dumps(json.loads(message.body))  # positions, never data

    poison["on"] = False  # the bug is fixed: the redrive re-reads the record from the stream

    class Deliverer:
        def invoke(self, function: str, payload: Any) -> InvokeResult:
            deliver(dict(payload))
            return InvokeResult(True, "ok")

    outcome = dlq.redrive(plan, Deliverer(), dlq.DynamoStreamReader(aws["streams"]))
    assert outcome.ok, outcome.detail
    assert delivered == ["TXN#a", "TXN#c", "TXN#bad"]


def test_records_are_json_ready_like_the_lambda_event(aws: dict[str, Any]) -> None:
    events: list[dict[str, Any]] = []
    put(aws, "a")
    pump_for(aws, events.append).drain()
    (record,) = events[0]["Records"]
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    json.dumps(events[0])  # what Lambda delivers is JSON


def test_the_mappings_filter_drops_ledger_items_updates_and_removals_without_invoking(aws: dict[str, Any]) -> None:
    """Lambda event filtering (contract.STREAM_AUDITED_EVENTS): only inserts of TXN# items invoke the stream
    function; a batch of ledger writes (AUDITED#) invokes nothing, and the pump moves past it."""
    events: list[dict[str, Any]] = []
    dynamodb = aws["dynamodb"]
    for transaction_id in ("l1", "l2", "l3"):  # a page of ledger items only (batch size 2)
        dynamodb.put_item(TableName="patterns", Item={"pk": {"S": f"AUDITED#{transaction_id}"}})
    put(aws, "a")
    dynamodb.put_item(TableName="patterns", Item={"pk": {"S": "TXN#a"}, "x": {"S": "changed"}})  # MODIFY
    dynamodb.delete_item(TableName="patterns", Key={"pk": {"S": "TXN#a"}})  # REMOVE
    put(aws, "b")
    pump = pump_for(aws, events.append, batch_size=2)
    assert pump.drain() == 2
    delivered = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for e in events for r in e["Records"]]
    assert delivered == [("INSERT", "TXN#a"), ("INSERT", "TXN#b")]
    assert pump.filtered == 5
    assert all(e["Records"] for e in events)  # never an empty invocation


def test_without_a_filter_every_record_is_delivered(aws: dict[str, Any]) -> None:
    events: list[dict[str, Any]] = []
    aws["dynamodb"].put_item(TableName="patterns", Item={"pk": {"S": "AUDITED#x"}})
    pump = StreamPump(
        aws["streams"], aws["stream_arn"], events.append, function_arn=FUNCTION, send_failure=print, filter_pattern=None
    )
    assert pump.drain() == 1 and pump.filtered == 0


@pytest.mark.parametrize(
    ("pattern", "record", "passes"),
    [
        ({"eventName": ["INSERT"]}, {"eventName": "INSERT"}, True),
        ({"eventName": ["INSERT"]}, {"eventName": "MODIFY"}, False),
        ({"eventName": ["INSERT"]}, {}, False),
        ({"a": {"b": [{"prefix": "TXN#"}]}}, {"a": {"b": "TXN#1"}}, True),
        ({"a": {"b": [{"prefix": "TXN#"}]}}, {"a": {"b": "AUDITED#1"}}, False),
        ({"a": {"b": [{"prefix": "TXN#"}]}}, {"a": "TXN#1"}, False),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "y"}, True),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": True}]}, {}, False),
    ],
)
def test_filter_patterns_match_like_lambda_event_filtering(
    pattern: dict[str, Any], record: dict[str, Any], passes: bool
) -> None:
    from fraud_ops.stream_records import matches_filter

    assert matches_filter(pattern, record) is passes


def test_a_redrive_delivers_only_the_records_the_mappings_filter_passes(aws: dict[str, Any]) -> None:
    """A failed batch's range may hold ledger writes between its records; Lambda never delivered those."""
    failing = {"on": True}
    delivered: list[str] = []

    def deliver(event: dict[str, Any]) -> None:
        if failing["on"]:
            raise HandlerError("boom")
        delivered.extend(r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"])

    put(aws, "a")
    aws["dynamodb"].put_item(TableName="patterns", Item={"pk": {"S": "AUDITED#z"}})
    put(aws, "b")
    pump = pump_for(aws, deliver)
    pump.drain()
    failing["on"] = False

    class Deliverer:
        def invoke(self, function: str, payload: Any) -> InvokeResult:
            deliver(dict(payload))
            return InvokeResult(True, "ok")

    queue = dlq.QueueAdapter(aws["sqs"], aws["queue_url"])
    for message in queue.receive_all():
        outcome = dlq.redrive(dlq.classify(message), Deliverer(), dlq.DynamoStreamReader(aws["streams"]))
        assert outcome.ok, outcome.detail
    assert sorted(delivered) == ["TXN#a", "TXN#b"]
