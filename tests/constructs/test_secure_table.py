"""SecureTable: the key schema and indexes it is given, plus PITR, CMK, TTL, stream, protection, overrides."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fraud_constructs.secure_table import SecureTable, SecureTableProps
from tests.tfjson import only, synth_scope

pytestmark = pytest.mark.synth

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str
    projection: str


BY_OWNER = Index("by_owner", "owner", "created", "KEYS_ONLY")
BY_STATE = Index("by_state", "state", "created", "ALL")


def generic_props(**changes: object) -> SecureTableProps:
    base: dict[str, object] = {
        "table_name": "orders-unit",
        "kms_key_arn": KEY,
        "partition_key": "id",
        "indexes": (BY_STATE, BY_OWNER),
        "attribute_types": {"created": "N"},
    }
    return SecureTableProps(**(base | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def table() -> dict:
    props = generic_props()
    return only(synth_scope(lambda stack: SecureTable(stack, "orders", props=props)), "aws_dynamodb_table")


def test_keys_and_indexes_are_the_given_ones_in_order(table: dict) -> None:
    assert table["hash_key"] == "id" and "range_key" not in table
    assert [i["name"] for i in table["global_secondary_index"]] == ["by_state", "by_owner"]
    by_owner = table["global_secondary_index"][1]
    assert (by_owner["hash_key"], by_owner["range_key"], by_owner["projection_type"]) == (
        "owner",
        "created",
        "KEYS_ONLY",
    )
    # Table keys first, then each index's hash key, then the range keys, each once; S unless typed.
    assert table["attribute"] == [
        {"name": "id", "type": "S"},
        {"name": "state", "type": "S"},
        {"name": "owner", "type": "S"},
        {"name": "created", "type": "N"},
    ]


def test_secure_and_durable_defaults(table: dict) -> None:
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": KEY}
    assert table["deletion_protection_enabled"] is True
    # Off unless asked for.
    assert "ttl" not in table and "stream_enabled" not in table and "stream_view_type" not in table


def test_ttl_stream_and_overrides_when_asked_for() -> None:
    props = generic_props(ttl_attribute="expires", stream_view_type="NEW_IMAGE", overrides={"table_class": "STANDARD"})
    table = only(synth_scope(lambda stack: SecureTable(stack, "orders", props=props)), "aws_dynamodb_table")
    assert table["ttl"] == {"attribute_name": "expires", "enabled": True}
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_IMAGE")
    assert table["table_class"] == "STANDARD"


@pytest.mark.unit
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"indexes": (Index("x", "a", "b", "INCLUDE"),)}, "projection"),
        ({"indexes": (BY_OWNER, BY_OWNER)}, "unique"),
        ({"stream_view_type": "EVERYTHING"}, "stream_view_type"),
        ({"attribute_types": {"payload": "S"}}, "no key"),
    ],
)
def test_bad_props_are_rejected(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generic_props(**changes)


def test_index_arn_refuses_unknown_index() -> None:
    def build(stack: object) -> None:
        t = SecureTable(stack, "t", props=generic_props())
        assert t.index_arn("by_owner").endswith("/index/by_owner")
        t.index_arn("by_everything")

    with pytest.raises(ValueError, match="unknown index"):
        synth_scope(build)
