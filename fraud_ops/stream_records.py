"""GetRecords output -> the records of a Lambda DynamoDB-stream event (pure).

boto3 parses ``ApproximateCreationDateTime`` into a ``datetime`` and GetRecords omits
``eventSourceARN``; the event Lambda delivers has epoch seconds and the ARN. Both the stream
pump and the DLQ redrive hand records to the stream handler, so both convert here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    converted = {key: value for key, value in record.items() if key != "dynamodb"}
    converted["dynamodb"] = dynamodb
    converted.setdefault("eventSourceARN", stream_arn)
    return converted


def matches_filter(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether a record passes an event source mapping's filter pattern, as Lambda event filtering reads it
    ("Control which events Lambda sends to your function", "Filter rule syntax"): every key of the pattern
    must be present; a nested object matches the nested field, a list of matchers matches a value equal to
    one literal or satisfying one ``{"prefix": ...}``, ``{"anything-but": [...]}`` or ``{"exists": ...}``.
    Other operators are not used by this app's mappings and raise ``ValueError``."""
    for name, wanted in pattern.items():
        present = isinstance(record, Mapping) and name in record
        value = record.get(name) if present else None
        if isinstance(wanted, Mapping):
            if not present or not isinstance(value, Mapping) or not matches_filter(wanted, value):
                return False
        elif not any(_matches_one(matcher, present, value) for matcher in wanted):
            return False
    return True


def _matches_one(matcher: Any, present: bool, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        return present and value == matcher
    ((operator, operand),) = matcher.items()
    if operator == "exists":
        return present is bool(operand)
    if not present:
        return False
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(str(operand))
    if operator == "anything-but":
        return value not in (operand if isinstance(operand, list) else [operand])
    raise ValueError(f"filter operator {operator!r} is not supported here")
