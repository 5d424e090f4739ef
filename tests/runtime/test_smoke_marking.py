"""Smoke traffic is processed like any other, but its alerts are marked and analyses leave it out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from fraud_detection.adapters.alerts import AlertPublisher
from fraud_detection.alerts import block_alert
from fraud_detection.contract import SMOKE_ATTRIBUTE, SMOKE_PREFIX
from fraud_detection.smoke import is_smoke
from fraud_detection.window_analysis import analyze_window

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)


def _item(transaction_id: str, action: str = "block", score: int = 95) -> dict:
    return {
        "transaction_id": transaction_id,
        "pattern_id": f"p-{transaction_id}",
        "action": action,
        "risk_score": Decimal(score),
        "amount": Decimal("12500"),
        "currency": "USD",
        "merchant": "m",
        "country": "US",
        "customer_id": f"c-{transaction_id}",
        "received_at": "2026-11-22T10:06:00Z",
        "reasons": ["amount"],
    }


def test_the_prefix_marks_smoke_traffic() -> None:
    assert is_smoke(f"{SMOKE_PREFIX}1") and not is_smoke("txn-smoke-1")


def test_analyses_leave_smoke_out_and_count_it() -> None:
    analysis = analyze_window(START, [_item("txn-1"), _item(f"{SMOKE_PREFIX}a"), _item(f"{SMOKE_PREFIX}b")], 3, 5)
    document = analysis.document()
    assert document["transactions"] == 1 and document["smoke_transactions"] == 2
    listed = json.dumps(document)
    assert SMOKE_PREFIX not in listed


def test_smoke_block_alerts_carry_the_attribute_and_others_do_not() -> None:
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        publisher = AlertPublisher(sns, topic)
        publisher.publish(block_alert(_item(f"{SMOKE_PREFIX}x")))
        publisher.publish(block_alert(_item("txn-real")))
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        by_id = {json.loads(m["Body"])["transaction_id"]: m.get("MessageAttributes", {}) for m in received["Messages"]}
    assert by_id[f"{SMOKE_PREFIX}x"][SMOKE_ATTRIBUTE]["StringValue"] == "true"
    assert SMOKE_ATTRIBUTE not in by_id["txn-real"]
