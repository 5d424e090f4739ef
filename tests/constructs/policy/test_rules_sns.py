"""Policy rules for SNS: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    Case("FD-SNS-1", "cmk", "aws_sns_topic", {"kms_master_key_id": CMK}, C),
    Case("FD-SNS-1", "none", "aws_sns_topic", {"name": "fraud-alerts-dev"}, N),
    Case("FD-SNS-1", "aws managed alias", "aws_sns_topic", {"kms_master_key_id": "alias/aws/sns"}, N),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
