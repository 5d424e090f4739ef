"""Analysis of one closed 5-minute window (pure: items in, document out).

The document is the only input of the daily report, so it carries the flagged patterns'
minimal fields; it holds no clock time, so re-running a window over the same items rewrites
byte-identical JSON under the same key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fraud_detection import keys
from fraud_detection.contract import ANALYSES_PREFIX
from fraud_detection.smoke import is_smoke

SCHEMA_VERSION = 1
HIGH_RISK_SCORE = 70
SPIKE_MULTIPLIER = Decimal(3)
SPIKE_MIN_AMOUNT = Decimal(1000)
FREQUENCY_MAX = 10
FLAGGED_ACTIONS = frozenset({"review", "block"})
ACTIONS = ("approve", "review", "block")
_REQUIRED = ("transaction_id", "action", "risk_score", "amount", "customer_id")


@dataclass(frozen=True)
class Pattern:
    """The fields of a pattern item that analyses and reports need (no card data)."""

    transaction_id: str
    pattern_id: str
    action: str
    risk_score: int
    amount: Decimal
    currency: str
    merchant: str
    country: str
    customer_id: str
    received_at: str
    reasons: tuple[str, ...]

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Pattern:
        missing = [name for name in _REQUIRED if name not in item]
        if missing:
            raise ValueError(f"pattern item {item.get('pk', '?')} lacks {', '.join(missing)}")
        return cls(
            transaction_id=str(item["transaction_id"]),
            pattern_id=str(item.get("pattern_id", "")),
            action=str(item["action"]),
            risk_score=int(item["risk_score"]),
            amount=Decimal(str(item["amount"])),
            currency=str(item.get("currency", "")),
            merchant=str(item.get("merchant", "")),
            country=str(item.get("country", "")),
            customer_id=str(item["customer_id"]),
            received_at=str(item.get("received_at", "")),
            reasons=tuple(str(reason) for reason in item.get("reasons", ()) or ()),
        )

    def document(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "pattern_id": self.pattern_id,
            "action": self.action,
            "risk_score": self.risk_score,
            "amount": str(self.amount),
            "currency": self.currency,
            "merchant": self.merchant,
            "country": self.country,
            "customer_id": self.customer_id,
            "received_at": self.received_at,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class CustomerAnomaly:
    customer_id: str
    kind: str  # "amount_spike" (one transaction) or "high_frequency" (the customer)
    transaction_count: int
    average_amount: Decimal
    transaction_id: str | None = None
    amount: Decimal | None = None

    def document(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "kind": self.kind,
            "transaction_count": self.transaction_count,
            "average_amount": str(self.average_amount),
            "transaction_id": self.transaction_id,
            "amount": None if self.amount is None else str(self.amount),
        }


@dataclass(frozen=True)
class WindowAnalysis:
    window_start: datetime
    items_read: int
    counts_by_action: Mapping[str, int]
    high_risk: tuple[Pattern, ...]
    flagged: tuple[Pattern, ...]
    anomalies: tuple[CustomerAnomaly, ...]
    transactions: int
    suspicious_count: int
    alert_threshold: int
    smoke_transactions: int = 0

    @property
    def should_alert(self) -> bool:
        """Alert only when suspicious patterns *exceed* the configured count."""
        return self.suspicious_count > self.alert_threshold

    def document(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "window_start": iso_z(self.window_start),
            "window_end": iso_z(self.window_start + timedelta(seconds=keys.WINDOW_SECONDS)),
            "items_read": self.items_read,
            "transactions": self.transactions,
            "counts_by_action": dict(sorted(self.counts_by_action.items())),
            "high_risk_patterns": [p.document() for p in self.high_risk],
            "flagged_patterns": [p.document() for p in self.flagged],
            "customer_anomalies": [a.document() for a in self.anomalies],
            "suspicious_count": self.suspicious_count,
            "alert_threshold": self.alert_threshold,
            "alerted": self.should_alert,
            "smoke_transactions": self.smoke_transactions,
        }


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def analysis_key(start: datetime) -> str:
    """``analyses/dt=YYYY-MM-DD/window=HHMM.json``: one object per window, rewritten on re-run."""
    start = start.astimezone(UTC)
    return f"{ANALYSES_PREFIX}dt={start:%Y-%m-%d}/window={start:%H%M}.json"


def _ordered(patterns: Iterable[Pattern]) -> tuple[Pattern, ...]:
    return tuple(sorted(patterns, key=lambda p: (p.received_at, p.transaction_id)))


def customer_anomalies(patterns: Sequence[Pattern]) -> tuple[CustomerAnomaly, ...]:
    """Spikes (amount > 3x the customer's window average and > 1000) and bursts (> 10 txns)."""
    by_customer: dict[str, list[Pattern]] = defaultdict(list)
    for pattern in patterns:
        by_customer[pattern.customer_id].append(pattern)
    anomalies: list[CustomerAnomaly] = []
    for customer_id in sorted(by_customer):
        own = _ordered(by_customer[customer_id])
        exact_average = sum((p.amount for p in own), Decimal(0)) / len(own)
        average = exact_average.quantize(Decimal("0.01"))
        for pattern in own:
            if pattern.amount > SPIKE_MULTIPLIER * exact_average and pattern.amount > SPIKE_MIN_AMOUNT:
                anomalies.append(
                    CustomerAnomaly(
                        customer_id, "amount_spike", len(own), average, pattern.transaction_id, pattern.amount
                    )
                )
        if len(own) > FREQUENCY_MAX:
            anomalies.append(CustomerAnomaly(customer_id, "high_frequency", len(own), average))
    return tuple(anomalies)


def analyze_window(
    start: datetime, items: Iterable[Mapping[str, Any]], items_read: int, alert_threshold: int
) -> WindowAnalysis:
    """Counts, high-risk and flagged patterns, per-customer anomalies of one window."""
    unique = {p.transaction_id: p for p in (Pattern.from_item(item) for item in items)}
    smoke = {transaction_id for transaction_id in unique if is_smoke(transaction_id)}
    patterns = _ordered(p for transaction_id, p in unique.items() if transaction_id not in smoke)
    counts = Counter({action: 0 for action in ACTIONS})
    counts.update(p.action for p in patterns)
    high_risk = tuple(p for p in patterns if p.risk_score >= HIGH_RISK_SCORE)
    anomalies = customer_anomalies(patterns)
    suspicious = {p.transaction_id for p in high_risk}
    suspicious.update(a.transaction_id for a in anomalies if a.transaction_id)
    return WindowAnalysis(
        window_start=keys.window_start(start),
        items_read=items_read,
        counts_by_action=dict(counts),
        high_risk=high_risk,
        flagged=tuple(p for p in patterns if p.action in FLAGGED_ACTIONS),
        anomalies=anomalies,
        transactions=len(patterns),
        suspicious_count=len(suspicious),
        alert_threshold=alert_threshold,
        smoke_transactions=len(smoke),
    )
