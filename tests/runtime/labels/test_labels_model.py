"""``fraud_detection.labels`` (pure): parsing, the object key, which label counts, supersession."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import get_args

import pytest

from fraud_detection import contract, labels
from fraud_detection.labels import (
    LabelIn,
    day_prefix,
    effective_labels,
    label_document,
    label_key,
    parse_instant,
    parse_label,
    same_label,
)
from fraud_detection.validation import Invalid, InvalidDocument

pytestmark = pytest.mark.unit

RECEIVED = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)


def doc(transaction_id: str, source: str, occurred_at: str, label: str) -> dict[str, str]:
    return {"transaction_id": transaction_id, "source": source, "occurred_at": occurred_at, "label": label}


def test_parse_normalises_occurred_at_to_utc_microseconds() -> None:
    label = parse_label(doc("txn-1", "analyst", "2026-11-23T01:00:00+01:00", "fraud"))
    assert label == LabelIn("txn-1", "fraud", "analyst", "2026-11-23T00:00:00.000000Z")


def test_parse_names_every_invalid_field_and_never_a_value() -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_label({"transaction_id": "4111111111111111 x", "label": "bad", "source": 3, "occurred_at": "no"})
    fields = {error["field"]: error["error"] for error in caught.value.to_json()}
    assert set(fields) == {"transaction_id", "label", "source", "occurred_at"}
    assert "4111" not in str(caught.value)
    with pytest.raises(InvalidDocument):
        parse_label([])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-11-23", "timezone_missing"),
        ("2026-13-01T00:00:00Z", "datetime_parsing"),
        ("0001-01-01T00:00:00+00:01", "datetime_parsing"),  # before year 1 in UTC
        ("9999-12-31T23:59:59-00:01", "datetime_parsing"),  # after year 9999 in UTC
    ],
)
def test_parse_instant_refuses_what_is_no_instant(text: str, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_instant(text)
    assert caught.value.code == code


def test_key_is_the_transactions_day_then_source_then_instant() -> None:
    occurred = datetime(2027, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    key = label_key("txn-1", RECEIVED, "chargeback", occurred)
    assert key == "labels/dt=2026-11-22/txn-1/chargeback/20270102T030405600000Z.json"
    assert key.startswith(day_prefix("2026-11-22"))
    assert key.startswith(contract.LABELS_PREFIX)


def test_document_and_same_label() -> None:
    label = parse_label(doc("txn-1", "customer", "2026-11-23T00:00:00Z", "fraud"))
    stored = label_document(
        label, transaction_received_at="2026-11-22T23:59:59.000Z", recorded_at=RECEIVED, request_id="r-1"
    )
    assert stored["recorded_at"] == "2026-11-22T23:59:59.000000Z"
    assert same_label(stored, label)
    assert not same_label({**stored, "label": "legitimate"}, label)
    assert not same_label({**stored, "source": "analyst"}, label)


def test_a_later_label_of_the_same_source_supersedes_whatever_order_they_are_read_in() -> None:
    history = [
        doc("t", "chargeback", "2026-12-01T00:00:00Z", "fraud"),
        doc("t", "chargeback", "2027-01-01T00:00:00+05:00", "legitimate"),  # 2026-12-31T19:00Z: the latest
        doc("t", "chargeback", "2026-12-31T18:59:59.999999Z", "fraud"),
    ]
    for _ in range(5):
        random.shuffle(history)
        assert effective_labels(history) == {"t": "legitimate"}


def test_across_sources_analyst_then_chargeback_then_customer() -> None:
    history = [
        doc("a", "customer", "2027-06-01T00:00:00Z", "fraud"),
        doc("a", "chargeback", "2026-12-01T00:00:00Z", "legitimate"),
        doc("b", "customer", "2026-12-01T00:00:00Z", "fraud"),
        doc("b", "chargeback", "2026-12-02T00:00:00Z", "legitimate"),
        doc("b", "analyst", "2026-12-01T00:00:00Z", "fraud"),  # older than the chargeback, still decides
        doc("c", "customer", "2026-12-01T00:00:00Z", "legitimate"),
    ]
    assert contract.LABEL_SOURCES == ("analyst", "chargeback", "customer")
    assert effective_labels(history) == {"a": "legitimate", "b": "fraud", "c": "legitimate"}
    assert effective_labels([]) == {}


def test_the_model_accepts_exactly_the_contract_values_and_sources() -> None:
    """The CLI offers ``contract.LABEL_VALUES``/``LABEL_SOURCES`` as choices; the model must accept those and
    only those, or the CLI would send labels the function refuses."""
    assert get_args(labels.LabelValue) == contract.LABEL_VALUES
    assert set(get_args(labels.LabelSource)) == set(contract.LABEL_SOURCES)
