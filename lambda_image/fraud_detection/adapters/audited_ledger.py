"""The audit trail's ledger in the pattern table: one ``AUDITED#<transaction_id>`` item per audited transaction.

The stream consumer writes an item once the transaction's line is in an audit object (``write``), and the
labels function reads it (``get``) to accept a label for any transaction the audit trail holds, months after
the pattern item's TTL removed it (docs/labels.md, "The ledger"). An item is
``{pk, transaction_id, received_at, audit_key}`` (``contract.AUDITED_ITEM_ATTRIBUTES``), about 100 bytes,
without a TTL and without any index key, so no index projects it.

Writes are ``BatchWriteItem`` puts of 25 items (the API's limit per call), so a stream batch of 100 records
costs four calls. A put rewrites the item whole: a replayed batch writes the same values again, and a replay
with other batch boundaries writes the key of another object that holds the same line (both hold it), so
the write needs no condition (``BatchWriteItem`` takes none). Unprocessed items (throttling inside the call)
are retried with exponential backoff, then ``LedgerWriteIncomplete`` is raised and the stream batch is
retried whole (Amazon DynamoDB API Reference, "BatchWriteItem": "If DynamoDB returns any unprocessed items,
you should retry the batch operation on those items ... we strongly recommend that you use an exponential
backoff algorithm"). Keys are unique within one call: the API refuses a request that names a key twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fraud_detection.contract import AUDITED_ITEM_ATTRIBUTES, AUDITED_KEY_PREFIX, PARTITION_KEY

BATCH_WRITE_LIMIT = 25
"""Items per ``BatchWriteItem`` call (Amazon DynamoDB API Reference, "BatchWriteItem")."""
DEFAULT_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0


class LedgerWriteIncomplete(RuntimeError):
    """Items were still unprocessed after every attempt (the stream batch fails and is retried)."""


class LedgerItemMalformed(RuntimeError):
    """A ledger item lacks an attribute the labels function needs (never written so by this module)."""


def audited_pk(transaction_id: str) -> str:
    """``AUDITED#<transaction_id>``."""
    return f"{AUDITED_KEY_PREFIX}{transaction_id}"


@dataclass(frozen=True)
class AuditedEntry:
    """One ledger item: the transaction, when it was received, and an audit object that holds its line."""

    transaction_id: str
    received_at: str
    audit_key: str

    def to_item(self) -> dict[str, dict[str, str]]:
        return {
            PARTITION_KEY: {"S": audited_pk(self.transaction_id)},
            "transaction_id": {"S": self.transaction_id},
            "received_at": {"S": self.received_at},
            "audit_key": {"S": self.audit_key},
        }


@dataclass(frozen=True)
class AuditedLedger:
    client: Any  # botocore DynamoDB client
    table: str
    attempts: int = DEFAULT_ATTEMPTS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def get(self, transaction_id: str) -> AuditedEntry | None:
        """The ledger item of ``transaction_id`` (a strongly consistent ``GetItem``), or ``None``."""
        response = self.client.get_item(
            TableName=self.table,
            Key={PARTITION_KEY: {"S": audited_pk(transaction_id)}},
            ConsistentRead=True,
            ProjectionExpression=", ".join(AUDITED_ITEM_ATTRIBUTES),
        )
        item = response.get("Item")
        if item is None:
            return None
        try:
            values = {name: item[name]["S"] for name in AUDITED_ITEM_ATTRIBUTES}
        except (KeyError, TypeError):
            raise LedgerItemMalformed(f"ledger item {audited_pk(transaction_id)!r} lacks an attribute") from None
        return AuditedEntry(**values)

    def write(self, entries: Iterable[AuditedEntry]) -> int:
        """Put every entry (the first per transaction id); the number of items written."""
        first: dict[str, AuditedEntry] = {}
        for entry in entries:
            first.setdefault(entry.transaction_id, entry)
        unique = list(first.values())
        for start in range(0, len(unique), BATCH_WRITE_LIMIT):
            self._write_chunk(unique[start : start + BATCH_WRITE_LIMIT])
        return len(unique)

    def _write_chunk(self, chunk: Sequence[AuditedEntry]) -> None:
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": entry.to_item()}} for entry in chunk]
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))
            response = self.client.batch_write_item(RequestItems={self.table: requests})
            requests = (response.get("UnprocessedItems") or {}).get(self.table) or []
            if not requests:
                return
        raise LedgerWriteIncomplete(f"{len(requests)} ledger items unprocessed after {self.attempts} attempts")
