"""Policy rules for SSM: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, NA, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    Case("FD-SSM-1", "cmk", "aws_ssm_parameter", {"type": "SecureString", "key_id": CMK}, C),
    Case("FD-SSM-1", "default key", "aws_ssm_parameter", {"type": "SecureString"}, N),
    Case("FD-SSM-1", "plain string", "aws_ssm_parameter", {"type": "String"}, NA),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
