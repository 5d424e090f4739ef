"""WebAcl: rule order and statements, body inspection, allow-list, logging, log delivery policy, props checks."""

from __future__ import annotations

from typing import Any

import pytest

from fraud_constructs.policy import RULES_BY_ID, StackView, Verdict
from fraud_constructs.web_acl import (
    ANONYMOUS_IP_LIST,
    COMMON_RULE_SET,
    KNOWN_BAD_INPUTS_RULE_SET,
    ManagedRuleGroup,
    RuleActionOverride,
    WebAcl,
    WebAclProps,
)
from tests.tfjson import data_sources, only, resources, synth_scope

pytestmark = pytest.mark.synth

STAGE_ARN = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/v1"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OVERRIDE = RuleActionOverride(
    "SizeRestrictions_BODY", "Valid order bodies reach 64 KB; the body-size rule enforces that."
)
BASE = WebAclProps(
    name="orders-unit", resource_arn=STAGE_ARN, kms_key_arn=KEY_ARN, rate_limit=3000, max_body_bytes=65536
)
FULL = WebAclProps(
    name="orders-full",
    resource_arn=STAGE_ARN,
    kms_key_arn=KEY_ARN,
    rate_limit=30000,
    max_body_bytes=65536,
    managed_rule_groups=(
        ManagedRuleGroup(COMMON_RULE_SET, overrides=(OVERRIDE,)),
        ManagedRuleGroup(KNOWN_BAD_INPUTS_RULE_SET),
    ),
    allowed_cidrs=("203.0.113.0/24", "2001:db8::/32", "198.51.100.0/24"),
    redacted_headers=("x-order-signature", "x-api-key"),
    log_retention_days=365,
    logged_actions=("BLOCK", "EXCLUDED_AS_COUNT"),
    overrides={"tags": {"team": "payments"}},
)


def synth(props: WebAclProps) -> dict:
    return synth_scope(lambda stack: WebAcl(stack, "waf", aws=stack.aws, props=props))


@pytest.fixture(scope="module")
def base() -> dict:
    return synth(BASE)


@pytest.fixture(scope="module")
def full() -> dict:
    return synth(FULL)


def rules(doc: dict) -> dict[str, dict[str, Any]]:
    found = only(doc, "aws_wafv2_web_acl")["rule"]
    assert [r["priority"] for r in found] == list(range(len(found)))
    return {r["name"]: r for r in found}


def ref(doc: dict, resource_type: str, attribute: str) -> str:
    (name,) = resources(doc, resource_type)
    return f"${{{resource_type}.{name}.{attribute}}}"


def test_rules_in_order_without_an_allow_list(base: dict) -> None:
    assert list(rules(base)) == [
        "body-size",
        "rate-per-ip",
        ANONYMOUS_IP_LIST,
        COMMON_RULE_SET,
        KNOWN_BAD_INPUTS_RULE_SET,
    ]
    assert "aws_wafv2_ip_set" not in base["resource"]
    acl = only(base, "aws_wafv2_web_acl")
    assert (acl["name"], acl["scope"], acl["default_action"]) == ("orders-unit", "REGIONAL", {"allow": {}})


def test_body_inspection_is_raised_and_oversize_bodies_are_blocked(base: dict) -> None:
    acl = only(base, "aws_wafv2_web_acl")
    assert acl["association_config"] == {"request_body": [{"api_gateway": {"default_size_inspection_limit": "KB_64"}}]}
    rule = rules(base)["body-size"]
    size = rule["statement"]["size_constraint_statement"]
    assert (size["comparison_operator"], size["size"]) == ("GT", 65536)
    # Bodies past the inspection limit match (and are blocked) instead of being judged on their first 64 KB.
    assert size["field_to_match"] == {"body": {"oversize_handling": "MATCH"}}
    assert rule["action"] == {"block": {"custom_response": {"response_code": 413}}}


@pytest.mark.parametrize(("size", "limit"), [(1000, "KB_16"), (16384, "KB_16"), (16385, "KB_32"), (40000, "KB_48")])
def test_inspection_limit_is_the_smallest_that_holds_the_body(size: int, limit: str) -> None:
    props = WebAclProps(name="x", resource_arn=STAGE_ARN, kms_key_arn=KEY_ARN, rate_limit=100, max_body_bytes=size)
    assert props.body_inspection_limit == limit


