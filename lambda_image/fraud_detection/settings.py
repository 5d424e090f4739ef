"""Risk settings: a JSON document in SSM Parameter Store, validated once per cold start.

Every key is optional; the defaults here are the documented ones (docs/contract.md), so the
infrastructure may write ``{}`` and still get a working system.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AmountTier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_amount: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    score: Annotated[int, Field(ge=0, le=100)]


def _default_tiers() -> tuple[AmountTier, ...]:
    return (
        AmountTier(min_amount=1000, score=20),
        AmountTier(min_amount=5000, score=35),
        AmountTier(min_amount=10000, score=50),
    )


class Settings(BaseModel):
    """Tunable rules; unknown keys are rejected so a typo cannot silently disable a rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    review_threshold: Annotated[int, Field(ge=0, le=100)] = 50
    block_threshold: Annotated[int, Field(ge=0, le=100)] = 80
    high_amount_tiers: tuple[AmountTier, ...] = Field(default_factory=_default_tiers)
    blocked_merchants: tuple[str, ...] = ()
    high_risk_countries: tuple[str, ...] = ()
    home_countries: tuple[str, ...] = ("US",)
    night_hours_utc: tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]] = (0, 6)
    velocity_window_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    velocity_customer_max: Annotated[int, Field(ge=1)] = 5
    velocity_card_max: Annotated[int, Field(ge=1)] = 3
    alert_suspicious_count: Annotated[int, Field(ge=1)] = 5
    signature_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    max_body_bytes: Annotated[int, Field(ge=1024, le=6 * 1024 * 1024)] = 65536

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Settings:
        if self.review_threshold > self.block_threshold:
            raise ValueError("review_threshold must not exceed block_threshold")
        return self


def parse_settings(document: str) -> Settings:
    """Parse the SSM document; raises ``pydantic.ValidationError`` on a bad one."""
    return Settings.model_validate_json(document or "{}")
