"""Policy rules for resource policies (every service): each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import CMK, NA, PUBLIC_ALLOW, TLS_DENY, C, Case, N, doc, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-RP-1
    Case(
        "FD-RP-1",
        "queue policy by source arn",
        "aws_sqs_queue_policy",
        {
            "policy": doc(
                {
                    **PUBLIC_ALLOW,
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Condition": {"ArnEquals": {"aws:SourceArn": "x"}},
                }
            )
        },
        C,
    ),
    Case(
        "FD-RP-1",
        "public topic policy",
        "aws_sns_topic_policy",
        {"arn": "t", "policy": doc({**PUBLIC_ALLOW, "Action": "sns:Publish"})},
        N,
    ),
    Case(
        "FD-RP-1",
        "tls deny to star is fine",
        "aws_s3_bucket_policy",
        {"bucket": "b", "policy": doc(TLS_DENY)},
        C,
    ),
    Case(
        "FD-RP-1",
        "trust policy to star",
        "aws_iam_role",
        {"assume_role_policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
        N,
    ),
    Case(
        "FD-RP-1",
        "lambda permission with source arn",
        "aws_lambda_permission",
        {"principal": "events.amazonaws.com", "source_arn": "x"},
        C,
    ),
    Case("FD-RP-1", "lambda permission to anyone", "aws_lambda_permission", {"principal": "*"}, N),
    Case("FD-RP-1", "queue without policy", "aws_sqs_queue", {"kms_master_key_id": CMK}, NA),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
