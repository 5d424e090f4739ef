"""Risk rules and the outcome order: pure functions of one transaction's signals and the settings.

The outcome is decided in a fixed order (docs/rules.md):

1. **allow lane**: a customer, card fingerprint or merchant on an allow list is approved, before any
   block rule (reasons start with ``allowed_*``);
2. **block lists**: a customer, card fingerprint or merchant on a block list is blocked, whatever the
   thresholds say;
3. **score thresholds**: otherwise the risk score decides (``action_for``).

Every rule still runs in every lane, so the score and the rules that fired are always recorded. Each
rule that fires is a ``RuleHit``: its reason code, its points, and the value and threshold that made it
fire (what a replay and a backtest need; ``fraud_detection.decision_record``). The caller's own
``risk_score`` is combined with ``max``: it can raise our score, never lower it, and the rules always
run, so a sender cannot whitelist itself by sending 0 (the allow lists are operator settings, never the
sender's).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from fraud_detection.settings import Settings, list_entries, list_key

Action = Literal["approve", "review", "block"]
Lane = Literal["allow", "block", "score"]

BLOCKED_MERCHANT_SCORE = 100
BLOCKED_CUSTOMER_SCORE = 100
BLOCKED_CARD_SCORE = 100
HIGH_RISK_COUNTRY_SCORE = 30
INTERNATIONAL_SCORE = 10
CARD_TESTING_SCORE = 25
CARD_TESTING_MAX_AMOUNT = Decimal(5)
NIGHT_SCORE = 10
CUSTOMER_VELOCITY_SCORE = 30
CARD_VELOCITY_SCORE = 40
CARD_CHECKSUM_SCORE = 20
UPSTREAM_REASON = "upstream_risk_score"


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
    customer_id: str | None = None
    card_fingerprint: str | None = None


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired: ``value`` is what the transaction had, ``threshold`` what it was compared with
    (a number, a ``[start, end]`` pair, or the name of the settings list it matched); JSON-ready, decimals
    as exact strings."""

    code: str
    points: int
    value: Any
    threshold: Any

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "points": self.points, "value": self.value, "threshold": self.threshold}


@dataclass(frozen=True)
class Decision:
    risk_score: int
    rule_score: int
    action: Action
    reasons: tuple[str, ...]
    lane: Lane = "score"
    hits: tuple[RuleHit, ...] = ()
    """Allow-list matches first, then every rule that fired in rule order, then the upstream score."""


def score(signals: Signals, settings: Settings) -> Decision:
    allowed = [hit for rule in ALLOW_RULES if (hit := rule(signals, settings)) is not None]
    hits = [hit for rule in RULES if (hit := rule(signals, settings)) is not None]
    rule_score = min(100, sum(hit.points for hit in hits))
    final = rule_score
    if signals.upstream_risk_score is not None:
        upstream = math.ceil(signals.upstream_risk_score)
        if upstream > rule_score:
            final = upstream
            hits.append(RuleHit(UPSTREAM_REASON, upstream - rule_score, upstream, rule_score))
    lane: Lane
    if allowed:
        lane, action = "allow", "approve"
    elif any(hit.code in BLOCK_LIST_CODES for hit in hits):
        lane, action = "block", "block"
    else:
        lane, action = "score", action_for(final, settings)
    every = (*allowed, *hits)
    return Decision(
        risk_score=final,
        rule_score=rule_score,
        action=action,
        reasons=tuple(hit.code for hit in every),
        lane=lane,
        hits=every,
    )


def action_for(risk_score: int, settings: Settings) -> Action:
    """approve < review_threshold <= review < block_threshold <= block."""
    if risk_score >= settings.block_threshold:
        return "block"
    if risk_score >= settings.review_threshold:
        return "review"
    return "approve"


Hit = RuleHit | None
Rule = Callable[[Signals, Settings], Hit]


def _listed(code: str, points: int, value: str | None, settings: Settings, name: str, casefold: bool) -> Hit:
    if value is None:
        return None
    return (
        RuleHit(code, points, value, name)
        if list_key(value, casefold) in list_entries(settings, name, casefold)
        else None
    )


def allowed_customer(signals: Signals, settings: Settings) -> Hit:
    return _listed("allowed_customer", 0, signals.customer_id, settings, "allowed_customers", False)


