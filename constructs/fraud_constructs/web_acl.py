"""Regional AWS WAF web ACL in front of one resource (an API Gateway stage), with its own logs.

Rules, in evaluation order (AWS WAF Developer Guide, "Rule priority": lowest first; a Block ends
the evaluation):

1. ``allowed-sources`` (only with ``allowed_cidrs``): blocks every request whose source IP is in
   none of the allowed ranges. IPv4 and IPv6 ranges live in separate IP sets, one address version
   each ("Creating an IP set": an IP set holds one ``ip_address_version``).
2. ``body-size``: blocks bodies larger than ``max_body_bytes`` (answered
   ``body_too_large_response_code``, 413), matching a body over the inspection limit too
   (``oversize_handling = MATCH``, "Oversize web request components": the host service forwards
   only the first N KB, so without MATCH a larger body would be judged on its first N KB only).
3. ``rate-per-ip``: a rate-based rule aggregated on the source IP (never a forwarded header,
   which the client controls), ``rate_limit`` requests per ``rate_window_seconds``, answered
   ``rate_limited_response_code`` (429) ("Rate-based rule statement"; "Custom responses for Block
   actions").
4. The AWS managed rule groups, in order, with per-rule action overrides; each override carries
   the reason it exists (``RuleActionOverride.reason``).

Body inspection is raised to the smallest AWS setting that holds ``max_body_bytes`` (16, 32, 48
or 64 KB; "Managing body inspection size limits for AWS WAF": API Gateway's default is 16 KB, 64 KB
is the most AWS WAF can inspect, and every extra 16 KB is billed per request).

Logging: ``aws-waf-logs-<name>`` (AWS WAF API Reference, "LoggingConfiguration": a destination's
name must start with ``aws-waf-logs-``), KMS-encrypted with the caller's key, with retention;
``redacted_headers`` are replaced by ``REDACTED`` in every record. Request bodies are never part
of WAF logs. The log group gets a CloudWatch Logs resource policy of its own: without it, WAF
creates or extends the account-wide ``AWSWAF-LOGS`` policy itself, and that one policy grows
with every web ACL of the account until it passes CloudWatch Logs' 5,120-character policy
limit (CloudWatch Logs User Guide, "Enabling logging from AWS services" / "Logs sent to
CloudWatch Logs"). A resource policy is account- and region-wide, and an account has at most 10
per region (CloudWatch Logs API Reference, "PutResourcePolicy"): this construct uses one, named
``<name>-waf-log-delivery``.

Request sampling is off by default: sampled requests keep full headers for three hours, and the
logging configuration's redaction does not apply to them (AWS WAF API Reference,
"VisibilityConfig", ``SampledRequestsEnabled``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclAssociationConfig,
    Wafv2WebAclAssociationConfigRequestBody,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationLoggingFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, service_principal
from fraud_constructs.overrides import apply_overrides

LOG_GROUP_PREFIX = "aws-waf-logs-"
"""AWS WAF API Reference, "LoggingConfiguration": the destination's name must start with it."""

COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
"""AWS WAF Developer Guide, "Baseline rule groups", "Core rule set (CRS) managed rule group" (700 WCU)."""
KNOWN_BAD_INPUTS_RULE_SET = "AWSManagedRulesKnownBadInputsRuleSet"
"""AWS WAF Developer Guide, "Baseline rule groups", "Known bad inputs managed rule group" (200 WCU)."""
ANONYMOUS_IP_LIST = "AWSManagedRulesAnonymousIpList"
"""AWS WAF Developer Guide, "IP reputation rule groups", "Anonymous IP list managed rule group" (50 WCU):
``AnonymousIPList`` (Tor nodes, temporary proxies, other masking services) and ``HostingProviderIPList``
(web hosting and cloud providers)."""

# "Managing body inspection size limits for AWS WAF": 16 KB steps up to 64 KB, the API's enum names.
BODY_INSPECTION_LIMITS: Mapping[int, str] = {
    16 * 1024: "KB_16",
    32 * 1024: "KB_32",
    48 * 1024: "KB_48",
    64 * 1024: "KB_64",
}
MAX_BODY_INSPECTION_BYTES = max(BODY_INSPECTION_LIMITS)
# AWS WAF API Reference, "RequestBodyAssociatedResourceTypeConfig": the regional resource types whose
# body inspection limit a web ACL can raise (the Terraform block names of association_config.request_body).
BODY_INSPECTION_RESOURCES = frozenset(
    {"api_gateway", "app_runner_service", "cognito_user_pool", "verified_access_instance"}
)
# AWS WAF API Reference, "RateBasedStatement": Limit 10..2,000,000,000; EvaluationWindowSec 60/120/300/600.
RATE_LIMIT_RANGE = (10, 2_000_000_000)
RATE_WINDOWS = frozenset({60, 120, 300, 600})
# AWS WAF API Reference, "ActionCondition": the actions a logging filter can keep.
LOG_ACTIONS = frozenset({"ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"})
OVERRIDE_ACTIONS = frozenset({"count", "block", "allow"})

