"""Policy rules for DynamoDB: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-DDB-1
    Case(
        "FD-DDB-1",
        "cmk",
        "aws_dynamodb_table",
        {"server_side_encryption": {"enabled": True, "kms_key_arn": CMK}},
        C,
    ),
    Case("FD-DDB-1", "no sse block", "aws_dynamodb_table", {"name": "t"}, N),
    Case("FD-DDB-1", "aws managed key", "aws_dynamodb_table", {"server_side_encryption": {"enabled": True}}, N),
    # FD-DDB-2
    Case("FD-DDB-2", "pitr on", "aws_dynamodb_table", {"point_in_time_recovery": {"enabled": True}}, C),
    Case("FD-DDB-2", "pitr off", "aws_dynamodb_table", {"point_in_time_recovery": {"enabled": False}}, N),
    Case("FD-DDB-2", "pitr absent", "aws_dynamodb_table", {}, N),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