def allowed_card(signals: Signals, settings: Settings) -> Hit:
    return _listed("allowed_card", 0, signals.card_fingerprint, settings, "allowed_card_fingerprints", False)


def allowed_merchant(signals: Signals, settings: Settings) -> Hit:
    return _listed("allowed_merchant", 0, signals.merchant, settings, "allowed_merchants", True)


def high_amount(signals: Signals, settings: Settings) -> Hit:
    """Only the highest tier reached counts: tiers are levels, not additive bonuses."""
    reached = [tier for tier in settings.high_amount_tiers if signals.amount >= Decimal(str(tier.min_amount))]
    if not reached:
        return None
    top = max(reached, key=lambda tier: tier.min_amount)
    return RuleHit(f"high_amount_{_number(top.min_amount)}", top.score, str(signals.amount), _number(top.min_amount))


def blocked_merchant(signals: Signals, settings: Settings) -> Hit:
    return _listed("blocked_merchant", BLOCKED_MERCHANT_SCORE, signals.merchant, settings, "blocked_merchants", True)


def blocked_customer(signals: Signals, settings: Settings) -> Hit:
    return _listed(
        "blocked_customer", BLOCKED_CUSTOMER_SCORE, signals.customer_id, settings, "blocked_customers", False
    )


def blocked_card(signals: Signals, settings: Settings) -> Hit:
    return _listed(
        "blocked_card", BLOCKED_CARD_SCORE, signals.card_fingerprint, settings, "blocked_card_fingerprints", False
    )


def high_risk_country(signals: Signals, settings: Settings) -> Hit:
    if signals.country in settings.high_risk_countries:
        return RuleHit("high_risk_country", HIGH_RISK_COUNTRY_SCORE, signals.country, "high_risk_countries")
    return None


def international(signals: Signals, settings: Settings) -> Hit:
    if signals.country not in settings.home_countries:
        return RuleHit("international", INTERNATIONAL_SCORE, signals.country, "home_countries")
    return None


def card_testing(signals: Signals, settings: Settings) -> Hit:
    """Tiny whole-number charges are the classic probe of a stolen card."""
    amount = signals.amount
    if 0 < amount <= CARD_TESTING_MAX_AMOUNT and amount == amount.to_integral_value():
        return RuleHit("small_round_amount", CARD_TESTING_SCORE, str(amount), str(CARD_TESTING_MAX_AMOUNT))
    return None


def night_time(signals: Signals, settings: Settings) -> Hit:
    """Server receive hour in UTC; the window may wrap midnight (e.g. [22, 4])."""
    start, end = settings.night_hours_utc
    hour = signals.received_at.hour
    inside = start <= hour < end if start <= end else hour >= start or hour < end
    return RuleHit("night_time", NIGHT_SCORE, hour, [start, end]) if inside else None


def customer_velocity(signals: Signals, settings: Settings) -> Hit:
    """The count includes the transaction itself (``value`` = prior count + 1)."""
    if signals.customer_recent + 1 > settings.velocity_customer_max:
        return RuleHit(
            "customer_velocity", CUSTOMER_VELOCITY_SCORE, signals.customer_recent + 1, settings.velocity_customer_max
        )
    return None


def card_velocity(signals: Signals, settings: Settings) -> Hit:
    if signals.card_recent is not None and signals.card_recent + 1 > settings.velocity_card_max:
        return RuleHit("card_velocity", CARD_VELOCITY_SCORE, signals.card_recent + 1, settings.velocity_card_max)
    return None


def card_checksum(signals: Signals, settings: Settings) -> Hit:
    if signals.card_checksum_ok is False:
        return RuleHit("card_checksum_invalid", CARD_CHECKSUM_SCORE, False, "luhn")
    return None


ALLOW_RULES: tuple[Rule, ...] = (allowed_customer, allowed_card, allowed_merchant)
RULES: tuple[Rule, ...] = (
    high_amount,
    blocked_merchant,
    blocked_customer,
    blocked_card,
    high_risk_country,
    international,
    card_testing,
    night_time,
    customer_velocity,
    card_velocity,
    card_checksum,
)
_RULES = RULES
BLOCK_LIST_CODES = frozenset({"blocked_merchant", "blocked_customer", "blocked_card"})


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
