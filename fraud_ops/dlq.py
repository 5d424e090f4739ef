"""Dead-letter queue redrive: what each DLQ message is, and how it goes back to its source.

One queue collects three kinds of failure, and each needs a different way back:

- **EventBridge target failures** (the schedule could not deliver to the batch alias): the
  body is the scheduled event, the rule and target are message attributes. Redrive = invoke the
  target with the job the rule would have sent (``{"job": ..., "time": <event time>}``), so the
  batch processes the window of the *original* event, not of now.
- **Lambda async on-failure records** (the batch ran and failed after its retries): the body
  carries ``requestPayload``. Redrive = invoke ``requestContext.functionArn`` with it.
- **Stream on-failure records** (the stream consumer gave up on a batch): the body carries only
  ``DDBStreamBatchInfo`` (shard and sequence range), never the data. Redrive = re-read that
  range from the table's stream (24 h retention) and invoke the stream function with it; if
  the records have been trimmed they are gone from the stream, and the table items themselves
  are the source of truth for a manual audit backfill.

Classification is pure; AWS sits behind ``QueueAdapter`` / ``StreamRangeReader`` and an
``Invoker`` (:mod:`fraud_ops.invoke`). A message is deleted only after its redrive succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fraud_detection import contract
from fraud_ops.invoke import Invoker
from fraud_ops.stream_records import lambda_record, matches_filter


@dataclass(frozen=True)
class DlqMessage:
    message_id: str
    receipt_handle: str
    body: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class InvokeRedrive:
    """Invoke ``function`` synchronously with ``payload``."""

    kind: str  # "eventbridge" | "lambda-destination"
    function: str
    payload: Mapping[str, Any]
    summary: str


@dataclass(frozen=True)
class StreamRedrive:
    """Re-read ``[start_sequence, end_sequence]`` of one shard and invoke the stream function."""

    function: str
    stream_arn: str
    shard_id: str
    start_sequence: str
    end_sequence: str
    batch_size: int
    summary: str
    kind: str = "stream"


@dataclass(frozen=True)
class Unredrivable:
    reason: str
    kind: str = "unknown"


Plan = InvokeRedrive | StreamRedrive | Unredrivable


def job_for_rule(rule_name: str) -> str | None:
    """``fraud-batch-window-dev`` -> ``window``; ``fraud-batch-daily-report-dev`` -> ``daily_report``
    (the rules of the contract's ``SCHEDULES``, whatever the environment)."""
    for schedule in contract.SCHEDULES:
        stem = schedule.rule_name("")  # e.g. "fraud-batch-daily-report-": the name before the environment
        if rule_name.startswith(stem) and "-" not in rule_name.removeprefix(stem):
            return schedule.job
    return None


def _eventbridge(document: Mapping[str, Any], attributes: Mapping[str, str]) -> Plan:
    target = attributes.get("TARGET_ARN", "")
    rule_name = attributes.get("RULE_ARN", "").rsplit("/", 1)[-1]
    if not target:
        return Unredrivable("EventBridge record without TARGET_ARN attribute")
    if "job" in document:  # the transformed input itself
        payload: dict[str, Any] = dict(document)
    else:
        job = job_for_rule(rule_name)
        if job is None or "time" not in document:
            return Unredrivable(f"cannot tell which job rule {rule_name!r} sends")
        payload = {"job": job, "time": document["time"]}
    error = attributes.get("ERROR_CODE", "?")
    return InvokeRedrive("eventbridge", target, payload, f"rule {rule_name} -> {json.dumps(payload)} ({error})")


def classify(message: DlqMessage) -> Plan:
    """Which kind of failure ``message`` records and how to redrive it (pure)."""
    try:
        document = json.loads(message.body)
    except ValueError:
        return Unredrivable("body is not JSON")
    if not isinstance(document, Mapping):
        return Unredrivable("body is not a JSON object")
    if "RULE_ARN" in message.attributes or "TARGET_ARN" in message.attributes:
        return _eventbridge(document, message.attributes)
    context = document.get("requestContext") or {}
    function = str(context.get("functionArn", ""))
    condition = str(context.get("condition", "?"))
    info = document.get("DDBStreamBatchInfo")
    if isinstance(info, Mapping):
        needed = ("streamArn", "shardId", "startSequenceNumber", "endSequenceNumber")
        if not function or any(not info.get(name) for name in needed):
            return Unredrivable("stream failure record lacks function or shard/sequence info")
        return StreamRedrive(
            function=function,
            stream_arn=str(info["streamArn"]),
            shard_id=str(info["shardId"]),
            start_sequence=str(info["startSequenceNumber"]),
            end_sequence=str(info["endSequenceNumber"]),
            batch_size=int(info.get("batchSize") or 0),
            summary=(
                f"stream batch {info['shardId']} {info['startSequenceNumber']}..{info['endSequenceNumber']} "
                f"({condition}); the record holds positions only, the data is re-read from the stream"
            ),
        )
    if "requestPayload" in document:
        if not function:
            return Unredrivable("destination record without requestContext.functionArn")
        payload = document["requestPayload"]
        if not isinstance(payload, Mapping):
            return Unredrivable("requestPayload is not a JSON object")
        return InvokeRedrive(
            "lambda-destination", function, dict(payload), f"{function} failed ({condition}): {json.dumps(payload)}"
        )
    return Unredrivable("neither an EventBridge, a Lambda destination nor a stream failure record")


def records_in_range(records: Sequence[Mapping[str, Any]], start: str, end: str) -> list[Mapping[str, Any]]:
    """Records whose sequence number lies in ``[start, end]`` (numeric strings, compared as ints)."""
    low, high = int(start), int(end)
    return [r for r in records if low <= int(r["dynamodb"]["SequenceNumber"]) <= high]


class StreamRangeReader(Protocol):
    def read(self, stream_arn: str, shard_id: str, start: str, end: str) -> list[dict[str, Any]] | None:
        """The records of the range, or ``None`` when the stream no longer has them."""
        ...


@dataclass(frozen=True)
class RedriveOutcome:
    ok: bool
    detail: str


def redrive(plan: Plan, invoker: Invoker, reader: StreamRangeReader) -> RedriveOutcome:
    if isinstance(plan, Unredrivable):
        return RedriveOutcome(False, f"left in the queue: {plan.reason}")
    if isinstance(plan, InvokeRedrive):
        result = invoker.invoke(plan.function, plan.payload)
        return RedriveOutcome(result.ok, result.detail)
    records = reader.read(plan.stream_arn, plan.shard_id, plan.start_sequence, plan.end_sequence)
    if records is None:
        return RedriveOutcome(
            False,
            "the records are no longer in the stream (24 h retention); left in the queue. The table items "
            "are the source of truth: re-audit them manually if needed",
        )
    if not records:
        return RedriveOutcome(False, "no records found in that sequence range; left in the queue")
    # The mapping's filter, as Lambda applied it to the failed batch: only those records were delivered.
    records = [record for record in records if matches_filter(contract.STREAM_AUDITED_EVENTS, record)]
    if not records:
        return RedriveOutcome(True, "no record of that range passes the stream mapping's filter; nothing to redeliver")
    result = invoker.invoke(plan.function, {"Records": records})
    return RedriveOutcome(result.ok, f"{len(records)} stream records re-delivered: {result.detail}")


def message_from(raw: Mapping[str, Any]) -> DlqMessage:
    """An SQS ``ReceiveMessage`` entry (received with ``MessageAttributeNames=["All"]``)."""
    attributes = {
        name: str(value.get("StringValue", "")) for name, value in (raw.get("MessageAttributes") or {}).items()
    }
    return DlqMessage(raw["MessageId"], raw["ReceiptHandle"], raw["Body"], attributes)


@dataclass(frozen=True)
class QueueAdapter:
    """The DLQ (SQS): receive with a visibility timeout, release, delete."""

    client: Any  # botocore SQS client
    queue_url: str

    def receive_all(self, visibility_seconds: int = 60, limit: int = 100) -> list[DlqMessage]:
        """Up to ``limit`` messages (SQS hands out at most 10 a call), each hidden for ``visibility_seconds``."""
        messages: list[DlqMessage] = []
        while len(messages) < limit:
            response = self.client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, limit - len(messages)),
                VisibilityTimeout=visibility_seconds,
                WaitTimeSeconds=0,
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            messages += [message_from(raw) for raw in batch]
        return messages

    def release(self, message: DlqMessage) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=0
        )

    def delete(self, message: DlqMessage) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle)