_NAME = re.compile(r"^[\w-]{1,128}$")
_HEADER = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$")


@dataclass(frozen=True)
class RuleActionOverride:
    """One rule of a managed rule group whose action is replaced (AWS WAF Developer Guide, "Overriding
    rule actions in a rule group"), with the reason it is."""

    name: str
    """The rule's name in the group, e.g. ``SizeRestrictions_BODY``."""
    reason: str
    """Why the rule's own action cannot stand here (a sentence at least): it is reviewed like a suppression."""
    action: str = "count"
    """``count`` (match, label and log, but let the request go on), ``block`` or ``allow``. Default: count."""

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"RuleActionOverride.name {self.name!r} is not a rule name")
        if self.action not in OVERRIDE_ACTIONS:
            raise ValueError(f"RuleActionOverride.action must be one of {sorted(OVERRIDE_ACTIONS)}")
        if len(self.reason.split()) < 6:
            raise ValueError(f"RuleActionOverride {self.name}: say why the override exists (a sentence)")


@dataclass(frozen=True)
class ManagedRuleGroup:
    """A managed rule group and the overrides of its rules' actions."""

    name: str
    """e.g. ``AWSManagedRulesCommonRuleSet``."""
    vendor: str = "AWS"
    """Default: AWS."""
    version: str | None = None
    """A static version (``Version_1.x``), or None for the vendor's default version, which AWS updates
    with new protections. Default: None."""
    overrides: tuple[RuleActionOverride, ...] = ()
    """Rules whose action is replaced. Default: none."""

    def __post_init__(self) -> None:
        names = [o.name for o in self.overrides]
        if len(set(names)) != len(names):
            raise ValueError(f"ManagedRuleGroup {self.name}: a rule is overridden twice")


