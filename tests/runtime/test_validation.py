"""The per-field layer over msgspec (``fraud_detection.validation``), where msgspec alone would differ.

The handler, abuse, property and sentinel tests cover the 400 bodies end to end; these pin the
places where msgspec stops short and the layer has to be right on its own: every field at once,
exact decimal places, ``$`` before a trailing newline, card numbers out of reprs, settings errors.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from fraud_detection.intake import parse_object
from fraud_detection.models import CardNumber, parse_transaction
from fraud_detection.settings import Settings, parse_settings
from fraud_detection.validation import InvalidDocument, decimal_places
from tests.support.leaks import SENTINEL_PAN

pytestmark = pytest.mark.unit

VALID: dict[str, Any] = {
    "transaction_id": "txn-1",
    "amount": Decimal("42.5"),
    "currency": "USD",
    "merchant": "Corner Books",
    "country": "US",
    "customer_id": "cust-1",
}


def errors_of(document: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidDocument) as caught:
        parse_transaction(document)
    return caught.value.to_json()


def test_every_invalid_field_is_reported_in_field_order_with_unknown_keys_last_and_once() -> None:
    document = {**VALID, "zz-" + SENTINEL_PAN: 1, "currency": 5, "amount": "x", "merchant": "", "other": 2}
    del document["country"]
    assert errors_of(document) == [
        {"field": "amount", "error": "decimal_parsing"},
        {"field": "currency", "error": "string_type"},
        {"field": "merchant", "error": "string_too_short"},
        {"field": "country", "error": "missing"},
        {"field": "<unexpected field>", "error": "extra_forbidden"},
    ]


def test_content_checks_run_on_fields_msgspec_accepted_alongside_its_refusals() -> None:
    document = {**VALID, "transaction_id": "a..b", "customer_id": "4111-1111-1111-1111", "risk_score": 101}
    assert errors_of(document) == [
        {"field": "transaction_id", "error": "value_error"},
        {"field": "customer_id", "error": "card_number_in_identifier"},
        {"field": "risk_score", "error": "less_than_equal"},
    ]
    assert errors_of({**VALID, "pattern_data": {"n": 10**39}}) == [{"field": "pattern_data", "error": "value_error"}]


def test_a_rule_across_fields_is_reported_for_the_body_only_once_every_field_is_valid() -> None:
    both = {**VALID, "card_number": SENTINEL_PAN, "card_token": "tok-1"}
    assert errors_of(both) == [{"field": "<body>", "error": "value_error"}]
    assert errors_of({**both, "currency": "usd"}) == [{"field": "currency", "error": "string_pattern_mismatch"}]


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        # 40 digits: Decimal.normalize() (28-digit context) rounds it to 1 and would see no decimals
        ("1.000000000000000000000000000000000000001", "decimal_max_places"),
        ("0.0000001", "decimal_max_places"),
        ("-0.0000001", "decimal_max_places"),  # places before bounds, as the 400s always said
        ("-0.01", "greater_than_equal"),
        ("1000000000.000001", "less_than_equal"),
        ("NaN", "finite_number"),
    ],
)
def test_decimal_bounds_are_checked_exactly_on_the_decimal(amount: str, error: str) -> None:
    assert errors_of({**VALID, "amount": Decimal(amount)}) == [{"field": "amount", "error": error}]


@pytest.mark.parametrize(("number", "places"), [("1.50", 1), ("1E+2", 0), ("100", 0), ("0.000", 0), ("1.0000001", 7)])
def test_decimal_places_ignore_trailing_zeros(number: str, places: int) -> None:
    assert decimal_places(Decimal(number)) == places


def test_accepted_values_keep_their_exact_decimals() -> None:
    transaction = parse_transaction({**VALID, "amount": Decimal("1000000000.000000"), "risk_score": 12})
    assert transaction.amount == Decimal("1000000000.000000")
    assert transaction.risk_score == Decimal(12) and isinstance(transaction.risk_score, Decimal)


@pytest.mark.parametrize(
    ("field", "value"), [("transaction_id", "txn-1\n"), ("currency", "USD\n"), ("country", "US\n")]
)
def test_a_trailing_newline_does_not_slip_through_a_pattern(field: str, value: str) -> None:
    # Python's re lets '$' match before a final newline; the patterns end in \Z
    assert errors_of({**VALID, field: value}) == [{"field": field, "error": "string_pattern_mismatch"}]


def test_the_card_number_never_shows_in_a_repr_or_an_error() -> None:
    transaction = parse_transaction({**VALID, "card_number": "4917 6123 4500 9878"})
    assert transaction.card_number == CardNumber(SENTINEL_PAN)
    assert transaction.card_number is not None and transaction.card_number.get_secret_value() == SENTINEL_PAN
    assert SENTINEL_PAN not in repr(transaction) and SENTINEL_PAN not in str(transaction.card_number)
    with pytest.raises(InvalidDocument) as caught:
        parse_transaction({**VALID, "card_number": SENTINEL_PAN + "0000", SENTINEL_PAN: SENTINEL_PAN})
    assert SENTINEL_PAN not in str(caught.value) and SENTINEL_PAN not in json.dumps(caught.value.to_json())


def test_json_numbers_decode_as_decimal_and_integers_stay_exact() -> None:
    document = parse_object(b'{"a": 0.1, "b": 1e400, "c": 123456789012345678901234567890123456789, "d": -0.0}')
    assert document == {
        "a": Decimal("0.1"),
        "b": Decimal("1E+400"),
        "c": 123456789012345678901234567890123456789,
        "d": Decimal("-0.0"),
    }
    assert [type(value) for value in document.values()] == [Decimal, Decimal, int, Decimal]
    for refused in (b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a": "\xff"}', b"[1]", b"", b"[" * 5000 + b"]" * 5000):
        assert parse_object(refused) is None, refused


def test_settings_errors_name_every_invalid_key_and_no_value() -> None:
    document = {"review_threshold": 101, "home_countries": "US", "max_body_bytes": 1, "secret-typo": "hunter2"}
    with pytest.raises(InvalidDocument) as caught:
        parse_settings(json.dumps(document))
    assert caught.value.to_json() == [
        {"field": "review_threshold", "error": "less_than_equal"},
        {"field": "home_countries", "error": "tuple_type"},
        {"field": "max_body_bytes", "error": "greater_than_equal"},
        {"field": "<unexpected field>", "error": "extra_forbidden"},
    ]
    assert "hunter2" not in str(caught.value) and "secret-typo" not in str(caught.value)


def test_settings_rule_across_keys_and_defaults() -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_settings('{"review_threshold": 90, "block_threshold": 10}')
    assert caught.value.to_json() == [{"field": "<document>", "error": "value_error"}]
    assert parse_settings("") == parse_settings("{}") == Settings()
    assert parse_settings('{"night_hours_utc": [22, 4]}').night_hours_utc == (22, 4)
