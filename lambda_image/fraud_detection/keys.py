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

WINDOW_SECONDS = 300
WINDOW_INDEX = "by_window"
CUSTOMER_INDEX = "by_customer"
CARD_INDEX = "by_card"
_WINDOW_FORMAT = "%Y%m%dT%H%MZ"


def pattern_pk(transaction_id: str) -> str:
    return f"TXN#{transaction_id}"


def customer_key(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def card_key(fingerprint: str) -> str:
    return f"CARD#{fingerprint}"


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
    return f"W#{window_start(start).strftime(_WINDOW_FORMAT)}#{shard}"


def window_keys(start: datetime, shards: int) -> list[str]:
    """Every partition key of one window: what the batch queries."""
    return [window_key(start, shard) for shard in range(shards)]
