"""Policy rules for CloudWatch Logs: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    Case("FD-LOG-1", "cmk", "aws_cloudwatch_log_group", {"kms_key_id": CMK, "retention_in_days": 30}, C),
    Case("FD-LOG-1", "none", "aws_cloudwatch_log_group", {"retention_in_days": 30}, N),
    # FD-LOG-2
    Case("FD-LOG-2", "30 days", "aws_cloudwatch_log_group", {"retention_in_days": 30}, C),
    Case("FD-LOG-2", "from variable", "aws_cloudwatch_log_group", {"retention_in_days": "${var.retention}"}, C),
    Case("FD-LOG-2", "absent", "aws_cloudwatch_log_group", {"kms_key_id": CMK}, N),
    Case("FD-LOG-2", "zero is forever", "aws_cloudwatch_log_group", {"retention_in_days": 0}, N),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
