"""Policy rules for AWS WAF: each rule's compliant and non-compliant cases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.constructs.policy.rule_cases import NA, C, Case, N, judge

pytestmark = pytest.mark.unit

LOG_GROUP = "${aws_cloudwatch_log_group.waf.arn}"
ACL = "${aws_wafv2_web_acl.subject.arn}"


def logging(*headers: str) -> dict[str, Any]:
    return {
        "resource_arn": ACL,
        "log_destination_configs": [LOG_GROUP],
        "redacted_fields": [{"single_header": {"name": h}} for h in headers],
    }


def size_rule(oversize: str | None = "MATCH", action: str = "block") -> dict[str, Any]:
    body: dict[str, Any] = {} if oversize is None else {"oversize_handling": oversize}
    return {
        "name": "body-size",
        "priority": 0,
        "action": {action: {}},
        "statement": {
            "size_constraint_statement": {
                "comparison_operator": "GT",
                "size": 65536,
                "field_to_match": {"body": body},
                "text_transformation": [{"priority": 0, "type": "NONE"}],
            }
        },
    }


MANAGED = {
    "name": "crs",
    "priority": 1,
    "override_action": {"none": {}},
    "statement": {"managed_rule_group_statement": {"name": "AWSManagedRulesCommonRuleSet", "vendor_name": "AWS"}},
}


def acl(limit: str | None = "KB_64", *rules: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {"name": "orders", "scope": "REGIONAL", "rule": list(rules)}
    if limit is not None:
        config["association_config"] = {"request_body": [{"api_gateway": {"default_size_inspection_limit": limit}}]}
    return config


STAGE_ASSOCIATION = {
    "aws_wafv2_web_acl_association": {
        "a": {"web_acl_arn": ACL, "resource_arn": "${aws_api_gateway_stage.stage.arn}"},
    },
    "aws_api_gateway_stage": {"stage": {"stage_name": "v1"}},
}
NESTED_BODY_MATCH = {
    "name": "no-scripts",
    "priority": 2,
    "action": {"block": {}},
    "statement": {
        "not_statement": {
            "statement": [
                {
                    "byte_match_statement": {
                        "positional_constraint": "CONTAINS",
                        "search_string": "<script",
                        "field_to_match": {"body": {}},
                        "text_transformation": [{"priority": 0, "type": "NONE"}],
                    }
                }
            ]
        }
    },
}

CASES: list[Case] = [
    # FD-WAF-1
    Case(
        "FD-WAF-1",
        "api key and signature",
        "aws_wafv2_web_acl_logging_configuration",
        logging("x-fraud-signature", "x-api-key"),
        C,
    ),
    Case(
        "FD-WAF-1",
        "api key and authorization",
        "aws_wafv2_web_acl_logging_configuration",
        logging("authorization", "x-api-key"),
        C,
    ),
    Case("FD-WAF-1", "no redaction", "aws_wafv2_web_acl_logging_configuration", logging(), N),
    Case("FD-WAF-1", "api key only", "aws_wafv2_web_acl_logging_configuration", logging("x-api-key"), N),
    Case("FD-WAF-1", "signature only", "aws_wafv2_web_acl_logging_configuration", logging("x-fraud-signature"), N),
    Case(
        "FD-WAF-1",
        "name unknown at synth",
        "aws_wafv2_web_acl_logging_configuration",
        logging("x-api-key", "${var.h}"),
        N,
    ),
    # FD-WAF-2
    Case("FD-WAF-2", "64 KB and oversize blocked", "aws_wafv2_web_acl", acl("KB_64", size_rule(), MANAGED), C),
    Case("FD-WAF-2", "on a stage, 64 KB", "aws_wafv2_web_acl", acl("KB_64", size_rule()), C, others=STAGE_ASSOCIATION),
    Case("FD-WAF-2", "default 16 KB", "aws_wafv2_web_acl", acl("KB_16", size_rule(), MANAGED), N),
    Case(
        "FD-WAF-2",
        "on a stage, limit not raised",
        "aws_wafv2_web_acl",
        acl(None, size_rule()),
        N,
        others=STAGE_ASSOCIATION,
    ),
    Case("FD-WAF-2", "no size rule", "aws_wafv2_web_acl", acl("KB_64", MANAGED), N),
    Case("FD-WAF-2", "oversize continues", "aws_wafv2_web_acl", acl("KB_64", size_rule("CONTINUE")), N),
    Case("FD-WAF-2", "size rule only counts", "aws_wafv2_web_acl", acl("KB_64", size_rule(action="count")), N),
    Case(
        "FD-WAF-2",
        "nested body rule without oversize",
        "aws_wafv2_web_acl",
        acl("KB_64", size_rule(), NESTED_BODY_MATCH),
        N,
    ),
    Case("FD-WAF-2", "not in front of API Gateway", "aws_wafv2_web_acl", acl(None, MANAGED), NA),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_id}:{c.label}")
def test_rule_verdict(case: Case) -> None:
    assert judge(case) is case.expected
