"""Per-request CPU of the webhook: ``intake.process`` over captured events, in-process, µs per event.

What one accepted delivery costs in Python once its bytes are in memory: the signature check,
JSON decoding, validation, scoring and building the pattern item (``intake.process`` with an
in-memory store, so no AWS call and no network). The events are the captured webhook body
(``tests/runtime/events/webhook_post.json``) varied deterministically: ids, amounts, countries,
card number or token or neither, upstream scores.

Runs as a script so the bench can point it at another copy of the image package (the previous
commit's, unpacked with ``git archive``) through ``PYTHONPATH``; it imports nothing of the repository
but ``fraud_detection`` and the captured event. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

EVENT = Path(__file__).resolve().parents[1] / "tests" / "runtime" / "events" / "webhook_post.json"
SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105  (in-process only)
FINGERPRINT_KEY = b"bench-fingerprint-key-0123456789abcdef"
RECEIVED_AT = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)


class MemoryStore:
    """``intake.Store`` in memory: every write wins; velocity counts cycle through small numbers."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        self.items.append(item)
        return True

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        return None

    def count_customer(self, customer_id: str, since_ms: int, until_ms: int) -> int:
        return len(self.items) % 7

    def count_card(self, fingerprint: str, since_ms: int, until_ms: int) -> int:
        return len(self.items) % 4


def bodies(count: int, seed: int = 14) -> list[bytes]:
    """``count`` request bodies: the captured one, varied."""
    template = json.loads(json.loads(EVENT.read_text())["body"])
    rng = random.Random(seed)
    amounts = ["42.50", "9.99", "1.00", "250", "1200.00", "5400.10", "12000"]
    result = []
    for number in range(count):
        document = dict(template)
        document["transaction_id"] = f"txn-cpu-{number:06d}"
        document["customer_id"] = f"cust-{rng.randrange(5000)}"
        document["amount"] = Decimal(rng.choice(amounts))
        document["country"] = rng.choice(["US", "US", "US", "GB", "DE", "BR"])
        document["risk_score"] = rng.randrange(0, 60)
        card = rng.random()
        if card < 0.2:
            document.pop("card_number", None)
            document["card_token"] = f"tok_{rng.getrandbits(64):016x}"
        elif card < 0.3:
            document.pop("card_number", None)
        result.append(json.dumps(document, default=str).encode("utf-8"))
    return result


def measure(count: int, passes: int) -> dict[str, Any]:
    from fraud_detection import intake, signing
    from fraud_detection.adapters.parameters import WebhookParameters
    from fraud_detection.settings import parse_settings

    parameters = WebhookParameters(
        settings=parse_settings("{}"), signing_secrets=(SECRET,), fingerprint_key=FINGERPRINT_KEY
    )
    timestamp = int(RECEIVED_AT.timestamp())
    deliveries = [
        intake.Delivery(
            body=body,
            content_type="application/json",
            signature=signing.sign(SECRET, body, timestamp),
            request_id=f"req-{number}",
            source_ip="203.0.113.10",
            received_at=RECEIVED_AT,
        )
        for number, body in enumerate(bodies(count))
    ]
    for delivery in deliveries[:100]:  # warm: the accepted path's lazy imports, caches
        intake.process(delivery, parameters, MemoryStore(), shards=8)
    per_event: list[float] = []
    outcomes: dict[str, int] = {}
    for _ in range(passes):
        store = MemoryStore()
        started = time.perf_counter()
        for delivery in deliveries:
            reply = intake.process(delivery, parameters, store, shards=8)
            outcomes[reply.outcome] = outcomes.get(reply.outcome, 0) + 1
        per_event.append((time.perf_counter() - started) / count * 1e6)
    return {"us_per_event": statistics.median(per_event), "events": count, "passes": passes, "outcomes": outcomes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.events, args.passes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
