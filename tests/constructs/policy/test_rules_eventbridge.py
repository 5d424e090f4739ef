"""Policy rules for EventBridge: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import EVENT_TARGET, C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-EVB-1
    Case(
        "FD-EVB-1",
        "retry and dlq",
        "aws_cloudwatch_event_target",
        {
            **EVENT_TARGET,
            "retry_policy": {"maximum_retry_attempts": 4, "maximum_event_age_in_seconds": 3600},
            "dead_letter_config": {"arn": "${aws_sqs_queue.dlq.arn}"},
        },
        C,
    ),
    Case(
        "FD-EVB-1",
        "no dlq",
        "aws_cloudwatch_event_target",
        {**EVENT_TARGET, "retry_policy": {"maximum_retry_attempts": 4}},
        N,
    ),
    Case(
        "FD-EVB-1",
        "no retry",
        "aws_cloudwatch_event_target",
        {**EVENT_TARGET, "dead_letter_config": {"arn": "x"}},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
