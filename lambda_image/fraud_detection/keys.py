"""Key design of the pattern table, shared by the writer (webhook) and the reader (batch).

One item per transaction (``pk = TXN#<id>``). The time-window index ``by_window`` is keyed by
``W#<5-minute window start>#<shard>``: spreading one window over ``WINDOW_SHARDS`` partition
keys keeps a busy window off a single hot partition, and the batch still reads exactly that
window with one paginated Query per shard (read cost = items in the window, never a Scan).
The shard is a stable hash of the transaction id, so a retried write lands in the same shard.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from fraud_detection.contract import (
    CARD_KEY_PREFIX,
    CUSTOMER_KEY_PREFIX,
    TRANSACTION_KEY_PREFIX,
    WINDOW_KEY_PREFIX,
    WINDOW_SECONDS,
)

_WINDOW_FORMAT = "%Y%m%dT%H%MZ"


def pattern_pk(transaction_id: str) -> str:
    return f"{TRANSACTION_KEY_PREFIX}{transaction_id}"


def customer_key(customer_id: str) -> str:
    return f"{CUSTOMER_KEY_PREFIX}{customer_id}"


def card_key(fingerprint: str) -> str:
    return f"{CARD_KEY_PREFIX}{fingerprint}"


def window_start(moment: datetime) -> datetime:
    """Start of the 5-minute window that contains ``moment`` (UTC)."""
    moment = moment.astimezone(UTC)
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % WINDOW_SECONDS, tz=UTC)


def last_closed_window(moment: datetime) -> datetime:
    """The newest window that had fully ended at ``moment``."""
    return window_start(moment) - timedelta(seconds=WINDOW_SECONDS)


def shard_for(transaction_id: str, shards: int) -> int:
    """Stable shard (not Python's salted ``hash``): retries of one transaction agree."""
    digest = hashlib.sha256(transaction_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % shards


def window_key(start: datetime, shard: int) -> str:
    return f"{WINDOW_KEY_PREFIX}{window_start(start).strftime(_WINDOW_FORMAT)}#{shard}"


def window_keys(start: datetime, shards: int) -> list[str]:
    """Every partition key of one window: what the batch queries."""
    return [window_key(start, shard) for shard in range(shards)]
