"""The webhook's web ACL (``waf``, on in the prod preset): rules, overrides, body inspection, allow-list,
logging, the app key, the alarm and the deploy role's rows.

Uses the session's synth of the prod preset and of "prod-full" (the prod preset with ``wafAllowedIps``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import pytest

from fraud_constructs.web_acl import ANONYMOUS_IP_LIST, COMMON_RULE_SET, KNOWN_BAD_INPUTS_RULE_SET
from fraud_detection.contract import DEFAULT_SETTINGS
from fraud_detection.signing import SIGNATURE_HEADER
from stacks.config import load_config
from stacks.deploy_permissions import DeployScope
from stacks.edge import HOSTED_SENDERS, WEBHOOK_OVERRIDES, deploy_statements
from tests.conftest import VARIANT_CONTEXTS
from tests.support.app_helpers import address, by_path, ref
from tests.tfjson import data_sources, resources

pytestmark = pytest.mark.synth

Stacks = Callable[[str], dict[str, dict]]
ACL = "app/web-acl"
PROD = load_config(VARIANT_CONTEXTS["prod"], {})
FULL = load_config(VARIANT_CONTEXTS["prod-full"], {})


@pytest.fixture(scope="module")
def prod(variant_stacks: Stacks) -> dict:
    return variant_stacks("prod")["app"]


@pytest.fixture(scope="module")
def full(variant_stacks: Stacks) -> dict:
    return variant_stacks("prod-full")["app"]


def web_acl(app: dict) -> dict[str, Any]:
    return by_path(app, "aws_wafv2_web_acl", f"{ACL}/web-acl")


def rules(app: dict) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in web_acl(app)["rule"]}


def managed(app: dict, group: str) -> dict[str, Any]:
    return rules(app)[group]["statement"]["managed_rule_group_statement"]


def test_the_prod_preset_puts_a_web_acl_on_the_webhook_stage(prod: dict) -> None:
    assert PROD.waf
    acl = web_acl(prod)
    assert (acl["name"], acl["scope"], acl["default_action"]) == ("fraud-prod", "REGIONAL", {"allow": {}})
    association = by_path(prod, "aws_wafv2_web_acl_association", f"{ACL}/association")
    assert association["resource_arn"] == ref(prod, "aws_api_gateway_stage", "app/webhook-api/stage", "arn")
    assert association["web_acl_arn"] == ref(prod, "aws_wafv2_web_acl", f"{ACL}/web-acl", "arn")
    assert list(rules(prod)) == [
        "body-size",
        "rate-per-ip",
        ANONYMOUS_IP_LIST,
        COMMON_RULE_SET,
        KNOWN_BAD_INPUTS_RULE_SET,
    ]


def test_the_dev_default_has_no_waf(synthesized: dict[str, dict]) -> None:
    assert not [t for t in synthesized["app"]["resource"] if t.startswith("aws_wafv2")]


def test_rate_limit_is_what_the_stage_serves_in_five_minutes(prod: dict) -> None:
    statement = rules(prod)["rate-per-ip"]["statement"]["rate_based_statement"]
    assert statement["limit"] == PROD.effective_waf_rate_limit == 300 * PROD.api_throttle_rate
    assert (statement["aggregate_key_type"], statement["evaluation_window_sec"]) == ("IP", 300)
    # The stage's own steady rate over the same window: one sender within its throttle is never blocked.
    settings = by_path(prod, "aws_api_gateway_method_settings", "app/webhook-api/method-settings")["settings"]
    assert statement["limit"] >= settings["throttling_rate_limit"] * statement["evaluation_window_sec"]


def test_bodies_are_inspected_up_to_the_webhooks_limit(prod: dict) -> None:
    limit = DEFAULT_SETTINGS["max_body_bytes"]
    assert limit == 64 * 1024
    acl = web_acl(prod)
    assert acl["association_config"] == {"request_body": [{"api_gateway": {"default_size_inspection_limit": "KB_64"}}]}
    size = rules(prod)["body-size"]
    assert size["statement"]["size_constraint_statement"]["size"] == limit
    assert size["statement"]["size_constraint_statement"]["field_to_match"] == {"body": {"oversize_handling": "MATCH"}}
    assert size["action"] == {"block": {"custom_response": {"response_code": 413}}}  # what the webhook answers


def test_rules_that_would_block_valid_deliveries_only_count(prod: dict) -> None:
    crs = managed(prod, COMMON_RULE_SET)["rule_action_override"]
    assert {o["name"]: o["action_to_use"] for o in crs} == {o.name: {"count": {}} for o in WEBHOOK_OVERRIDES}
    assert {o.name for o in WEBHOOK_OVERRIDES} == {
        "SizeRestrictions_BODY",
        "CrossSiteScripting_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
        "EC2MetaDataSSRF_BODY",
        "NoUserAgent_HEADER",
    }
    assert managed(prod, ANONYMOUS_IP_LIST)["rule_action_override"] == [
        {"name": HOSTED_SENDERS.name, "action_to_use": {"count": {}}}
    ]
    # Known bad inputs (Log4j among them) block as published.
    assert "rule_action_override" not in managed(prod, KNOWN_BAD_INPUTS_RULE_SET)
    assert all(len(o.reason.split()) >= 10 for o in (*WEBHOOK_OVERRIDES, HOSTED_SENDERS))


def test_no_allow_list_unless_configured(prod: dict) -> None:
    assert "allowed-sources" not in rules(prod)
    assert resources(prod, "aws_wafv2_ip_set") == {}


def test_allow_list_blocks_other_sources_over_both_address_versions(full: dict) -> None:
    assert FULL.waf_allowed_ips
    ip_sets = {s["ip_address_version"]: s for s in resources(full, "aws_wafv2_ip_set").values()}
    assert set(ip_sets) == {"IPV4", "IPV6"}
    for version, ip_set in ip_sets.items():
        expected = [c for c in FULL.waf_allowed_ips if (":" in c) == (version == "IPV6")]
        assert sorted(ip_set["addresses"]) == sorted(expected)
        assert ip_set["scope"] == "REGIONAL"
    rule = rules(full)["allowed-sources"]
    assert rule["priority"] == 0 and rule["action"] == {"block": {}}
    (listed,) = rule["statement"]["not_statement"]["statement"]
    arns = {s["ip_set_reference_statement"]["arn"] for s in listed["or_statement"]["statement"]}
    assert arns == {ref(full, "aws_wafv2_ip_set", f"{ACL}/allowed-ipv{v}", "arn") for v in (4, 6)}


def test_logs_redact_the_signature_and_api_key_into_an_encrypted_group(prod: dict) -> None:
    group = by_path(prod, "aws_cloudwatch_log_group", f"{ACL}/log-group")
    assert group["name"] == "aws-waf-logs-fraud-prod"
    assert group["kms_key_id"] == ref(prod, "aws_kms_key", "app/app-key/key", "arn")
    assert group["retention_in_days"] == PROD.log_retention_days == 365
    logging = by_path(prod, "aws_wafv2_web_acl_logging_configuration", f"{ACL}/logging")
    assert logging["log_destination_configs"] == [ref(prod, "aws_cloudwatch_log_group", f"{ACL}/log-group", "arn")]
    assert [f["single_header"]["name"] for f in logging["redacted_fields"]] == [SIGNATURE_HEADER.lower(), "x-api-key"]
    kept = {c["action_condition"]["action"] for c in logging["logging_filter"]["filter"][0]["condition"]}
    assert kept == {"BLOCK", "COUNT", "EXCLUDED_AS_COUNT"}


def test_the_app_key_lets_cloudwatch_logs_encrypt_the_waf_group(prod: dict) -> None:
    policy = json.loads(by_path(prod, "aws_kms_key", "app/app-key/key")["policy"])
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsForNamedLogGroups"]
    arns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert any(arn.endswith(":log-group:aws-waf-logs-fraud-prod") for arn in arns)
    # Log delivery itself needs no key statement: CloudWatch Logs encrypts with its own principal.
    assert "delivery.logs" not in json.dumps(policy)


def test_the_log_resource_policy_names_this_group_and_account(prod: dict) -> None:
    policy = by_path(prod, "aws_cloudwatch_log_resource_policy", f"{ACL}/log-resource-policy")
    assert policy["policy_name"] == "fraud-prod-waf-log-delivery"
    name = policy["policy_document"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    (statement,) = data_sources(prod, "aws_iam_policy_document")[name]["statement"]
    assert statement["principals"][0]["identifiers"][0].startswith("delivery.logs.")
    assert statement["resources"][0].endswith(":log-group:aws-waf-logs-fraud-prod:log-stream:*")
    assert {c["variable"] for c in statement["condition"]} == {"aws:SourceAccount", "aws:SourceArn"}
    logging = by_path(prod, "aws_wafv2_web_acl_logging_configuration", f"{ACL}/logging")
    assert logging["depends_on"] == [address(prod, "aws_cloudwatch_log_resource_policy", f"{ACL}/log-resource-policy")]


def test_blocked_request_spikes_alarm(prod: dict) -> None:
    alarms = {a["alarm_name"]: a for a in resources(prod, "aws_cloudwatch_metric_alarm").values()}
    alarm = alarms["fraud-waf-prod-blocked-requests"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/WAFV2", "BlockedRequests", "Sum")
    assert alarm["dimensions"] == {
        "WebACL": web_acl(prod)["visibility_config"]["metric_name"],
        "Region": "us-east-1",
        "Rule": "ALL",
    }
    assert alarm["treat_missing_data"] == "notBreaching"
    assert alarm["alarm_description"].endswith("Runbook: docs/runbook.md#waf-blocked-requests")
    assert alarm["alarm_actions"] == [ref(prod, "aws_sns_topic", "app/alerts/topic", "arn")]


# --- the deploy role's rows -------------------------------------------------------------------------------

SCOPE = DeployScope(
    config=load_config({**VARIANT_CONTEXTS["privileged"], "deployEnvironments": ["staging", "prod"]}, {}),
    partition="aws",
    account="123456789012",
    region="us-east-1",
    state_bucket_arn="arn:aws:s3:::state",
    state_key_arn="arn:aws:kms:us-east-1:123456789012:key/state",
)
ROWS = {s.sid: s for s in deploy_statements(SCOPE)}
# What the Terraform AWS provider calls for each resource (create, read, update, delete, tags), and on what.
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/fraud-prod/0a1b2c3d-0000-0000-0000-000000000000"
IPSET_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/fraud-prod-allowed-ipv6/0a1b2c3d-0000-0000-0000-0"
STAGE_ARN = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/v1"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-fraud-prod"
NEEDED = [
    (
        ACL_ARN,
        (
            "wafv2:CreateWebACL",
            "wafv2:GetWebACL",
            "wafv2:UpdateWebACL",
            "wafv2:DeleteWebACL",
            "wafv2:ListTagsForResource",
            "wafv2:TagResource",
            "wafv2:UntagResource",
            "wafv2:PutLoggingConfiguration",
            "wafv2:GetLoggingConfiguration",
            "wafv2:DeleteLoggingConfiguration",
            "wafv2:AssociateWebACL",
            "wafv2:GetWebACLForResource",
        ),
    ),
    (
        IPSET_ARN,
        ("wafv2:CreateIPSet", "wafv2:GetIPSet", "wafv2:UpdateIPSet", "wafv2:DeleteIPSet", "wafv2:CreateWebACL"),
    ),
    (
        "arn:aws:wafv2:us-east-1:123456789012:regional/managedruleset/AWSManagedRulesCommonRuleSet/x",
        ("wafv2:UpdateWebACL",),
    ),
    (STAGE_ARN, ("wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "apigateway:SetWebACL")),
    (LOG_GROUP_ARN, ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource")),
    ("*", ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies")),
]


def allowed(action: str, arn: str) -> bool:
    return any(action in s.actions and any(fnmatchcase(arn, r) for r in s.resources) for s in ROWS.values())


@pytest.mark.parametrize(("arn", "actions"), NEEDED, ids=lambda v: v if isinstance(v, str) else "")
def test_deploy_role_may_manage_the_waf_resources(arn: str, actions: tuple[str, ...]) -> None:
    missing = [a for a in actions if not allowed(a, arn)]
    assert not missing, missing


def test_deploy_rows_are_scoped_to_this_projects_names() -> None:
    for name in ("fraud-dev", "fraud-prodx", "other-prod"):
        assert not allowed("wafv2:DeleteWebACL", ACL_ARN.replace("fraud-prod", name)), name
    assert not allowed("logs:DeleteLogGroup", LOG_GROUP_ARN.replace("fraud-prod", "other"))
    assert allowed("wafv2:DeleteWebACL", ACL_ARN.replace("fraud-prod", "fraud-staging"))
    # Only log delivery and resource policies, which have no resource type in IAM, are on "*".
    assert [s.sid for s in ROWS.values() if "*" in s.resources] == ["WafLogDelivery"]
    assert all(not a.startswith("iam:") for s in ROWS.values() for a in s.actions)
