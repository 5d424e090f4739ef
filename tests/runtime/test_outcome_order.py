"""The outcome order (docs/rules.md): allow lane, then block lists, then score thresholds; and the settings
that would make the order ambiguous (a value on both lists) are refused, naming the value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fraud_detection import contract
from fraud_detection.privacy import fingerprint
from fraud_detection.scoring import Signals, score
from fraud_detection.settings import Settings, parse_settings
from fraud_detection.validation import FieldError, InvalidDocument

pytestmark = pytest.mark.unit

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CARD = fingerprint(b"k" * 32, "4111111111111111")
OTHER_CARD = fingerprint(b"k" * 32, "5555555555554444")


def signals(**overrides: object) -> Signals:
    values: dict[str, object] = {
        "amount": Decimal("42.50"),
        "merchant": "Books",
        "country": "US",
        "received_at": NOON,
        "customer_id": "cust-1",
        "card_fingerprint": CARD,
    }
    values.update(overrides)
    return Signals(**values)  # type: ignore[arg-type]


RISKY = {"amount": Decimal(20000), "country": "KP", "customer_recent": 10, "card_recent": 10}
"""Every scoring rule that can fire at noon: 50 + 30 + 10 + 30 + 40, capped at 100."""


@pytest.mark.parametrize(
    ("lists", "reason"),
    [
        ({"allowed_customers": ("cust-1",)}, "allowed_customer"),
        ({"allowed_card_fingerprints": (CARD,)}, "allowed_card"),
        ({"allowed_merchants": ("BOOKS",)}, "allowed_merchant"),
    ],
)
def test_the_allow_lane_approves_before_any_block_rule(lists: dict[str, tuple[str, ...]], reason: str) -> None:
    rules = Settings(
        high_risk_countries=("KP",),
        blocked_merchants=("Evil Corp",) if "allowed_merchants" not in lists else (),
        blocked_customers=("cust-1",) if "allowed_customers" not in lists else (),
        blocked_card_fingerprints=(CARD,) if "allowed_card_fingerprints" not in lists else (),
        **lists,
    )
    merchant = "Evil Corp" if "allowed_merchants" not in lists else "Books"
    decision = score(signals(merchant=merchant, **RISKY), rules)
    assert (decision.lane, decision.action, decision.risk_score) == ("allow", "approve", 100)
    assert decision.reasons[0] == reason
    assert {"high_amount_10000", "customer_velocity", "card_velocity"} <= set(decision.reasons)  # still recorded


@pytest.mark.parametrize(
    ("lists", "reason", "overrides"),
    [
        ({"blocked_merchants": ("Evil Corp",)}, "blocked_merchant", {"merchant": "evil CORP"}),
        ({"blocked_customers": ("cust-1",)}, "blocked_customer", {}),
        ({"blocked_card_fingerprints": (CARD,)}, "blocked_card", {}),
    ],
)
def test_block_lists_block_whatever_the_thresholds(
    lists: dict[str, tuple[str, ...]], reason: str, overrides: dict[str, object]
) -> None:
    decision = score(signals(**overrides), Settings(review_threshold=100, block_threshold=100, **lists))
    assert (decision.lane, decision.action, decision.reasons) == ("block", "block", (reason,))


def test_another_customer_card_or_merchant_is_not_matched() -> None:
    rules = Settings(
        allowed_customers=("cust-2",),
        allowed_card_fingerprints=(OTHER_CARD,),
        allowed_merchants=("Coffee",),
        blocked_customers=("cust-3",),
        blocked_card_fingerprints=(fingerprint(b"k" * 32, "378282246310005"),),
    )
    decision = score(signals(), rules)
    assert (decision.lane, decision.action, decision.reasons) == ("score", "approve", ())


def test_without_a_card_the_card_lists_do_not_apply() -> None:
    rules = Settings(blocked_card_fingerprints=(CARD,))
    assert score(signals(card_fingerprint=None), rules).lane == "score"


@pytest.mark.parametrize(("points", "action"), [(0, "approve"), (40, "review"), (100, "block")])
def test_otherwise_the_score_thresholds_decide(points: int, action: str) -> None:
    upstream = Decimal(points) if points else None
    decision = score(signals(upstream_risk_score=upstream), Settings(review_threshold=40, block_threshold=90))
    assert (decision.lane, decision.action, decision.risk_score) == ("score", action, points)


def test_no_lists_keep_the_scores_of_before() -> None:
    decision = score(signals(merchant="Evil Corp"), Settings(blocked_merchants=("Evil Corp",)))
    assert (decision.risk_score, decision.rule_score, decision.reasons) == (100, 100, ("blocked_merchant",))


# --- settings that would make the order ambiguous -------------------------------------------------------------


def test_a_value_on_both_lists_is_refused_naming_it() -> None:
    document = {
        "allowed_customers": ["cust-1", "cust-2"],
        "blocked_customers": ["cust-2"],
        "allowed_merchants": ["Evil Corp"],
        "blocked_merchants": ["EVIL CORP"],
        "allowed_card_fingerprints": [CARD],
        "blocked_card_fingerprints": [CARD, OTHER_CARD],
    }
    with pytest.raises(InvalidDocument) as caught:
        parse_settings(json.dumps(document))
    assert caught.value.errors == (
        FieldError("allowed_customers", "also_on_block_list", "'cust-2' is also in blocked_customers"),
        FieldError("allowed_card_fingerprints", "also_on_block_list", f"'{CARD}' is also in blocked_card_fingerprints"),
        FieldError("allowed_merchants", "also_on_block_list", "'Evil Corp' is also in blocked_merchants"),
    )
    assert "'cust-2' is also in blocked_customers" in caught.value.summary()
    assert "cust-1" not in caught.value.summary()


def test_settings_built_in_code_are_refused_too() -> None:
    with pytest.raises(InvalidDocument, match="cust-9"):
        Settings(allowed_customers=("cust-9",), blocked_customers=("cust-9",))


def test_a_conflict_is_reported_beside_other_invalid_keys_only_once_they_are_valid() -> None:
    document = {"allowed_customers": ["c"], "blocked_customers": ["c"], "review_threshold": 101}
    with pytest.raises(InvalidDocument) as caught:
        parse_settings(json.dumps(document))
    assert caught.value.errors == (FieldError("review_threshold", "less_than_equal"),)


@pytest.mark.parametrize("entry", ["4111111111111111", CARD.upper(), CARD[:-1], ""])
def test_a_fingerprint_list_takes_only_fingerprints_never_a_card_number(entry: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_settings(json.dumps({"allowed_card_fingerprints": [entry]}))
    assert [error.field for error in caught.value.errors] == ["allowed_card_fingerprints"]
    assert "4111111111111111" not in caught.value.summary()


def test_the_lists_default_to_empty_in_the_contract_and_the_model() -> None:
    names = (
        "allowed_customers",
        "allowed_card_fingerprints",
        "allowed_merchants",
        "blocked_customers",
        "blocked_card_fingerprints",
        "blocked_merchants",
    )
    assert all(contract.DEFAULT_SETTINGS[name] == [] for name in names)
    assert all(getattr(Settings(), name) == () for name in names)


def test_caller_errors_still_carry_no_detail() -> None:
    assert FieldError("amount", "decimal_type").to_json() == {"field": "amount", "error": "decimal_type"}
