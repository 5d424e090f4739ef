"""service_trust_document: exactly the conditions the caller documents, none by default."""

from __future__ import annotations

import pytest

from fraud_constructs.iam_statements import condition, service_trust_document
from tests.tfjson import data_sources, synth_scope

pytestmark = pytest.mark.synth


def _trust(conditions: tuple = ()) -> dict:
    doc = synth_scope(lambda s: service_trust_document(s, "trust", "lambda", s.aws, conditions=conditions))
    ((statement,),) = [d["statement"] for d in data_sources(doc, "aws_iam_policy_document").values()]
    return statement


def test_no_condition_unless_documented() -> None:
    statement = _trust()
    assert statement["actions"] == ["sts:AssumeRole"]
    ((principal,),) = [p["identifiers"] for p in statement["principals"] if p["type"] == "Service"]
    assert principal.startswith("lambda.${data.aws_partition.") and principal.endswith(".dns_suffix}")
    assert "condition" not in statement


def test_documented_conditions_are_passed_through() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fraud-*-dev"
    statement = _trust((condition("ArnLike", "aws:SourceArn", [arn]),))
    assert statement["condition"] == [{"test": "ArnLike", "variable": "aws:SourceArn", "values": [arn]}]
