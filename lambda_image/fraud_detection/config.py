"""Runtime configuration: the environment variables ``ContainerFunction`` sets (docs/contract.md).

Read once per cold start into a frozen dataclass. Variables a function does not need may be
absent (the webhook has no bucket), so each field is optional and a handler asks for what it
needs with ``require``: a missing name then fails loudly at first use instead of as a
``KeyError`` deep inside an adapter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_WINDOW_SHARDS = 8
DEFAULT_METRICS_NAMESPACE = "FraudDetection"  # docs/contract.md, "Metrics"


class ConfigError(RuntimeError):
    """A variable the running handler needs is missing or malformed (a deployment bug)."""


@dataclass(frozen=True)
class Config:
    environment: str
    table_name: str | None = None
    window_shards: int = DEFAULT_WINDOW_SHARDS
    bucket_name: str | None = None
    topic_arn: str | None = None
    settings_parameter: str | None = None
    signing_keys_parameter: str | None = None
    fingerprint_key_parameter: str | None = None

    def require(self, field: str) -> str:
        """The value of an optional field, or ``ConfigError`` naming the variable."""
        value = getattr(self, field)
        if not value:
            raise ConfigError(f"environment variable {field.upper()} is not set")
        return str(value)


def from_env(environ: Mapping[str, str] | None = None) -> Config:
    """Build the config from ``environ`` (default ``os.environ``); empty strings count as unset."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        return env.get(name) or None

    shards_text = env.get("WINDOW_SHARDS") or str(DEFAULT_WINDOW_SHARDS)
    if not shards_text.isdigit() or not 1 <= int(shards_text) <= 1000:
        raise ConfigError("WINDOW_SHARDS must be an integer between 1 and 1000")
    return Config(
        environment=env.get("ENVIRONMENT") or "dev",
        table_name=get("TABLE_NAME"),
        window_shards=int(shards_text),
        bucket_name=get("BUCKET_NAME"),
        topic_arn=get("TOPIC_ARN"),
        settings_parameter=get("SETTINGS_PARAMETER"),
        signing_keys_parameter=get("SIGNING_KEYS_PARAMETER"),
        fingerprint_key_parameter=get("FINGERPRINT_KEY_PARAMETER"),
    )


def metrics_namespace(environ: Mapping[str, str] | None = None) -> str:
    """``POWERTOOLS_METRICS_NAMESPACE``, or the contract's namespace when it is unset or empty."""
    env = os.environ if environ is None else environ
    return env.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE
