"""AWS WAF in front of the webhook stage: the ``waf`` setting (on in the prod preset).

The generic :class:`fraud_constructs.web_acl.WebAcl` gets this app's facts:

- **Name** ``fraud-<env>`` (also its metric name); its log group is ``aws-waf-logs-fraud-<env>``
  (AWS WAF API Reference, "LoggingConfiguration": the destination's name must start with
  ``aws-waf-logs-``), encrypted with the app key and kept ``logRetentionDays``. The app key lets
  CloudWatch Logs use it for exactly that name (``extra_log_groups``). The WAF log delivery service
  needs nothing in the key policy: for a log group destination CloudWatch Logs encrypts with its
  own principal, and the delivery statement AWS documents is in the log group resource policy
  only (CloudWatch Logs User Guide, "Logs sent to CloudWatch Logs"; "Encrypt log data in
  CloudWatch Logs using AWS Key Management Service").
- **Rate limit per source IP** ``config.effective_waf_rate_limit`` requests per 5 minutes: by
  default 300 x ``apiThrottleRate``, what the stage itself serves in 5 minutes at its steady rate
  (stage-wide ``*/*`` throttling and the usage plan). A sender that stays within the stage's
  throttle, even one sending everything from one address (a payment gateway behind one NAT), is
  never blocked by the WAF; only a source sending faster than the whole stage can serve is, and
  it gets 429 like a throttled request ("Rate-based rule statement": the count is per IP over the
  evaluation window). ``wafRateLimit`` sets another value. The rule aggregates on the connection's
  source IP, never on ``X-Forwarded-For``, which the client writes.
- **Body size**: the image's body limit (``DEFAULT_SETTINGS["max_body_bytes"]``, 64 KB; the
  webhook answers 413 above it) is the WAF's body inspection limit (``KB_64``, the most AWS WAF
  inspects for API Gateway: "Managing body inspection size limits for AWS WAF") and its size
  constraint: a larger body is answered 413 at the edge, whatever its content. The runtime setting
  ``max_body_bytes`` can be raised in the settings parameter without a deploy; with the WAF on,
  bodies over 64 KB still stop here (docs/runbook.md, "waf-blocked-requests").
- **Managed rules**: the anonymous IP list, the core rule set and known bad inputs. Webhook
  bodies are signed JSON transactions whose ``merchant`` and ``pattern_data`` carry third-party
  free text (merchant descriptors, device data, URLs, IP addresses: the very signals fraud scoring
  reads), senders are server-side clients, and bodies reach 64 KB: the core rules that would block
  valid deliveries are overridden to Count, each with its reason (``WEBHOOK_OVERRIDES``), and so is
  the anonymous IP list's hosting-provider rule (``HOSTED_SENDERS``): senders run in data centers.
  Overridden rules still label, count and log. Tor exits and anonymizing proxies stay blocked (a
  signed server-to-server webhook has no reason to come through them), and known bad inputs (Log4j
  JNDI lookups, Java deserialization, ``localhost`` Host headers, PROPFIND, exploitable paths)
  block as published: none of them is part of a card transaction.
- **Allow-list**: ``wafAllowedIps`` (when set, every other source IP is blocked with 403).
- **Logs**: the signature header and the API key header are redacted; request bodies never reach
  WAF logs. Only requests a rule matched are logged (Block, Count, and Count overrides): every
  request, allowed or not, is already in the API access log.
- **Alarm** on a spike of blocked requests (``AWS/WAFV2`` ``BlockedRequests`` with the dimensions
  ``WebACL`` (the web ACL's metric name), ``Region`` and ``Rule=ALL``: AWS WAF Developer Guide,
  "AWS WAF metrics and dimensions").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from fraud_constructs.alarms import AlarmSpec
from fraud_constructs.aws_context import AwsContext
from fraud_constructs.github_deploy_role import LOG_GROUP_ACTIONS, DeployStatement
from fraud_constructs.web_acl import (
    ANONYMOUS_IP_LIST,
    COMMON_RULE_SET,
    KNOWN_BAD_INPUTS_RULE_SET,
    LOG_GROUP_PREFIX,
    ManagedRuleGroup,
    RuleActionOverride,
    WebAcl,
    WebAclProps,
)
from fraud_constructs.webhook_api import WebhookApi
from fraud_detection.contract import DEFAULT_SETTINGS, NAME_PREFIX
from fraud_detection.signing import SIGNATURE_HEADER
from stacks.config import AppConfig

if TYPE_CHECKING:
    from stacks.deploy_permissions import DeployScope

API_KEY_HEADER = "x-api-key"
"""API Gateway reads the API key from this header (``api_key_source = HEADER``; API Gateway Developer
Guide, "Choose an API key source")."""
MAX_BODY_BYTES: int = DEFAULT_SETTINGS["max_body_bytes"]
"""The webhook's body limit (the contract's default setting): the WAF's size constraint."""
BLOCKED_REQUESTS_PER_5_MINUTES = 100
"""Blocked requests in 5 minutes that count as a spike (background scanning stays well below)."""
RUNBOOK_ANCHOR = "waf-blocked-requests"
LOGGED_ACTIONS = ("BLOCK", "COUNT", "EXCLUDED_AS_COUNT")
"""Log records kept: requests a rule blocked or counted, and matches of the rules overridden to Count
(AWS WAF API Reference, "ActionCondition": EXCLUDED_AS_COUNT matches rules whose action is overridden
to Count)."""

