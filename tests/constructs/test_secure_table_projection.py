"""SecureTable's INCLUDE projections: emitted as given, and rejected where DynamoDB would reject them.

DynamoDB allows 1-20 ``NonKeyAttributes`` per index (API reference, ``Projection``) and at most 100 projected
attributes over all of a table's secondary indexes (Amazon DynamoDB Developer Guide, "Service, account, and
table quotas"; an attribute projected into two indexes counts twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fraud_constructs.secure_table import MAX_PROJECTED_ATTRIBUTES, SecureTable, SecureTableProps
from tests.tfjson import only, synth_scope

pytestmark = pytest.mark.unit

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str
    projection: str
    non_key_attributes: tuple[str, ...] = ()


BY_STATE = Index("by_state", "state", "created", "INCLUDE", ("total", "owner_name"))
BY_OWNER = Index("by_owner", "owner", "created", "KEYS_ONLY")


def props(*indexes: object) -> SecureTableProps:
    return SecureTableProps(
        table_name="orders-unit", kms_key_arn=KEY, partition_key="id", indexes=indexes, attribute_types={"created": "N"}
    )


def attributes(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{number}" for number in range(count))


@pytest.mark.synth
def test_include_is_emitted_with_its_attributes_and_other_projections_without() -> None:
    table = only(
        synth_scope(lambda stack: SecureTable(stack, "orders", props=props(BY_STATE, BY_OWNER))), "aws_dynamodb_table"
    )
    by_state, by_owner = table["global_secondary_index"]
    assert (by_state["projection_type"], by_state["non_key_attributes"]) == ("INCLUDE", ["total", "owner_name"])
    assert by_owner["projection_type"] == "KEYS_ONLY" and "non_key_attributes" not in by_owner


def test_an_index_definition_without_the_field_is_keys_only_or_all_as_before() -> None:
    @dataclass(frozen=True)
    class Plain:
        name: str
        hash_key: str
        range_key: str
        projection: str

    assert props(Plain("by_state", "state", "created", "ALL")).indexes[0].projection == "ALL"


@pytest.mark.parametrize(
    "index, message",
    [
        (Index("x", "a", "created", "INCLUDE"), "INCLUDE needs non_key_attributes"),
        (Index("x", "a", "created", "KEYS_ONLY", ("total",)), "only INCLUDE takes them"),
        (Index("x", "a", "created", "ALL", ("total",)), "only INCLUDE takes them"),
        (Index("x", "a", "created", "INCLUDE", ("total", "total")), "distinct"),
        (Index("x", "a", "created", "INCLUDE", attributes("n", 21)), "1-20"),
        (Index("x", "a", "created", "INCLUDE", ("total", "created")), "key attributes"),
        (Index("x", "a", "created", "INCLUDE", ("id",)), "key attributes"),
    ],
)
def test_bad_projections_are_rejected(index: Index, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        props(index)


def test_at_most_100_projected_attributes_over_all_indexes() -> None:
    full = [Index(f"i{n}", f"k{n}", "created", "INCLUDE", attributes(f"a{n}_", 20)) for n in range(5)]
    assert sum(len(index.non_key_attributes) for index in full) == MAX_PROJECTED_ATTRIBUTES
    props(*full)
    # the same attribute projected into two indexes counts twice
    with pytest.raises(ValueError, match="project 101 non-key attributes"):
        props(*full, Index("i5", "k5", "created", "INCLUDE", ("a0_0",)))
