"""Risk rules, pure: each rule alone, the thresholds, and how the caller's score combines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fraud_detection.scoring import Signals, action_for, score
from fraud_detection.settings import Settings

pytestmark = pytest.mark.unit

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = Settings(blocked_merchants=("Evil Corp",), high_risk_countries=("KP",), home_countries=("US", "CA"))


def signals(**overrides: object) -> Signals:
    values: dict[str, object] = {
        "amount": Decimal("42.50"),
        "merchant": "Books",
        "country": "US",
        "received_at": NOON,
    }
    values.update(overrides)
    return Signals(**values)  # type: ignore[arg-type]


def test_plain_domestic_purchase_is_approved_with_no_reasons() -> None:
    decision = score(signals(), SETTINGS)
    assert (decision.risk_score, decision.action, decision.reasons) == (0, "approve", ())


@pytest.mark.parametrize(
    ("amount", "reason", "points"),
    [
        ("999.99", None, 0),
        ("1000", "high_amount_1000", 20),
        ("5000.01", "high_amount_5000", 35),
        ("250000", "high_amount_10000", 50),
    ],
)
def test_only_the_highest_amount_tier_counts(amount: str, reason: str | None, points: int) -> None:
    decision = score(signals(amount=Decimal(amount)), SETTINGS)
    assert decision.rule_score == points
    assert decision.reasons == ((reason,) if reason else ())


def test_blocked_merchant_blocks_case_insensitively() -> None:
    decision = score(signals(merchant="EVIL corp"), SETTINGS)
    assert decision.action == "block"
    assert "blocked_merchant" in decision.reasons


def test_high_risk_country_is_also_international() -> None:
    decision = score(signals(country="KP"), SETTINGS)
    assert decision.reasons == ("high_risk_country", "international")
    assert decision.rule_score == 40


def test_foreign_but_not_high_risk() -> None:
    assert score(signals(country="FR"), SETTINGS).reasons == ("international",)
    assert score(signals(country="CA"), SETTINGS).reasons == ()


@pytest.mark.parametrize(
    ("amount", "fires"), [("1", True), ("5.00", True), ("4.99", False), ("6", False), ("0", False)]
)
def test_small_round_amounts_look_like_card_testing(amount: str, fires: bool) -> None:
    assert ("small_round_amount" in score(signals(amount=Decimal(amount)), SETTINGS).reasons) is fires


@pytest.mark.parametrize(
    ("hours", "hour", "fires"),
    [((0, 6), 3, True), ((0, 6), 6, False), ((22, 4), 23, True), ((22, 4), 2, True), ((22, 4), 12, False)],
)
def test_night_window_including_wrap_around(hours: tuple[int, int], hour: int, fires: bool) -> None:
    settings = Settings(night_hours_utc=hours)
    decision = score(signals(received_at=NOON.replace(hour=hour)), settings)
    assert ("night_time" in decision.reasons) is fires


def test_velocity_counts_include_the_current_transaction() -> None:
    at_limit = score(signals(customer_recent=4, card_recent=2), SETTINGS)
    over = score(signals(customer_recent=5, card_recent=3), SETTINGS)
    assert at_limit.reasons == ()
    assert over.reasons == ("customer_velocity", "card_velocity")
    assert (over.rule_score, over.action) == (70, "review")


def test_card_checksum_failure_is_a_signal() -> None:
    assert score(signals(card_checksum_ok=False), SETTINGS).reasons == ("card_checksum_invalid",)
    assert score(signals(card_checksum_ok=True), SETTINGS).reasons == ()


def test_upstream_score_can_raise_but_never_lower() -> None:
    raised = score(signals(upstream_risk_score=Decimal("60.2")), SETTINGS)
    assert (raised.risk_score, raised.rule_score, raised.action) == (61, 0, "review")
    assert raised.reasons == ("upstream_risk_score",)
    kept = score(signals(merchant="Evil Corp", upstream_risk_score=Decimal(0)), SETTINGS)
    assert (kept.risk_score, kept.action) == (100, "block")
    assert "upstream_risk_score" not in kept.reasons


@pytest.mark.parametrize(("value", "action"), [(49, "approve"), (50, "review"), (79, "review"), (80, "block")])
def test_thresholds_are_inclusive_lower_bounds(value: int, action: str) -> None:
    assert action_for(value, Settings()) == action


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2),
    upstream=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=3)),
    customer=st.integers(0, 50),
    card=st.one_of(st.none(), st.integers(0, 50)),
    country=st.sampled_from(["US", "KP", "FR"]),
    hour=st.integers(0, 23),
)
def test_score_is_bounded_and_action_consistent(
    amount: Decimal, upstream: Decimal | None, customer: int, card: int | None, country: str, hour: int
) -> None:
    decision = score(
        signals(
            amount=amount,
            upstream_risk_score=upstream,
            customer_recent=customer,
            card_recent=card,
            country=country,
            received_at=NOON.replace(hour=hour),
        ),
        SETTINGS,
    )
    assert 0 <= decision.rule_score <= decision.risk_score <= 100
    assert decision.action == action_for(decision.risk_score, SETTINGS)
    if upstream is not None:
        assert decision.risk_score >= upstream
    assert len(set(decision.reasons)) == len(decision.reasons)
