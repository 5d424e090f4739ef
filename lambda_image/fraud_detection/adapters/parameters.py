"""SSM Parameter Store adapter: risk settings, webhook signing keys, card fingerprint key.

One ``GetParameters`` call (with decryption) fetches all three, cached for ``max_age`` seconds:
a warm container does not pay SSM on every request, yet picks up a rotated signing key within
``max_age`` (the rotation runbook waits that long before moving senders). The Terraform
placeholder ``UNSET`` and keys shorter than 32 characters are refused (``fraud_detection.key_set``,
the same rules the rotation command writes by): serving with a guessable key would be worse than
not serving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fraud_detection import key_set
from fraud_detection.settings import Settings, parse_settings

DEFAULT_MAX_AGE_SECONDS = 300.0


class ParameterError(RuntimeError):
    """A parameter is missing, still the placeholder, or malformed (operator action needed)."""


@dataclass(frozen=True)
class WebhookParameters:
    settings: Settings
    signing_secrets: tuple[str, ...]
    fingerprint_key: bytes


@dataclass(frozen=True)
class ParameterNames:
    settings: str
    signing_keys: str
    fingerprint_key: str


def parse_signing_keys(value: str) -> tuple[str, ...]:
    """``{"keys": {"<id>": "<secret>"}}`` -> the secrets; every listed key is accepted."""
    try:
        return key_set.signing_secrets(value)
    except key_set.KeySetError as error:
        raise ParameterError(str(error)) from error


def parse_fingerprint_key(value: str) -> bytes:
    if key_set.is_placeholder(value) or not key_set.is_strong_secret(value):
        raise ParameterError(f"fingerprint key is unset or shorter than {key_set.MIN_SECRET_CHARS} characters")
    return value.encode("utf-8")


class ParameterStore:
    """Loads and caches ``WebhookParameters``; thread-safe so one cold start makes one call."""

    def __init__(
        self,
        client: Any,
        names: ParameterNames,
        *,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._names = names
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, WebhookParameters] | None = None

    def webhook_parameters(self) -> WebhookParameters:
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._max_age:
                return self._cached[1]
            loaded = self._load()
            self._cached = (now, loaded)
            return loaded

    def _load(self) -> WebhookParameters:
        names = self._names
        response = self._client.get_parameters(
            Names=[names.settings, names.signing_keys, names.fingerprint_key], WithDecryption=True
        )
        values = {item["Name"]: item["Value"] for item in response.get("Parameters", [])}
        missing = [name for name in (names.settings, names.signing_keys, names.fingerprint_key) if name not in values]
        if missing:
            raise ParameterError(f"parameters not found: {', '.join(missing)}")
        try:
            settings = parse_settings(values[names.settings])
        except ValidationError as error:
            raise ParameterError("settings parameter is invalid") from error
        return WebhookParameters(
            settings=settings,
            signing_secrets=parse_signing_keys(values[names.signing_keys]),
            fingerprint_key=parse_fingerprint_key(values[names.fingerprint_key]),
        )
