"""Risk settings: a JSON document in SSM Parameter Store, validated once per cold start.

Every key is optional; the defaults are the contract's (``fraud_detection.contract.DEFAULT_SETTINGS``,
documented in docs/contract.md), so the infrastructure may write ``{}`` and still get a working system.
Validation is msgspec's (``Settings`` is a ``msgspec.Struct``), reported field by field by
``fraud_detection.validation``: an invalid document names every invalid key.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec

from fraud_detection.contract import DEFAULT_SETTINGS as _DEFAULTS
from fraud_detection.validation import FieldError, InvalidDocument, Schema

Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
Hour = Annotated[int, msgspec.Meta(ge=0, le=24)]


class AmountTier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    min_amount: Annotated[float, msgspec.Meta(ge=0)]
    score: Score

    def __post_init__(self) -> None:
        if not math.isfinite(self.min_amount):  # msgspec's JSON decoder refuses 1e400; a tier built in code may not
            raise ValueError("min_amount must be finite")


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Tunable rules; unknown keys are rejected so a typo cannot silently disable a rule."""

    review_threshold: Score = _DEFAULTS["review_threshold"]
    block_threshold: Score = _DEFAULTS["block_threshold"]
    high_amount_tiers: tuple[AmountTier, ...] = msgspec.convert(_DEFAULTS["high_amount_tiers"], tuple[AmountTier, ...])
    blocked_merchants: tuple[str, ...] = tuple(_DEFAULTS["blocked_merchants"])
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


SCHEMA: Schema[Settings] = Schema(Settings)


def parse_settings(document: str) -> Settings:
    """Parse the SSM document; raises ``InvalidDocument`` (naming every invalid key) on a bad one."""
    try:
        decoded: Any = msgspec.json.decode(document or "{}")
    except (msgspec.DecodeError, RecursionError):
        raise InvalidDocument([FieldError(SCHEMA.document_name, "json_invalid")]) from None
    return SCHEMA.validate(decoded)
