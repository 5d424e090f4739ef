"""Window analysis as a pure function of the window's items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fraud_detection.jsonutil import canonical_dumps
from fraud_detection.window_analysis import analysis_key, analyze_window

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)


def item(
    txn: str,
    *,
    action: str = "approve",
    score: int = 10,
    amount: str = "20",
    customer: str = "c1",
    second: int = 0,
) -> dict[str, Any]:
    received = START + timedelta(seconds=second)
    return {
        "transaction_id": txn,
        "pattern_id": f"p-{txn}",
        "action": action,
        "risk_score": score,
        "amount": amount,
        "currency": "USD",
        "merchant": "m",
        "country": "US",
        "customer_id": customer,
        "received_at": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reasons": [],
    }


def test_key_is_the_window_start() -> None:
    assert analysis_key(START) == "analyses/dt=2026-11-22/window=1005.json"


def test_empty_window_still_produces_a_document() -> None:
    analysis = analyze_window(START, [], 0, 5)
    document = analysis.document()
    assert document["transactions"] == 0
    assert document["counts_by_action"] == {"approve": 0, "block": 0, "review": 0}
    assert document["window_start"] == "2026-11-22T10:05:00Z"
    assert document["window_end"] == "2026-11-22T10:10:00Z"
    assert not analysis.should_alert


def test_counts_high_risk_and_flagged() -> None:
    items = [
        item("a"),
        item("b", action="review", score=69),
        item("c", action="block", score=70),
        item("d", action="block", score=95),
    ]
    document = analyze_window(START, items, 4, 5).document()
    assert document["counts_by_action"] == {"approve": 1, "block": 2, "review": 1}
    assert [p["transaction_id"] for p in document["high_risk_patterns"]] == ["c", "d"]
    assert [p["transaction_id"] for p in document["flagged_patterns"]] == ["b", "c", "d"]
    assert document["items_read"] == 4


def test_amount_spike_needs_three_times_the_customer_average_and_more_than_1000() -> None:
    spike = [item(f"s{i}", amount="10", customer="spiky", second=i) for i in range(5)]
    spike.append(item("big", amount="5000", customer="spiky", second=9))
    small = [item(f"t{i}", amount="1", customer="small", second=i) for i in range(5)]
    small.append(item("notbig", amount="1000", customer="small", second=9))
    anomalies = analyze_window(START, spike + small, 12, 5).document()["customer_anomalies"]
    assert [(a["customer_id"], a["kind"], a["transaction_id"]) for a in anomalies] == [("spiky", "amount_spike", "big")]
    assert anomalies[0]["average_amount"] == "841.67"


def test_more_than_ten_transactions_is_a_frequency_anomaly() -> None:
    ten = [item(f"a{i}", customer="ten", second=i) for i in range(10)]
    eleven = [item(f"b{i}", customer="eleven", second=i) for i in range(11)]
    anomalies = analyze_window(START, ten + eleven, 21, 5).document()["customer_anomalies"]
    assert [(a["customer_id"], a["kind"], a["transaction_count"]) for a in anomalies] == [
        ("eleven", "high_frequency", 11)
    ]


def test_alert_only_when_suspicious_patterns_exceed_the_setting() -> None:
    five = [item(f"h{i}", action="block", score=90, customer=f"c{i}") for i in range(5)]
    assert not analyze_window(START, five, 5, 5).should_alert
    six = [*five, item("h5", action="block", score=90, customer="c5")]
    assert analyze_window(START, six, 6, 5).should_alert


def test_document_is_independent_of_item_order() -> None:
    items = [item(f"x{i}", action="review", score=50 + i, second=i) for i in range(8)]
    forward = canonical_dumps(analyze_window(START, items, 8, 5).document())
    backward = canonical_dumps(analyze_window(START, list(reversed(items)), 8, 5).document())
    assert forward == backward
    assert json.loads(forward)["flagged_patterns"][0]["transaction_id"] == "x0"
