"""DynamoDB table of fraud patterns: one item per transaction, read by time window without a Scan.

Key design (shared with the image, see ``lambda_image/fraud_detection/keys.py``):

- table key ``pk = TXN#<transaction_id>``: the webhook's conditional put on it is the single
  commit point, so a duplicate delivery can never write twice;
- GSI ``by_window`` (``window_key``, ``event_ts``), projection ALL: ``window_key`` is
  ``W#<5-minute window start>#<shard>``; each window is spread over ``window_shards`` partition
  keys (shard = stable hash of the transaction id) so a busy window does not make one hot
  partition, and the 5-minute batch reads exactly one window with one paginated Query per
  shard, so its read cost is the window's size, not the table's;
- GSIs ``by_customer`` and ``by_card`` (``customer_key``/``card_key``, ``event_ts``), KEYS_ONLY:
  velocity checks only count recent items (``Select=COUNT``), so they project nothing else;
- TTL on ``expires_at``; stream ``NEW_IMAGE`` feeds the audit/alert consumer.

On-demand billing, point-in-time recovery and SSE with the project CMK are always on;
deletion protection comes from the environment's protection preset.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

WINDOW_INDEX = "by_window"
CUSTOMER_INDEX = "by_customer"
CARD_INDEX = "by_card"
TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class PatternTableProps:
    """Props of :class:`PatternTable`."""

    table_name: str
    """Table name, e.g. ``fraud-patterns-dev``."""
    kms_key_arn: str
    """CMK for server-side encryption."""
    deletion_protection: bool = True
    """Refuse ``DeleteTable``. Default: True (dev preset turns it off)."""


class PatternTable(Construct):
    """Exposes ``table`` plus ``name``, ``arn``, ``stream_arn`` and ``index_arn(name)``."""

    def __init__(self, scope: Construct, construct_id: str, *, props: PatternTableProps) -> None:
        super().__init__(scope, construct_id)
        self.table = DynamodbTable(
            self,
            "table",
            name=props.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attribute=[
                DynamodbTableAttribute(name="pk", type="S"),
                DynamodbTableAttribute(name="window_key", type="S"),
                DynamodbTableAttribute(name="customer_key", type="S"),
                DynamodbTableAttribute(name="card_key", type="S"),
                DynamodbTableAttribute(name="event_ts", type="N"),
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=WINDOW_INDEX, hash_key="window_key", range_key="event_ts", projection_type="ALL"
                ),
                DynamodbTableGlobalSecondaryIndex(
                    name=CUSTOMER_INDEX, hash_key="customer_key", range_key="event_ts", projection_type="KEYS_ONLY"
                ),
                DynamodbTableGlobalSecondaryIndex(
                    name=CARD_INDEX, hash_key="card_key", range_key="event_ts", projection_type="KEYS_ONLY"
                ),
            ],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=props.kms_key_arn),
            ttl=DynamodbTableTtl(attribute_name=TTL_ATTRIBUTE, enabled=True),
            stream_enabled=True,
            stream_view_type="NEW_IMAGE",
            deletion_protection_enabled=props.deletion_protection,
        )

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def arn(self) -> str:
        return self.table.arn

    @property
    def stream_arn(self) -> str:
        return self.table.stream_arn

    def index_arn(self, index_name: str) -> str:
        """ARN of one GSI, for IAM statements that allow Query on that index only."""
        if index_name not in (WINDOW_INDEX, CUSTOMER_INDEX, CARD_INDEX):
            raise ValueError(f"unknown index {index_name!r}")
        return f"{self.table.arn}/index/{index_name}"
