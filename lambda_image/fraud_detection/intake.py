"""The webhook's decision flow, free of HTTP framework and AWS types (both sit at the edges).

Order matters and is part of the contract: size, content type, signature (so nothing about an
unauthenticated body is parsed), JSON, validation, velocity, scoring, one conditional write. The
item carries the decision record (``fraud_detection.decision_record``) that replays the decision.
Every rejection returns before the store is touched. AWS errors are not caught here: the
handler turns them into a 5xx that carries only the request id.

Only an authenticated JSON object gets past the gate, so what only that path uses (the request
model, scoring, the pattern record, card privacy) is imported in ``_admit``, not at the top: a
cold start whose first requests are rejected never loads or builds it (see handlers/webhook.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from fraud_detection import signing
from fraud_detection.adapters.parameters import WebhookParameters
from fraud_detection.contract import DEFAULT_PATTERN_TTL_DAYS
from fraud_detection.validation import InvalidDocument

if TYPE_CHECKING:
    from fraud_detection.models import TransactionIn
    from fraud_detection.pattern import PatternRecord


class Store(Protocol):
    def put_if_absent(self, item: dict[str, Any]) -> bool: ...
    def get(self, transaction_id: str) -> dict[str, Any] | None: ...
    def count_customer(self, customer_id: str, since_ms: int, until_ms: int) -> int: ...
    def count_card(self, fingerprint: str, since_ms: int, until_ms: int) -> int: ...


@dataclass(frozen=True)
class Delivery:
    """One HTTP delivery, already reduced to what the flow needs."""

    body: bytes
    content_type: str | None
    signature: str | None
    request_id: str
    source_ip: str
    received_at: datetime


@dataclass(frozen=True)
class Reply:
    """``outcome`` names what happened for logs/metrics; ``body`` is safe to send to the caller."""

    status: int
    body: dict[str, Any]
    outcome: str


class SignedDelivery(Protocol):
    """What the gate reads of a signed request (the webhook's ``Delivery``, the labels' ``LabelDelivery``)."""

    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...
    @property
    def received_at(self) -> datetime: ...


class SigningParameters(Protocol):
    """The settings and the key set a signed endpoint checks against (webhook's or labels' parameters)."""

    @property
    def settings(self) -> Any: ...
    @property
    def signing_secrets(self) -> tuple[str, ...]: ...


def refuse_unauthentic(delivery: SignedDelivery, parameters: SigningParameters) -> Reply | None:
    """The gate of every signed endpoint, in this order: size (413), content type (415), signature (401), so
    nothing about an unauthenticated body is parsed; ``None`` lets the request through."""
    settings = parameters.settings
    if len(delivery.body) > settings.max_body_bytes:
        return _reject(413, "payload too large", "too_large")
    if not is_json_content_type(delivery.content_type):
        return _reject(415, "content type must be application/json", "unsupported_media_type")
    try:
        signing.verify(
            delivery.signature,
            delivery.body,
            parameters.signing_secrets,
            now=delivery.received_at.timestamp(),
            tolerance_seconds=settings.signature_tolerance_seconds,
        )
    except signing.SignatureError as error:
        return _reject(401, "invalid signature", f"signature_{error.reason}")
    return None


class StoreInconsistent(RuntimeError):
    """The conditional write failed but the item is not there (should not happen; 5xx)."""


def process(
    delivery: Delivery,
    parameters: WebhookParameters,
    store: Store,
    *,
    shards: int,
    ttl_days: int = DEFAULT_PATTERN_TTL_DAYS,
) -> Reply:
    refused = refuse_unauthentic(delivery, parameters)
    if refused is not None:
        return refused
    document = parse_object(delivery.body)
    if document is None:
        return _reject(400, "body must be a JSON object", "invalid_json")
    return _admit(document, delivery, parameters, store, shards, ttl_days)


def _admit(
    document: dict[str, Any],
    delivery: Delivery,
    parameters: WebhookParameters,
    store: Store,
    shards: int,
    ttl_days: int,
) -> Reply:
    """Validate, score and write an authenticated object (lazy imports: see the module docstring)."""
    from fraud_detection.models import parse_transaction
    from fraud_detection.pattern import Acknowledgement

    try:
        transaction = parse_transaction(document)
    except InvalidDocument as error:
        return Reply(400, {"message": "validation failed", "errors": error.to_json()}, "invalid_fields")

    record = _record(transaction, delivery, parameters, store, shards, ttl_days)
    item = record.to_item()
    if store.put_if_absent(item):
        return Reply(200, Acknowledgement.from_item(item).to_json(), "written")
    winner = store.get(transaction.transaction_id)
    if winner is None:
        raise StoreInconsistent("conditional write failed but no item found")
    return Reply(200, Acknowledgement.from_item(winner).to_json(), "duplicate")


def _record(
    transaction: TransactionIn,
    delivery: Delivery,
    parameters: WebhookParameters,
    store: Store,
    shards: int,
    ttl_days: int,
) -> PatternRecord:
    from fraud_detection import decision_record, privacy
    from fraud_detection.pattern import PatternRecord
    from fraud_detection.scoring import Signals, score
    from fraud_detection.settings import settings_version

    settings = parameters.settings
    until_ms = int(delivery.received_at.timestamp() * 1000)
    since_ms = int((delivery.received_at - timedelta(seconds=settings.velocity_window_seconds)).timestamp() * 1000)

    fingerprint: str | None = None
    last4: str | None = None
    checksum_ok: bool | None = None
    if transaction.card_number is not None:
        number = transaction.card_number.get_secret_value()
        fingerprint = privacy.fingerprint(parameters.fingerprint_key, number)
        last4 = privacy.last4(number)
        checksum_ok = privacy.luhn_valid(number)
        del number
    elif transaction.card_token is not None:
        fingerprint = privacy.token_fingerprint(parameters.fingerprint_key, transaction.card_token)

    # The rules read the merchant as it is stored (card-number runs masked), so the stored record
    # replays to the same decision (fraud_detection.decision_record).
    merchant = privacy.redact_pan(transaction.merchant)
    signals = Signals(
        amount=transaction.amount,
        merchant=merchant,
        country=transaction.country,
        received_at=delivery.received_at,
        customer_recent=store.count_customer(transaction.customer_id, since_ms, until_ms),
        card_recent=store.count_card(fingerprint, since_ms, until_ms) if fingerprint else None,
        card_checksum_ok=checksum_ok,
        upstream_risk_score=transaction.risk_score,
        customer_id=transaction.customer_id,
        card_fingerprint=fingerprint,
    )
    decision = score(signals, settings)
    return PatternRecord(
        transaction_id=transaction.transaction_id,
        decision=decision,
        amount=transaction.amount,
        currency=transaction.currency,
        merchant=merchant,
        country=transaction.country,
        customer_id=transaction.customer_id,
        received_at=delivery.received_at,
        request_id=delivery.request_id,
        source_ip=delivery.source_ip,
        shards=shards,
        ttl_days=ttl_days,
        card_fingerprint=fingerprint,
        card_last4=last4,
        upstream_risk_score=transaction.risk_score,
        client_timestamp=privacy.redact_pan(transaction.timestamp) if transaction.timestamp else None,
        pattern_data=transaction.pattern_data,
        decision_record=decision_record.build(signals, decision, settings_version(settings), transaction.currency),
    )


def _reject(status: int, message: str, outcome: str) -> Reply:
    return Reply(status, {"message": message}, outcome)


def is_json_content_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    charset = parameters.strip().lower()
    return charset in ("", "charset=utf-8", 'charset="utf-8"')


# Numbers with a fraction or an exponent become Decimal from their text (exact, never a float);
# integers stay int, of any size. NaN/Infinity are not JSON, so msgspec refuses them.
_JSON_OBJECT = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)


def parse_object(body: bytes) -> dict[str, Any] | None:
    """A UTF-8 JSON object with exact decimals, else ``None`` (incl. NaN/Infinity, invalid UTF-8,
    lone surrogate escapes, nesting past msgspec's depth limit)."""
    try:
        return _JSON_OBJECT.decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError (and ValidationError) and UnicodeDecodeError
        return None
