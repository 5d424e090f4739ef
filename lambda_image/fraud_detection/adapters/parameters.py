"""SSM Parameter Store adapter: risk settings, webhook signing keys, card fingerprint key.

One ``GetParameters`` call (with decryption) fetches all three, cached for ``max_age`` seconds:
a warm container does not pay SSM on every request, yet picks up a rotated signing key within
``max_age`` (the rotation runbook waits that long before moving senders). The Terraform
placeholder ``UNSET`` and keys shorter than 32 characters are refused (``fraud_detection.key_set``,
the same rules the rotation command writes by): serving with a guessable key would be worse than
not serving.

A failed load (SSM or KMS down, throttled, a placeholder, a missing parameter) is remembered for
``retry_after`` seconds: during that time every request is refused at once with
``ParametersUnavailable`` (the webhook answers 503 with ``Retry-After``) instead of calling SSM
again. Without it, an outage turns every delivery into another ``GetParameters`` call, and SSM's
throughput limit for that API (tens of calls per second per account) is reached by the retries
of a busy webhook, which prolongs the outage for every function sharing the account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from fraud_detection import key_set
from fraud_detection.settings import Settings, parse_settings

DEFAULT_MAX_AGE_SECONDS = 300.0
DEFAULT_RETRY_AFTER_SECONDS = 5.0


class ParameterError(RuntimeError):
    """A parameter is missing, still the placeholder, or malformed (operator action needed)."""


class ParametersUnavailable(ParameterError):
    """Loading failed (AWS error or bad values); ``retry_after`` seconds until the next attempt."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
        retry_after_seconds: float = DEFAULT_RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._names = names
        self._max_age = max_age_seconds
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, WebhookParameters] | None = None
        self._failed: tuple[float, str] | None = None  # when the last load failed, and why

    def webhook_parameters(self) -> WebhookParameters:
        """The cached parameters, a fresh load, or ``ParametersUnavailable`` while backing off."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._max_age:
                return self._cached[1]
            if self._failed is not None and now - self._failed[0] < self._retry_after:
                wait = self._retry_after - (now - self._failed[0])
                raise ParametersUnavailable(f"backing off after: {self._failed[1]}", wait)
            try:
                loaded = self._load()
            except (ClientError, BotoCoreError, ParameterError) as error:
                reason = f"{type(error).__name__}: {error}"
                self._failed = (now, reason)
                raise ParametersUnavailable(reason, self._retry_after) from error
            self._cached, self._failed = (now, loaded), None
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
