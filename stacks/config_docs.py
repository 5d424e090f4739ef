"""docs/configuration.md's settings table, rendered from ``stacks.config`` (setting, source, default,
validation). ``python -m stacks.config_docs`` prints it; ``tests/stacks/test_config_docs.py`` keeps the
doc equal to it. No cdktf import.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from typing import Any

from stacks.config import (
    _PARSERS,
    DEFAULT_PROTECTION,
    DEFAULT_RETENTION_DAYS,
    PROTECTION_PRESETS,
    RETENTION_PRESETS,
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
    "reserved_concurrency": "reserved concurrency per function (new accounts keep a small unreserved pool)",
    "manage_api_gateway_account": "bootstrap owns the region-wide API Gateway CloudWatch setting",
    "github_repository": "`owner/repo`: bootstrap creates the OIDC deploy role and its permissions boundary; "
    "the app's function roles carry the boundary",
    "deploy_environments": "GitHub environments whose deploy jobs the role trusts "
    "(`repo:<owner>/<repo>:environment:<env>`); keep equal to the workflow's deploy matrix (tested)",
    "github_oidc_provider_arn": "reuse the account's GitHub OIDC provider instead of creating it; needs "
    "`githubRepository`",
    "xray_encryption": "bootstrap encrypts X-Ray traces with a CMK; region-wide, it affects every workload",
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
    "deletion_protection": f"preset (`{json.dumps(DEFAULT_PROTECTION.deletion_protection)}` outside `prod`/`staging`)",
    "force_destroy": f"preset (`{json.dumps(DEFAULT_PROTECTION.force_destroy)}` outside `prod`/`staging`)",
    "state_region": "`region`",
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
    """Protection and log-retention presets per environment."""

    def on(flag: bool) -> str:
        return "on" if flag else "off"

    lines = [
        "| environment | deletion protection | force destroy | log retention |",
        "| --- | --- | --- | --- |",
    ]
    for env, preset in PROTECTION_PRESETS.items():
        retention = RETENTION_PRESETS.get(env, DEFAULT_RETENTION_DAYS)
        lines.append(f"| `{env}` | {on(preset.deletion_protection)} | {on(preset.force_destroy)} | {retention} days |")
    lines.append(
        f"| anything else (`dev`, ...) | {on(DEFAULT_PROTECTION.deletion_protection)} | "
        f"{on(DEFAULT_PROTECTION.force_destroy)} | {DEFAULT_RETENTION_DAYS} days |"
    )
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """Name -> text docs/configuration.md must contain verbatim."""
    return {"settings table": settings_table(), "presets table": presets_table()}


if __name__ == "__main__":
    print(settings_table() + "\n\n" + presets_table())
