"""The audit trail's ledger: the stream consumer writes ``AUDITED#`` items after the audit object, a replay
rewrites the same items, a failed write fails the batch; the adapter's chunks and unprocessed-item retries.
Then the whole path: webhook -> stream -> label."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from fraud_detection import contract
from fraud_detection.adapters.audited_ledger import (
    AuditedEntry,
    AuditedLedger,
    LedgerItemMalformed,
    LedgerWriteIncomplete,
    audited_pk,
)
from fraud_detection.handlers import stream
from fraud_detection.keys import pattern_pk
from fraud_ops.stream_records import matches_filter
from tests.runtime.labels.labels_support import LabelsClient, base_label, label_objects
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.aws import REGION, moto_client
from tests.support.events import load_event
from tests.support.faults import Faults
from tests.support.lambda_context import FakeLambdaContext
from tests.support.moto_stack import NAMES
from tests.support.outputs import AlertInbox, bucket_objects

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]

STREAM_EVENT = "dynamodb_stream_patterns.json"
EXPECTED_KEY = "audit/dt=2026-11-22/hour=10/4421584500000000017450439091-4421584700000000017450439093.jsonl.gz"


@pytest.fixture
def env(lambda_env: object, table: str, bucket: str, topic: str) -> str:
    return table


def ledger_items() -> dict[str, dict[str, str]]:
    scan = moto_client("dynamodb").scan(TableName=NAMES.table, ConsistentRead=True)["Items"]
    return {
        item["pk"]["S"]: {name: value["S"] for name, value in item.items()}
        for item in scan
        if item["pk"]["S"].startswith(contract.AUDITED_KEY_PREFIX)
    }


def captured_lines() -> list[tuple[str, str]]:
    records = load_event(STREAM_EVENT)["Records"]
    images = [r["dynamodb"]["NewImage"] for r in records if r["eventName"] == "INSERT"]
    return [(image["transaction_id"]["S"], image["received_at"]["S"]) for image in images]


# --- the stream consumer ----------------------------------------------------------------------------


def test_every_audited_line_gets_a_ledger_item_naming_its_audit_object(env: str, alert_inbox: AlertInbox) -> None:
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    expected = {
        audited_pk(txn): {
            "pk": audited_pk(txn),
            "transaction_id": txn,
            "received_at": received,
            "audit_key": EXPECTED_KEY,
        }
        for txn, received in captured_lines()
    }
    assert len(expected) == 3
    assert ledger_items() == expected
    for item in moto_client("dynamodb").scan(TableName=NAMES.table)["Items"]:
        assert set(item) == {"pk", *contract.AUDITED_ITEM_ATTRIBUTES}  # no TTL, no index key


def test_a_replayed_batch_rewrites_the_same_items(env: str, alert_inbox: AlertInbox) -> None:
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    first = ledger_items()
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    assert ledger_items() == first


def test_a_batch_without_pattern_inserts_writes_no_ledger_item(env: str) -> None:
    event = load_event(STREAM_EVENT)
    event["Records"] = [r for r in event["Records"] if r["eventName"] == "REMOVE"]
    stream.handler(event, FakeLambdaContext())
    assert ledger_items() == {}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_ledger_write_failure_fails_the_batch_after_the_alerts(env: str, alert_inbox: AlertInbox) -> None:
    """A ledger that cannot be written never holds back a block alert; the retry republishes it (same
    ``dedupe_key``) and writes the items."""
    ledger = stream.dependencies().ledger
    assert ledger is not None
    faults = Faults.on(ledger.client)
    faults.fail("dynamodb.BatchWriteItem", "InternalServerError", status=500)
    with pytest.raises(ClientError, match="InternalServerError"):
        stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())
    assert list(bucket_objects(NAMES.bucket, "audit/")) == [EXPECTED_KEY]  # the retry rewrites this key
    assert ledger_items() == {}
    [first] = alert_inbox.drain()

    faults.clear()
    stream.handler(load_event(STREAM_EVENT), FakeLambdaContext())  # the mapping's retry
    assert len(ledger_items()) == 3
    [again] = alert_inbox.drain()
    assert again["body"]["dedupe_key"] == first["body"]["dedupe_key"]


def test_ledger_items_never_invoke_the_stream_again() -> None:
    """The mapping's filter, applied as Lambda event filtering reads it, admits pattern inserts only: not the
    ledger's inserts, not a modified pattern item, not a TTL removal."""

    def record(event_name: str, pk: str) -> dict[str, Any]:
        return {"eventName": event_name, "dynamodb": {"Keys": {contract.PARTITION_KEY: {"S": pk}}}}

    pattern = contract.STREAM_AUDITED_EVENTS
    assert matches_filter(pattern, record("INSERT", pattern_pk("txn-1")))
    assert not matches_filter(pattern, record("INSERT", audited_pk("txn-1")))
    assert not matches_filter(pattern, record("MODIFY", pattern_pk("txn-1")))
    assert not matches_filter(pattern, record("REMOVE", pattern_pk("txn-1")))