@dataclass(frozen=True)
class WebAclProps:
    """Props of :class:`WebAcl`."""

    name: str
    """Web ACL name and metric name (letters, digits, ``_``, ``-``); the log group is ``aws-waf-logs-<name>``."""
    resource_arn: str
    """The regional resource to protect, e.g. an API Gateway stage ARN (``aws_api_gateway_stage.arn``)."""
    kms_key_arn: str
    """CMK of the log group; its key policy must let CloudWatch Logs use it for that log group."""
    rate_limit: int
    """Requests one source IP may send per ``rate_window_seconds`` before it is blocked (10-2,000,000,000)."""
    max_body_bytes: int
    """Largest request body let through (at most 64 KB, what AWS WAF can inspect); larger ones get 413."""
    managed_rule_groups: tuple[ManagedRuleGroup, ...] = (
        ManagedRuleGroup(ANONYMOUS_IP_LIST),
        ManagedRuleGroup(COMMON_RULE_SET),
        ManagedRuleGroup(KNOWN_BAD_INPUTS_RULE_SET),
    )
    """Evaluated after the size and rate rules, in order. Default: the anonymous IP list, the core rule set
    and known bad inputs (950 WCU; a web ACL costs more above 1,500: AWS WAF Developer Guide, "Web ACL capacity
    units (WCUs)"), no overrides."""
    allowed_cidrs: tuple[str, ...] = ()
    """When set, requests from every other source IP are blocked (IPv4 and IPv6 CIDRs). Default: none (any)."""
    redacted_headers: tuple[str, ...] = ("authorization", "x-api-key")
    """Header names (lower case, as the provider requires) replaced by ``REDACTED`` in the logs.
    Default: ``authorization`` and ``x-api-key`` (API Gateway's API key header)."""
    log_retention_days: int = 30
    """Default: 30."""
    logged_actions: tuple[str, ...] = ()
    """Keep only log records whose action is one of these (``BLOCK``, ``COUNT``, ``EXCLUDED_AS_COUNT``...);
    empty: log every request. Default: every request."""
    body_inspection_resource: str = "api_gateway"
    """Type of ``resource_arn`` in ``association_config.request_body`` (``api_gateway``,
    ``cognito_user_pool``, ``app_runner_service``, ``verified_access_instance``). Default: api_gateway."""
    rate_window_seconds: int = 300
    """Evaluation window of the rate rule: 60, 120, 300 or 600. Default: 300 (5 minutes)."""
    rate_limited_response_code: int = 429
    """Status of a rate-limited request. Default: 429 (clients back off and retry)."""
    body_too_large_response_code: int = 413
    """Status of a request whose body is too large. Default: 413."""
    sampled_requests: bool = False
    """Keep sampled requests (full headers, unredacted) in the console for three hours. Default: False."""
    scope: str = "REGIONAL"
    """Only ``REGIONAL``: a CloudFront web ACL is attached by the distribution, in us-east-1."""
    description: str = "Rate limit, body size and AWS managed rules"
    """Default: ``Rate limit, body size and AWS managed rules``."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the web ACL. Default: none."""

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError("WebAclProps.name: 1-128 letters, digits, '_' or '-'")
        if self.scope != "REGIONAL":
            raise ValueError("WebAclProps.scope: only REGIONAL (CloudFront attaches its web ACL itself)")
        if self.body_inspection_resource not in BODY_INSPECTION_RESOURCES:
            raise ValueError(f"WebAclProps.body_inspection_resource must be one of {sorted(BODY_INSPECTION_RESOURCES)}")
        if not 0 < self.max_body_bytes <= MAX_BODY_INSPECTION_BYTES:
            raise ValueError(
                f"WebAclProps.max_body_bytes must be 1-{MAX_BODY_INSPECTION_BYTES} (what AWS WAF inspects)"
            )
        low, high = RATE_LIMIT_RANGE
        if not low <= self.rate_limit <= high:
            raise ValueError(f"WebAclProps.rate_limit must be {low}-{high}")
        if self.rate_window_seconds not in RATE_WINDOWS:
            raise ValueError(f"WebAclProps.rate_window_seconds must be one of {sorted(RATE_WINDOWS)}")
        for code in (self.rate_limited_response_code, self.body_too_large_response_code):
            if not 200 <= code <= 599:  # AWS WAF API Reference, "CustomResponse": ResponseCode 200-599
                raise ValueError("WebAclProps: a custom response code must be 200-599")
        for header in self.redacted_headers:
            if not _HEADER.fullmatch(header):
                raise ValueError(f"WebAclProps.redacted_headers: {header!r} must be a lower-case header name")
        if not set(self.logged_actions) <= LOG_ACTIONS:
            raise ValueError(f"WebAclProps.logged_actions must be among {sorted(LOG_ACTIONS)}")
        groups = [g.name for g in self.managed_rule_groups]
        if len(set(groups)) != len(groups):
            raise ValueError("WebAclProps.managed_rule_groups: a group is listed twice")
        networks = [str(ipaddress.ip_network(cidr, strict=True)) for cidr in self.allowed_cidrs]
        if len(set(networks)) != len(networks):
            raise ValueError("WebAclProps.allowed_cidrs: a range is listed twice")

    @property
    def log_group_name(self) -> str:
        return f"{LOG_GROUP_PREFIX}{self.name}"

    @property
    def body_inspection_limit(self) -> str:
        """The smallest inspection setting that holds ``max_body_bytes`` (``KB_16`` ... ``KB_64``)."""
        return BODY_INSPECTION_LIMITS[min(size for size in BODY_INSPECTION_LIMITS if size >= self.max_body_bytes)]

    def cidrs(self, version: int) -> tuple[str, ...]:
        """The allowed ranges of one IP version (4 or 6)."""
        return tuple(c for c in self.allowed_cidrs if ipaddress.ip_network(c).version == version)


