"""Decision records, pure: a record replays to the decision it stores, through every form it is kept in.

The record is built by the webhook, stored as a DynamoDB map, decoded from the stream's new image and
written to the audit trail as JSON; from each of those forms, deciding again under the same settings must
give the stored action, score and reasons (and the same rules, values and thresholds).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from fraud_detection import contract, decision_record
from fraud_detection.audit import audit_line, decode_jsonl_gz, encode_jsonl_gz
from fraud_detection.decision_record import InvalidRecord, build, outcome, replay, stored_outcome
from fraud_detection.scoring import Decision, Signals, score
from fraud_detection.settings import AmountTier, Settings, canonical_json, parse_settings, settings_version

pytestmark = pytest.mark.unit

CUSTOMERS = ("cust-1", "cust-2", "cust-3")
MERCHANTS = ("Books", "Evil Corp", "Coffee", "EVIL corp")
FINGERPRINTS = tuple(hashlib.sha256(str(index).encode()).hexdigest()[:32] for index in range(3))
START = datetime(2026, 11, 1, tzinfo=UTC)


@st.composite
def list_settings(draw: st.DrawFn) -> dict[str, tuple[str, ...]]:
    """Allow and block lists drawn from small pools, each value on one side at most (valid settings)."""
    lists: dict[str, list[str]] = {}
    for pool, allowed, blocked in (
        (CUSTOMERS, "allowed_customers", "blocked_customers"),
        (FINGERPRINTS, "allowed_card_fingerprints", "blocked_card_fingerprints"),
        (("Books", "Evil Corp", "Coffee"), "allowed_merchants", "blocked_merchants"),
    ):
        lists[allowed], lists[blocked] = [], []
        for value in pool:
            side = draw(st.sampled_from((None, None, None, None, allowed, blocked)))
            if side is not None:
                lists[side].append(value)
    return {name: tuple(values) for name, values in lists.items()}


@st.composite
def risk_settings(draw: st.DrawFn) -> Settings:
    review = draw(st.integers(0, 100))
    tiers = draw(
        st.lists(
            st.builds(
                AmountTier,
                min_amount=st.sampled_from([0.5, 5, 1000, 2500.25, 10000]),
                score=st.integers(0, 100),
            ),
            max_size=3,
        )
    )
    return Settings(
        review_threshold=review,
        block_threshold=draw(st.integers(review, 100)),
        high_amount_tiers=tuple(tiers),
        high_risk_countries=tuple(draw(st.lists(st.sampled_from(["KP", "IR", "FR"]), max_size=2, unique=True))),
        home_countries=tuple(draw(st.lists(st.sampled_from(["US", "CA", "FR"]), min_size=1, max_size=2, unique=True))),
        night_hours_utc=(draw(st.integers(0, 24)), draw(st.integers(0, 24))),
        velocity_customer_max=draw(st.integers(1, 6)),
        velocity_card_max=draw(st.integers(1, 6)),
        **draw(list_settings()),
    )


@st.composite
def event_signals(draw: st.DrawFn) -> Signals:
    with_card = draw(st.booleans())
    return Signals(
        amount=draw(st.decimals(min_value=0, max_value=10**9, places=draw(st.integers(0, 6)))),
        merchant=draw(st.sampled_from(MERCHANTS)),
        country=draw(st.sampled_from(["US", "CA", "KP", "FR", "IR"])),
        received_at=START + timedelta(milliseconds=draw(st.integers(0, 30 * 86400 * 1000))),
        customer_recent=draw(st.integers(0, 8)),
        card_recent=draw(st.integers(0, 8)) if with_card else None,
        card_checksum_ok=draw(st.one_of(st.none(), st.booleans())) if with_card else None,
        upstream_risk_score=draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=3))),
        customer_id=draw(st.sampled_from(CUSTOMERS)),
        card_fingerprint=draw(st.sampled_from(FINGERPRINTS)) if with_card else None,
    )


def stored_item(signals: Signals, decision: Decision, rules: Settings) -> dict[str, Any]:
    """The parts of a pattern item a replay reads, as the webhook writes them."""
    return {
        "transaction_id": "txn-1",
        "received_at": "2026-11-01T00:00:00.000Z",
        "action": decision.action,
        "risk_score": decision.risk_score,
        "reasons": list(decision.reasons),
        decision_record.RECORD_ATTRIBUTE: build(signals, decision, settings_version(rules), "EUR"),
    }


def through_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    """Written with boto3's serializer and read back (as the stream's new image decodes it)."""
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    return {name: deserializer.deserialize(serializer.serialize(value)) for name, value in item.items()}


def through_audit(image: dict[str, Any]) -> dict[str, Any]:
    """The audit line of that image, encoded and decoded as the audit trail's readers get it."""
    [line] = decode_jsonl_gz(encode_jsonl_gz([audit_line(image)]))
    return line


@settings(max_examples=300, deadline=None)
@given(signals=event_signals(), rules=risk_settings())
def test_recomputing_from_the_record_gives_the_stored_decision(signals: Signals, rules: Settings) -> None:
    decision = score(signals, rules)
    item = stored_item(signals, decision, rules)
    for form in (item, through_dynamodb(item), through_audit(through_dynamodb(item))):
        record = form[decision_record.RECORD_ATTRIBUTE]
        again = replay(record, rules)
        assert outcome(again) == stored_outcome(form)
        assert (again.lane, [hit.to_json() for hit in again.hits]) == (record["lane"], _plain(record["rules"]))
        assert record["settings_version"] == settings_version(rules)


