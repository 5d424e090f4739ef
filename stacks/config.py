"""Application configuration: one typed, validated object built before any stack exists.

Every setting is read from ``cdktf.json`` context and may be overridden by an environment
variable (``FRAUD_<NAME>``); environment variables win so CI can change one value without
editing files. Invalid values raise :class:`ConfigError` naming the setting, so ``cdktf synth``
fails before a single resource is created. This module must stay free of cdktf imports:
``main.py`` validates configuration first, which keeps a bad value's feedback instant.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fraud_detection.contract import (
    BATCH,
    DEFAULT_PATTERN_TTL_DAYS,
    DEFAULT_SETTINGS,
    DEFAULT_SHADOW_REPORT_TOP_N,
    DEFAULT_WINDOW_SHARDS,
    LABELS,
    MAX_PATTERN_TTL_DAYS,
    MAX_SHADOW_REPORT_TOP_N,
    NAME_PREFIX,
    PROJECT,
    STREAM,
    WEBHOOK,
    resource_name,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IMAGE_CONTEXT_DIR = PROJECT_ROOT / "lambda_image"
SETTINGS_DIR = PROJECT_ROOT / "settings"
"""Where the live and shadow settings files live (``settingsFile``, ``shadowSettingsFile``)."""

# CloudWatch Logs accepts only these retention values.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
# A key ARN, not an alias: the state bucket's policy compares the SSE-KMS key id header with it.
_KMS_KEY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$")


class ConfigError(ValueError):
    """A setting has an invalid value; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Protection:
    """Whether stateful resources resist deletion; presets per environment (docs/configuration.md)."""

    deletion_protection: bool
    force_destroy: bool


PROTECTION_PRESETS: Mapping[str, Protection] = {
    "prod": Protection(deletion_protection=True, force_destroy=False),
    "staging": Protection(deletion_protection=True, force_destroy=False),
}
DEFAULT_PROTECTION = Protection(deletion_protection=False, force_destroy=True)
DEFAULT_RETENTION_DAYS = 30
MAX_DEPLOY_ENVIRONMENTS = 3
LABELS_UNRESERVED_BURST = 10
"""The labels route's usage-plan burst when ``labels_reserved_concurrency`` is unset (docs/capacity.md)."""
LABELS_RATE_PER_BURST = 5
"""The labels route's steady rate is this many times its burst: at ~200 ms per warm request, Little's law
keeps the function's concurrency at the burst (docs/capacity.md, "The labels route's throttle")."""
LABELS_QUOTA_PER_DAY = 100_000
"""Requests per day on the labels key: labellers post a few a second at most; a leaked key stops here."""

VPC_MODES = ("off", "create", "existing")
VPC_ENDPOINT_MODES = ("create", "existing")
ACCESS_LOG_MODES = ("off", "server", "cloudtrail")

# Settings an environment gets unless they are set explicitly (docs/configuration.md, "Presets").
# The prod reservations are sized in docs/capacity.md ("Reserved concurrency per function").
PRESETS: Mapping[str, Mapping[str, Any]] = {
    "prod": {
        "log_retention_days": 365,
        "audit_object_lock_days": 365,
        "waf": True,
        "access_logs": "server",
        "webhook_reserved_concurrency": 200,
        "stream_reserved_concurrency": 10,
        "batch_reserved_concurrency": 2,
        "labels_reserved_concurrency": 2,
    },
    "staging": {"log_retention_days": 90},
}
RETENTION_PRESETS: Mapping[str, int] = {env: p["log_retention_days"] for env, p in PRESETS.items()}

# Settings that no longer exist: naming one fails synth with what replaced it.
RETIRED_SETTINGS: Mapping[str, str] = {
    "reserved_concurrency": "it applied one value to all three functions; set webhookReservedConcurrency, "
    "streamReservedConcurrency and batchReservedConcurrency instead",
}


