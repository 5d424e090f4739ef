"""Risk settings: a JSON document in SSM Parameter Store, validated once per cold start.

Every key is optional; the defaults are the contract's (``fraud_detection.contract.DEFAULT_SETTINGS``,
documented in docs/contract.md), so the infrastructure may write ``{}`` and still get a working system.
Validation is msgspec's (``Settings`` is a ``msgspec.Struct``), reported field by field by
``fraud_detection.validation``: an invalid document names every invalid key. A value on both an allow
list and its block list is refused, naming the value (the outcome order: docs/rules.md).

``settings_version`` identifies the effective settings a decision was made under (docs/contract.md,
"Decision record"): the first 16 hex characters of the SHA-256 of ``canonical_json``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from typing import Annotated, Any

import msgspec

from fraud_detection.contract import DEFAULT_SETTINGS as _DEFAULTS
from fraud_detection.validation import FieldError, InvalidDocument, Schema

Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
Hour = Annotated[int, msgspec.Meta(ge=0, le=24)]
ListEntry = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
CardFingerprint = Annotated[str, msgspec.Meta(pattern=r"\A[0-9a-f]{32}\Z")]
"""A card fingerprint as the webhook computes it (``fraud_detection.privacy``): 32 lowercase hex characters,
so a list entry can never be a clear card number."""


class AmountTier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    min_amount: Annotated[float, msgspec.Meta(ge=0)]
    score: Score

    def __post_init__(self) -> None:
        if not math.isfinite(self.min_amount):  # msgspec's JSON decoder refuses 1e400; a tier built in code may not
            raise ValueError("min_amount must be finite")


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, cache_hash=True):
    """Tunable rules; unknown keys are rejected so a typo cannot silently disable a rule. Hashed once
    (``cache_hash``): the per-settings caches below are looked up on every decision."""

    review_threshold: Score = _DEFAULTS["review_threshold"]
    block_threshold: Score = _DEFAULTS["block_threshold"]
    high_amount_tiers: tuple[AmountTier, ...] = msgspec.convert(_DEFAULTS["high_amount_tiers"], tuple[AmountTier, ...])
    blocked_merchants: tuple[str, ...] = tuple(_DEFAULTS["blocked_merchants"])
    blocked_customers: tuple[ListEntry, ...] = tuple(_DEFAULTS["blocked_customers"])
    blocked_card_fingerprints: tuple[CardFingerprint, ...] = tuple(_DEFAULTS["blocked_card_fingerprints"])
    allowed_merchants: tuple[ListEntry, ...] = tuple(_DEFAULTS["allowed_merchants"])
    allowed_customers: tuple[ListEntry, ...] = tuple(_DEFAULTS["allowed_customers"])
    allowed_card_fingerprints: tuple[CardFingerprint, ...] = tuple(_DEFAULTS["allowed_card_fingerprints"])
    high_risk_countries: tuple[str, ...] = tuple(_DEFAULTS["high_risk_countries"])
    home_countries: tuple[str, ...] = tuple(_DEFAULTS["home_countries"])
    night_hours_utc: tuple[Hour, Hour] = tuple(_DEFAULTS["night_hours_utc"])
    velocity_window_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = _DEFAULTS["velocity_window_seconds"]
    velocity_customer_max: Annotated[int, msgspec.Meta(ge=1)] = _DEFAULTS["velocity_customer_max"]
    velocity_card_max: Annotated[int, msgspec.Meta(ge=1)] = _DEFAULTS["velocity_card_max"]
    alert_suspicious_count: Annotated[int, msgspec.Meta(ge=1)] = _DEFAULTS["alert_suspicious_count"]
    signature_tolerance_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = _DEFAULTS["signature_tolerance_seconds"]
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=6 * 1024 * 1024)] = _DEFAULTS["max_body_bytes"]

    def __post_init__(self) -> None:
        if self.review_threshold > self.block_threshold:
            raise ValueError("review_threshold must not exceed block_threshold")
        conflicts = list_conflicts(self)
        if conflicts:
            raise InvalidDocument(conflicts)


LIST_PAIRS: tuple[tuple[str, str, bool], ...] = (
    ("allowed_customers", "blocked_customers", False),
    ("allowed_card_fingerprints", "blocked_card_fingerprints", False),
    ("allowed_merchants", "blocked_merchants", True),
)
"""(allow list, block list, compared case-insensitively): the pairs that must not share a value."""


def list_key(value: str, casefold: bool) -> str:
    """How a list entry is matched: merchants case-insensitively, ids and fingerprints exactly."""
    return value.casefold() if casefold else value


@functools.lru_cache(maxsize=64)
def list_entries(settings: Settings, name: str, casefold: bool) -> frozenset[str]:
    """The list ``name`` as matched (``list_key``), built once per settings, not once per decision."""
    return frozenset(list_key(value, casefold) for value in getattr(settings, name))


def list_conflicts(settings: Settings) -> list[FieldError]:
    """One error per value that is on an allow list and on its block list, naming the value (operator data:
    customer ids, fingerprints and merchant names, never card numbers)."""
    errors = []
    for allowed, blocked, casefold in LIST_PAIRS:
        on_block = list_entries(settings, blocked, casefold)
        for value in getattr(settings, allowed):
            if list_key(value, casefold) in on_block:
                errors.append(FieldError(allowed, "also_on_block_list", f"{value!r} is also in {blocked}"))
    return errors


def canonical_json(settings: Settings) -> str:
    """The effective settings (defaults filled in) as one canonical JSON text: keys sorted, no whitespace,
    non-ASCII as is, a whole-number float written as an integer (so ``1000`` and ``1000.0`` agree)."""
    return json.dumps(
        _whole_floats(msgspec.to_builtins(settings)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def settings_version(settings: Settings) -> str:
    """First 16 hex characters of SHA-256 over ``canonical_json`` (UTF-8): the version every decision records."""
    return _version(settings)


@functools.lru_cache(maxsize=32)
def _version(settings: Settings) -> str:
    return hashlib.sha256(canonical_json(settings).encode("utf-8")).hexdigest()[:16]


def _whole_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_floats(item) for item in value]
    return value


SCHEMA: Schema[Settings] = Schema(Settings)


def parse_settings(document: str) -> Settings:
    """Parse the SSM document; raises ``InvalidDocument`` (naming every invalid key) on a bad one."""
    try:
        decoded: Any = msgspec.json.decode(document or "{}")
    except (msgspec.DecodeError, RecursionError):
        raise InvalidDocument([FieldError(SCHEMA.document_name, "json_invalid")]) from None
    return SCHEMA.validate(decoded)
