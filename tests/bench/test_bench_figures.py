"""The bench's computed figures: write units from item sizes as DynamoDB bills them, and the "previous"
column read from the committed table. Pure functions: no process, no AWS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench import previous, write_cost
from fraud_detection import contract
from fraud_detection.contract import IndexSpec

pytestmark = pytest.mark.unit

KEY = ("pk",)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("abc", 3),
        ("é", 2),  # UTF-8 bytes, not characters
        (Decimal("42.5"), 3),  # 3 significant digits: 2 bytes + 1
        (Decimal("1000"), 2),  # trailing zeros trimmed
        (Decimal("0.0012"), 2),  # leading zeros trimmed
        (1796120828647, 8),
        (True, 1),
        (None, 1),
        (b"\x00\x01", 2),
        ([], 3),
        (["ab", Decimal(1)], 3 + (2 + 1) + (2 + 1)),
        ({}, 3),
        ({"os": "ios"}, 3 + (2 + 3 + 1)),
        ({"a": {"b": "c"}}, 3 + (1 + (3 + (1 + 1 + 1)) + 1)),
        ({"x", "yz"}, 3),  # a string set: its elements
    ],
)
def test_value_sizes_follow_the_item_size_rules(value: object, size: int) -> None:
    assert write_cost.value_size(value) == size


def test_an_item_counts_names_and_values_and_rounds_up_per_kb() -> None:
    assert write_cost.item_size({"pk": "TXN#1", "amount": Decimal("42.5")}) == 2 + 5 + 6 + 3
    assert [write_cost.write_units(n) for n in (0, 1, 1024, 1025, 2048, 2049)] == [1, 1, 1, 2, 2, 3]


WINDOW_ALL = IndexSpec("w", "wk", "ts", "ALL")
WINDOW_INCLUDE = IndexSpec("w", "wk", "ts", "INCLUDE", ("amount",))
CARD_KEYS = IndexSpec("c", "ck", "ts", "KEYS_ONLY")


def test_index_entries_hold_keys_and_the_projection_and_only_items_with_the_keys_get_one() -> None:
    item = {"pk": "TXN#1", "wk": "W#1", "ts": Decimal(5), "amount": Decimal(3), "blob": "x" * 2000}
    assert write_cost.index_entry(item, WINDOW_ALL, KEY) == item
    assert write_cost.index_entry(item, WINDOW_INCLUDE, KEY) == {k: item[k] for k in ("pk", "wk", "ts", "amount")}
    assert write_cost.index_entry(item, CARD_KEYS, KEY) is None  # sparse: no card key, no entry
    cost = write_cost.write_cost(item, (WINDOW_ALL, CARD_KEYS), KEY)
    assert (cost.item_units, [units for _, _, units in cost.entries], cost.units) == (2, [2], 4)
    assert write_cost.write_cost(item, (WINDOW_INCLUDE,), KEY).units == 3


def test_the_grown_item_keeps_every_index_entry_of_the_contract_under_one_kb() -> None:
    item = {
        "pk": "TXN#txn-20261122-000123",
        "customer_key": "CUST#cust-8812",
        "card_key": "CARD#" + "f" * 64,
        "window_key": "W#20261122T1005Z#3",
        "event_ts": Decimal(1795860450000),
        "transaction_id": "txn-20261122-000123",
        "merchant": "Corner Books",
        "pattern_data": {"note": "x" * 400},
    }
    grown = write_cost.grown_item(item, [("high_amount_5000", 35, Decimal("5400.1"), Decimal(5000))] * 6)
    cost = write_cost.write_cost(grown, contract.INDEXES, (contract.PARTITION_KEY,))
    assert cost.item_bytes > 1024  # the item itself does grow past 1 KB
    assert {name for name, _, _ in cost.entries} == {index.name for index in contract.INDEXES}
    projected_all = [index.name for index in contract.INDEXES if index.projection == "ALL"]
    assert [(name, units) for name, _, units in cost.entries if units > 1] == [
        (name, write_cost.write_units(cost.item_bytes)) for name in projected_all
    ]


OLD_TABLE = """# Benchmarks

| metric | ratio | target | absolute | note |
| --- | ---: | ---: | --- | --- |
| cold start: `import x` / `import boto3` | 2.08x | <= 1.5x | median of 7: 618 ms vs 297 ms | a \\| b |
| image: added dependencies | - | - | 11.7 MB over 8 wheels (pydantic_core 4.6 MB) |  |
| calls per event | 3 / 4 | - | accepted | |

| component | this design (USD) |
| --- | ---: |
| total | 6.81 |
"""

NEW_TABLE = """| metric | figure | previous | target | absolute | note |
| --- | ---: | ---: | ---: | --- | --- |
| per-request CPU | 62.1 µs | n/a | - | 10,000 events | |
| never measured | n/a | n/a | - | failed | |
"""


def test_previous_figures_come_from_the_committed_table_of_either_layout() -> None:
    assert previous.figures(OLD_TABLE) == {
        "cold start: `import x` / `import boto3`": "2.08x",
        "image: added dependencies": "11.7 MB",  # no ratio: the first quantity of the absolute cell
        "calls per event": "3 / 4",
    }
    assert previous.figures(NEW_TABLE) == {"per-request CPU": "62.1 µs", "never measured": "n/a"}
    assert previous.figures("") == {}