# AWS WAF Developer Guide, "Baseline rule groups" / "Core rule set (CRS) managed rule group": each rule
# below blocks by default; the webhook's valid deliveries match it.
WEBHOOK_OVERRIDES = (
    RuleActionOverride(
        "SizeRestrictions_BODY",
        "It blocks bodies over 8 KB; valid deliveries reach the webhook's 64 KB limit, which the "
        "body-size rule enforces instead (413).",
    ),
    RuleActionOverride(
        "CrossSiteScripting_BODY",
        "Merchant names and pattern_data are third-party free text (descriptors with <, >, &, quotes, "
        "device user agents); the body is signed JSON that this system stores and scores, never renders "
        "as HTML, so script-like text is data to score, not an attack on it.",
    ),
    RuleActionOverride(
        "GenericLFI_BODY",
        "pattern_data may carry paths and '../' sequences (device and referrer data); nothing here opens "
        "a file named by a request.",
    ),
    RuleActionOverride(
        "GenericRFI_BODY",
        "pattern_data may carry URLs with IP addresses (referrers, callback and device data, all fraud "
        "signals); nothing here fetches a URL named by a request.",
    ),
    RuleActionOverride(
        "EC2MetaDataSSRF_BODY",
        "IP addresses, link-local ones included, are fraud signals in pattern_data; the functions never "
        "fetch a URL or address named by a request, so there is no server-side request to forge.",
    ),
    RuleActionOverride(
        "NoUserAgent_HEADER",
        "Senders are server-side payment clients that may send no User-Agent; every request is "
        "authenticated by the API key and the HMAC signature instead.",
    ),
)

# AWS WAF Developer Guide, "IP reputation rule groups" / "Anonymous IP list managed rule group".
HOSTED_SENDERS = RuleActionOverride(
    "HostingProviderIPList",
    "It blocks web hosting and cloud provider addresses, where server-side webhook senders (payment "
    "gateways, processors) run; AnonymousIPList (Tor, anonymizing proxies) still blocks.",
)


def web_acl_name(environment: str) -> str:
    """``fraud-<env>``: the web ACL, its metric name and (with the prefix) its log group."""
    return f"{NAME_PREFIX}-{environment}"


def waf_log_group_name(environment: str) -> str:
    """``aws-waf-logs-fraud-<env>``."""
    return f"{LOG_GROUP_PREFIX}{web_acl_name(environment)}"


def waf_alarm_name(config: AppConfig) -> str:
    """``fraud-waf-<env>-blocked-requests`` (the alert topic accepts ``fraud-*-<env>-*``)."""
    return f"{config.name('waf')}-blocked-requests"


def web_acl_props(config: AppConfig, *, stage_arn: str, kms_key_arn: str) -> WebAclProps:
    """The webhook's web ACL, from the configuration."""
    return WebAclProps(
        name=web_acl_name(config.environment),
        description=f"Webhook edge protection ({config.environment})",
        resource_arn=stage_arn,
        kms_key_arn=kms_key_arn,
        rate_limit=config.effective_waf_rate_limit,
        max_body_bytes=MAX_BODY_BYTES,
        managed_rule_groups=(
            ManagedRuleGroup(ANONYMOUS_IP_LIST, overrides=(HOSTED_SENDERS,)),
            ManagedRuleGroup(COMMON_RULE_SET, overrides=WEBHOOK_OVERRIDES),
            ManagedRuleGroup(KNOWN_BAD_INPUTS_RULE_SET),
        ),
        allowed_cidrs=config.waf_allowed_ips,
        redacted_headers=(SIGNATURE_HEADER.lower(), API_KEY_HEADER),
        log_retention_days=config.log_retention_days,
        logged_actions=LOGGED_ACTIONS,
    )


@dataclass(frozen=True)
class Edge:
    """What the WAF adds to the app stack."""

    web_acl: WebAcl
    alarms: tuple[AlarmSpec, ...]
    """For ``extra_alarms``."""
    log_group_names: tuple[str, ...]
    """For ``extra_log_groups`` (the app key lets CloudWatch Logs encrypt them)."""


