"""DLQ classification (pure) and redrive against moto: delete only after a successful redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fraud_ops import dlq
from fraud_ops.invoke import InvokeResult

pytestmark = pytest.mark.unit

BATCH_ALIAS = "arn:aws:lambda:us-east-1:123456789012:function:fraud-batch-dev:live"
STREAM_ALIAS = "arn:aws:lambda:us-east-1:123456789012:function:fraud-stream-dev:live"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/fraud-patterns-dev/stream/2026-11-22T00:00:00.000"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "e1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "time": "2026-11-22T10:10:00Z",
    "detail": {},
}


def eventbridge_message(
    rule: str = "fraud-batch-window-dev", body: Mapping[str, Any] = SCHEDULED_EVENT
) -> dlq.DlqMessage:
    attributes = {
        "RULE_ARN": f"arn:aws:events:us-east-1:123456789012:rule/{rule}",
        "TARGET_ARN": BATCH_ALIAS,
        "ERROR_CODE": "SDKClientException",
    }
    return dlq.DlqMessage("m1", "r1", json.dumps(body), attributes)


def destination_message(payload: Mapping[str, Any]) -> dlq.DlqMessage:
    body = {
        "version": "1.0",
        "timestamp": "2026-11-22T10:10:05.000Z",
        "requestContext": {"requestId": "x", "functionArn": BATCH_ALIAS, "condition": "RetriesExhausted"},
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom"},
    }
    return dlq.DlqMessage("m2", "r2", json.dumps(body), {})


def stream_message(start: str = "100", end: str = "102") -> dlq.DlqMessage:
    body = {
        "version": "1.0",
        "requestContext": {"functionArn": STREAM_ALIAS, "condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {
            "shardId": "shard-1",
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "batchSize": 3,
            "streamArn": STREAM_ARN,
        },
    }
    return dlq.DlqMessage("m3", "r3", json.dumps(body), {})


@pytest.mark.parametrize(
    ("rule", "job"),
    [
        ("fraud-batch-window-dev", "window"),
        ("fraud-batch-daily-report-prod", "daily_report"),
        ("someone-elses-rule", None),
    ],
)
def test_job_for_rule(rule: str, job: str | None) -> None:
    assert dlq.job_for_rule(rule) == job


def test_eventbridge_failure_redrives_the_job_of_the_original_event_time() -> None:
    plan = dlq.classify(eventbridge_message())
    assert plan == dlq.InvokeRedrive(
        "eventbridge",
        BATCH_ALIAS,
        {"job": "window", "time": "2026-11-22T10:10:00Z"},
        plan.summary,  # type: ignore[union-attr]
    )
    daily = dlq.classify(eventbridge_message("fraud-batch-daily-report-dev"))
    assert isinstance(daily, dlq.InvokeRedrive) and daily.payload["job"] == "daily_report"


def test_eventbridge_record_already_holding_the_job_is_sent_as_is() -> None:
    plan = dlq.classify(eventbridge_message(body={"job": "window", "time": "2026-11-22T10:10:00Z"}))
    assert isinstance(plan, dlq.InvokeRedrive) and plan.payload == {"job": "window", "time": "2026-11-22T10:10:00Z"}


def test_lambda_destination_record_redrives_its_request_payload() -> None:
    plan = dlq.classify(destination_message({"job": "window", "window_start": "2026-11-22T10:05:00Z"}))
    assert isinstance(plan, dlq.InvokeRedrive)
    assert (plan.kind, plan.function) == ("lambda-destination", BATCH_ALIAS)
    assert plan.payload == {"job": "window", "window_start": "2026-11-22T10:05:00Z"}


def test_stream_record_becomes_a_re_read_of_its_sequence_range() -> None:
    plan = dlq.classify(stream_message())
    assert isinstance(plan, dlq.StreamRedrive)
    assert (plan.function, plan.stream_arn, plan.shard_id, plan.start_sequence, plan.end_sequence) == (
        STREAM_ALIAS,
        STREAM_ARN,
        "shard-1",
        "100",
        "102",
    )
    assert "positions only" in plan.summary


@pytest.mark.parametrize(
    "message",
    [
        dlq.DlqMessage("x", "r", "not json", {}),
        dlq.DlqMessage("x", "r", "[1]", {}),
        dlq.DlqMessage("x", "r", '{"hello": 1}', {}),
        eventbridge_message("unknown-rule"),
    ],
)
def test_unknown_messages_are_never_redriven(message: dlq.DlqMessage) -> None:
    assert isinstance(dlq.classify(message), dlq.Unredrivable)


def test_records_in_range_compares_sequence_numbers_as_numbers() -> None:
    records = [{"dynamodb": {"SequenceNumber": s}} for s in ("99", "100", "1000", "101")]
    assert [r["dynamodb"]["SequenceNumber"] for r in dlq.records_in_range(records, "100", "101")] == ["100", "101"]


@dataclass
class RecordingInvoker:
    """An Invoker that records calls and fails for chosen functions (a stand-in for Lambda)."""

    failing: frozenset[str] = frozenset()
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, function: str, payload: Mapping[str, Any]) -> InvokeResult:
        self.calls.append((function, dict(payload)))
        return InvokeResult(function not in self.failing, "done")


@dataclass
class FixedReader:
    records: list[dict[str, Any]] | None

    def read(self, stream_arn: str, shard_id: str, start: str, end: str) -> list[dict[str, Any]] | None:
        return self.records


def test_stream_redrive_explains_trimmed_records_and_keeps_the_message() -> None:
    outcome = dlq.redrive(dlq.classify(stream_message()), RecordingInvoker(), FixedReader(None))
    assert not outcome.ok and "no longer in the stream" in outcome.detail


def test_stream_redrive_invokes_the_stream_function_with_the_records() -> None:
    invoker = RecordingInvoker()
    records = [{"eventName": "INSERT", "dynamodb": {"SequenceNumber": "100", "Keys": {"pk": {"S": "TXN#t-1"}}}}]
    assert dlq.redrive(dlq.classify(stream_message()), invoker, FixedReader(records)).ok
    assert invoker.calls == [(STREAM_ALIAS, {"Records": records})]


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[dlq.QueueAdapter]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="fraud-dlq-dev")["QueueUrl"]
        yield dlq.QueueAdapter(sqs, url)


def send(queue: dlq.QueueAdapter, message: dlq.DlqMessage) -> None:
    attributes = {name: {"DataType": "String", "StringValue": value} for name, value in message.attributes.items()}
    queue.client.send_message(QueueUrl=queue.queue_url, MessageBody=message.body, MessageAttributes=attributes)


def remaining(queue: dlq.QueueAdapter) -> int:
    attributes = queue.client.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_without_yes_messages_are_only_shown_and_stay_visible(queue: dlq.QueueAdapter) -> None:
    send(queue, eventbridge_message())
    invoker = RecordingInvoker()
    lines: list[str] = []
    assert dlq.process_queue(queue, invoker, FixedReader(None), apply=False, say=lines.append) == (0, 1)
    assert invoker.calls == []
    assert len(queue.receive_all()) == 1  # released: visible again at once
    assert any("[eventbridge]" in line for line in lines)


def test_with_yes_only_successful_redrives_are_deleted(queue: dlq.QueueAdapter) -> None:
    send(queue, eventbridge_message())  # succeeds
    send(queue, destination_message({"job": "daily_report", "day": "2026-11-21"}))  # succeeds
    send(queue, stream_message())  # records trimmed: stays
    invoker = RecordingInvoker()
    moved, left = dlq.process_queue(queue, invoker, FixedReader(None), apply=True, say=lambda _: None)
    assert (moved, left) == (2, 1)
    assert sorted(call[1]["job"] for call in invoker.calls) == ["daily_report", "window"]
    assert remaining(queue) == 1


def test_a_failed_invoke_keeps_the_message(queue: dlq.QueueAdapter) -> None:
    send(queue, eventbridge_message())
    invoker = RecordingInvoker(failing=frozenset({BATCH_ALIAS}))
    assert dlq.process_queue(queue, invoker, FixedReader(None), apply=True, say=lambda _: None) == (0, 1)
    assert remaining(queue) == 1


@pytest.mark.parametrize("limit", [1, 5, 10, 13])
def test_receive_all_takes_no_more_than_its_limit(queue: dlq.QueueAdapter, limit: int) -> None:
    """``cli alerts --limit 5`` shows (and without --keep deletes) at most 5, never a whole batch of 10."""
    for _ in range(15):
        send(queue, eventbridge_message())
    taken = queue.receive_all(visibility_seconds=30, limit=limit)
    assert len(taken) == limit
    assert len(queue.receive_all(visibility_seconds=30)) == 15 - limit  # the rest stayed visible
