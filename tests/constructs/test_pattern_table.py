"""PatternTable: the key design the image relies on, plus PITR, CMK, TTL, stream, protection."""

from __future__ import annotations

import pytest

from fraud_constructs.pattern_table import PatternTable, PatternTableProps
from tests.tfjson import only, synth_scope

pytestmark = pytest.mark.synth

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"


@pytest.fixture(scope="module")
def table() -> dict:
    props = PatternTableProps(table_name="fraud-patterns-unit", kms_key_arn=KEY)
    return only(synth_scope(lambda stack: PatternTable(stack, "patterns", props=props)), "aws_dynamodb_table")


def test_indexes_match_the_image_key_design(table: dict) -> None:
    from fraud_detection import keys

    indexes = {i["name"]: i for i in table["global_secondary_index"]}
    assert set(indexes) == {keys.WINDOW_INDEX, keys.CUSTOMER_INDEX, keys.CARD_INDEX}
    assert (indexes[keys.WINDOW_INDEX]["hash_key"], indexes[keys.WINDOW_INDEX]["range_key"]) == (
        "window_key",
        "event_ts",
    )
    assert indexes[keys.WINDOW_INDEX]["projection_type"] == "ALL"
    assert indexes[keys.CUSTOMER_INDEX]["projection_type"] == "KEYS_ONLY"
    assert table["hash_key"] == "pk" and "range_key" not in table


def test_secure_and_durable_settings(table: dict) -> None:
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": KEY}
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_IMAGE")
    assert table["deletion_protection_enabled"] is True


def test_index_arn_refuses_unknown_index() -> None:
    def build(stack: object) -> None:
        t = PatternTable(stack, "t", props=PatternTableProps(table_name="t", kms_key_arn=KEY))
        assert t.index_arn("by_window").endswith("/index/by_window")
        t.index_arn("by_everything")

    with pytest.raises(ValueError, match="unknown index"):
        synth_scope(build)