class WebAcl(Construct):
    """Exposes ``web_acl`` (and ``arn``/``metric_name``), ``ip_sets`` (IP version -> set), ``association``,
    ``log_group``, ``log_resource_policy``, ``logging`` and ``rule_names`` (in priority order)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: WebAclProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.ip_sets: dict[int, Wafv2IpSet] = {
            version: Wafv2IpSet(
                self,
                f"allowed-ipv{version}",
                name=f"{props.name}-allowed-ipv{version}",
                description=f"Source ranges allowed to reach {props.name} (IPv{version})",
                scope=props.scope,
                ip_address_version=f"IPV{version}",
                addresses=list(props.cidrs(version)),
            )
            for version in (4, 6)
            if props.cidrs(version)
        }
        rules = self._rules()
        self.rule_names = [rule["name"] for rule in rules]
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=props.name,
            description=props.description,
            scope=props.scope,
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            association_config=Wafv2WebAclAssociationConfig(
                request_body=[
                    Wafv2WebAclAssociationConfigRequestBody(
                        **{
                            props.body_inspection_resource: {
                                "default_size_inspection_limit": props.body_inspection_limit
                            }
                        }
                    )
                ]
            ),
            rule=[Wafv2WebAclRule(**rule) for rule in rules],
            visibility_config=Wafv2WebAclVisibilityConfig(**self._visibility(props.name)),
        )
        apply_overrides(self.web_acl, props.overrides)
        self.association = Wafv2WebAclAssociation(
            self, "association", resource_arn=props.resource_arn, web_acl_arn=self.web_acl.arn
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=props.log_group_name,
            kms_key_id=props.kms_key_arn,
            retention_in_days=props.log_retention_days,
        )
        # CloudWatch Logs User Guide, "Logs sent to CloudWatch Logs" (log group resource policy): the log
        # delivery service may create streams and put events in this group only, for this account's
        # deliveries (aws:SourceAccount = the account, aws:SourceArn like arn:...:logs:<region>:<account>:*).
        # The key is not in it: CloudWatch Logs encrypts with its own principal (the key policy's
        # logs.<region> statement), the delivery service never calls KMS for a log group destination.
        document = DataAwsIamPolicyDocument(
            self,
            "log-delivery-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSLogDeliveryWrite",
                    principals=[service_principal("delivery.logs", aws)],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[aws.arn("logs", f"log-group:{props.log_group_name}:log-stream:*")],
                    condition=[
                        condition("StringEquals", "aws:SourceAccount", [aws.account_id]),
                        condition("ArnLike", "aws:SourceArn", [aws.arn("logs", "*")]),
                    ],
                )
            ],
        )
        self.log_resource_policy = CloudwatchLogResourcePolicy(
            self, "log-resource-policy", policy_name=f"{props.name}-waf-log-delivery", policy_document=document.json
        )
        self.logging = Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in props.redacted_headers
            ]
            or None,
            logging_filter=self._logging_filter(),
            # Our policy first, or PutLoggingConfiguration writes the shared AWSWAF-LOGS policy itself.
            depends_on=[self.log_resource_policy],
        )

    @property
    def arn(self) -> str:
        return self.web_acl.arn

    @property
    def metric_name(self) -> str:
        """The web ACL's metric name: the ``WebACL`` dimension of its ``AWS/WAFV2`` metrics."""
        return self.props.name

    def _visibility(self, metric_name: str) -> dict[str, Any]:
        return {
            "cloudwatch_metrics_enabled": True,
            "metric_name": metric_name,
            "sampled_requests_enabled": self.props.sampled_requests,
        }

    def _rule(self, name: str, statement: dict[str, Any], **action: Any) -> dict[str, Any]:
        return {
            "name": name,
            "priority": 0,  # numbered in _rules
            "statement": statement,
            "visibility_config": self._visibility(f"{self.props.name}-{name}"),
            **action,
        }

    @staticmethod
    def _block(response_code: int | None = None) -> dict[str, Any]:
        block: dict[str, Any] = {}
        if response_code is not None:
            block["custom_response"] = {"response_code": response_code}
        return {"action": {"block": block}}

    def _rules(self) -> list[dict[str, Any]]:
        props = self.props
        rules = []
        if self.ip_sets:
            matches = [{"ip_set_reference_statement": {"arn": ip_set.arn}} for ip_set in self.ip_sets.values()]
            listed = matches[0] if len(matches) == 1 else {"or_statement": {"statement": matches}}
            rules.append(self._rule("allowed-sources", {"not_statement": {"statement": [listed]}}, **self._block()))
        rules.append(
            self._rule(
                "body-size",
                {
                    "size_constraint_statement": {
                        "comparison_operator": "GT",
                        "size": props.max_body_bytes,
                        "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                        "text_transformation": [{"priority": 0, "type": "NONE"}],
                    }
                },
                **self._block(props.body_too_large_response_code),
            )
        )
        rules.append(
            self._rule(
                "rate-per-ip",
                {
                    "rate_based_statement": {
                        "limit": props.rate_limit,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": props.rate_window_seconds,
                    }
                },
                **self._block(props.rate_limited_response_code),
            )
        )
        for group in props.managed_rule_groups:
            statement: dict[str, Any] = {"name": group.name, "vendor_name": group.vendor}
            if group.version:
                statement["version"] = group.version
            if group.overrides:
                statement["rule_action_override"] = [
                    {"name": o.name, "action_to_use": {o.action: {}}} for o in group.overrides
                ]
            rules.append(
                self._rule(
                    group.name,
                    {"managed_rule_group_statement": statement},
                    override_action={"none": {}},
                )
            )
        for priority, rule in enumerate(rules):
            rule["priority"] = priority
        return rules

    def _logging_filter(self) -> Wafv2WebAclLoggingConfigurationLoggingFilter | None:
        if not self.props.logged_actions:
            return None
        return Wafv2WebAclLoggingConfigurationLoggingFilter(
            default_behavior="DROP",
            filter=[
                Wafv2WebAclLoggingConfigurationLoggingFilterFilter(
                    behavior="KEEP",
                    requirement="MEETS_ANY",
                    condition=[
                        Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition(
                            action_condition=Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition(
                                action=action
                            )
                        )
                        for action in self.props.logged_actions
                    ],
                )
            ],
        )
