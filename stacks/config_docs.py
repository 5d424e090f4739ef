"""docs/configuration.md's settings table, rendered from ``stacks.config`` (setting, source, default,
validation). ``python -m stacks.config_docs`` prints it; ``tests/stacks/test_config_docs.py`` keeps the
doc equal to it. No cdktf import.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from typing import Any

from fraud_detection.contract import FUNCTIONS
from stacks.config import (
    _PARSERS,
    DEFAULT_PROTECTION,
    DEFAULT_RETENTION_DAYS,
    PRESETS,
    PROTECTION_PRESETS,
    AppConfig,
    StateBackend,
    _sources,
    validation_rule,
)

# What each setting does (prose); defaults and validation come from the code.
MEANINGS = {
    "environment": "suffix of every name",
    "region": "AWS region",
    "tags": "extra tags; `project`, `environment`, `managed-by` are always set",
    "image_tag": "image tag the app stack resolves to a digest",
    "alert_email": "e-mail subscriber of the alert topic",
    "log_retention_days": "CloudWatch Logs retention of every log group",
    "pattern_ttl_days": "pattern items expire after this many days (the webhook gets it as `PATTERN_TTL_DAYS`)",
    "window_shards": "write shards of the time-window index (see docs/capacity.md)",
    "audit_transition_days": "audit objects move to Glacier after this",
    "audit_noncurrent_expiry_days": "old object versions are deleted after this",
    "audit_object_lock_days": "Object Lock (governance) retention for the audit bucket",
    "api_throttle_rate": "stage and usage-plan steady rate (requests/s)",
    "api_throttle_burst": "stage and usage-plan burst; at least a tenth of the rate",
    "api_quota_per_day": "usage-plan quota per API key",
    "stream_batch_size": "records per stream-consumer batch",
    "stream_batching_window_seconds": "how long the stream mapping gathers a batch",
    "webhook_reserved_concurrency": "reserved (and maximum) concurrency of the webhook; the deploy preflight "
    "refuses what the account cannot reserve (docs/capacity.md)",
    "stream_reserved_concurrency": "reserved (and maximum) concurrency of the stream consumer",
    "batch_reserved_concurrency": "reserved (and maximum) concurrency of the batch (two schedules)",
    "labels_reserved_concurrency": "reserved (and maximum) concurrency of the labels function (`POST /labels`)",
    "webhook_provisioned_concurrency": "provisioned concurrency on the webhook's `live` alias (0: none; "
    "billed per hour: docs/capacity.md)",
    "vpc_mode": "`off`: functions use Lambda's network; `create`: a private VPC, no NAT, with endpoints; "
    "`existing`: your subnets and security groups (docs/network.md)",
    "vpc_cidr": "address range of the VPC `create` makes",
    "vpc_subnet_ids": "private subnets (two or more AZs) for `vpcMode=existing`",
    "vpc_security_group_ids": "the functions' security groups for `vpcMode=existing`",
    "vpc_endpoints": "`create` the S3/DynamoDB gateway and SSM/SNS interface endpoints, or use `existing` ones "
    "(one private-DNS endpoint per service and VPC)",
    "waf": 'a regional AWS WAF web ACL on the API stage (docs/security.md, "WAF")',
    "waf_rate_limit": "requests per source IP per 5 minutes before WAF blocks it",
    "waf_allowed_ips": "only these ranges reach the API, both routes: senders and labellers (empty: any)",
    "access_logs": "`server`: S3 server access logs of the audit bucket into the bootstrap's log bucket; "
    "`cloudtrail`: CloudTrail S3 data events instead",
    "audit_replica_region": "replicate the audit bucket to a bucket and key in this region",
    "manage_api_gateway_account": "bootstrap owns the region-wide API Gateway CloudWatch setting",
    "github_repository": "`owner/repo`: bootstrap creates the OIDC deploy role and its permissions boundary; "
    "the app's function roles carry the boundary",
    "deploy_environments": "GitHub environments whose deploy jobs the role trusts "
    "(`repo:<owner>/<repo>:environment:<env>`); keep equal to the workflow's deploy matrix (tested)",
    "github_oidc_provider_arn": "reuse the account's GitHub OIDC provider instead of creating it; needs "
    "`githubRepository`",
    "xray_encryption": "bootstrap encrypts X-Ray traces with a CMK; region-wide, it affects every workload",
    "settings_file": "the live risk settings (the settings parameter's value; a deploy writes it): promotion "
    "is a change of this file plus a deploy (docs/backtest.md)",
    "shadow_settings_file": "shadow risk settings: the stream decides every new decision under them too and "
    "audits the outcome; the shadow parameter, report section and alarm exist only with it (docs/backtest.md)",
    "shadow_report_top_n": "differing transactions (largest amounts first) the daily report lists; needs "
    "`shadowSettingsFile`",
    "shadow_block_share_alarm": "percent of decisions the shadow would block more than live (hourly) before its "
    "alarm fires; needs `shadowSettingsFile`",
    "deletion_protection": "DynamoDB deletion protection and `prevent_destroy` on the audit bucket",
    "force_destroy": "let destroy empty the bucket / repository; contradicts `deletionProtection`",
    "backend": "`local` (`state/<env>/<stack>.tfstate`) or `s3` (native S3 locking)",
    "state_bucket": "S3 state bucket (required with `s3`)",
    "state_key_prefix": "state key = `<prefix>/<env>/<stack>.tfstate`",
    "state_region": "region of the state bucket",
    "state_kms_key_arn": "the state key's ARN (bootstrap output `state_key_arn`); required with `s3`",
}

# Defaults that are not a plain field default: the text says where they come from.
DERIVED_DEFAULTS = {
    "image_tag": "content hash of `lambda_image/`",
    "log_retention_days": f"preset ({DEFAULT_RETENTION_DAYS} outside `prod`/`staging`)",
    "waf_rate_limit": "300 x `apiThrottleRate` (the stage's rate over the 5-minute window)",
    "deletion_protection": f"preset (`{json.dumps(DEFAULT_PROTECTION.deletion_protection)}` outside `prod`/`staging`)",
    "force_destroy": f"preset (`{json.dumps(DEFAULT_PROTECTION.force_destroy)}` outside `prod`/`staging`)",
    "state_region": "`region`",
    "settings_file": 'none: the contract\'s `DEFAULT_SETTINGS` (docs/contract.md, "Settings JSON")',
}
BACKEND_FIELDS = {"backend": "kind", "state_bucket": "bucket", "state_key_prefix": "key_prefix"}


def _render(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def default_of(setting: str) -> str:
    if setting in DERIVED_DEFAULTS:
        return DERIVED_DEFAULTS[setting]
    if setting in BACKEND_FIELDS:
        setting, owner = BACKEND_FIELDS[setting], StateBackend
    else:
        owner = AppConfig
    by_name = {f.name: f for f in fields(owner)}
    if setting not in by_name:
        return "none"
    f = by_name[setting]
    value = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
    return _render(value)


def settings_table() -> str:
    lines = [
        "| setting (context key) | environment variable | default | valid values | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for setting in _PARSERS:
        source = _sources(setting)
        lines.append(
            f"| `{source.context_key}` | `{source.env_var}` | {default_of(setting)} | "
            f"{validation_rule(setting)} | {MEANINGS[setting]} |"
        )
    return "\n".join(lines)


def presets_table() -> str:
    """What each environment gets unless a setting says otherwise (``PROTECTION_PRESETS`` and ``PRESETS``)."""

    def on(flag: bool) -> str:
        return "on" if flag else "off"

    def row(label: str, protection: Any, preset: dict[str, Any]) -> str:
        def value(name: str) -> Any:
            return preset.get(name, default_value(name))

        lock = value("audit_object_lock_days")
        reserved = [value(f"{spec.role}_reserved_concurrency") for spec in FUNCTIONS]
        return (
            f"| {label} | {on(protection.deletion_protection)} | {on(protection.force_destroy)} | "
            f"{value('log_retention_days')} days | {f'{lock} days' if lock else 'off'} | {on(value('waf'))} | "
            f"{value('access_logs')} | {' / '.join(str(r) if r else '-' for r in reserved)} | {value('vpc_mode')} |"
        )

    lines = [
        "| environment | deletion protection | force destroy | log retention | audit Object Lock | WAF "
        f"| access logs | reserved concurrency ({' / '.join(spec.role for spec in FUNCTIONS)}) | VPC mode |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for env in dict.fromkeys([*PROTECTION_PRESETS, *PRESETS]):
        lines.append(row(f"`{env}`", PROTECTION_PRESETS.get(env, DEFAULT_PROTECTION), dict(PRESETS.get(env, {}))))
    lines.append(row("anything else (`dev`, ...)", DEFAULT_PROTECTION, {"log_retention_days": DEFAULT_RETENTION_DAYS}))
    return "\n".join(lines)


def default_value(setting: str) -> Any:
    """The plain field default of ``setting`` (no preset)."""
    f = {f.name: f for f in fields(AppConfig)}[setting]
    return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]


def blocks() -> dict[str, str]:
    """Name -> text docs/configuration.md must contain verbatim."""
    return {"settings table": settings_table(), "presets table": presets_table()}


if __name__ == "__main__":
    print(settings_table() + "\n\n" + presets_table())
