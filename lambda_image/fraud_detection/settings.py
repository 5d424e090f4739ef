"""Risk settings: a JSON document in SSM Parameter Store, validated once per cold start.

Every key is optional; the defaults are the contract's (``fraud_detection.contract.DEFAULT_SETTINGS``,
documented in docs/contract.md), so the infrastructure may write ``{}`` and still get a working system.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fraud_detection.contract import DEFAULT_SETTINGS as _DEFAULTS


class AmountTier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_amount: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    score: Annotated[int, Field(ge=0, le=100)]


def _default_tiers() -> tuple[AmountTier, ...]:
    return tuple(AmountTier(**tier) for tier in _DEFAULTS["high_amount_tiers"])


class Settings(BaseModel):
    """Tunable rules; unknown keys are rejected so a typo cannot silently disable a rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_threshold: Annotated[int, Field(ge=0, le=100)] = _DEFAULTS["review_threshold"]
    block_threshold: Annotated[int, Field(ge=0, le=100)] = _DEFAULTS["block_threshold"]
    high_amount_tiers: tuple[AmountTier, ...] = Field(default_factory=_default_tiers)
    blocked_merchants: tuple[str, ...] = tuple(_DEFAULTS["blocked_merchants"])
    high_risk_countries: tuple[str, ...] = tuple(_DEFAULTS["high_risk_countries"])
    home_countries: tuple[str, ...] = tuple(_DEFAULTS["home_countries"])
    night_hours_utc: tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]] = tuple(
        _DEFAULTS["night_hours_utc"]
    )
    velocity_window_seconds: Annotated[int, Field(ge=1, le=3600)] = _DEFAULTS["velocity_window_seconds"]
    velocity_customer_max: Annotated[int, Field(ge=1)] = _DEFAULTS["velocity_customer_max"]
    velocity_card_max: Annotated[int, Field(ge=1)] = _DEFAULTS["velocity_card_max"]
    alert_suspicious_count: Annotated[int, Field(ge=1)] = _DEFAULTS["alert_suspicious_count"]
    signature_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = _DEFAULTS["signature_tolerance_seconds"]
    max_body_bytes: Annotated[int, Field(ge=1024, le=6 * 1024 * 1024)] = _DEFAULTS["max_body_bytes"]

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Settings:
        if self.review_threshold > self.block_threshold:
            raise ValueError("review_threshold must not exceed block_threshold")
        return self


def parse_settings(document: str) -> Settings:
    """Parse the SSM document; raises ``pydantic.ValidationError`` on a bad one."""
    return Settings.model_validate_json(document or "{}")
