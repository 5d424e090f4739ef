"""``backfill-ledger``: ledger items for transactions audited before the ledger existed (docs/labels.md).

The labels function accepts a label only for a transaction whose ``AUDITED#<id>`` item exists, and the stream
consumer writes that item for every transaction it audits from this release on. Transactions audited earlier
are in the audit trail but not in the ledger; this command reads a date range of the audit trail (one object at
a time, each transaction once per run) and writes their items with the same adapter the stream uses. Safe to
re-run: a put rewrites an item with the same transaction and receive time (another object holding the same
line may be named). Objects in an archive storage class are skipped and named unless restored (the listing is
the backtest's, with each object's restore status: restore them first, ``cli backtest`` over the range prints
the restore commands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fraud_detection.adapters.audited_ledger import AuditedEntry, AuditedLedger
from fraud_detection.audit import audit_day_prefix, decode_jsonl_gz
from fraud_ops.backtest import DateRange, S3Source, day_range


@dataclass
class BackfillResult:
    objects: int = 0
    transactions: int = 0
    archived: list[str] = field(default_factory=list)


def backfill(
    s3: Any, bucket: str, ledger: AuditedLedger, first: date, last: date, say: Callable[[str], None] = print
) -> BackfillResult:
    """Ledger items for every audit line of ``first`` .. ``last`` (UTC days of the objects' keys); a reversed
    range is refused (``BacktestError``) before anything is read."""
    days = DateRange(first, last)
    result = BackfillResult()
    seen: set[str] = set()
    source = S3Source(s3, bucket)
    for day in day_range(days):
        before = result.transactions
        for audit_object in source.list_partition(audit_day_prefix(day)):
            if not audit_object.key.endswith(".jsonl.gz"):
                continue
            if audit_object.archived:
                result.archived.append(audit_object.key)
                continue
            lines = decode_jsonl_gz(source.read(audit_object.key))
            fresh = [
                AuditedEntry(str(line["transaction_id"]), str(line["received_at"]), audit_object.key)
                for line in lines
                if str(line["transaction_id"]) not in seen
            ]
            seen.update(item.transaction_id for item in fresh)
            result.transactions += ledger.write(fresh)
            result.objects += 1
        say(f"{day}: {result.transactions - before} transaction(s)")
    return result
