"""Policy rules for SQS: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-SQS-1 / FD-SNS-1 / FD-LOG-1 / FD-SSM-1
    Case("FD-SQS-1", "cmk", "aws_sqs_queue", {"kms_master_key_id": CMK}, C),
    Case("FD-SQS-1", "sqs managed", "aws_sqs_queue", {"sqs_managed_sse_enabled": True}, N),
    Case("FD-SQS-1", "aws managed alias", "aws_sqs_queue", {"kms_master_key_id": "alias/aws/sqs"}, N),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
