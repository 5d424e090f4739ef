"""The webhook against moto writes a decision record that replays to the decision it answered, keeps the card
to its fingerprint, and follows the outcome order of the settings it runs under (docs/rules.md)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from fraud_detection import privacy
from fraud_detection.audit import StreamChange, audit_line, build_audit_batch, decode_jsonl_gz
from fraud_detection.decision_record import RECORD_ATTRIBUTE, outcome, replay, stored_outcome
from fraud_detection.keys import pattern_pk
from fraud_detection.settings import parse_settings, settings_version
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.moto_stack import FINGERPRINT_SECRET, NAMES, REGION

pytestmark = pytest.mark.unit

CARD = "4111111111111111"
CARD_FINGERPRINT = privacy.fingerprint(FINGERPRINT_SECRET.encode(), CARD)
DOCUMENT = {
    "high_risk_countries": ["KP"],
    "blocked_merchants": ["Evil Corp"],
    "allowed_customers": ["cust-trusted"],
    "blocked_card_fingerprints": [CARD_FINGERPRINT],
}


@pytest.fixture
def settings_document() -> dict[str, Any]:
    return DOCUMENT


def stored(transaction_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(NAMES.table)
    return table.get_item(Key={"pk": pattern_pk(transaction_id)}, ConsistentRead=True)["Item"]


def test_the_key_set_is_what_the_fingerprint_fixture_uses() -> None:
    # The blocked fingerprint above must be the one the webhook computes, or the test proves nothing.
    assert len(CARD_FINGERPRINT) == 32 and CARD_FINGERPRINT != CARD


@pytest.mark.parametrize(
    ("overrides", "lane", "action"),
    [
        ({"card_number": None, "risk_score": None}, "score", "approve"),
        ({"card_number": None, "country": "KP", "amount": 1000, "risk_score": None}, "score", "review"),
        ({"card_number": CARD}, "block", "block"),
        ({"card_number": CARD, "customer_id": "cust-trusted", "merchant": "Evil Corp"}, "allow", "approve"),
        ({"card_number": None, "merchant": "evil corp", "risk_score": "99.5"}, "block", "block"),
    ],
)
def test_the_stored_record_replays_to_the_answered_decision(
    webhook: WebhookClient, overrides: dict[str, Any], lane: str, action: str
) -> None:
    result = webhook.post(base_transaction(transaction_id="txn-r1", **overrides))
    assert result.status == 200
    item = stored("txn-r1")
    record = item[RECORD_ATTRIBUTE]
    rules = parse_settings(json.dumps(DOCUMENT))
    assert record["settings_version"] == settings_version(rules)
    assert (record["lane"], result.json["action"]) == (lane, action)
    answered = (result.json["action"], result.json["risk_score"], tuple(result.json["reasons"]))
    assert outcome(replay(record, rules)) == stored_outcome(item) == answered


def test_the_card_is_kept_only_as_its_fingerprint(webhook: WebhookClient) -> None:
    webhook.post(base_transaction(transaction_id="txn-r2", card_number="4111-1111-1111-1111"))
    item = stored("txn-r2")
    record = item[RECORD_ATTRIBUTE]
    assert record["card_fingerprint"] == CARD_FINGERPRINT
    assert record["card_checksum_ok"] is True
    assert CARD not in json.dumps(item, default=str)


def test_a_card_number_in_the_merchant_is_scored_as_stored(webhook: WebhookClient) -> None:
    webhook.post(base_transaction(transaction_id="txn-r3", merchant=f"Shop {CARD}", card_number=None))
    item = stored("txn-r3")
    assert item["merchant"] == item[RECORD_ATTRIBUTE]["merchant"] == "Shop [REDACTED-PAN]"
    assert CARD not in json.dumps(item, default=str)


def test_the_audit_line_carries_the_record_and_the_block_alert_does_not(webhook: WebhookClient) -> None:
    webhook.post(base_transaction(transaction_id="txn-r4", card_number=CARD))
    item = stored("txn-r4")
    batch = build_audit_batch([StreamChange("INSERT", "100", item)])
    assert batch is not None
    [line] = decode_jsonl_gz(batch.body)
    assert line == audit_line(item) and line[RECORD_ATTRIBUTE]["lane"] == "block"
    assert outcome(replay(line[RECORD_ATTRIBUTE], parse_settings(json.dumps(DOCUMENT)))) == stored_outcome(line)
    [alert] = batch.alerts
    assert RECORD_ATTRIBUTE not in json.loads(alert.body())
    assert CARD not in batch.body.decode("latin-1") and CARD not in alert.body()


def test_an_audit_line_without_a_record_still_reads(webhook: WebhookClient) -> None:
    webhook.post(base_transaction(transaction_id="txn-r5"))
    item = {name: value for name, value in stored("txn-r5").items() if name != RECORD_ATTRIBUTE}
    assert RECORD_ATTRIBUTE not in audit_line(item)
