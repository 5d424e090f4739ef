"""Signed sample deliveries for the webhook (pure): one of each outcome an operator wants to see.

The amounts and countries are chosen against ``fraud_detection.scoring`` with the default
settings so the decision does not depend on the time of day: the night rule adds 10 points,
which keeps approve < 50 <= review < 80 <= block either way. Every run uses fresh ids
(``run_id``), so velocity counts from an earlier run never change a decision.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fraud_detection.signing import SIGNATURE_HEADER, sign

CONTENT_TYPE = "application/json"
API_KEY_HEADER = "x-api-key"
# A Luhn-invalid card number: the checksum rule adds 20 points (nothing real is ever sent).
INVALID_CHECKSUM_CARD = "4111111111111112"
WRONG_SECRET = "not-the-signing-secret-" + "x" * 16


@dataclass(frozen=True)
class SampleRequest:
    """One HTTP delivery: what to send and what the webhook should answer."""

    name: str
    body: bytes
    headers: Mapping[str, str]
    expected_status: int
    expected_action: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True)
class SampleSet:
    requests: tuple[SampleRequest, ...]
    stored_transaction_ids: tuple[str, ...] = field(default_factory=tuple)


def encode(document: Mapping[str, object]) -> bytes:
    """Compact JSON bytes: the exact bytes that are signed are the bytes that are sent."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signed_headers(secret: str, body: bytes, timestamp: int, api_key: str | None) -> dict[str, str]:
    headers = {"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: sign(secret, body, timestamp)}
    if api_key:
        headers[API_KEY_HEADER] = api_key
    return headers


def transaction(run_id: str, label: str, prefix: str = "txn-", **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "transaction_id": f"{prefix}{run_id}-{label}",
        "customer_id": f"cust-{run_id}-{label}",
        "currency": "USD",
        "merchant": "Corner Books",
        "country": "US",
        "amount": 42.5,
    }
    base.update(fields)
    return base


def build_samples(
    secret: str, timestamp: int, run_id: str, api_key: str | None = None, prefix: str = "txn-"
) -> SampleSet:
    """approve, review, block, a duplicate of approve, a bad signature and a malformed body.

    ``prefix`` starts every transaction id (``smoke-`` marks smoke traffic, ``fraud_detection.smoke``)."""
    approve = transaction(run_id, "approve", prefix, card_token=f"tok-{run_id}-a")
    review = transaction(run_id, "review", prefix, amount=10000, merchant="Travel Hub")  # high_amount_10000 = 50
    block = transaction(  # 50 (amount) + 10 (international) + 20 (bad checksum) = 80
        run_id,
        "block",
        prefix,
        amount=12000,
        country="BR",
        merchant="Gadget Outlet",
        card_number=INVALID_CHECKSUM_CARD,
    )
    bad = transaction(run_id, "badsig", prefix)
    malformed = b'{"transaction_id": "txn-' + run_id.encode() + b'-malformed", "amount": '

    def good(name: str, document: Mapping[str, object], action: str) -> SampleRequest:
        body = encode(document)
        return SampleRequest(
            name=name,
            body=body,
            headers=MappingProxyType(signed_headers(secret, body, timestamp, api_key)),
            expected_status=200,
            expected_action=action,
            transaction_id=str(document["transaction_id"]),
        )

    requests = (
        good("approve", approve, "approve"),
        good("review", review, "review"),
        good("block", block, "block"),
        good("duplicate of approve", approve, "approve"),
        SampleRequest(
            name="bad signature",
            body=encode(bad),
            headers=MappingProxyType(signed_headers(WRONG_SECRET, encode(bad), timestamp, api_key)),
            expected_status=401,
            transaction_id=str(bad["transaction_id"]),
        ),
        SampleRequest(
            name="malformed body",
            body=malformed,
            headers=MappingProxyType(signed_headers(secret, malformed, timestamp, api_key)),
            expected_status=400,
        ),
    )
    stored = tuple(str(doc["transaction_id"]) for doc in (approve, review, block))
    return SampleSet(requests=requests, stored_transaction_ids=stored)


def curl_command(url: str, headers: Mapping[str, str], body: bytes, *, shell_header: str | None = None) -> str:
    """A copy-paste ``curl`` that sends exactly ``body`` (``--data-binary`` keeps the bytes). ``shell_header``
    is added as ``-H "<shell_header>"`` unquoted inside the double quotes, so the shell expands it when the
    command runs (e.g. an API key read from a file instead of printed)."""
    parts = ["curl", "-sS", "-X", "POST", url]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode("utf-8")]
    quoted = [shlex.quote(part) for part in parts]
    if shell_header is not None:
        quoted[5:5] = ["-H", f'"{shell_header}"']
    return " ".join(quoted)