@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps state: ``local`` (files under ``state/``) or ``s3`` (native locking)."""

    kind: str = "local"
    bucket: str | None = None
    key_prefix: str = PROJECT
    region: str | None = None
    kms_key_arn: str | None = None
    """The state key (bootstrap output ``state_key_arn``): state, lock and digest objects are written with it."""


@dataclass(frozen=True)
class AppConfig:
    """Everything the stacks need to know; defaults are documented in docs/configuration.md."""

    environment: str = "dev"
    region: str = "us-east-1"
    tags: Mapping[str, str] = field(default_factory=dict)
    backend: StateBackend = field(default_factory=StateBackend)
    image_tag: str | None = None
    alert_email: str | None = None
    protection: Protection = DEFAULT_PROTECTION
    log_retention_days: int = DEFAULT_RETENTION_DAYS
    pattern_ttl_days: int = DEFAULT_PATTERN_TTL_DAYS
    window_shards: int = DEFAULT_WINDOW_SHARDS
    audit_transition_days: int = 90
    audit_noncurrent_expiry_days: int = 30
    audit_object_lock_days: int | None = None
    api_throttle_rate: int = 100
    api_throttle_burst: int = 200
    api_quota_per_day: int = 1_000_000
    stream_batch_size: int = 100
    stream_batching_window_seconds: int = 5
    webhook_reserved_concurrency: int | None = None
    stream_reserved_concurrency: int | None = None
    batch_reserved_concurrency: int | None = None
    labels_reserved_concurrency: int | None = None
    webhook_provisioned_concurrency: int = 0
    """Provisioned concurrency on the webhook's ``live`` alias (0: none)."""
    vpc_mode: str = "off"
    """``off``: functions use Lambda's network; ``create``: a private VPC of this stack; ``existing``:
    ``vpc_subnet_ids`` and ``vpc_security_group_ids``."""
    vpc_cidr: str = "10.42.0.0/16"
    vpc_subnet_ids: tuple[str, ...] = ()
    vpc_security_group_ids: tuple[str, ...] = ()
    vpc_endpoints: str = "create"
    """``create`` the interface and gateway endpoints, or use ``existing`` ones (one private-DNS
    interface endpoint per service and VPC)."""
    waf: bool = False
    waf_rate_limit: int | None = None
    """Requests per source IP per 5 minutes before the WAF blocks it; None: 300 x ``api_throttle_rate``."""
    waf_allowed_ips: tuple[str, ...] = ()
    access_logs: str = "off"
    audit_replica_region: str | None = None
    manage_api_gateway_account: bool = True
    github_repository: str | None = None
    deploy_environments: tuple[str, ...] = ("dev",)
    """GitHub environments whose deploy jobs may assume the deploy role (one OIDC ``sub`` each)."""
    github_oidc_provider_arn: str | None = None
    """Reuse this account's GitHub OIDC provider (an account allows one per URL) instead of creating it."""
    xray_encryption: bool = False
    """Bootstrap encrypts X-Ray traces with a CMK (region-wide: affects every workload of the account)."""
    settings_file: str | None = None
    """The live risk settings JSON, a file of the repository (None: the contract's ``DEFAULT_SETTINGS``)."""
    shadow_settings_file: str | None = None
    """Shadow risk settings JSON, a file of the repository: the stream decides every decision under it too."""
    shadow_report_top_n: int = DEFAULT_SHADOW_REPORT_TOP_N
    """Differing transactions (largest amounts first) the daily report lists while a shadow is set."""
    shadow_block_share_alarm: int = 5
    """Percent of decisions the shadow would block more than live before the shadow alarm fires."""

    @property
    def resource_tags(self) -> dict[str, str]:
        """Tags on every resource: the project's own plus the user's (the user's win)."""
        return {"project": PROJECT, "environment": self.environment, "managed-by": "cdktf"} | dict(self.tags)

    def name(self, base: str) -> str:
        """Environment-scoped resource name, e.g. ``fraud-patterns-dev``."""
        return resource_name(base, self.environment)

    def reserved_concurrency(self, role: str) -> int | None:
        """The reservation of one function (``webhook``, ``stream``, ``batch`` or ``labels``), or None."""
        return {
            WEBHOOK.role: self.webhook_reserved_concurrency,
            STREAM.role: self.stream_reserved_concurrency,
            BATCH.role: self.batch_reserved_concurrency,
            LABELS.role: self.labels_reserved_concurrency,
        }[role]

    @property
    def labels_throttle_burst(self) -> int:
        """Burst of the labels route's usage plan: its reservation (or ``LABELS_UNRESERVED_BURST``), so API
        Gateway answers 429 before Lambda throttles the function, which a proxy integration turns into a 500
        (AWS Lambda Developer Guide, "Handling Lambda errors with an API Gateway API"). Never above the
        stage's burst, which caps every method anyway."""
        return min(self.labels_reserved_concurrency or LABELS_UNRESERVED_BURST, self.api_throttle_burst)

    @property
    def labels_throttle_rate(self) -> int:
        """Steady rate of the labels route's usage plan: ``LABELS_RATE_PER_BURST`` x its burst, at most the
        stage's rate."""
        return min(LABELS_RATE_PER_BURST * self.labels_throttle_burst, self.api_throttle_rate)

    @property
    def labels_quota_per_day(self) -> int:
        """Daily quota of the labels key: ``LABELS_QUOTA_PER_DAY``, at most the API's ``api_quota_per_day``."""
        return min(LABELS_QUOTA_PER_DAY, self.api_quota_per_day)

    @property
    def effective_waf_rate_limit(self) -> int:
        """The per-IP limit per 5-minute window: the setting, or the stage's rate over 300 s."""
        return self.waf_rate_limit or self.api_throttle_rate * 300