# --- the adapter -------------------------------------------------------------------------------------


def entries(count: int) -> list[AuditedEntry]:
    return [AuditedEntry(f"txn-{i:03d}", "2026-11-22T10:00:00.000Z", "audit/k.jsonl.gz") for i in range(count)]


def put_requests(chunk: list[AuditedEntry]) -> dict[str, Any]:
    return {NAMES.table: [{"PutRequest": {"Item": entry.to_item()}} for entry in chunk]}


@pytest.fixture
def stubbed() -> tuple[Any, Stubber, list[float]]:
    client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION).client(
        "dynamodb"
    )
    return client, Stubber(client), []


def test_writes_go_in_chunks_of_25_and_a_transaction_once(stubbed: tuple[Any, Stubber, list[float]]) -> None:
    client, stubber, sleeps = stubbed
    batch = entries(60)
    duplicate = AuditedEntry("txn-000", "2026-11-22T10:00:00.000Z", "audit/other.jsonl.gz")
    for chunk in (batch[:25], batch[25:50], batch[50:]):
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": put_requests(chunk)})
    with stubber:
        written = AuditedLedger(client, NAMES.table, sleep=sleeps.append).write([*batch, duplicate])
    stubber.assert_no_pending_responses()
    assert (written, sleeps) == (60, [])


def test_unprocessed_items_are_retried_with_backoff_then_raise(stubbed: tuple[Any, Stubber, list[float]]) -> None:
    client, stubber, sleeps = stubbed
    batch = entries(3)
    stubber.add_response(
        "batch_write_item", {"UnprocessedItems": put_requests(batch[1:])}, {"RequestItems": put_requests(batch)}
    )
    stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": put_requests(batch[1:])})
    with stubber:
        assert AuditedLedger(client, NAMES.table, sleep=sleeps.append).write(batch) == 3
    assert sleeps == [0.05]

    stuck = Stubber(client)
    for _ in range(4):
        stuck.add_response("batch_write_item", {"UnprocessedItems": put_requests(batch[:1])})
    sleeps.clear()
    with stuck, pytest.raises(LedgerWriteIncomplete, match="1 ledger items unprocessed after 4 attempts"):
        AuditedLedger(client, NAMES.table, attempts=4, sleep=sleeps.append).write(batch[:1])
    assert sleeps == [0.05, 0.1, 0.2]


def test_get_reads_the_item_or_none(env: str) -> None:
    ledger = AuditedLedger(moto_client("dynamodb"), NAMES.table)
    assert ledger.get("txn-1") is None
    ledger.write(entries(2))
    assert ledger.get("txn-001") == entries(2)[1]
    moto_client("dynamodb").put_item(TableName=NAMES.table, Item={"pk": {"S": audited_pk("txn-bad")}})
    with pytest.raises(LedgerItemMalformed):
        ledger.get("txn-bad")


# --- the whole path ----------------------------------------------------------------------------------


def stream_event_of_table() -> dict[str, Any]:
    """The table's pattern items as the stream delivers their inserts (the captured record's shape)."""
    serialize = TypeSerializer().serialize
    template = load_event(STREAM_EVENT)["Records"][0]
    items = boto3.resource("dynamodb", region_name=REGION).Table(NAMES.table).scan()["Items"]
    records = []
    for index, item in enumerate(items):
        image = {name: serialize(value) for name, value in item.items()}
        dynamodb = {**template["dynamodb"], "Keys": {"pk": image["pk"]}, "NewImage": image}
        dynamodb["SequenceNumber"] = f"{index + 1:028d}"
        records.append({**template, "eventID": f"e-{index}", "eventName": "INSERT", "dynamodb": dynamodb})
    return {"Records": records}


def test_webhook_then_stream_then_label(webhook: WebhookClient, labels: LabelsClient) -> None:
    assert webhook.post(base_transaction()).status == 200
    assert labels.post(base_label()).status == 404  # not audited yet
    stream.handler(stream_event_of_table(), FakeLambdaContext())
    result = labels.post(base_label())
    assert result.status == 201
    [stored] = label_objects().values()
    assert stored["transaction_received_at"] == "2026-11-22T10:07:30.000Z"
    assert json.loads(json.dumps(stored))["label"] == "fraud"