@dataclass(frozen=True)
class DynamoStreamReader:
    """Reads one shard range of a DynamoDB stream (``dynamodbstreams`` client)."""

    client: Any

    def read(self, stream_arn: str, shard_id: str, start: str, end: str) -> list[dict[str, Any]] | None:
        try:
            iterator = self.client.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=start
            )["ShardIterator"]
        except self.client.exceptions.ResourceNotFoundException:
            return None
        except self.client.exceptions.TrimmedDataAccessException:
            return None
        collected: list[dict[str, Any]] = []
        for _ in range(100):  # bounded: a range is at most one batch
            response = self.client.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            collected += records
            iterator = response.get("NextShardIterator")
            if not records or not iterator or int(records[-1]["dynamodb"]["SequenceNumber"]) >= int(end):
                break
        return [lambda_record(record, stream_arn) for record in records_in_range(collected, start, end)]


def process_queue(
    queue: QueueAdapter,
    invoker: Invoker,
    reader: StreamRangeReader,
    *,
    apply: bool,
    say: Callable[[str], None] = print,
) -> tuple[int, int]:
    """Show every message; with ``apply`` redrive it and delete it only on success. Returns (moved, left)."""
    messages = queue.receive_all()
    if not messages:
        say("the DLQ is empty")
        return 0, 0
    moved = left = 0
    for message in messages:
        plan = classify(message)
        say(f"- {message.message_id} [{plan.kind}] {getattr(plan, 'summary', getattr(plan, 'reason', ''))}")
        if not apply:
            queue.release(message)
            continue
        outcome = redrive(plan, invoker, reader)
        if outcome.ok:
            queue.delete(message)
            moved += 1
            say(f"  redriven and deleted: {outcome.detail}")
        else:
            queue.release(message)
            left += 1
            say(f"  NOT deleted: {outcome.detail}")
    if not apply:
        say(f"{len(messages)} message(s); run again with --yes to redrive them")
        left = len(messages)
    return moved, left
