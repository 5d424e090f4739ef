"""Policy rules for Lambda: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import (
    DNS_SUFFIX,
    EVENT_TARGET,
    IMAGE_FN,
    NA,
    ON_FAILURE,
    C,
    Case,
    N,
    judge,
    permission,
)

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-LMB-1
    Case("FD-LMB-1", "active", "aws_lambda_function", {"tracing_config": {"mode": "Active"}}, C),
    Case("FD-LMB-1", "passthrough", "aws_lambda_function", {"tracing_config": {"mode": "PassThrough"}}, N),
    Case("FD-LMB-1", "absent", "aws_lambda_function", {}, N),
    # FD-LMB-2
    Case("FD-LMB-2", "digest token", "aws_lambda_function", IMAGE_FN, C),
    Case(
        "FD-LMB-2",
        "literal digest",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud@sha256:" + "a" * 64},
        C,
    ),
    Case(
        "FD-LMB-2",
        "ecr image data uri",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "${data.aws_ecr_image.app.image_uri}"},
        C,
    ),
    Case(
        "FD-LMB-2",
        "tag",
        "aws_lambda_function",
        {**IMAGE_FN, "image_uri": "${aws_ecr_repository.repo.repository_url}:v1"},
        N,
    ),
    Case("FD-LMB-2", "tag token", "aws_lambda_function", {**IMAGE_FN, "image_uri": "repo:${var.image_tag}"}, N),
    Case("FD-LMB-2", "zip function", "aws_lambda_function", {"filename": "f.zip"}, NA),
    # FD-LMB-3
    Case(
        "FD-LMB-3",
        "eventbridge target with on-failure",
        "aws_lambda_function",
        IMAGE_FN,
        C,
        {
            "aws_cloudwatch_event_target": {"t": EVENT_TARGET},
            "aws_lambda_function_event_invoke_config": {"i": ON_FAILURE},
        },
    ),
    Case(
        "FD-LMB-3",
        "eventbridge target without",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {"aws_cloudwatch_event_target": {"t": EVENT_TARGET}},
    ),
    Case(
        "FD-LMB-3",
        "invoke config without destination",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {
            "aws_cloudwatch_event_target": {"t": EVENT_TARGET},
            "aws_lambda_function_event_invoke_config": {
                "i": {**ON_FAILURE, "destination_config": {"on_success": {"destination": "x"}}}
            },
        },
    ),
    Case(
        "FD-LMB-3",
        "sns permission makes it async",
        "aws_lambda_function",
        IMAGE_FN,
        N,
        {
            "aws_lambda_permission": {
                "p": {
                    "function_name": "${aws_lambda_function.subject.function_name}",
                    "principal": "sns.amazonaws.com",
                }
            }
        },
    ),
    *(
        Case(
            "FD-LMB-3",
            f"{service} permission in the partition-token form makes it async",
            "aws_lambda_function",
            IMAGE_FN,
            N,
            {"aws_lambda_permission": {"p": permission(f"{service}.{DNS_SUFFIX}")}},
        )
        for service in ("events", "sns", "s3")
    ),
    Case(
        "FD-LMB-3",
        "partition-token eventbridge permission with on-failure",
        "aws_lambda_function",
        IMAGE_FN,
        C,
        {
            "aws_lambda_permission": {"p": permission(f"events.{DNS_SUFFIX}")},
            "aws_lambda_function_event_invoke_config": {"i": ON_FAILURE},
        },
    ),
    Case(
        "FD-LMB-3",
        "partition-token api gateway permission only (sync)",
        "aws_lambda_function",
        IMAGE_FN,
        NA,
        {"aws_lambda_permission": {"p": permission(f"apigateway.{DNS_SUFFIX}")}},
    ),
    Case(
        "FD-LMB-3",
        "api gateway only (sync)",
        "aws_lambda_function",
        IMAGE_FN,
        NA,
        {
            "aws_lambda_permission": {
                "p": {
                    "function_name": "${aws_lambda_function.subject.function_name}",
                    "principal": "apigateway.amazonaws.com",
                }
            }
        },
    ),
    # FD-LMB-4
    Case(
        "FD-LMB-4",
        "on the alias",
        "aws_lambda_provisioned_concurrency_config",
        {"qualifier": "${aws_lambda_alias.live.name}", "provisioned_concurrent_executions": 5},
        C,
    ),
    Case("FD-LMB-4", "on a version", "aws_lambda_provisioned_concurrency_config", {"qualifier": "3"}, C),
    Case("FD-LMB-4", "on $LATEST", "aws_lambda_provisioned_concurrency_config", {"qualifier": "$LATEST"}, N),
    Case("FD-LMB-4", "no qualifier", "aws_lambda_provisioned_concurrency_config", {}, N),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
