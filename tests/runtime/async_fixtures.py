"""Helpers for the stream and batch tests (shared AWS fixtures live in conftest.py).

Captured events come from ``tests/runtime/events``; SNS deliveries are observed through a real SQS
subscription in moto, and faults moto cannot produce are injected with botocore event hooks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from fraud_detection import keys

EVENTS = Path(__file__).resolve().parent / "events"
REGION = "us-east-1"
SENTINEL_PAN = "4242424242424242"  # Luhn-valid test number; must never leave the request


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def input_transformer(scheduled_event: dict[str, Any], job: str) -> dict[str, Any]:
    """What the EventBridge target's input transformer (``input_paths = {"time": "$.time"}``) delivers."""
    return {"job": job, "time": scheduled_event["time"]}


@dataclass(frozen=True)
class FakeContext:
    function_name: str = "fraud-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:fraud-test"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class AlertInbox:
    """An SQS queue subscribed to the alert topic: what a subscriber would receive."""

    queue_url: str

    def drain(self) -> list[dict[str, Any]]:
        client = boto3.client("sqs", region_name=REGION)
        received: list[dict[str, Any]] = []
        while True:
            response = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "body": json.loads(envelope["Message"]),
                        "subject": envelope.get("Subject"),
                        "attributes": {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                        "raw": message["Body"],
                    }
                )
                client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def subscribe_inbox(topic: str) -> AlertInbox:
    """Subscribe a fresh SQS queue to ``topic``; call from a test module's fixture."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return AlertInbox(queue_url)


def fail_operation(
    client: Any,
    service: str,
    operation: str,
    code: str,
    when: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> Callable[[], None]:
    """Make ``operation`` fail with ``code`` (botocore layer) when ``when(params)``; returns the undo."""

    def _raise(params: dict[str, Any], **_: Any) -> None:
        if when(params):
            raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, operation)

    event = f"before-parameter-build.{service}.{operation}"
    client.meta.events.register(event, _raise)
    return lambda: client.meta.events.unregister(event, _raise)


def bucket_objects(bucket: str, prefix: str = "") -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {entry["Key"]: s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listed}


def pattern_item(
    transaction_id: str,
    received: datetime,
    *,
    shards: int,
    action: str = "approve",
    risk_score: int = 10,
    amount: str = "25.00",
    customer_id: str = "cust-1",
    merchant: str = "Acme Books",
    padding_bytes: int = 0,
) -> dict[str, Any]:
    """A pattern item as the webhook writes it (resource-style values)."""
    event_ts = int(received.timestamp() * 1000)
    start = keys.window_start(received)
    item: dict[str, Any] = {
        "pk": keys.pattern_pk(transaction_id),
        "transaction_id": transaction_id,
        "pattern_id": f"pid-{transaction_id}",
        "customer_key": keys.customer_key(customer_id),
        "card_key": keys.card_key("f" * 32),
        "window_key": keys.window_key(start, keys.shard_for(transaction_id, shards)),
        "event_ts": event_ts,
        "expires_at": event_ts // 1000 + 90 * 86400,
        "risk_score": risk_score,
        "rule_score": risk_score,
        "action": action,
        "reasons": ["high_amount"] if risk_score >= 50 else [],
        "amount": Decimal(amount),
        "currency": "USD",
        "merchant": merchant,
        "country": "US",
        "customer_id": customer_id,
        "card_last4": "4242",
        "client_timestamp": received.isoformat(),
        "received_at": received.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "request_id": f"req-{transaction_id}",
        "source_ip": "203.0.113.9",
        "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if padding_bytes:
        item["pattern_data"] = {"padding": "x" * padding_bytes}
    return item


def put_patterns(table_name: str, items: list[dict[str, Any]]) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table(table_name)
    with table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)


def emf_records(stdout: str) -> list[dict[str, Any]]:
    """The EMF (CloudWatch embedded metric format) documents Powertools printed."""
    found = []
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            found.append(json.loads(line))
    return found


def metric_names(records: list[dict[str, Any]]) -> set[str]:
    return {m["Name"] for r in records for d in r["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def iter_lines(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.decode("utf-8").splitlines():
        yield json.loads(line)
