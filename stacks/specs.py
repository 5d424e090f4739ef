"""The app-specific schema and specs the generic constructs are given (facts from ``fraud_detection.contract``).

``fraud_constructs`` knows no application: the pattern table's key schema and indexes, the webhook's
request schema and the settings parameter's history are decided here, from the contract the image
shares.
"""

from __future__ import annotations

import json

import msgspec

from fraud_constructs.secure_table import SecureTableProps
from fraud_detection import contract
from fraud_detection.contract import (
    CARD_INDEX,
    CUSTOMER_INDEX,
    EVENT_TIME_ATTRIBUTE,
    INDEXES,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
    WINDOW_INDEX,
)
from fraud_detection.labels import LabelIn

# The pattern table's indexes in the order their throttling alarms are listed (velocity first).
ALARMED_INDEXES = (CUSTOMER_INDEX, CARD_INDEX, WINDOW_INDEX)
# Stream view the audit/alert consumer reads.
PATTERN_STREAM_VIEW = contract.STREAM_VIEW_TYPE


def pattern_table_props(table_name: str, kms_key_arn: str, *, deletion_protection: bool) -> SecureTableProps:
    """The pattern table (docs/contract.md, "Pattern table"): one item per transaction under
    ``pk = TXN#<transaction_id>`` (the webhook's conditional put on it is the single commit point);
    ``by_window`` (INCLUDE: only the attributes the batch reads, ``WINDOW_ITEM_ATTRIBUTES``, so an index
    entry stays under 1 KB as items grow) is read by the batch one window shard at a time, never by a Scan;
    ``by_customer``/``by_card`` (KEYS_ONLY) only count recent items for velocity; TTL on
    ``expires_at``; the ``NEW_IMAGE`` stream feeds the audit/alert consumer."""
    return SecureTableProps(
        table_name=table_name,
        kms_key_arn=kms_key_arn,
        partition_key=PARTITION_KEY,
        indexes=INDEXES,
        attribute_types={EVENT_TIME_ATTRIBUTE: "N"},
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view_type=PATTERN_STREAM_VIEW,
        deletion_protection=deletion_protection,
    )


# Coarse on purpose: the function validates fields precisely; this stops junk before it costs a run.
# Its title names the API Gateway model.
WEBHOOK_REQUEST_SCHEMA: str = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "WebhookTransaction",
        "type": "object",
        "required": ["transaction_id"],
        "minProperties": 1,
        "maxProperties": 40,
        "properties": {
            "transaction_id": {"type": "string", "minLength": 1, "maxLength": 128},
            "amount": {"type": ["number", "string"]},
            "currency": {"type": "string", "maxLength": 8},
            "merchant": {"type": "string", "maxLength": 256},
            "country": {"type": "string", "maxLength": 8},
            "customer_id": {"type": "string", "maxLength": 128},
        },
    },
    sort_keys=True,
)

# The labels route's model, coarse like the webhook's: the function checks values (label and source from the
# contract, occurred_at an instant) and answers 400 naming the field.
LABELS_REQUEST_SCHEMA: str = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "LabelRequest",
        "type": "object",
        # The fields the function's model requires (all four), in its order: written once, in LabelIn.
        "required": [f.name for f in msgspec.structs.fields(LabelIn) if f.required],
        "maxProperties": 16,
        "properties": {
            "transaction_id": {"type": "string", "minLength": 1, "maxLength": 128},
            "label": {"type": "string", "maxLength": 32},
            "source": {"type": "string", "maxLength": 32},
            "occurred_at": {"type": "string", "maxLength": 64},
        },
    },
    sort_keys=True,
)

# Construct ids of the two secret parameters when they were Terraform resources (releases before the
# rotation command owned them): they name the state addresses the ``removed`` blocks forget.
RETIRED_SECRET_IDS = ("signing-keys", "fingerprint-key")
SETTINGS_DESCRIPTION = "Risk settings JSON (docs/contract.md); every key optional"
SHADOW_SETTINGS_DESCRIPTION = "Shadow risk settings JSON (docs/backtest.md); the stream consumer decides under it too"
