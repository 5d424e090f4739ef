"""The app's pattern table: the contract's key design (what the image relies on), on the secure construct."""

from __future__ import annotations

import pytest

from fraud_detection import contract
from tests.support.app_helpers import by_path

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def table(synthesized: dict[str, dict]) -> dict:
    return by_path(synthesized["app"], "aws_dynamodb_table", "app/patterns/table")


def test_indexes_match_the_image_key_design(table: dict) -> None:
    window, customer, card = contract.WINDOW_INDEX.name, contract.CUSTOMER_INDEX.name, contract.CARD_INDEX.name
    indexes = {i["name"]: i for i in table["global_secondary_index"]}
    assert set(indexes) == {window, customer, card} == {"by_window", "by_customer", "by_card"}
    assert (indexes[window]["hash_key"], indexes[window]["range_key"]) == ("window_key", "event_ts")
    assert indexes[window]["projection_type"] == "INCLUDE"  # only what the batch reads: entries stay < 1 KB
    assert indexes[window]["non_key_attributes"] == list(contract.WINDOW_ITEM_ATTRIBUTES)
    assert indexes[customer]["projection_type"] == "KEYS_ONLY"
    assert table["hash_key"] == "pk" and "range_key" not in table


def test_every_contract_index_is_created_as_defined(table: dict) -> None:
    created = [
        (i["name"], i["hash_key"], i["range_key"], i["projection_type"], tuple(i.get("non_key_attributes", ())))
        for i in table["global_secondary_index"]
    ]
    assert created == [(i.name, i.hash_key, i.range_key, i.projection, i.non_key_attributes) for i in contract.INDEXES]
    types = {a["name"]: a["type"] for a in table["attribute"]}
    assert types == {"pk": "S", "window_key": "S", "customer_key": "S", "card_key": "S", "event_ts": "N"}


def test_secure_and_durable_settings(table: dict) -> None:
    assert table["name"] == "fraud-patterns-dev"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    assert table["server_side_encryption"]["kms_key_arn"].startswith("${aws_kms_key.app-key")
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_IMAGE")
    assert table["deletion_protection_enabled"] is False  # the dev preset; prod and staging protect it
