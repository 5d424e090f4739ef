"""SSM Parameter Store adapter: risk settings, webhook signing keys, card fingerprint key, label signing keys.

Every reader of a parameter goes through ``CachedParameters``: Powertools Parameters
(``SSMProvider``) fetch them (with decryption) and cache them for ``max_age`` seconds, so a warm
container does not pay SSM on every request, yet picks up a rotated signing key within ``max_age``
(the rotation runbook waits that long before moving senders). Several names are one batched
``GetParameters`` call (the webhook: all three, once per cold start and per ``max_age``); a single
name is one ``GetParameter`` (the batch's settings). The Terraform placeholder ``UNSET`` and keys
shorter than 32 characters are refused (``fraud_detection.key_set``, the same rules the rotation
command writes by): serving with a guessable key would be worse than not serving.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from aws_lambda_powertools.utilities.parameters.ssm import SSMProvider
from botocore.exceptions import BotoCoreError, ClientError

from fraud_detection import key_set
from fraud_detection.settings import Settings, parse_settings
from fraud_detection.validation import InvalidDocument

T = TypeVar("T")
DEFAULT_MAX_AGE_SECONDS = 300
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


class _ObservedClient:
    """The SSM client as Powertools sees it, remembering why the last ``GetParameters`` failed.

    Powertools answers ``InternalServerError`` and ``InvalidKeyId`` from a batched call with an empty
    result instead of an error (``SSMProvider.get_parameters_by_name``); the back-off still has to
    log the cause (an operator reads "InternalServerError", not "not found")."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.last_error: Exception | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_parameters(self, **request: Any) -> Any:
        self.last_error = None
        try:
            return self._client.get_parameters(**request)
        except (ClientError, BotoCoreError) as error:
            self.last_error = error
            raise


class CachedParameters:
    """Named parameters through Powertools (cached ``max_age`` seconds) behind a failure back-off.

    Thread-safe, so one cold start makes one call. ``load(parse)`` returns ``parse(values)``, parsed
    once per fetched value set (a cached read returns the very same object)."""

    def __init__(
        self,
        client: Any,
        names: Sequence[str],
        *,
        max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
        retry_after_seconds: float = DEFAULT_RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = _ObservedClient(client)
        self.provider = SSMProvider(boto3_client=self._client)
        self._names = tuple(names)
        self._max_age = max_age_seconds
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._parsed: tuple[tuple[str, ...], Any] | None = None  # the values last parsed, and the result
        self._failed: tuple[float, str] | None = None  # when the last load failed, and why

    def load(self, parse: Callable[[dict[str, str]], T]) -> T:
        """``parse`` of the cached or freshly fetched values, or ``ParametersUnavailable`` while backing off."""
        with self._lock:
            now = self._clock()
            if self._failed is not None and now - self._failed[0] < self._retry_after:
                wait = self._retry_after - (now - self._failed[0])
                raise ParametersUnavailable(f"backing off after: {self._failed[1]}", wait)
            try:
                values = self._fetch()
                key = tuple(values[name] for name in self._names)
                if self._parsed is None or self._parsed[0] != key:
                    self._parsed = (key, parse(values))
            except (ClientError, BotoCoreError, GetParameterError, ParameterError) as error:
                self.provider.clear_cache()  # values that did not parse are fetched again after the back-off
                reason = f"{type(error).__name__}: {error}"
                self._failed = (now, reason)
                raise ParametersUnavailable(reason, self._retry_after) from error
            self._failed = None
            return self._parsed[1]

    def _fetch(self) -> dict[str, str]:
        if len(self._names) == 1:
            [name] = self._names
            return {name: str(self.provider.get(name, max_age=self._max_age, decrypt=True))}
        try:
            values = self.provider.get_parameters_by_name(
                {name: {} for name in self._names}, decrypt=True, max_age=self._max_age, raise_on_error=True
            )
        except GetParameterError as error:  # SSM listed some names as InvalidParameters
            raise ParameterError(f"parameters not found ({error})") from error
        missing = [name for name in self._names if name not in values]
        if missing and self._client.last_error is not None:
            raise self._client.last_error
        if missing:
            raise ParameterError(f"parameters not found: {', '.join(missing)}")
        return {name: str(values[name]) for name in self._names}


class ParameterStore:
    """The webhook's three parameters, loaded together (one ``GetParameters``) and parsed."""

    def __init__(self, client: Any, names: ParameterNames, **options: Any) -> None:
        self._names = names
        batch = (names.settings, names.signing_keys, names.fingerprint_key)
        self.parameters = CachedParameters(client, batch, **options)

    def webhook_parameters(self) -> WebhookParameters:
        """The cached parameters, a fresh load, or ``ParametersUnavailable`` while backing off."""
        return self.parameters.load(self._parse)

    def _parse(self, values: dict[str, str]) -> WebhookParameters:
        names = self._names
        return WebhookParameters(
            settings=parse_settings_value(values[names.settings]),
            signing_secrets=parse_signing_keys(values[names.signing_keys]),
            fingerprint_key=parse_fingerprint_key(values[names.fingerprint_key]),
        )


@dataclass(frozen=True)
class LabelParameters:
    """What the labels function needs: the settings (signature tolerance, body size) and the label key set."""

    settings: Settings
    signing_secrets: tuple[str, ...]


class LabelParameterStore:
    """The labels function's two parameters, loaded together (one ``GetParameters``) through the same cache
    and back-off as the webhook's. The label key set has the webhook key set's shape and rules
    (``fraud_detection.key_set``), but is another parameter: a sender's keys never validate a label."""

    def __init__(self, client: Any, settings_name: str, signing_keys_name: str, **options: Any) -> None:
        self._settings_name = settings_name
        self._signing_keys_name = signing_keys_name
        self.parameters = CachedParameters(client, (settings_name, signing_keys_name), **options)

    def label_parameters(self) -> LabelParameters:
        """The cached parameters, a fresh load, or ``ParametersUnavailable`` while backing off."""
        return self.parameters.load(self._parse)

    def _parse(self, values: dict[str, str]) -> LabelParameters:
        return LabelParameters(
            settings=parse_settings_value(values[self._settings_name]),
            signing_secrets=parse_signing_keys(values[self._signing_keys_name]),
        )


class SettingsStore:
    """The risk settings alone (the batch): one ``GetParameter``, through the same cache and back-off."""

    def __init__(self, client: Any, name: str, **options: Any) -> None:
        self._name = name
        self.parameters = CachedParameters(client, (name,), **options)

    def load(self, *, fresh: bool = False) -> Settings:
        """The cached settings; ``fresh``: read the parameter now, whatever the cache holds (one call)."""
        if fresh:
            self.parameters.provider.clear_cache()
        return self.parameters.load(lambda values: parse_settings_value(values[self._name]))


def parse_settings_value(value: str) -> Settings:
    """The settings document, or ``ParameterError`` naming its invalid keys and error codes (no values)."""
    try:
        return parse_settings(value)
    except InvalidDocument as error:
        raise ParameterError(f"settings parameter is invalid: {error.summary()}") from error
