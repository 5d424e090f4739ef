"""The labels endpoint's decision flow, free of HTTP framework and AWS types (docs/labels.md, "Answers").

Order, as the webhook's: the gate of every signed endpoint (``intake.refuse_unauthentic``: size, content
type, signature, so nothing about an unauthenticated body is parsed), JSON, validation, then what needs the
label's values: ``occurred_at`` not in the future, the transaction in the audit trail (its ledger item),
``occurred_at`` not before the transaction was received, and one conditional write of the label object.
Every rejection returns before the store is touched. The API key check comes earlier, in the handler: it
needs no parameter.

AWS errors are not caught here: the handler turns them into a 5xx that carries only the request id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from fraud_detection import labels
from fraud_detection.adapters.audit_store import Created
from fraud_detection.adapters.audited_ledger import AuditedEntry
from fraud_detection.adapters.parameters import LabelParameters
from fraud_detection.intake import Reply, parse_object, refuse_unauthentic
from fraud_detection.validation import InvalidDocument

LABEL_CONTENT_TYPE = "application/json"


class Ledger(Protocol):
    def get(self, transaction_id: str) -> AuditedEntry | None: ...


class LabelObjects(Protocol):
    """The label objects of the audit bucket (``adapters.audit_store.AuditStore``)."""

    def create(self, key: str, body: bytes, content_type: str) -> Created: ...
    def get_json(self, key: str) -> Any: ...


@dataclass(frozen=True)
class LabelDelivery:
    """One ``POST /labels``, already reduced to what the flow needs."""

    body: bytes
    content_type: str | None
    signature: str | None
    request_id: str
    received_at: datetime


class LabelInFlight(RuntimeError):
    """A concurrent first write of the same key is in progress (S3's 409 ``ConditionalRequestConflict``): the
    object may not be readable yet, so it is not read; the caller retries and then gets 200 or 409."""


def process(delivery: LabelDelivery, parameters: LabelParameters, ledger: Ledger, store: LabelObjects) -> Reply:
    """The answer to one labels request (``Reply.outcome`` names it for logs and metrics)."""
    refused = refuse_unauthentic(delivery, parameters)
    if refused is not None:
        return refused
    settings = parameters.settings
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
    created = store.create(key, body, LABEL_CONTENT_TYPE)
    if created == "written":
        return Reply(201, _accepted("recorded", label), "recorded")
    if created == "in_flight":
        raise LabelInFlight("a concurrent write of the same label key is in progress")
    stored = store.get_json(key)  # 412: the key exists, so it is readable
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


def _invalid(message: str, field: str, error: str, outcome: str) -> Reply:
    return Reply(400, {"message": message, "errors": [{"field": field, "error": error}]}, outcome)
