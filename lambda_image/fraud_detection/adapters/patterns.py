"""DynamoDB adapter for the pattern table (key design in ``fraud_detection.keys``).

The conditional put ``attribute_not_exists(pk)`` is the single commit point: whoever wins it
owns the decision, and every duplicate (retry, replay, concurrent delivery) reads the winner's
item back with a consistent read instead of writing anything. Uses the low-level client with
the light ``boto3.dynamodb.types`` serialiser, not the resource layer (cold start). The client
itself is built on first use: only an authenticated, valid delivery reaches the table, so a
cold start that begins with rejections never loads the DynamoDB service model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from fraud_detection import keys
from fraud_detection.contract import CARD_INDEX, CUSTOMER_INDEX, PARTITION_KEY, IndexSpec

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
VELOCITY_COUNT_CAP = 1000


class PatternStore:
    def __init__(self, client_factory: Callable[[], Any], table_name: str) -> None:
        """``client_factory`` builds the botocore DynamoDB client; it is called once, on first use."""
        self._client_factory = client_factory
        self._built: Any = None
        self._lock = threading.Lock()
        self._table = table_name

    @property
    def _client(self) -> Any:
        if self._built is None:
            with self._lock:  # one client per container, even under concurrent first use
                if self._built is None:
                    self._built = self._client_factory()
        return self._built

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        """Write ``item`` unless its ``pk`` exists; ``False`` means another delivery won."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={name: _SERIALIZER.serialize(value) for name, value in item.items()},
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={PARTITION_KEY: {"S": keys.pattern_pk(transaction_id)}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return None if raw is None else {name: _DESERIALIZER.deserialize(value) for name, value in raw.items()}

    def count_customer(self, customer_id: str, since_ms: int, until_ms: int) -> int:
        return self._count(CUSTOMER_INDEX, keys.customer_key(customer_id), since_ms, until_ms)

    def count_card(self, fingerprint: str, since_ms: int, until_ms: int) -> int:
        return self._count(CARD_INDEX, keys.card_key(fingerprint), since_ms, until_ms)

    def _count(self, index: IndexSpec, value: str, since_ms: int, until_ms: int) -> int:
        """COUNT query on a GSI (eventually consistent: velocity is a heuristic, not a ledger).

        Stops at ``VELOCITY_COUNT_CAP``: past any threshold the exact number does not matter.
        """
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "Select": "COUNT",
            "KeyConditionExpression": "#key = :key AND #time BETWEEN :since AND :until",
            "ExpressionAttributeNames": {"#key": index.hash_key, "#time": index.range_key},
            "ExpressionAttributeValues": {
                ":key": {"S": value},
                ":since": {"N": str(since_ms)},
                ":until": {"N": str(until_ms)},
            },
        }
        total = 0
        while True:
            response = self._client.query(**request)
            total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last or total >= VELOCITY_COUNT_CAP:
                return total
            request["ExclusiveStartKey"] = last
