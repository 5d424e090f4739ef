"""Policy rules for IAM: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import DOC_DATA, NA, TABLE_WRITE, XRAY, C, Case, N, doc, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-IAM-1
    Case("FD-IAM-1", "named actions", "aws_iam_role_policy", {"policy": doc(XRAY, TABLE_WRITE)}, C),
    Case("FD-IAM-1", "star action", "aws_iam_role_policy", {"policy": doc({**TABLE_WRITE, "Action": "*"})}, N),
    Case(
        "FD-IAM-1",
        "service star",
        "aws_iam_policy",
        {"policy": doc({**TABLE_WRITE, "Action": ["dynamodb:*"]})},
        N,
    ),
    Case(
        "FD-IAM-1",
        "not action",
        "aws_iam_policy",
        {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        N,
    ),
    Case(
        "FD-IAM-1",
        "deny star is fine",
        "aws_iam_policy",
        {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})},
        C,
    ),
    Case(
        "FD-IAM-1",
        "data doc scoped",
        "aws_iam_role_policy",
        {"policy": "${data.aws_iam_policy_document.scoped.json}"},
        C,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-1",
        "data doc wildcard",
        "aws_iam_role_policy",
        {"policy": "${data.aws_iam_policy_document.wild_action.json}"},
        N,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-1",
        "unreadable jsonencode",
        "aws_iam_role_policy",
        {"policy": "${jsonencode({Statement = []})}"},
        N,
    ),
    Case(
        "FD-IAM-1",
        "role inline policy",
        "aws_iam_role",
        {"inline_policy": [{"name": "x", "policy": doc({**TABLE_WRITE, "Action": "*"})}]},
        N,
    ),
    Case("FD-IAM-1", "role without inline policy", "aws_iam_role", {"assume_role_policy": doc()}, NA),
    # FD-IAM-2
    Case("FD-IAM-2", "xray on star", "aws_iam_role_policy", {"policy": doc(XRAY, TABLE_WRITE)}, C),
    Case(
        "FD-IAM-2",
        "scopable on star",
        "aws_iam_role_policy",
        {"policy": doc({**TABLE_WRITE, "Resource": "*"})},
        N,
    ),
    Case(
        "FD-IAM-2",
        "mixed statement",
        "aws_iam_role_policy",
        {"policy": doc({**XRAY, "Action": ["xray:PutTraceSegments", "s3:GetObject"]})},
        N,
    ),
    Case(
        "FD-IAM-2",
        "data doc star",
        "aws_iam_policy",
        {"policy": "${data.aws_iam_policy_document.star.json}"},
        N,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-2",
        "data doc scoped",
        "aws_iam_policy",
        {"policy": "${data.aws_iam_policy_document.scoped.json}"},
        C,
        data=DOC_DATA,
    ),
    Case(
        "FD-IAM-2",
        "not resource",
        "aws_iam_policy",
        {"policy": doc({**TABLE_WRITE, "Resource": None, "NotResource": "x"})},
        N,
    ),
    # FD-IAM-3
    Case(
        "FD-IAM-3",
        "own policy",
        "aws_iam_role_policy_attachment",
        {"role": "r", "policy_arn": "${aws_iam_policy.p.arn}"},
        C,
    ),
    Case(
        "FD-IAM-3",
        "aws managed",
        "aws_iam_role_policy_attachment",
        {"role": "r", "policy_arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
        N,
    ),
    Case(
        "FD-IAM-3",
        "aws managed via partition token",
        "aws_iam_role",
        {"managed_policy_arns": ["arn:${data.aws_partition.p.partition}:iam::aws:policy/AdministratorAccess"]},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
