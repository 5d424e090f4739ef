"""Helpers for the labels tests: the captured ``POST /labels`` event, signed with the label key set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fraud_detection import contract
from fraud_detection.adapters.audited_ledger import AuditedEntry
from tests.runtime.webhook.webhook_support import FIXED_NOW, WebhookClient
from tests.support.aws import moto_client
from tests.support.events import event_body
from tests.support.moto_stack import ENVIRONMENT, NAMES
from tests.support.outputs import bucket_objects

LABEL_SECRET = "test-label-signing-secret-0123456789abcdef"
SECOND_LABEL_SECRET = "test-label-signing-secret-fedcba9876543210"
LABELS_API_KEY_ID = "lbl0key123"  # the captured event's requestContext.identity.apiKeyId
SENDER_API_KEY_ID = "snd0key456"
LABEL_KEYS_PARAMETER = contract.label_signing_keys_parameter_name(ENVIRONMENT)
EVENT = "labels_post.json"
REQUEST_ID = "4d1f7b2e-8c3a-11f1-b7a2-5e0a1b2c3d4e"  # the captured event's requestContext.requestId

TRANSACTION_ID = "txn-20261122-000123"
RECEIVED_AT = "2026-11-22T10:07:30.000Z"  # as the webhook stores it (FIXED_NOW)
AUDIT_KEY = "audit/dt=2026-11-22/hour=10/1-2.jsonl.gz"
LABELLED_AT = FIXED_NOW + timedelta(days=120)
"""When most tests post: a chargeback four months later, long after the pattern item could be gone."""


def base_label(**overrides: Any) -> dict[str, Any]:
    """The captured event's label (``None`` deletes a key)."""
    return event_body(EVENT, **overrides)


def ledger(transaction_id: str = TRANSACTION_ID, received_at: str = RECEIVED_AT, audit_key: str = AUDIT_KEY) -> None:
    """The ledger item the stream consumer writes once the transaction is in an audit object."""
    item = AuditedEntry(transaction_id, received_at, audit_key).to_item()
    moto_client("dynamodb").put_item(TableName=NAMES.table, Item=item)


def label_objects() -> dict[str, dict[str, Any]]:
    """Key -> parsed label object under ``labels/``."""
    return {key: json.loads(body) for key, body in bucket_objects(NAMES.bucket, contract.LABELS_PREFIX).items()}


@dataclass
class LabelsClient(WebhookClient):
    """The labels handler of a fresh container (``now`` its receive-time clock), signing with the label keys."""

    api_key_id: str | None = LABELS_API_KEY_ID

    def event(  # type: ignore[override]
        self,
        body: bytes | str | dict[str, Any],
        *,
        timestamp: int | None = None,
        api_key_id: str | None = "default",
        template: str = EVENT,
        **options: Any,
    ) -> dict[str, Any]:
        stamp = int(self.now.timestamp()) if timestamp is None else timestamp
        event = super().event(body, timestamp=stamp, template=template, **options)
        identity = event["requestContext"]["identity"]
        key_id = self.api_key_id if api_key_id == "default" else api_key_id
        if key_id is None:
            identity.pop("apiKeyId", None)
        else:
            identity["apiKeyId"] = key_id
        return event


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