def test_rate_rule_counts_per_source_ip(base: dict) -> None:
    rule = rules(base)["rate-per-ip"]
    assert rule["statement"] == {
        "rate_based_statement": {"limit": 3000, "aggregate_key_type": "IP", "evaluation_window_sec": 300}
    }
    assert rule["action"] == {"block": {"custom_response": {"response_code": 429}}}


def test_managed_groups_keep_their_actions_unless_overridden(base: dict, full: dict) -> None:
    for name in (COMMON_RULE_SET, KNOWN_BAD_INPUTS_RULE_SET):
        rule = rules(base)[name]
        assert rule["override_action"] == {"none": {}}
        assert rule["statement"] == {"managed_rule_group_statement": {"name": name, "vendor_name": "AWS"}}
    crs = rules(full)[COMMON_RULE_SET]["statement"]["managed_rule_group_statement"]
    assert crs["rule_action_override"] == [{"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}}]
    assert (
        "rule_action_override"
        not in rules(full)[KNOWN_BAD_INPUTS_RULE_SET]["statement"]["managed_rule_group_statement"]
    )


def test_allow_list_blocks_every_other_source(full: dict) -> None:
    ip_sets = resources(full, "aws_wafv2_ip_set")
    by_version = {s["ip_address_version"]: s for s in ip_sets.values()}
    assert sorted(by_version["IPV4"]["addresses"]) == ["198.51.100.0/24", "203.0.113.0/24"]
    assert by_version["IPV6"]["addresses"] == ["2001:db8::/32"]
    assert {s["name"] for s in ip_sets.values()} == {"orders-full-allowed-ipv4", "orders-full-allowed-ipv6"}
    rule = rules(full)["allowed-sources"]
    assert rule["priority"] == 0
    assert rule["action"] == {"block": {}}
    (listed,) = rule["statement"]["not_statement"]["statement"]
    arns = {s["ip_set_reference_statement"]["arn"] for s in listed["or_statement"]["statement"]}
    assert arns == {f"${{aws_wafv2_ip_set.{name}.arn}}" for name in ip_sets}


def test_a_single_address_version_needs_no_or() -> None:
    props = WebAclProps(
        name="v4", resource_arn=STAGE_ARN, kms_key_arn=KEY_ARN, rate_limit=100, max_body_bytes=1024,
        allowed_cidrs=("203.0.113.7/32",),
    )  # fmt: skip
    doc = synth(props)
    (listed,) = rules(doc)["allowed-sources"]["statement"]["not_statement"]["statement"]
    assert listed == {"ip_set_reference_statement": {"arn": ref(doc, "aws_wafv2_ip_set", "arn")}}


def test_sampled_requests_are_off_and_metrics_on(full: dict) -> None:
    acl = only(full, "aws_wafv2_web_acl")
    configs = [acl["visibility_config"], *(r["visibility_config"] for r in acl["rule"])]
    assert all(c["cloudwatch_metrics_enabled"] and c["sampled_requests_enabled"] is False for c in configs)
    assert acl["visibility_config"]["metric_name"] == "orders-full"
    assert rules(full)["rate-per-ip"]["visibility_config"]["metric_name"] == "orders-full-rate-per-ip"


def test_association_targets_the_resource(base: dict) -> None:
    association = only(base, "aws_wafv2_web_acl_association")
    assert association == {
        **association,
        "resource_arn": STAGE_ARN,
        "web_acl_arn": ref(base, "aws_wafv2_web_acl", "arn"),
    }


def test_logs_go_to_an_encrypted_aws_waf_logs_group_with_headers_redacted(full: dict) -> None:
    group = only(full, "aws_cloudwatch_log_group")
    assert (group["name"], group["kms_key_id"], group["retention_in_days"]) == (
        "aws-waf-logs-orders-full",
        KEY_ARN,
        365,
    )
    logging = only(full, "aws_wafv2_web_acl_logging_configuration")
    assert logging["resource_arn"] == ref(full, "aws_wafv2_web_acl", "arn")
    assert logging["log_destination_configs"] == [ref(full, "aws_cloudwatch_log_group", "arn")]
    assert logging["redacted_fields"] == [
        {"single_header": {"name": "x-order-signature"}},
        {"single_header": {"name": "x-api-key"}},
    ]
    (name,) = resources(full, "aws_cloudwatch_log_resource_policy")
    assert logging["depends_on"] == [f"aws_cloudwatch_log_resource_policy.{name}"]
    assert logging["logging_filter"] == {
        "default_behavior": "DROP",
        "filter": [
            {
                "behavior": "KEEP",
                "requirement": "MEETS_ANY",
                "condition": [
                    {"action_condition": {"action": "BLOCK"}},
                    {"action_condition": {"action": "EXCLUDED_AS_COUNT"}},
                ],
            }
        ],
    }


def test_every_request_is_logged_by_default(base: dict) -> None:
    logging = only(base, "aws_wafv2_web_acl_logging_configuration")
    assert "logging_filter" not in logging
    assert [f["single_header"]["name"] for f in logging["redacted_fields"]] == ["authorization", "x-api-key"]


def test_log_delivery_may_write_only_this_group_for_this_account(full: dict) -> None:
    policy = only(full, "aws_cloudwatch_log_resource_policy")
    assert policy["policy_name"] == "orders-full-waf-log-delivery"
    document_name = policy["policy_document"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    (statement,) = data_sources(full, "aws_iam_policy_document")[document_name]["statement"]
    assert statement["principals"] == [
        {
            "type": "Service",
            "identifiers": ["delivery.logs.${data.aws_partition.aws-context_partition_9ECE3875.dns_suffix}"],
        }
    ]
    assert statement["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    (resource,) = statement["resources"]
    assert resource.endswith(":log-group:aws-waf-logs-orders-full:log-stream:*")
    conditions = {(c["test"], c["variable"]): c["values"] for c in statement["condition"]}
    assert set(conditions) == {("StringEquals", "aws:SourceAccount"), ("ArnLike", "aws:SourceArn")}
    assert conditions["StringEquals", "aws:SourceAccount"] == [
        "${data.aws_caller_identity.aws-context_caller_91636884.account_id}"
    ]
    assert conditions["ArnLike", "aws:SourceArn"][0].endswith(
        ":logs:${data.aws_region.aws-context_region_DEC3537F.name}:${data.aws_caller_identity.aws-context_caller_91636884.account_id}:*"
    )


def test_overrides_reach_the_web_acl(full: dict) -> None:
    assert only(full, "aws_wafv2_web_acl")["tags"] == {"team": "payments"}


def test_the_policy_pack_accepts_the_construct(full: dict) -> None:
    view = StackView.from_json(full)
    for rule_id, resource_type in (
        ("FD-WAF-1", "aws_wafv2_web_acl_logging_configuration"),
        ("FD-WAF-2", "aws_wafv2_web_acl"),
        ("FD-LOG-1", "aws_cloudwatch_log_group"),
    ):
        ((_, config),) = view.of_type(resource_type)
        assert RULES_BY_ID[rule_id](resource_type, config, view) is Verdict.COMPLIANT, rule_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_body_bytes": 65537}, "max_body_bytes"),
        ({"rate_limit": 9}, "rate_limit"),
        ({"rate_window_seconds": 30}, "rate_window_seconds"),
        ({"redacted_headers": ("X-Api-Key",)}, "lower-case"),
        ({"scope": "CLOUDFRONT"}, "REGIONAL"),
        ({"allowed_cidrs": ("203.0.113.0/24", "203.0.113.0/24")}, "twice"),
        ({"allowed_cidrs": ("203.0.113.1/24",)}, "host bits"),
        ({"logged_actions": ("DROP",)}, "logged_actions"),
        ({"body_inspection_resource": "alb"}, "body_inspection_resource"),
        ({"rate_limited_response_code": 99}, "200-599"),
        ({"name": "with space"}, "name"),
    ],
)
def test_props_refuse_what_aws_refuses(change: dict[str, Any], message: str) -> None:
    values = {f: getattr(BASE, f) for f in ("name", "resource_arn", "kms_key_arn", "rate_limit", "max_body_bytes")}
    with pytest.raises(ValueError, match=message):
        WebAclProps(**(values | change))


def test_an_override_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="say why"):
        RuleActionOverride("NoUserAgent_HEADER", "not needed")
    with pytest.raises(ValueError, match="action"):
        RuleActionOverride("NoUserAgent_HEADER", "Senders are servers that may send no user agent at all.", "drop")
    with pytest.raises(ValueError, match="twice"):
        ManagedRuleGroup(COMMON_RULE_SET, overrides=(OVERRIDE, OVERRIDE))
