"""The pattern item the webhook writes once per transaction, and the decision read back from it.

Pure: builds plain Python values (``Decimal`` numbers); the DynamoDB adapter serialises them.
``pattern_id`` is a UUIDv5 of the transaction id, so a retried delivery gets the same id even
before the conditional write tells it that it lost the race.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fraud_detection import keys
from fraud_detection.contract import (
    CARD_INDEX,
    CUSTOMER_INDEX,
    DEFAULT_PATTERN_TTL_DAYS,
    EVENT_TIME_ATTRIBUTE,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
    WINDOW_INDEX,
)
from fraud_detection.scoring import Decision

PATTERN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fraud-detection:pattern")


def pattern_id(transaction_id: str) -> str:
    return str(uuid.uuid5(PATTERN_NAMESPACE, transaction_id))


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PatternRecord:
    """Everything stored about one transaction (never a clear card number)."""

    transaction_id: str
    decision: Decision
    amount: Decimal
    currency: str
    merchant: str
    country: str
    customer_id: str
    received_at: datetime
    request_id: str
    source_ip: str
    shards: int
    ttl_days: int = DEFAULT_PATTERN_TTL_DAYS
    """Days until DynamoDB's TTL removes the item (``PATTERN_TTL_DAYS``, ``patternTtlDays``)."""
    card_fingerprint: str | None = None
    card_last4: str | None = None
    upstream_risk_score: Decimal | None = None
    client_timestamp: str | None = None
    pattern_data: dict[str, Any] | None = None
    decision_record: dict[str, Any] | None = None
    """``fraud_detection.decision_record``: what the decision was made from (not projected by ``by_window``)."""

    def to_item(self) -> dict[str, Any]:
        event_ts = int(self.received_at.timestamp() * 1000)
        window = keys.window_start(self.received_at)
        item: dict[str, Any] = {
            PARTITION_KEY: keys.pattern_pk(self.transaction_id),
            CUSTOMER_INDEX.hash_key: keys.customer_key(self.customer_id),
            WINDOW_INDEX.hash_key: keys.window_key(window, keys.shard_for(self.transaction_id, self.shards)),
            EVENT_TIME_ATTRIBUTE: event_ts,
            TTL_ATTRIBUTE: int((self.received_at + timedelta(days=self.ttl_days)).timestamp()),
            "transaction_id": self.transaction_id,
            "pattern_id": pattern_id(self.transaction_id),
            "risk_score": self.decision.risk_score,
            "rule_score": self.decision.rule_score,
            "action": self.decision.action,
            "reasons": list(self.decision.reasons),
            "amount": self.amount,
            "currency": self.currency,
            "merchant": self.merchant,
            "country": self.country,
            "customer_id": self.customer_id,
            "received_at": iso_utc(self.received_at),
            "request_id": self.request_id,
            "source_ip": self.source_ip,
            "window_start": iso_utc(window),
        }
        optional = {
            CARD_INDEX.hash_key: keys.card_key(self.card_fingerprint) if self.card_fingerprint else None,
            "card_last4": self.card_last4,
            "upstream_risk_score": self.upstream_risk_score,
            "client_timestamp": self.client_timestamp,
            "pattern_data": self.pattern_data,
            "decision_record": self.decision_record,
        }
        item.update({name: value for name, value in optional.items() if value is not None})
        return item


@dataclass(frozen=True)
class Acknowledgement:
    """The response body: the decision as first recorded (identical for every retry)."""

    pattern_id: str
    transaction_id: str
    risk_score: int
    action: str
    reasons: tuple[str, ...]
    timestamp: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Acknowledgement:
        return cls(
            pattern_id=str(item["pattern_id"]),
            transaction_id=str(item["transaction_id"]),
            risk_score=int(item["risk_score"]),
            action=str(item["action"]),
            reasons=tuple(str(reason) for reason in item.get("reasons", [])),
            timestamp=str(item["received_at"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern_id": self.pattern_id,
            "transaction_id": self.transaction_id,
            "risk_score": self.risk_score,
            "action": self.action,
            "reasons": list(self.reasons),
            "timestamp": self.timestamp,
        }