def test_a_candidate_replays_the_same_record_to_its_own_decision() -> None:
    live = Settings(review_threshold=50, block_threshold=80)
    signals = Signals(amount=Decimal(5000), merchant="Books", country="FR", received_at=START.replace(hour=12))
    record = build(signals, score(signals, live), settings_version(live), "USD")
    assert outcome(replay(record, live)) == ("approve", 45, ("high_amount_5000", "international"))
    stricter = Settings(review_threshold=20, block_threshold=40)
    assert outcome(replay(record, stricter)) == ("block", 45, ("high_amount_5000", "international"))


def test_record_fields_values_and_thresholds() -> None:
    rules = Settings(blocked_merchants=("Evil Corp",), night_hours_utc=(22, 4), velocity_customer_max=2)
    signals = Signals(
        amount=Decimal("3.00"),
        merchant="evil corp",
        country="US",
        received_at=datetime(2026, 11, 22, 23, 5, 1, 123456, tzinfo=UTC),
        customer_recent=2,
        card_recent=0,
        card_checksum_ok=False,
        upstream_risk_score=Decimal("7.5"),
        customer_id="cust-1",
        card_fingerprint=FINGERPRINTS[0],
    )
    record = build(signals, score(signals, rules), settings_version(rules), "USD")
    assert record == {
        "record_version": 1,
        "settings_version": settings_version(rules),
        "amount": "3.00",
        "currency": "USD",
        "country": "US",
        "merchant": "evil corp",
        "customer_id": "cust-1",
        "card_fingerprint": FINGERPRINTS[0],
        "received_at": "2026-11-22T23:05:01.123Z",
        "card_checksum_ok": False,
        "upstream_risk_score": "7.5",
        "customer_recent": 2,
        "card_recent": 0,
        "lane": "block",
        "rules": [
            {"code": "blocked_merchant", "points": 100, "value": "evil corp", "threshold": "blocked_merchants"},
            {"code": "small_round_amount", "points": 25, "value": "3.00", "threshold": "5"},
            {"code": "night_time", "points": 10, "value": 23, "threshold": [22, 4]},
            {"code": "customer_velocity", "points": 30, "value": 3, "threshold": 2},
            {"code": "card_checksum_invalid", "points": 20, "value": False, "threshold": "luhn"},
        ],
    }


def test_absent_inputs_are_left_out_not_null() -> None:
    signals = Signals(amount=Decimal(1), merchant="Books", country="US", received_at=START, customer_id="c")
    record = build(signals, score(signals, Settings()), settings_version(Settings()), "USD")
    assert not {"card_fingerprint", "card_recent", "card_checksum_ok", "upstream_risk_score"} & set(record)
    assert None not in record.values()


def test_an_unknown_record_version_or_a_mangled_record_is_refused() -> None:
    signals = Signals(amount=Decimal(1), merchant="Books", country="US", received_at=START, customer_id="c")
    record = build(signals, score(signals, Settings()), "0" * 16, "USD")
    with pytest.raises(InvalidRecord):
        replay({**record, "record_version": 2}, Settings())
    with pytest.raises(InvalidRecord):
        replay({name: value for name, value in record.items() if name != "amount"}, Settings())


# --- the settings version --------------------------------------------------------------------------------


def test_settings_version_is_sha256_of_the_canonical_effective_settings() -> None:
    defaults = Settings()
    text = canonical_json(defaults)
    assert settings_version(defaults) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert len(settings_version(defaults)) == 16
    assert json.loads(text) == json.loads(json.dumps(contract.DEFAULT_SETTINGS))  # every key, defaults filled in
    assert ", " not in text and list(json.loads(text)) == sorted(json.loads(text))


def test_an_empty_document_and_the_full_defaults_share_a_version() -> None:
    assert settings_version(parse_settings("{}")) == settings_version(
        parse_settings(json.dumps(contract.DEFAULT_SETTINGS))
    )


def test_a_whole_float_and_an_integer_tier_share_a_version_and_any_change_is_a_new_one() -> None:
    as_int = parse_settings('{"high_amount_tiers": [{"min_amount": 1000, "score": 20}]}')
    as_float = parse_settings('{"high_amount_tiers": [{"min_amount": 1000.0, "score": 20}]}')
    assert settings_version(as_int) == settings_version(as_float)
    versions = {
        settings_version(Settings()),
        settings_version(Settings(max_body_bytes=2048)),
        settings_version(Settings(allowed_customers=("cust-1",))),
        settings_version(Settings(review_threshold=51)),
    }
    assert len(versions) == 4


# --- the window index stays small ---------------------------------------------------------------------------


def test_the_record_is_not_in_the_window_projection() -> None:
    assert decision_record.RECORD_ATTRIBUTE not in contract.WINDOW_ITEM_ATTRIBUTES
    assert contract.WINDOW_INDEX.non_key_attributes == (
        "transaction_id",
        "pattern_id",
        "action",
        "risk_score",
        "amount",
        "currency",
        "merchant",
        "country",
        "customer_id",
        "received_at",
        "reasons",
    )


def _plain(value: Any) -> Any:
    """DynamoDB hands numbers back as ``Decimal``; the rules' JSON has ints."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