def deploy_role_name(region: str) -> str:
    """The GitHub deploy role (bootstrap stack); IAM is global, so the name carries the region."""
    return f"{NAME_PREFIX}-github-deploy-{region}"


def permissions_boundary_name(region: str) -> str:
    """The managed policy every role the deploy role creates must carry as its permissions boundary."""
    return f"{NAME_PREFIX}-permissions-boundary-{region}"


def api_gateway_cloudwatch_role_name(region: str) -> str:
    """The account-level API Gateway logging role (bootstrap stack)."""
    return f"{NAME_PREFIX}-apigw-cloudwatch-{region}"


@dataclass(frozen=True)
class _Source:
    context_key: str
    env_var: str


def _sources(field_name: str) -> _Source:
    head, *rest = field_name.split("_")
    return _Source(head + "".join(part.title() for part in rest), "FRAUD_" + field_name.upper())


def _fail(field_name: str, value: object, why: str) -> ConfigError:
    src = _sources(field_name)
    return ConfigError(
        f"Invalid setting '{field_name}' (cdktf.json context '{src.context_key}' or env {src.env_var}): {value!r} {why}"
    )


def _described(rule: str) -> Callable[[Callable[[str, Any], Any]], Callable[[str, Any], Any]]:
    """Attach the human-readable validation ``rule`` to a parser (docs/configuration.md renders it)."""

    def attach(parse: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
        parse.rule = rule  # type: ignore[attr-defined]
        return parse

    return attach


@_described("true or false (also 1/0, yes/no)")
def _as_bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise _fail(name, raw, "must be true or false")


def _as_int(name: str, raw: Any, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise _fail(name, raw, f"must be a whole number from {low} to {high}")
    return value


def validation_rule(setting: str) -> str:
    """What a valid value of ``setting`` is, as the docs state it."""
    return _PARSERS[setting].rule  # type: ignore[attr-defined]


def _int_range(low: int, high: int) -> Callable[[str, Any], int]:
    @_described(f"whole number {low}-{high}")
    def parse(name: str, raw: Any) -> int:
        return _as_int(name, raw, low, high)

    return parse


def _matching(pattern: re.Pattern[str], why: str) -> Callable[[str, Any], str]:
    @_described(why.removeprefix("must ").removeprefix("is not ").removeprefix("be ").removeprefix("look like "))
    def parse(name: str, raw: Any) -> str:
        text = str(raw)
        if not pattern.fullmatch(text):
            raise _fail(name, raw, why)
        return text

    return parse


@_described("a valid ECR tag (letters, digits, '_', '.', '-'; up to 128), not `latest`")
def _image_tag(name: str, raw: Any) -> str:
    tag = _matching(_IMAGE_TAG, "must be a valid ECR tag (letters, digits, '_', '.', '-'; up to 128)")(name, raw)
    if tag == "latest":
        raise _fail(name, raw, "is a mutable tag; use the content-hash tag or a release tag")
    return tag


@_described("JSON object of string tags (keys 1-128 characters, values up to 256, no `aws:` prefix)")
def _tags(name: str, raw: Any) -> Mapping[str, str]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _fail(name, raw, "must be a JSON object of string tags") from exc
    if not isinstance(raw, Mapping):
        raise _fail(name, raw, "must be an object of string tags")
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or len(key) > 128 or len(value) > 256:
            raise _fail(name, {key: value}, "tag keys must be 1-128 characters, values up to 256")
        if key.lower().startswith("aws:"):
            raise _fail(name, key, "uses the reserved 'aws:' prefix")
    return dict(raw)


@_described("non-empty JSON list or comma-separated list of at most 3 distinct environment names")
def _environments(name: str, raw: Any) -> tuple[str, ...]:
    """A JSON list or a comma-separated string of environment names, e.g. ``staging,prod``."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = json.loads(text) if text.startswith("[") else [part.strip() for part in text.split(",")]
        except json.JSONDecodeError as exc:
            raise _fail(name, text, "must be a JSON list or a comma-separated list of environment names") from exc
    if not isinstance(raw, list | tuple) or not raw:
        raise _fail(name, raw, "must be a non-empty list of environment names")
    for item in raw:
        if not isinstance(item, str) or not _ENVIRONMENT.fullmatch(item):
            raise _fail(name, item, "is not an environment name (2-12 lowercase letters or digits)")
    if len(set(raw)) != len(raw):
        raise _fail(name, raw, "lists an environment twice")
    if len(raw) > MAX_DEPLOY_ENVIRONMENTS:
        # The deploy role's permissions boundary is one managed policy (at most 6,144 characters, IAM User
        # Guide, "IAM and AWS STS quotas") and grows ~1,060 characters per environment plus 15 per character
        # of its name (docs/security.md, "Size"): four never fit.
        raise _fail(name, raw, f"lists more than {MAX_DEPLOY_ENVIRONMENTS} environments (one deploy role's quota)")
    return tuple(raw)


@_described("path of a JSON file under `settings/`, relative to the repository root, holding valid risk settings")
def _settings_file(name: str, raw: Any) -> str:
    """A settings file, checked with the image's own settings model: a bad key fails synth naming it. Only
    under ``settings/``, an input of ``make synth`` (tools/synth_inputs.py), so an edit is never skipped."""
    from fraud_detection.settings import Settings, parse_settings
    from fraud_detection.validation import InvalidDocument

    text = str(raw).strip()
    path = (PROJECT_ROOT / text).resolve()
    if not text or Path(text).is_absolute() or not path.is_relative_to(SETTINGS_DIR):
        raise _fail(name, raw, "must be a path relative to the repository root, under settings/")
    if not path.is_file():
        raise _fail(name, raw, "is not a file of the repository")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(name, raw, f"is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise _fail(name, raw, "must hold a JSON object")
    unknown = sorted(set(document) - set(Settings.__struct_fields__))
    if unknown:  # the image's report hides unknown keys (a caller's); an operator's file names them
        raise _fail(name, raw, f"is not valid settings: unknown keys {', '.join(unknown)}")
    try:
        parse_settings(json.dumps(document))
    except InvalidDocument as error:
        raise _fail(name, raw, f"is not valid settings: {error.summary()}") from error
    return text


def settings_document(path: str | None) -> dict[str, Any]:
    """The settings JSON a parameter is written with: the file's object (validated by ``load_config``), or the
    contract's defaults when no file is set."""
    if path is None:
        return dict(DEFAULT_SETTINGS)
    return json.loads((PROJECT_ROOT / path).read_text(encoding="utf-8"))


def _list(name: str, raw: Any) -> list[Any]:
    """A JSON list or a comma-separated string."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        except json.JSONDecodeError as exc:
            raise _fail(name, text, "must be a JSON list or a comma-separated list") from exc
    if not isinstance(raw, list | tuple):
        raise _fail(name, raw, "must be a list")
    return list(raw)


def _ids(pattern: re.Pattern[str], what: str) -> Callable[[str, Any], tuple[str, ...]]:
    @_described(f"JSON list or comma-separated list of {what}")
    def parse(name: str, raw: Any) -> tuple[str, ...]:
        items = _list(name, raw)
        for item in items:
            if not isinstance(item, str) or not pattern.fullmatch(item):
                raise _fail(name, item, f"is not one of {what}")
        if len(set(items)) != len(items):
            raise _fail(name, items, "lists a value twice")
        return tuple(items)

    return parse


def _one_of(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    @_described(" or ".join(f"`{c}`" for c in choices))
    def parse(name: str, raw: Any) -> str:
        text = str(raw).strip()
        if text not in choices:
            raise _fail(name, raw, "must be " + " or ".join(repr(c) for c in choices))
        return text

    return parse


@_described("JSON list or comma-separated list of public IPv4/IPv6 CIDR blocks")
def _cidrs(name: str, raw: Any) -> tuple[str, ...]:
    items = _list(name, raw)
    out = []
    for item in items:
        try:
            network = ipaddress.ip_network(str(item), strict=True)
        except ValueError as exc:
            raise _fail(name, item, "is not a CIDR block (e.g. 52.94.76.0/22)") from exc
        if not network.is_global:
            raise _fail(name, item, "is not a public address range (senders reach the API over the internet)")
        out.append(str(network))
    if len(set(out)) != len(out):
        raise _fail(name, items, "lists a range twice")
    return tuple(out)


@_described("a private IPv4 CIDR block from /16 to /24 (RFC 1918)")
def _vpc_cidr(name: str, raw: Any) -> str:
    try:
        network = ipaddress.IPv4Network(str(raw), strict=True)
    except ValueError as exc:
        raise _fail(name, raw, "is not an IPv4 CIDR block (e.g. 10.42.0.0/16)") from exc
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise _fail(name, raw, "must be a private (RFC 1918) block from /16 to /24")
    return str(network)


@_described("a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, ... 3653)")
def _retention(name: str, raw: Any) -> int:
    value = _as_int(name, raw, 1, 3653)
    if value not in LOG_RETENTION_DAYS:
        raise _fail(name, raw, f"is not a CloudWatch Logs retention value ({sorted(LOG_RETENTION_DAYS)})")
    return value


_PARSERS: Mapping[str, Callable[[str, Any], Any]] = {
    "environment": _matching(_ENVIRONMENT, "must be 2-12 lowercase letters or digits, starting with a letter"),
    "region": _matching(_REGION, "is not an AWS region name such as 'us-east-1'"),
    "tags": _tags,
    "image_tag": _image_tag,
    "alert_email": _matching(_EMAIL, "is not an e-mail address"),
    "log_retention_days": _retention,
    "pattern_ttl_days": _int_range(1, MAX_PATTERN_TTL_DAYS),
    "window_shards": _int_range(1, 64),
    "audit_transition_days": _int_range(30, 3650),
    "audit_noncurrent_expiry_days": _int_range(1, 3650),
    "audit_object_lock_days": _int_range(1, 36500),
    "api_throttle_rate": _int_range(1, 10_000),
    "api_throttle_burst": _int_range(1, 5_000),
    "api_quota_per_day": _int_range(1, 1_000_000_000),
    "stream_batch_size": _int_range(1, 10_000),
    "stream_batching_window_seconds": _int_range(0, 300),
    "webhook_reserved_concurrency": _int_range(1, 10_000),
    "stream_reserved_concurrency": _int_range(1, 10_000),
    "batch_reserved_concurrency": _int_range(1, 10_000),
    "labels_reserved_concurrency": _int_range(1, 10_000),
    "webhook_provisioned_concurrency": _int_range(0, 10_000),
    "vpc_mode": _one_of(VPC_MODES),
    "vpc_cidr": _vpc_cidr,
    "vpc_subnet_ids": _ids(re.compile(r"^subnet-[0-9a-f]{8,17}$"), "subnet ids (subnet-...)"),
    "vpc_security_group_ids": _ids(re.compile(r"^sg-[0-9a-f]{8,17}$"), "security group ids (sg-...)"),
    "vpc_endpoints": _one_of(VPC_ENDPOINT_MODES),
    "waf": _as_bool,
    "waf_rate_limit": _int_range(10, 2_000_000_000),
    "waf_allowed_ips": _cidrs,
    "access_logs": _one_of(ACCESS_LOG_MODES),
    "audit_replica_region": _matching(_REGION, "is not an AWS region name such as 'us-west-2'"),
    "manage_api_gateway_account": _as_bool,
    "github_repository": _matching(_GITHUB_REPO, "must look like 'owner/repository'"),
    "deploy_environments": _environments,
    "github_oidc_provider_arn": _matching(
        _OIDC_PROVIDER_ARN, "must be the ARN of this account's token.actions.githubusercontent.com OIDC provider"
    ),
    "xray_encryption": _as_bool,
    "settings_file": _settings_file,
    "shadow_settings_file": _settings_file,
    "shadow_report_top_n": _int_range(1, MAX_SHADOW_REPORT_TOP_N),
    "shadow_block_share_alarm": _int_range(0, 100),
    "deletion_protection": _as_bool,
    "force_destroy": _as_bool,
    "backend": _matching(re.compile(r"^(local|s3)$"), "must be 'local' or 's3'"),
    "state_bucket": _matching(_BUCKET, "is not a valid S3 bucket name"),
    "state_key_prefix": _matching(re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,200}$"), "is not a valid S3 key prefix"),
    "state_region": _matching(_REGION, "is not an AWS region name such as 'us-east-1'"),
    "state_kms_key_arn": _matching(_KMS_KEY_ARN, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"),
}


def _lookup(name: str, context: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    src = _sources(name)
    if environ.get(src.env_var, "") != "":
        return environ[src.env_var]
    return context.get(src.context_key)


def load_config(context: Mapping[str, Any], environ: Mapping[str, str]) -> AppConfig:
    """Build the configuration from cdktf.json context and environment variables.

    Raises :class:`ConfigError` for the first invalid setting (its message names it).
    """

    def get(name: str) -> Any:
        raw = _lookup(name, context, environ)
        return None if raw is None else _PARSERS[name](name, raw)

    for retired, replacement in RETIRED_SETTINGS.items():
        raw = _lookup(retired, context, environ)
        if raw is not None:
            raise _fail(retired, raw, f"is no longer a setting: {replacement}")

    values: dict[str, Any] = {}
    for f in fields(AppConfig):
        if f.name in _PARSERS:
            parsed = get(f.name)
            if parsed is not None:
                values[f.name] = parsed

    environment = values.get("environment", "dev")
    for name, value in PRESETS.get(environment, {}).items():
        values.setdefault(name, value)
    preset = PROTECTION_PRESETS.get(environment, DEFAULT_PROTECTION)
    deletion = get("deletion_protection")
    force = get("force_destroy")
    values["protection"] = Protection(
        deletion_protection=preset.deletion_protection if deletion is None else deletion,
        force_destroy=preset.force_destroy if force is None else force,
    )
    if values["protection"].deletion_protection and values["protection"].force_destroy:
        raise _fail("force_destroy", True, "contradicts deletion_protection=true; turn one of them off explicitly")
    values.setdefault("log_retention_days", RETENTION_PRESETS.get(environment, DEFAULT_RETENTION_DAYS))
    values["backend"] = _backend(get, values.get("region", "us-east-1"))
    if values.get("api_throttle_burst", 200) < values.get("api_throttle_rate", 100) / 10:
        raise _fail("api_throttle_burst", values.get("api_throttle_burst"), "is below a tenth of the rate limit")
    if values.get("github_oidc_provider_arn") and not values.get("github_repository"):
        raise _fail("github_oidc_provider_arn", values["github_oidc_provider_arn"], "needs github_repository")
    _check_profile(values)
    return AppConfig(**values)


def _check_profile(values: Mapping[str, Any]) -> None:
    """Cross-setting rules of the hardened-profile options (VPC, WAF, concurrency, replication)."""
    mode = values.get("vpc_mode", "off")
    for name in ("vpc_subnet_ids", "vpc_security_group_ids"):
        if values.get(name) and mode != "existing":
            raise _fail(name, list(values[name]), "is only used with vpc_mode='existing'")
    if mode == "existing":
        subnets = values.get("vpc_subnet_ids", ())
        if len(subnets) < 2:
            raise _fail("vpc_subnet_ids", list(subnets), "needs at least two private subnets in different AZs")
        if not values.get("vpc_security_group_ids"):
            raise _fail("vpc_security_group_ids", [], "is required with vpc_mode='existing'")
    if "vpc_endpoints" in values and mode == "off":
        raise _fail("vpc_endpoints", values["vpc_endpoints"], "needs vpc_mode 'create' or 'existing'")
    if values.get("vpc_endpoints") == "existing" and mode != "existing":
        raise _fail("vpc_endpoints", "existing", "needs vpc_mode='existing' (a VPC this stack creates has none)")
    if not values.get("waf"):
        for name in ("waf_rate_limit", "waf_allowed_ips"):
            if values.get(name):
                raise _fail(name, values[name], "needs waf=true")
    provisioned = values.get("webhook_provisioned_concurrency", 0)
    reserved = values.get("webhook_reserved_concurrency")
    if reserved is not None and provisioned > reserved:
        # "Configuring provisioned concurrency for a function": it cannot exceed reserved concurrency.
        raise _fail(
            "webhook_provisioned_concurrency", provisioned, f"exceeds webhook_reserved_concurrency ({reserved})"
        )
    if not values.get("shadow_settings_file"):
        for name in ("shadow_report_top_n", "shadow_block_share_alarm"):
            if name in values:
                raise _fail(name, values[name], "needs shadow_settings_file")
    replica = values.get("audit_replica_region")
    if replica is not None and replica == values.get("region", "us-east-1"):
        raise _fail("audit_replica_region", replica, "must be another region than 'region'")


def _backend(get: Callable[[str], Any], region: str) -> StateBackend:
    kind = get("backend") or "local"
    bucket = get("state_bucket")
    kms_key_arn = get("state_kms_key_arn")
    if kind == "s3" and bucket is None:
        raise _fail("state_bucket", None, "is required when backend is 's3'")
    if kind == "s3" and kms_key_arn is None:
        # Without it Terraform writes state SSE-S3 (AES256), and the state bucket's policy refuses that.
        raise _fail("state_kms_key_arn", None, "is required when backend is 's3' (bootstrap output state_key_arn)")
    return StateBackend(
        kind=kind,
        bucket=bucket,
        key_prefix=get("state_key_prefix") or StateBackend.key_prefix,
        region=get("state_region") or region,
        kms_key_arn=kms_key_arn,
    )
