"""Alert messages (pure): what the stream and the batch publish to the alert topic.

Every alert carries a ``dedupe_key`` both in the JSON body and as an SNS message attribute,
because delivery is at-least-once (stream retries, async batch retries): subscribers drop
repeats by that key instead of us pretending to deliver exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fraud_detection.jsonutil import canonical_dumps
from fraud_detection.smoke import is_smoke

_SUBJECT_LIMIT = 100  # SNS rejects longer subjects


@dataclass(frozen=True)
class Alert:
    dedupe_key: str
    kind: str
    subject: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    smoke: bool = False
    """Smoke traffic (``fraud_detection.smoke``): published with the ``smoke`` attribute."""

    def body(self) -> str:
        return canonical_dumps({**self.details, "kind": self.kind, "dedupe_key": self.dedupe_key})

    def sns_subject(self) -> str:
        ascii_only = self.subject.encode("ascii", "replace").decode("ascii")
        return ascii_only[:_SUBJECT_LIMIT]


def block_alert(line: Mapping[str, Any]) -> Alert:
    """One alert per blocked transaction; the transaction id is the dedupe key."""
    transaction_id = str(line["transaction_id"])
    return Alert(
        dedupe_key=transaction_id,
        kind="block",
        subject=f"Fraud block: transaction {transaction_id}",
        details=MappingProxyType(dict(line)),
        smoke=is_smoke(transaction_id),
    )


def window_alert(window_start_iso: str, suspicious_count: int, threshold: int, analysis_key: str) -> Alert:
    """One alert per window whose suspicious patterns exceed the configured count."""
    return Alert(
        dedupe_key=f"window#{window_start_iso}",
        kind="window",
        subject=f"Fraud window {window_start_iso}: {suspicious_count} suspicious patterns",
        details=MappingProxyType(
            {
                "window_start": window_start_iso,
                "suspicious_count": suspicious_count,
                "threshold": threshold,
                "analysis_key": analysis_key,
            }
        ),
    )
