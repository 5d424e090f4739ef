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
