"""The window index projects exactly what the batch reads, and an index entry stays under 1 KB.

``by_window`` is an ``INCLUDE`` index of ``contract.WINDOW_ITEM_ATTRIBUTES``. The set is not trusted: it is
derived here from the analysis code itself (every item attribute ``analyze_window`` looks at), and the
window reader is shown to return the same analysis from the projected entries as from whole items.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer

from fraud_detection import contract
from fraud_detection.adapters.window_reader import READ_ATTRIBUTES, WindowReader
from fraud_detection.window_analysis import analyze_window
from tests.support.aws import REGION, moto_client
from tests.support.tables import pattern_item, put_patterns

pytestmark = pytest.mark.unit

WINDOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
SHARDS = 4
ALL_REASONS = (
    "high_amount",
    "blocked_merchant",
    "high_risk_country",
    "international",
    "small_round_amount",
    "night_time",
    "customer_velocity",
    "card_velocity",
    "card_checksum_invalid",
    "upstream_risk_score",
)


class RecordingItem(dict):
    """A pattern item that remembers every attribute name the code under test asks about."""

    def __init__(self, item: dict[str, Any], read: set[str]) -> None:
        super().__init__(item)
        self.read = read

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self.read.add(str(name))
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the analysis iterates over an item: it would depend on every attribute")

    def keys(self) -> Any:
        raise AssertionError("the analysis lists an item's attributes: it would depend on every attribute")


def grown_item(transaction_id: str, second: int, **changes: Any) -> dict[str, Any]:
    """A pattern item as the webhook writes it, grown the way replayable decisions will grow it (features and
    rule values in every record: ~4 KB of ``pattern_data``), plus every optional attribute."""
    item = pattern_item(transaction_id, WINDOW + timedelta(seconds=second), shards=SHARDS, **changes)
    return item | {"upstream_risk_score": Decimal("12.5"), "pattern_data": {"features": {"rule_values": "v" * 4000}}}


def window_items() -> list[dict[str, Any]]:
    items = [grown_item(f"txn-{i:03d}", i, customer_id=f"cust-{i % 3}", amount=f"{20 + i}.00") for i in range(12)]
    items += [grown_item("txn-big", 200, customer_id="cust-0", amount="9000.00", action="block", risk_score=95)]
    items += [grown_item("smoke-1", 250, action="review", risk_score=60)]
    return items


def test_the_window_index_projects_exactly_the_attributes_the_analysis_reads() -> None:
    read: set[str] = set()
    items = [RecordingItem(item, read) for item in window_items()]
    analysis = analyze_window(WINDOW, items, len(items), alert_threshold=0)
    assert analysis.transactions == 13 and analysis.flagged  # every path of the analysis ran
    assert read == set(contract.WINDOW_ITEM_ATTRIBUTES)
    assert contract.WINDOW_INDEX.projection == "INCLUDE"
    assert contract.WINDOW_INDEX.non_key_attributes == contract.WINDOW_ITEM_ATTRIBUTES


def test_the_reader_asks_for_the_table_key_and_the_projected_attributes_only(table: str) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    queries: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params))
    WindowReader(client, table, SHARDS).read(WINDOW)
    assert len(queries) == SHARDS
    for params in queries:
        names = params["ExpressionAttributeNames"]
        asked = tuple(names[placeholder.strip()] for placeholder in params["ProjectionExpression"].split(","))
        assert asked == READ_ATTRIBUTES == (contract.PARTITION_KEY, *contract.WINDOW_INDEX.non_key_attributes)


def test_the_projected_window_gives_the_analysis_of_the_whole_items(table: str) -> None:
    items = window_items()
    put_patterns(table, items)
    index = contract.WINDOW_INDEX
    # The tests' table projects like production's (moto applies INCLUDE to an index Query): keys + the list.
    page = moto_client("dynamodb").query(
        TableName=table,
        IndexName=index.name,
        KeyConditionExpression="#w = :w",
        ExpressionAttributeNames={"#w": index.hash_key},
        ExpressionAttributeValues={":w": {"S": items[0][index.hash_key]}},
    )
    entry = {contract.PARTITION_KEY, index.hash_key, index.range_key, *index.non_key_attributes}
    assert page["Items"] and all(set(raw) == entry for raw in page["Items"])
    read = WindowReader(moto_client("dynamodb"), table, SHARDS).read(WINDOW)
    assert {frozenset(item) for item in read.items} == {frozenset(READ_ATTRIBUTES)}
    from_index = analyze_window(WINDOW, read.items, read.scanned_count, alert_threshold=0)
    from_items = analyze_window(WINDOW, items, len(items), alert_threshold=0)
    assert from_index.document() == from_items.document()


# --- index entry size, the way DynamoDB sizes items (Developer Guide, "Item sizes and formats") -------------


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in inner.items())
    raise AssertionError(f"no size rule for {kind}")


def item_size(item: dict[str, Any]) -> int:
    serialize = TypeSerializer().serialize
    return sum(len(name.encode()) + _value_size(serialize(value)) for name, value in item.items())


INDEX_ENTRY_OVERHEAD = 100
"""Bytes DynamoDB adds per index entry (Developer Guide, "Global secondary indexes": storage): counted here
too, so the bound holds whether or not a write unit counts it."""


def window_index_entry(item: dict[str, Any]) -> dict[str, Any]:
    index = contract.WINDOW_INDEX
    kept = {contract.PARTITION_KEY, index.hash_key, index.range_key, *index.non_key_attributes}
    return {name: value for name, value in item.items() if name in kept}


def test_a_grown_items_window_index_entry_stays_under_one_kilobyte() -> None:
    item = grown_item(
        "b1f3c2d4-6a7e-4f00-9c1d-2e3f4a5b6c7d",
        120,
        customer_id="customer-00042817",
        merchant="Northwind Electronics Online Store",
        action="review",
        risk_score=65,
        amount="1499.99",
    )
    item["reasons"] = list(ALL_REASONS[:4])
    entry = window_index_entry(item)
    assert item_size(item) > 4 * 1024  # the whole item: 5 write units, and what ALL would copy into the index
    assert item_size(entry) + INDEX_ENTRY_OVERHEAD < 1024  # one write unit per index entry
