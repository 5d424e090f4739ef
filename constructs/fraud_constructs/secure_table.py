"""DynamoDB table, secure and durable by default, with the key schema and indexes the caller passes.

The construct knows no application schema: the caller gives the partition (and optional sort)
key, the global secondary indexes (anything with ``name``, ``hash_key``, ``range_key`` and
``projection``, plus ``non_key_attributes`` for an ``INCLUDE`` projection, e.g. an application
contract's index definitions) and the TTL attribute. The
table's attribute definitions are derived from them: the partition key, the sort key, then every
index's hash key, then every index's range key (in index order), each once; types default to ``S`` unless
``attribute_types`` says otherwise.

Always on: on-demand billing, point-in-time recovery, SSE with the caller's CMK. Deletion
protection defaults to on. A stream is off unless ``stream_view_type`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

from fraud_constructs.overrides import apply_overrides

PROJECTIONS = ("ALL", "KEYS_ONLY", "INCLUDE")
STREAM_VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
# Amazon DynamoDB Developer Guide, "Service, account, and table quotas" (Secondary indexes): at most 100
# user-specified projected attributes summed over all of a table's secondary indexes (an attribute
# projected into two indexes counts twice); the API's Projection.NonKeyAttributes takes 1-20 per index.
MAX_PROJECTED_ATTRIBUTES = 100
MAX_NON_KEY_ATTRIBUTES_PER_INDEX = 20


class IndexDefinition(Protocol):
    """A global secondary index: its keys and its projection (``ALL``, ``KEYS_ONLY`` or ``INCLUDE``).

    ``non_key_attributes`` (optional; only with ``INCLUDE``) names the attributes copied into the index
    besides the keys."""

    @property
    def name(self) -> str: ...
    @property
    def hash_key(self) -> str: ...
    @property
    def range_key(self) -> str: ...
    @property
    def projection(self) -> str: ...


def non_key_attributes(index: IndexDefinition) -> tuple[str, ...]:
    """The index's ``non_key_attributes``, or none when the definition has no such field."""
    return tuple(getattr(index, "non_key_attributes", ()) or ())


@dataclass(frozen=True)
class SecureTableProps:
    """Props of :class:`SecureTable`."""

    table_name: str
    """Table name."""
    kms_key_arn: str
    """CMK for server-side encryption."""
    partition_key: str
    """Name of the table's hash key."""
    sort_key: str | None = None
    """Name of the table's range key. Default: None (hash key only)."""
    indexes: Sequence[IndexDefinition] = ()
    """Global secondary indexes, in this order. Default: none."""
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    """``S``, ``N`` or ``B`` per key attribute. Default: ``S`` for every key not listed."""
    ttl_attribute: str | None = None
    """Epoch-seconds attribute DynamoDB expires items by. Default: None (no TTL)."""
    stream_view_type: str | None = None
    """``NEW_IMAGE``, ``OLD_IMAGE``, ``NEW_AND_OLD_IMAGES`` or ``KEYS_ONLY``. Default: None (no stream)."""
    deletion_protection: bool = True
    """Refuse ``DeleteTable``. Default: True."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the table. Default: none."""

    def __post_init__(self) -> None:
        for index in self.indexes:
            self._check_projection(index)
        projected = sum(len(non_key_attributes(index)) for index in self.indexes)
        if projected > MAX_PROJECTED_ATTRIBUTES:
            raise ValueError(
                f"{self.table_name}: the indexes project {projected} non-key attributes; DynamoDB allows "
                f"{MAX_PROJECTED_ATTRIBUTES} per table"
            )
        if len({index.name for index in self.indexes}) != len(self.indexes):
            raise ValueError(f"{self.table_name}: index names must be unique")
        if self.stream_view_type is not None and self.stream_view_type not in STREAM_VIEW_TYPES:
            raise ValueError(f"{self.table_name}: stream_view_type must be one of {STREAM_VIEW_TYPES}")
        unknown = set(self.attribute_types) - set(self.key_attributes)
        if unknown:
            raise ValueError(f"{self.table_name}: attribute_types names attributes that are no key: {sorted(unknown)}")

    def _check_projection(self, index: IndexDefinition) -> None:
        where = f"{self.table_name}: index {index.name}"
        if index.projection not in PROJECTIONS:
            raise ValueError(f"{where} projection must be one of {PROJECTIONS}")
        extra = non_key_attributes(index)
        if (index.projection == "INCLUDE") != bool(extra):
            raise ValueError(f"{where}: projection INCLUDE needs non_key_attributes, and only INCLUDE takes them")
        if len(extra) > MAX_NON_KEY_ATTRIBUTES_PER_INDEX or len(set(extra)) != len(extra):
            raise ValueError(f"{where}: non_key_attributes must be 1-{MAX_NON_KEY_ATTRIBUTES_PER_INDEX} distinct names")
        keys = set(extra) & set(self.key_attributes)
        if keys:
            raise ValueError(f"{where}: non_key_attributes names key attributes (always projected): {sorted(keys)}")

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """Every attribute some key uses, each once: table keys first, then the indexes' keys in order."""
        names = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        names += [index.hash_key for index in self.indexes] + [index.range_key for index in self.indexes]
        return tuple(dict.fromkeys(names))


class SecureTable(Construct):
    """Exposes ``table`` plus ``name``, ``arn``, ``stream_arn`` and ``index_arn(name)``."""

    def __init__(self, scope: Construct, construct_id: str, *, props: SecureTableProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.table = DynamodbTable(
            self,
            "table",
            name=props.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=props.partition_key,
            range_key=props.sort_key,
            attribute=[
                DynamodbTableAttribute(name=name, type=props.attribute_types.get(name, "S"))
                for name in props.key_attributes
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=index.name,
                    hash_key=index.hash_key,
                    range_key=index.range_key,
                    projection_type=index.projection,
                    non_key_attributes=list(non_key_attributes(index)) or None,
                )
                for index in props.indexes
            ]
            or None,
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=props.kms_key_arn),
            ttl=DynamodbTableTtl(attribute_name=props.ttl_attribute, enabled=True) if props.ttl_attribute else None,
            stream_enabled=True if props.stream_view_type else None,
            stream_view_type=props.stream_view_type,
            deletion_protection_enabled=props.deletion_protection,
        )
        apply_overrides(self.table, props.overrides)

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
        if index_name not in {index.name for index in self.props.indexes}:
            raise ValueError(f"unknown index {index_name!r}")
        return f"{self.table.arn}/index/{index_name}"
