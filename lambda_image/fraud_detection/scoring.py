"""Risk rules: pure functions of one transaction's signals and the settings.

Each rule that fires adds points and a reason code, so a decision can be explained. The
caller's own ``risk_score`` is combined with ``max``: it can raise our score, never lower it,
and the rules always run, so a sender cannot whitelist itself by sending 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from fraud_detection.settings import Settings

Action = Literal["approve", "review", "block"]

BLOCKED_MERCHANT_SCORE = 100
HIGH_RISK_COUNTRY_SCORE = 30
INTERNATIONAL_SCORE = 10
CARD_TESTING_SCORE = 25
CARD_TESTING_MAX_AMOUNT = Decimal(5)
NIGHT_SCORE = 10
CUSTOMER_VELOCITY_SCORE = 30
CARD_VELOCITY_SCORE = 40
CARD_CHECKSUM_SCORE = 20


@dataclass(frozen=True)
class Signals:
    """What the rules look at; velocity counts are prior transactions in the window."""

    amount: Decimal
    merchant: str
    country: str
    received_at: datetime
    customer_recent: int = 0
    card_recent: int | None = None
    card_checksum_ok: bool | None = None
    upstream_risk_score: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    risk_score: int
    rule_score: int
    action: Action
    reasons: tuple[str, ...]


def score(signals: Signals, settings: Settings) -> Decision:
    hits = [hit for rule in _RULES if (hit := rule(signals, settings)) is not None]
    rule_score = min(100, sum(points for _, points in hits))
    reasons = [reason for reason, _ in hits]
    final = rule_score
    if signals.upstream_risk_score is not None:
        upstream = math.ceil(signals.upstream_risk_score)
        if upstream > rule_score:
            final = upstream
            reasons.append("upstream_risk_score")
    return Decision(
        risk_score=final,
        rule_score=rule_score,
        action=action_for(final, settings),
        reasons=tuple(reasons),
    )


def action_for(risk_score: int, settings: Settings) -> Action:
    """approve < review_threshold <= review < block_threshold <= block."""
    if risk_score >= settings.block_threshold:
        return "block"
    if risk_score >= settings.review_threshold:
        return "review"
    return "approve"


Hit = tuple[str, int] | None


def high_amount(signals: Signals, settings: Settings) -> Hit:
    """Only the highest tier reached counts: tiers are levels, not additive bonuses."""
    reached = [tier for tier in settings.high_amount_tiers if signals.amount >= Decimal(str(tier.min_amount))]
    if not reached:
        return None
    top = max(reached, key=lambda tier: tier.min_amount)
    return f"high_amount_{_number(top.min_amount)}", top.score


def blocked_merchant(signals: Signals, settings: Settings) -> Hit:
    blocked = {name.casefold() for name in settings.blocked_merchants}
    return ("blocked_merchant", BLOCKED_MERCHANT_SCORE) if signals.merchant.casefold() in blocked else None


def high_risk_country(signals: Signals, settings: Settings) -> Hit:
    return ("high_risk_country", HIGH_RISK_COUNTRY_SCORE) if signals.country in settings.high_risk_countries else None


def international(signals: Signals, settings: Settings) -> Hit:
    return ("international", INTERNATIONAL_SCORE) if signals.country not in settings.home_countries else None


def card_testing(signals: Signals, settings: Settings) -> Hit:
    """Tiny whole-number charges are the classic probe of a stolen card."""
    amount = signals.amount
    if 0 < amount <= CARD_TESTING_MAX_AMOUNT and amount == amount.to_integral_value():
        return "small_round_amount", CARD_TESTING_SCORE
    return None


def night_time(signals: Signals, settings: Settings) -> Hit:
    """Server receive hour in UTC; the window may wrap midnight (e.g. [22, 4])."""
    start, end = settings.night_hours_utc
    hour = signals.received_at.hour
    inside = start <= hour < end if start <= end else hour >= start or hour < end
    return ("night_time", NIGHT_SCORE) if inside else None


def customer_velocity(signals: Signals, settings: Settings) -> Hit:
    if signals.customer_recent + 1 > settings.velocity_customer_max:
        return "customer_velocity", CUSTOMER_VELOCITY_SCORE
    return None


def card_velocity(signals: Signals, settings: Settings) -> Hit:
    if signals.card_recent is not None and signals.card_recent + 1 > settings.velocity_card_max:
        return "card_velocity", CARD_VELOCITY_SCORE
    return None


def card_checksum(signals: Signals, settings: Settings) -> Hit:
    return ("card_checksum_invalid", CARD_CHECKSUM_SCORE) if signals.card_checksum_ok is False else None


_RULES = (
    high_amount,
    blocked_merchant,
    high_risk_country,
    international,
    card_testing,
    night_time,
    customer_velocity,
    card_velocity,
    card_checksum,
)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
