"""The CLI's sample deliveries really produce the outcomes they claim (real intake, real scoring)."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

import pytest

from fraud_detection import intake, signing
from fraud_detection.adapters.parameters import WebhookParameters
from fraud_detection.settings import Settings
from fraud_ops import samples

pytestmark = pytest.mark.unit

SECRET = "s" * 40


class MemoryStore:
    """The intake's Store protocol over a dict (velocity counts are zero: ids are fresh per run)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        if item["pk"] in self.items:
            return False
        self.items[item["pk"]] = item
        return True

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        return self.items.get(f"TXN#{transaction_id}")

    def count_customer(self, customer_id: str, since_ms: int, until_ms: int) -> int:
        return 0

    def count_card(self, fingerprint: str, since_ms: int, until_ms: int) -> int:
        return 0


@pytest.mark.parametrize("hour", [3, 15], ids=["night", "day"])
def test_every_sample_gets_its_expected_answer_at_any_hour(hour: int) -> None:
    received = datetime(2026, 11, 22, hour, 7, 30, tzinfo=UTC)
    sample_set = samples.build_samples(SECRET, int(received.timestamp()), "r1", api_key="k")
    parameters = WebhookParameters(settings=Settings(), signing_secrets=(SECRET,), fingerprint_key=b"f" * 32)
    store = MemoryStore()
    for request in sample_set.requests:
        headers = {name.lower(): value for name, value in request.headers.items()}
        delivery = intake.Delivery(
            body=request.body,
            content_type=headers["content-type"],
            signature=headers["x-fraud-signature"],
            request_id="req",
            source_ip="127.0.0.1",
            received_at=received,
        )
        reply = intake.process(delivery, parameters, store, shards=8)
        assert reply.status == request.expected_status, (request.name, reply)
        if request.expected_action:
            assert reply.body["action"] == request.expected_action, (request.name, reply.body)
    assert sorted(store.items) == sorted(f"TXN#{tid}" for tid in sample_set.stored_transaction_ids)


def test_samples_cover_every_outcome_the_cli_promises() -> None:
    requests = samples.build_samples(SECRET, 1_800_000_000, "r2").requests
    assert [r.name for r in requests] == [
        "approve",
        "review",
        "block",
        "duplicate of approve",
        "bad signature",
        "malformed body",
    ]
    assert requests[0].body == requests[3].body  # the duplicate is the same transaction
    assert all("x-api-key" not in r.headers for r in requests)  # no key given, none sent


def test_headers_carry_a_verifiable_signature_and_the_api_key() -> None:
    body = samples.encode({"b": 1, "a": 2})
    headers = samples.signed_headers(SECRET, body, 1_800_000_000, "api-key")
    assert body == b'{"a":2,"b":1}'
    assert headers["x-api-key"] == "api-key"
    assert signing.verify(headers["X-Fraud-Signature"], body, [SECRET], now=1_800_000_010, tolerance_seconds=300)


def test_curl_command_round_trips_through_the_shell_quoting() -> None:
    body = b'{"merchant":"O\'Brien & Sons"}'
    command = samples.curl_command("http://127.0.0.1:1/v1/webhook", {"X-Fraud-Signature": "t=1,v1=ab"}, body)
    argv = shlex.split(command)
    assert argv[argv.index("--data-binary") + 1].encode() == body
    assert argv[argv.index("-H") + 1] == "X-Fraud-Signature: t=1,v1=ab"
