"""Write units of one pattern item, computed from its real size the way DynamoDB bills them.

DynamoDB on-demand bills one write request unit per started KB of the item written, and the same
for each global secondary index entry the write creates ("DynamoDB item sizes and formats";
"Global secondary indexes: provisioned throughput considerations"). Sizes follow the item-size
rules: an attribute is its name's UTF-8 bytes plus its value's size; a string is its UTF-8
bytes; a number is about one byte per two significant digits plus one; a binary value its raw
bytes; a Boolean or null one byte; a list or map three bytes plus its elements, one byte more per
element (a map element also counts its name). An index entry holds the table's key, the index's
keys and the projected attributes (``ALL``: the whole item; ``INCLUDE``: the listed ones;
``KEYS_ONLY``: none); an item without an index's keys writes no entry (a sparse index). The 100
bytes per item DynamoDB adds for indexing count towards storage, not towards write size.

Pure Python on plain values (``Decimal`` numbers, as the pattern record builds them): the bench
applies it to items the webhook's own code builds, with the projections the contract declares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

KB = 1024


class Index(Protocol):
    """What ``fraud_detection.contract.IndexSpec`` declares (``non_key_attributes`` may be absent)."""

    name: str
    hash_key: str
    range_key: str
    projection: str


def number_size(value: int | float | Decimal) -> int:
    """Significant digits (leading and trailing zeros trimmed), one byte per two, plus one."""
    digits = Decimal(str(value)).as_tuple().digits
    significant = "".join(map(str, digits)).strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def value_size(value: Any) -> int:
    """The size of an attribute value, without its name."""
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, int | float | Decimal):
        return number_size(value)
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, Mapping):
        return 3 + sum(len(str(name).encode("utf-8")) + value_size(item) + 1 for name, item in value.items())
    if isinstance(value, set | frozenset):  # string, number or binary set: its elements
        return sum(value_size(item) for item in value)
    if isinstance(value, Sequence):
        return 3 + sum(value_size(item) + 1 for item in value)
    raise TypeError(f"not a DynamoDB value: {type(value).__name__}")


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes of an item: every attribute's name and value."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """One write request unit per started KB (a write of any size costs at least one)."""
    return max(1, math.ceil(size / KB))


def index_entry(item: Mapping[str, Any], index: Index, table_key: Sequence[str]) -> dict[str, Any] | None:
    """The attributes the write copies into ``index``, or ``None`` when the item lacks its keys."""
    if index.hash_key not in item or index.range_key not in item:
        return None
    if index.projection == "ALL":
        return dict(item)
    keys = (*table_key, index.hash_key, index.range_key)
    included: Iterable[str] = getattr(index, "non_key_attributes", ()) if index.projection == "INCLUDE" else ()
    return {name: item[name] for name in (*keys, *included) if name in item}


@dataclass(frozen=True)
class WriteCost:
    """One item's write: its size and units, and those of every index entry it creates."""

    item_bytes: int
    item_units: int
    entries: tuple[tuple[str, int, int], ...]
    """(index name, entry bytes, entry units) per index entry written."""

    @property
    def units(self) -> int:
        return self.item_units + sum(units for _, _, units in self.entries)

    def describe(self) -> str:
        parts = [f"item {self.item_bytes:,} B = {self.item_units}"]
        parts += [f"{name} {size:,} B = {units}" for name, size, units in self.entries]
        return " + ".join(parts) + f" = {self.units} WRU"


def write_cost(item: Mapping[str, Any], indexes: Iterable[Index], table_key: Sequence[str]) -> WriteCost:
    entries = []
    for index in indexes:
        entry = index_entry(item, index, table_key)
        if entry is not None:
            size = item_size(entry)
            entries.append((index.name, size, write_units(size)))
    size = item_size(item)
    return WriteCost(size, write_units(size), tuple(entries))


def grown_item(item: Mapping[str, Any], rules: Sequence[tuple[str, int, Any, Any]]) -> dict[str, Any]:
    """``item`` as a replayable decision will store it (the next issue): the features the rules saw and,
    per fired rule, its code, points, the value it looked at and its threshold."""
    features = {
        "amount": item.get("amount", Decimal("0")),
        "currency": item.get("currency", ""),
        "country": item.get("country", ""),
        "merchant": item.get("merchant", ""),
        "customer_id": item.get("customer_id", ""),
        "card_fingerprint": str(item.get("card_key", "")).split("#", 1)[-1],
        "received_at": item.get("received_at", ""),
        "card_checksum_ok": True,
        "upstream_risk_score": item.get("upstream_risk_score", Decimal("0")),
        "customer_recent": Decimal(3),
        "card_recent": Decimal(1),
    }
    fired = [
        {"code": code, "points": Decimal(points), "value": value, "threshold": threshold}
        for code, points, value, threshold in rules
    ]
    return {**item, "features": features, "rules": fired, "rule_set_version": "2026-12-01.1"}
