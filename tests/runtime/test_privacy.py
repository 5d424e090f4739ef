"""Card data: fingerprints are keyed, and a sentinel card number never leaves the request."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

from fraud_detection import privacy
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.leaks import SENTINEL_PAN
from tests.support.moto_stack import NAMES, REGION

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_last4_and_mask() -> None:
    assert privacy.last4(SENTINEL_PAN) == "9878"
    assert privacy.mask(SENTINEL_PAN) == "************9878"


def test_fingerprint_is_keyed_stable_and_not_the_number() -> None:
    first = privacy.fingerprint(KEY, SENTINEL_PAN)
    assert first == privacy.fingerprint(KEY, SENTINEL_PAN)
    assert first != privacy.fingerprint(b"x" * 32, SENTINEL_PAN)
    assert SENTINEL_PAN not in first
    assert len(first) == 32


def test_token_and_number_fingerprints_are_domain_separated() -> None:
    assert privacy.token_fingerprint(KEY, SENTINEL_PAN) != privacy.fingerprint(KEY, SENTINEL_PAN)


def _scan(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]


@pytest.mark.parametrize(
    "document",
    [
        base_transaction(transaction_id="pan-ok", card_number=SENTINEL_PAN),
        base_transaction(transaction_id="pan-spaced", card_number="4917 6123 4500 9878"),
        base_transaction(transaction_id="pan-in-data", card_number=None, pattern_data={"note": SENTINEL_PAN}),
        base_transaction(transaction_id="pan-in-merchant", merchant=f"shop {SENTINEL_PAN}"),
        base_transaction(transaction_id="pan-in-time", timestamp=SENTINEL_PAN),
        # rejected ones: the number must not come back in the error either
        base_transaction(transaction_id="pan-bad-type", amount=SENTINEL_PAN),
        base_transaction(transaction_id="pan-both", card_number=SENTINEL_PAN, card_token="tok_1"),
        base_transaction(transaction_id="pan-too-long", card_number=SENTINEL_PAN + "0000"),
        {**base_transaction(transaction_id="pan-as-key"), SENTINEL_PAN: SENTINEL_PAN},
    ],
)
def test_sentinel_card_number_is_absent_from_logs_items_and_responses(
    webhook: WebhookClient,
    document: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = webhook.post(json.dumps(document))
    assert result.status in (200, 400)
    items = _scan(NAMES.table)
    captured = capsys.readouterr()
    assert '"level":' in webhook.log_text, "the handler should have logged something"
    spaced = "4917 6123 4500 9878"
    for text in (result.text, json.dumps(items), webhook.log_text, captured.out, captured.err, caplog.text):
        assert SENTINEL_PAN not in text
        assert spaced not in text
    if result.status == 200 and document.get("card_number") in (SENTINEL_PAN, spaced):
        assert items[0]["card_last4"] == {"S": "9878"}
        assert items[0]["card_key"]["S"].startswith("CARD#")
