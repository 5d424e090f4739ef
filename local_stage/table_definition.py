"""The pattern table's ``CreateTable`` arguments, from the runtime contract, for emulators (moto in the
tests and the bench): the same facts the stacks build the Terraform table from (``PARTITION_KEY``,
``INDEXES`` with their projections, ``EVENT_TIME_ATTRIBUTE``, ``STREAM_VIEW_TYPE``), so an index that
production creates ``KEYS_ONLY`` is ``KEYS_ONLY`` there too and ``by_window`` holds only its ``INCLUDE``
attributes. No boto3 or test imports.
"""

from __future__ import annotations

from typing import Any

from fraud_detection import contract


def projection(index: contract.IndexSpec) -> dict[str, Any]:
    """The ``Projection`` of one index as ``CreateTable`` takes it."""
    if index.non_key_attributes:
        return {"ProjectionType": index.projection, "NonKeyAttributes": list(index.non_key_attributes)}
    return {"ProjectionType": index.projection}


def pattern_table_definition(table_name: str, *, stream: bool = True) -> dict[str, Any]:
    """``CreateTable`` arguments: on-demand, hash key ``pk``, the contract's GSIs, NEW_IMAGE stream."""
    attributes = {contract.PARTITION_KEY: "S"}
    for index in contract.INDEXES:
        attributes |= {index.hash_key: "S", index.range_key: "N"}
    definition: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": contract.PARTITION_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.hash_key, "KeyType": "HASH"},
                    {"AttributeName": index.range_key, "KeyType": "RANGE"},
                ],
                "Projection": projection(index),
            }
            for index in contract.INDEXES
        ],
    }
    if stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": contract.STREAM_VIEW_TYPE}
    return definition
