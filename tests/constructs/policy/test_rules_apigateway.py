"""Policy rules for API Gateway: each rule's compliant and non-compliant cases."""

from __future__ import annotations

import pytest

from tests.constructs.policy.rule_cases import C, Case, N, judge

pytestmark = pytest.mark.unit

CASES: list[Case] = [
    # FD-APIGW-1
    Case(
        "FD-APIGW-1",
        "api key",
        "aws_api_gateway_method",
        {"http_method": "POST", "authorization": "NONE", "api_key_required": True},
        C,
    ),
    Case(
        "FD-APIGW-1",
        "iam auth",
        "aws_api_gateway_method",
        {"http_method": "POST", "authorization": "AWS_IAM"},
        C,
    ),
    Case("FD-APIGW-1", "open", "aws_api_gateway_method", {"http_method": "POST", "authorization": "NONE"}, N),
    # FD-APIGW-2
    Case(
        "FD-APIGW-2",
        "data trace off",
        "aws_api_gateway_method_settings",
        {"settings": {"metrics_enabled": True, "data_trace_enabled": False}},
        C,
    ),
    Case(
        "FD-APIGW-2",
        "data trace on",
        "aws_api_gateway_method_settings",
        {"settings": {"data_trace_enabled": True}},
        N,
    ),
    Case(
        "FD-APIGW-2",
        "data trace unknown",
        "aws_api_gateway_method_settings",
        {"settings": {"data_trace_enabled": "${var.x}"}},
        N,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
