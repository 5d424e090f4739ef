"""The decision record: what a decision was made from, so it can be made again (pure).

Every pattern item carries it as ``decision_record`` (a map) and its audit line copies it
(docs/contract.md, "Decision record"). It holds the settings version the decision was made under,
every input the rules read (the merchant already redacted; the card only as its keyed fingerprint and
its checksum result, never a clear number), the lane of the outcome order, and each rule that fired
with its points, value and threshold. ``replay(record, settings)`` decides again: under the recorded
settings it returns the stored decision (tests/runtime/test_decision_record.py holds that for generated
events and settings); under a candidate it answers "what would this have done".

The record is JSON- and DynamoDB-ready: no floats (decimals are exact strings), and an input that was
absent is left out rather than stored as null. The velocity counts are the live window's
(``velocity_window_seconds`` at the time): a backtest of another window or limit must recount them from
the audit trail's timeline, not reuse these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fraud_detection.scoring import Decision, Signals, score
from fraud_detection.settings import Settings

RECORD_VERSION = 1
RECORD_ATTRIBUTE = "decision_record"
"""The pattern item's and the audit line's attribute holding the record."""


class InvalidRecord(ValueError):
    """A record that lacks what a replay needs, or of an unknown ``record_version``."""


def build(signals: Signals, decision: Decision, settings_version: str, currency: str) -> dict[str, Any]:
    """The record of one decision (``signals`` as scored; ``received_at`` kept to the millisecond). The
    currency is recorded for a candidate that may use it; no rule reads it today."""
    record: dict[str, Any] = {
        "record_version": RECORD_VERSION,
        "settings_version": settings_version,
        "amount": str(signals.amount),
        "currency": currency,
        "country": signals.country,
        "merchant": signals.merchant,
        "customer_id": signals.customer_id,
        "card_fingerprint": signals.card_fingerprint,
        "received_at": _iso_ms(signals.received_at),
        "card_checksum_ok": signals.card_checksum_ok,
        "upstream_risk_score": None if signals.upstream_risk_score is None else str(signals.upstream_risk_score),
        "customer_recent": signals.customer_recent,
        "card_recent": signals.card_recent,
        "lane": decision.lane,
        "rules": [hit.to_json() for hit in decision.hits],
    }
    return {name: value for name, value in record.items() if value is not None}


def signals_from(record: Mapping[str, Any]) -> Signals:
    """The rules' inputs back from a record (from the item, the stream image or the audit line: numbers may
    arrive as ``Decimal``, ``int`` or strings)."""
    version = record.get("record_version")
    if version is None or int(version) != RECORD_VERSION:
        raise InvalidRecord(f"unknown record_version {version!r}")
    try:
        upstream = record.get("upstream_risk_score")
        card_recent = record.get("card_recent")
        checksum = record.get("card_checksum_ok")
        return Signals(
            amount=Decimal(str(record["amount"])),
            merchant=str(record["merchant"]),
            country=str(record["country"]),
            received_at=datetime.fromisoformat(str(record["received_at"]).replace("Z", "+00:00")).astimezone(UTC),
            customer_recent=int(record["customer_recent"]),
            card_recent=None if card_recent is None else int(card_recent),
            card_checksum_ok=None if checksum is None else bool(checksum),
            upstream_risk_score=None if upstream is None else Decimal(str(upstream)),
            customer_id=None if record.get("customer_id") is None else str(record["customer_id"]),
            card_fingerprint=None if record.get("card_fingerprint") is None else str(record["card_fingerprint"]),
        )
    except (KeyError, ValueError, ArithmeticError) as error:
        raise InvalidRecord(f"record lacks or mangles an input: {error}") from None


def replay(record: Mapping[str, Any], settings: Settings) -> Decision:
    """Decide again from the record under ``settings`` (the recorded ones or a candidate)."""
    return score(signals_from(record), settings)


def stored_outcome(item: Mapping[str, Any]) -> tuple[str, int, tuple[str, ...]]:
    """(action, risk_score, reasons) as stored on a pattern item or an audit line."""
    return str(item["action"]), int(item["risk_score"]), tuple(str(reason) for reason in item.get("reasons", []))


def outcome(decision: Decision) -> tuple[str, int, tuple[str, ...]]:
    return decision.action, decision.risk_score, decision.reasons


def _iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
