"""The pattern table the stacks synthesize is the contract's table, and so is the one the tests run on.

``fraud_detection.contract`` defines the key, the indexes (with their projections) and the TTL
attribute; the stacks build the Terraform table from it and ``tests.support.tables`` builds the moto
table from it. This test holds both to the contract, so an index production creates ``KEYS_ONLY`` (or
``INCLUDE`` with some attributes) cannot be ``ALL`` in the tests (where a query would then see attributes
production never returns).
"""

from __future__ import annotations

import pytest

from fraud_detection import contract
from tests.support.tables import pattern_table_definition
from tests.tfjson import resources

pytestmark = pytest.mark.synth

CONTRACT_INDEXES = [
    {
        "name": index.name,
        "hash_key": index.hash_key,
        "range_key": index.range_key,
        "projection_type": index.projection,
        "non_key_attributes": sorted(index.non_key_attributes),
    }
    for index in contract.INDEXES
]


def test_the_synthesized_table_has_exactly_the_contracts_keys_indexes_and_projections(
    synthesized: dict[str, dict],
) -> None:
    (table,) = resources(synthesized["app"], "aws_dynamodb_table").values()
    assert table["name"] == contract.resource_name(contract.TABLE_BASE, "dev")
    assert table["hash_key"] == contract.PARTITION_KEY
    assert "range_key" not in table
    indexes = [
        {name: index[name] for name in ("name", "hash_key", "range_key", "projection_type")}
        | {"non_key_attributes": sorted(index.get("non_key_attributes", []))}
        for index in table["global_secondary_index"]
    ]
    assert sorted(indexes, key=str) == sorted(CONTRACT_INDEXES, key=str)
    assert table["ttl"] == {"attribute_name": contract.TTL_ATTRIBUTE, "enabled": True}
    assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_IMAGE")

    # the moto table of the tests is the same table
    moto = pattern_table_definition(table["name"])
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in moto["AttributeDefinitions"]
    }
    assert moto["KeySchema"] == [{"AttributeName": table["hash_key"], "KeyType": "HASH"}]
    assert sorted(
        (
            {
                "name": index["IndexName"],
                "hash_key": index["KeySchema"][0]["AttributeName"],
                "range_key": index["KeySchema"][1]["AttributeName"],
                "projection_type": index["Projection"]["ProjectionType"],
                "non_key_attributes": sorted(index["Projection"].get("NonKeyAttributes", [])),
            }
            for index in moto["GlobalSecondaryIndexes"]
        ),
        key=str,
    ) == sorted(indexes, key=str)
