"""Runtime configuration: the environment variables ``ContainerFunction`` sets (``fraud_detection.contract``).

Read once per cold start into a frozen dataclass. Variables a function does not need may be
absent (the webhook has no bucket), so each field is optional and a handler asks for what it
needs with ``require``: a missing name then fails loudly at first use instead of as a
``KeyError`` deep inside an adapter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from fraud_detection import contract


class ConfigError(RuntimeError):
    """A variable the running handler needs is missing or malformed (a deployment bug)."""


# Config field -> the environment variable it is read from (``require`` names the variable).
_VARIABLES = {
    "table_name": contract.ENV_TABLE_NAME,
    "bucket_name": contract.ENV_BUCKET_NAME,
    "topic_arn": contract.ENV_TOPIC_ARN,
    "settings_parameter": contract.ENV_SETTINGS_PARAMETER,
    "shadow_settings_parameter": contract.ENV_SHADOW_SETTINGS_PARAMETER,
    "signing_keys_parameter": contract.ENV_SIGNING_KEYS_PARAMETER,
    "fingerprint_key_parameter": contract.ENV_FINGERPRINT_KEY_PARAMETER,
    "label_signing_keys_parameter": contract.ENV_LABEL_SIGNING_KEYS_PARAMETER,
    "labels_api_key_id": contract.ENV_LABELS_API_KEY_ID,
}


@dataclass(frozen=True)
class Config:
    environment: str
    table_name: str | None = None
    window_shards: int = contract.DEFAULT_WINDOW_SHARDS
    pattern_ttl_days: int = contract.DEFAULT_PATTERN_TTL_DAYS
    bucket_name: str | None = None
    topic_arn: str | None = None
    settings_parameter: str | None = None
    shadow_settings_parameter: str | None = None
    """Set (the stream) only when a shadow file is deployed: every new decision is also decided under it."""
    shadow_report_top_n: int | None = None
    """Set (the batch) only when a shadow file is deployed: the daily report's shadow section lists this many."""
    signing_keys_parameter: str | None = None
    fingerprint_key_parameter: str | None = None
    label_signing_keys_parameter: str | None = None
    """The labels function only: the labellers' signing-key set (never the webhook's)."""
    labels_api_key_id: str | None = None
    """The labels function only: the one API key id it answers (``requestContext.identity.apiKeyId``)."""

    def require(self, field: str) -> str:
        """The value of an optional field, or ``ConfigError`` naming the variable."""
        value = getattr(self, field)
        if not value:
            raise ConfigError(f"environment variable {_VARIABLES.get(field, field.upper())} is not set")
        return str(value)


def _bounded(env: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    """An integer variable between 1 and ``maximum``; unset or empty means ``default``."""
    text = env.get(name) or str(default)
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ConfigError(f"{name} must be an integer between 1 and {maximum}")
    return int(text)


def from_env(environ: Mapping[str, str] | None = None) -> Config:
    """Build the config from ``environ`` (default ``os.environ``); empty strings count as unset."""
    env = os.environ if environ is None else environ
    optional = {field: env.get(variable) or None for field, variable in _VARIABLES.items()}
    return Config(
        environment=env.get(contract.ENV_ENVIRONMENT) or "dev",
        window_shards=_bounded(
            env, contract.ENV_WINDOW_SHARDS, contract.DEFAULT_WINDOW_SHARDS, contract.MAX_WINDOW_SHARDS
        ),
        pattern_ttl_days=_bounded(
            env, contract.ENV_PATTERN_TTL_DAYS, contract.DEFAULT_PATTERN_TTL_DAYS, contract.MAX_PATTERN_TTL_DAYS
        ),
        shadow_report_top_n=(
            _bounded(env, contract.ENV_SHADOW_REPORT_TOP_N, 0, contract.MAX_SHADOW_REPORT_TOP_N)
            if env.get(contract.ENV_SHADOW_REPORT_TOP_N)
            else None
        ),
        **optional,
    )
