"""The pattern table as production creates it, from the contract's definition, and helpers to read it.

``pattern_table_definition`` (``local_stage.table_definition``, shared with the bench) builds
``CreateTable`` arguments from ``fraud_detection.contract``
(``PARTITION_KEY``, ``INDEXES`` with their projections and projected attributes, ``EVENT_TIME_ATTRIBUTE``):
the same facts the stacks build the Terraform table from, so an index that production creates ``KEYS_ONLY``
is ``KEYS_ONLY`` here too, and ``by_window`` holds only its ``INCLUDE`` attributes (moto applies the
projection to GSI queries; ``tests/runtime/test_table_definition.py`` compares the definitions).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import boto3

from fraud_detection import contract, keys
from local_stage.table_definition import pattern_table_definition, projection  # noqa: F401 (re-exported)
from tests.support.aws import REGION, moto_client


def create_pattern_table(client: Any, table_name: str, *, stream: bool = True) -> None:
    """Create the table (and its TTL on the contract's attribute) with a botocore DynamoDB client."""
    client.create_table(**pattern_table_definition(table_name, stream=stream))
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": contract.TTL_ATTRIBUTE}
    )


def count_items(table_name: str, *, client: Any = None) -> int:
    """Items in the table. Only the key is read back: moto answers ``Select=COUNT`` with every item."""
    paginator = (client or moto_client("dynamodb")).get_paginator("scan")
    pages = paginator.paginate(TableName=table_name, ProjectionExpression=contract.PARTITION_KEY, ConsistentRead=True)
    return sum(page["Count"] for page in pages)


def pattern_items(table_name: str) -> list[dict[str, Any]]:
    """Every pattern item (typed AttributeValues), in scan order."""
    scan = moto_client("dynamodb").scan(TableName=table_name, ConsistentRead=True)
    prefix = contract.TRANSACTION_KEY_PREFIX
    return [item for item in scan["Items"] if item[contract.PARTITION_KEY]["S"].startswith(prefix)]


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
        contract.PARTITION_KEY: keys.pattern_pk(transaction_id),
        "transaction_id": transaction_id,
        "pattern_id": f"pid-{transaction_id}",
        contract.CUSTOMER_INDEX.hash_key: keys.customer_key(customer_id),
        contract.CARD_INDEX.hash_key: keys.card_key("f" * 32),
        contract.WINDOW_INDEX.hash_key: keys.window_key(start, keys.shard_for(transaction_id, shards)),
        contract.EVENT_TIME_ATTRIBUTE: event_ts,
        contract.TTL_ATTRIBUTE: event_ts // 1000 + contract.DEFAULT_PATTERN_TTL_DAYS * 86400,
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
