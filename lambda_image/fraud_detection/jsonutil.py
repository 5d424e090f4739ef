"""Canonical JSON for objects we write to S3 and SNS.

DynamoDB hands back ``Decimal`` for every number; ``json`` cannot encode it. Sorted keys and
fixed separators make the bytes deterministic, so a replay rewrites an identical object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """Recursively turn Decimals into int/float and sets/tuples into sorted/plain lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def canonical_dumps(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
