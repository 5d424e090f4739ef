"""Reads one 5-minute window from the ``by_window`` GSI: one paginated Query per shard key.

Never a Scan: the read cost is the items in the window. ``ScannedCount`` is summed so the
analysis records what the read actually cost. Each Query asks for the table key and the
attributes the index projects (``WINDOW_INDEX.non_key_attributes``, what the analysis reads), so
the reader never relies on an attribute the index does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from fraud_detection import keys
from fraud_detection.contract import PARTITION_KEY, WINDOW_INDEX

_deserializer = TypeDeserializer()
# The table key (always projected; named in the analysis's error for an incomplete item), then the
# projected attributes. Placeholders for every name: several (``action``, ...) are reserved words.
READ_ATTRIBUTES = (PARTITION_KEY, *WINDOW_INDEX.non_key_attributes)
_NAMES = {f"#a{number}": name for number, name in enumerate(READ_ATTRIBUTES)}
_PROJECTION = ", ".join(_NAMES)


@dataclass(frozen=True)
class WindowRead:
    items: tuple[dict[str, Any], ...]
    scanned_count: int
    pages: int


@dataclass(frozen=True)
class WindowReader:
    client: Any  # botocore DynamoDB client
    table_name: str
    shards: int

    def read(self, start: datetime) -> WindowRead:
        items: list[dict[str, Any]] = []
        scanned = 0
        pages = 0
        for window_key in keys.window_keys(start, self.shards):
            for page in self._pages(window_key):
                pages += 1
                scanned += int(page.get("ScannedCount", 0))
                items.extend(_plain_item(raw) for raw in page.get("Items", []))
        return WindowRead(items=tuple(items), scanned_count=scanned, pages=pages)

    def _pages(self, window_key: str) -> Iterable[dict[str, Any]]:
        paginator = self.client.get_paginator("query")
        return paginator.paginate(
            TableName=self.table_name,
            IndexName=WINDOW_INDEX.name,
            KeyConditionExpression="#window = :w",
            ProjectionExpression=_PROJECTION,
            ExpressionAttributeNames={"#window": WINDOW_INDEX.hash_key, **_NAMES},
            ExpressionAttributeValues={":w": {"S": window_key}},
        )


def _plain_item(raw: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in raw.items()}