def protect_webhook(scope: Construct, *, aws: AwsContext, config: AppConfig, api: WebhookApi, kms_key_arn: str) -> Edge:
    """The web ACL on the webhook stage, its logs and its alarm (call only with ``config.waf``)."""
    web_acl = WebAcl(
        scope, "web-acl", aws=aws, props=web_acl_props(config, stage_arn=api.stage.arn, kms_key_arn=kms_key_arn)
    )
    blocked = AlarmSpec(
        waf_alarm_name(config),
        RUNBOOK_ANCHOR,
        f"The webhook's web ACL blocked more than {BLOCKED_REQUESTS_PER_5_MINUTES} requests in 5 minutes",
        "AWS/WAFV2",
        "BlockedRequests",
        {"WebACL": web_acl.metric_name, "Region": config.region, "Rule": "ALL"},
        BLOCKED_REQUESTS_PER_5_MINUTES,
    )
    return Edge(web_acl=web_acl, alarms=(blocked,), log_group_names=(web_acl.props.log_group_name,))


def deploy_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """The deploy role's rows for the web ACL, its IP sets, association, logging and log group.

    Granted for every deploy environment whether ``waf`` is on or not: the option can be turned on
    without re-bootstrapping. Actions and resource types: Service Authorization Reference, "Actions,
    resources, and condition keys for AWS WAF V2", "... for Amazon API Gateway Management" and "...
    for Amazon CloudWatch Logs"; the calls are the Terraform AWS provider's (create, read, update,
    delete and tags of each resource)."""
    a = scope.arn
    names = [web_acl_name(env.environment) for env in scope.environments]
    acls = tuple(a("wafv2", f"regional/webacl/{name}/*") for name in names)
    ip_sets = tuple(a("wafv2", f"regional/ipset/{name}-allowed-ipv*/*") for name in names)
    # REST API ids are generated: this region's stages (the stage ARN has no account).
    stages = (a("apigateway", "/restapis/*/stages/*", account=False),)
    log_groups = tuple(
        r
        for name in names
        for r in (a("logs", f"log-group:{LOG_GROUP_PREFIX}{name}"), a("logs", f"log-group:{LOG_GROUP_PREFIX}{name}:*"))
    )
    tags = ("wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource")
    return (
        DeployStatement(
            "WebAcls",
            (
                "wafv2:CreateWebACL",
                "wafv2:DeleteLoggingConfiguration",
                "wafv2:DeleteWebACL",
                "wafv2:GetLoggingConfiguration",
                "wafv2:GetWebACL",
                "wafv2:PutLoggingConfiguration",
                "wafv2:UpdateWebACL",
                *tags,
            ),
            acls,
            "the webhook's web ACL fraud-<env> and its logging configuration; logging to a log group needs no "
            "service-linked role (AWS WAF API Reference, 'LoggingConfiguration': WAF creates one only for "
            "Firehose, a resource policy for CloudWatch Logs), so no iam:CreateServiceLinkedRole",
        ),
        DeployStatement(
            "WebAclRuleReferences",
            ("wafv2:CreateWebACL", "wafv2:UpdateWebACL"),
            (*ip_sets, a("wafv2", "regional/managedruleset/*/*")),
            "CreateWebACL and UpdateWebACL are also authorized on the IP sets and managed rule sets the "
            "rules reference (their ipset and managedruleset resource types)",
        ),
        DeployStatement(
            "AllowListIpSets",
            ("wafv2:CreateIPSet", "wafv2:DeleteIPSet", "wafv2:GetIPSet", "wafv2:UpdateIPSet", *tags),
            ip_sets,
            "the optional sender allow-list: one IP set per address version (fraud-<env>-allowed-ipv4/6)",
        ),
        DeployStatement(
            "WebAclAssociation",
            ("wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource"),
            (*acls, *stages),
            "associating the web ACL with the webhook stage is authorized on the web ACL and on the stage",
        ),
        DeployStatement(
            "StageWebAcl",
            ("apigateway:SetWebACL",),
            stages,
            "wafv2:AssociateWebACL and DisassociateWebACL call apigateway:SetWebACL on the stage (their "
            "dependent action)",
        ),
        DeployStatement(
            "WafLogGroups",
            LOG_GROUP_ACTIONS,
            log_groups,
            "the WAF log group aws-waf-logs-fraud-<env> (AWS requires the aws-waf-logs- prefix), encrypted "
            "with the app key",
        ),
        DeployStatement(
            "WafLogDelivery",
            (
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DeleteResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:PutResourcePolicy",
            ),
            ("*",),
            "PutLoggingConfiguration sets up a log delivery, and the log group's resource policy (ours, "
            "fraud-<env>-waf-log-delivery) is Terraform's; these actions have no resource type in IAM "
            "(CloudWatch Logs User Guide, 'Logs sent to CloudWatch Logs', user permissions)",
        ),
    )
