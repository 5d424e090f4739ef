"""The webhook's input model: what a caller may send, with bounds that keep every value storable.

Bounds are not cosmetic: each one stops a client mistake from turning into a DynamoDB
``ValidationException`` (a 5xx) or an oversized item. Ids are restricted to a charset that is
safe in keys and S3 paths, and an id that is a card number is rejected: ids are stored, logged
and alerted in the clear (``card_token`` is exempt: see ``_not_a_card_number``). The card number
is a ``SecretStr`` so it never shows up in a repr, a log line or a validation error;
``field_errors`` reports field names only, never values.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Annotated, Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fraud_detection.privacy import identifier_is_card_number, redact_pan

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
MAX_AMOUNT = Decimal("1000000000")
PATTERN_DATA_MAX_DEPTH = 5
PATTERN_DATA_MAX_CHARS = 8192
PATTERN_DATA_MAX_KEY_CHARS = 64

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class TransactionIn(BaseModel):
    """One transaction as the caller sends it (JSON object, unknown keys rejected)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    transaction_id: Identifier
    amount: Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=6, allow_inf_nan=False)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    merchant: Text
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    customer_id: Identifier
    risk_score: Annotated[Decimal, Field(ge=0, le=100, decimal_places=6, allow_inf_nan=False)] | None = None
    card_number: SecretStr | None = None
    card_token: Identifier | None = None
    timestamp: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    pattern_data: dict[str, Any] | None = None

    @field_validator("transaction_id", "customer_id", "card_token")
    @classmethod
    def _no_dot_dot(cls, value: str | None) -> str | None:
        # the charset already excludes '/' and '\\'; '..' would still walk up an S3-style path
        if value is not None and ".." in value:
            raise ValueError("must not contain '..'")
        return value

    @field_validator("transaction_id", "customer_id")
    @classmethod
    def _not_a_card_number(cls, value: str) -> str:
        # Not card_token: network tokens are Luhn-valid by design, and a token is only fingerprinted.
        # The message is constant and ``field_errors`` drops it anyway: the value is never echoed.
        if identifier_is_card_number(value):
            raise PydanticCustomError("card_number_in_identifier", "must not be a card number")
        return value

    @field_validator("merchant", "timestamp")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("must be printable text")
        return value

    @field_validator("card_number", mode="before")
    @classmethod
    def _card_digits(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be a string of digits")
        digits = value.replace(" ", "").replace("-", "")
        if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
            raise ValueError("must be 12-19 digits")
        return digits

    @field_validator("pattern_data")
    @classmethod
    def _bounded(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if _size(value, depth=1) > PATTERN_DATA_MAX_CHARS:
            raise ValueError(f"must serialise to at most {PATTERN_DATA_MAX_CHARS} characters")
        return _redacted(value)

    @model_validator(mode="after")
    def _one_card_reference(self) -> TransactionIn:
        if self.card_number is not None and self.card_token is not None:
            raise ValueError("send card_number or card_token, not both")
        return self


def _size(value: Any, depth: int) -> int:
    """Approximate serialised size; raises ``ValueError`` past the depth limit or on unstorable values."""
    if isinstance(value, dict):
        if depth > PATTERN_DATA_MAX_DEPTH:
            raise ValueError(f"must be nested at most {PATTERN_DATA_MAX_DEPTH} levels deep")
        total = 2
        for key, item in value.items():
            if not 1 <= len(key) <= PATTERN_DATA_MAX_KEY_CHARS:
                raise ValueError(f"keys must be 1-{PATTERN_DATA_MAX_KEY_CHARS} characters")
            total += len(key) + 4 + _size(item, depth + 1)
        return total
    if isinstance(value, list):
        if depth > PATTERN_DATA_MAX_DEPTH:
            raise ValueError(f"must be nested at most {PATTERN_DATA_MAX_DEPTH} levels deep")
        return 2 + sum(_size(item, depth + 1) + 1 for item in value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, (int, Decimal)):
        _check_number(Decimal(value))
        return len(str(value))
    if isinstance(value, str):
        return len(value) + 2
    raise ValueError("must contain only JSON values")


def _check_number(number: Decimal) -> None:
    """A number DynamoDB stores exactly: the check is boto3's own serializer context (38 digits,
    exponent range of DynamoDB, Inexact/Rounded/Overflow/Underflow/Clamped trapped), so what passes
    here cannot fail at write time. ``Decimal.normalize()`` under Python's default 28-digit context
    would round a 39-digit number first and let it through."""
    if not number.is_finite():
        raise ValueError("numbers must be finite")
    # DynamoDB's own range (Developer Guide, "Supported data types", Number): 1E-130 to
    # 9.9999999999999999999999999999999999999E+125 in magnitude; adjusted() is exact, no context.
    if not number.is_zero() and not -130 <= number.adjusted() <= 125:
        raise ValueError("numbers must fit 38 significant digits and magnitude 1E-130..1E+125")
    try:
        DYNAMODB_CONTEXT.create_decimal(number)
    except DecimalException as error:
        raise ValueError("numbers must fit 38 significant digits and magnitude 1E-130..1E+125") from error


def _redacted(value: Any) -> Any:
    """Mask card numbers a caller pasted into free-form data before anything stores it."""
    if isinstance(value, dict):
        return {redact_pan(key): _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, str):
        return redact_pan(value)
    return value


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    """Field names and error types only: no input values, no messages that quote them.

    Unknown keys are reported as ``<unexpected field>`` because the key itself is caller data
    (it could be a card number).
    """
    known = set(TransactionIn.model_fields)
    result: list[dict[str, str]] = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        loc = item.get("loc") or ()
        field = "<body>" if not loc else str(loc[0]) if str(loc[0]) in known else "<unexpected field>"
        entry = {"field": field, "error": str(item.get("type", "invalid"))}
        if entry not in result:
            result.append(entry)
    return result
