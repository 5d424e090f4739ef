"""The labels endpoint's decision flow, free of HTTP framework and AWS types (docs/labels.md, "Answers").

Order, as the webhook's (``fraud_detection.intake``): size, content type, signature (so nothing about an
unauthenticated body is parsed), JSON, validation, then what needs the label's values: ``occurred_at`` not
in the future, the transaction in the audit trail (its ledger item), ``occurred_at`` not before the
transaction was received, and one conditional write of the label object. Every rejection returns before
the store is touched. The API key check comes earlier, in the handler: it needs no parameter.

AWS errors are not caught here: the handler turns them into a 5xx that carries only the request id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from fraud_detection import labels, signing
from fraud_detection.adapters.audited_ledger import AuditedEntry
from fraud_detection.adapters.parameters import LabelParameters
from fraud_detection.intake import Reply, is_json_content_type, parse_object
from fraud_detection.validation import InvalidDocument

LABEL_CONTENT_TYPE = "application/json"


class Ledger(Protocol):
    def get(self, transaction_id: str) -> AuditedEntry | None: ...


class LabelObjects(Protocol):
    def put_if_absent(self, key: str, body: bytes, content_type: str) -> bool: ...
    def get_json(self, key: str) -> Any | None:
        """The stored object, or ``None`` when there is none (yet)."""
        ...


@dataclass(frozen=True)
class LabelDelivery:
    """One ``POST /labels``, already reduced to what the flow needs."""

    body: bytes
    content_type: str | None
    signature: str | None
    request_id: str
    received_at: datetime


class LabelInFlight(RuntimeError):
    """The conditional write found the key taken, yet the object cannot be read (a concurrent first write
    of the same key still in progress: S3's 409 ``ConditionalRequestConflict``). The caller retries."""


def process(delivery: LabelDelivery, parameters: LabelParameters, ledger: Ledger, store: LabelObjects) -> Reply:
    """The answer to one labels request (``Reply.outcome`` names it for logs and metrics)."""
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

    document = parse_object(delivery.body)
    if document is None:
        return _invalid("body must be a JSON object", labels.SCHEMA.document_name, "invalid_json", "invalid_json")
    try:
        label = labels.parse_label(document)
    except InvalidDocument as error:
        return Reply(400, {"message": "validation failed", "errors": error.to_json()}, "invalid_fields")

    occurred_at = labels.parse_instant(label.occurred_at)
    if occurred_at > delivery.received_at + timedelta(seconds=settings.signature_tolerance_seconds):
        return _invalid("occurred_at is in the future", "occurred_at", "in_future", "occurred_in_future")
    entry = ledger.get(label.transaction_id)
    if entry is None:
        return Reply(
            404,
            {
                "message": "transaction_id is not in the audit trail",
                "errors": [{"field": "transaction_id", "error": "not_audited"}],
            },
            "not_audited",
        )
    transaction_received_at = labels.parse_instant(entry.received_at)
    if occurred_at < transaction_received_at:
        return _invalid(
            "occurred_at is before the transaction was received", "occurred_at", "before_transaction", "too_early"
        )
    return _record(label, occurred_at, entry, delivery, store)


def _record(
    label: labels.LabelIn,
    occurred_at: datetime,
    entry: AuditedEntry,
    delivery: LabelDelivery,
    store: LabelObjects,
) -> Reply:
    """One conditional PutObject; a key that exists is read back: the same label is a duplicate (200), another
    one a conflict (409): a label is never rewritten, a correction is a later ``occurred_at``."""
    key = labels.label_key(label.transaction_id, labels.parse_instant(entry.received_at), label.source, occurred_at)
    document = labels.label_document(
        label,
        transaction_received_at=entry.received_at,
        recorded_at=delivery.received_at,
        request_id=delivery.request_id,
    )
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if store.put_if_absent(key, body, LABEL_CONTENT_TYPE):
        return Reply(201, _accepted("recorded", label), "recorded")
    stored = store.get_json(key)
    if stored is None:
        raise LabelInFlight("label key taken but not readable yet")
    if isinstance(stored, dict) and labels.same_label(stored, label):
        return Reply(200, _accepted("duplicate", label), "duplicate")
    return Reply(
        409,
        {
            "message": "another label is recorded for this transaction_id, source and occurred_at",
            "errors": [{"field": "occurred_at", "error": "conflicting_label"}],
        },
        "conflict",
    )


def _accepted(outcome: str, label: labels.LabelIn) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "transaction_id": label.transaction_id,
        "label": label.label,
        "source": label.source,
        "occurred_at": label.occurred_at,
    }


def _reject(status: int, message: str, outcome: str) -> Reply:
    return Reply(status, {"message": message}, outcome)


def _invalid(message: str, field: str, error: str, outcome: str) -> Reply:
    return Reply(400, {"message": message, "errors": [{"field": field, "error": error}]}, outcome)
