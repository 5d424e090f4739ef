"""The webhook's input model: what a caller may send, with bounds that keep every value storable.

Bounds are not cosmetic: each one stops a client mistake from turning into a DynamoDB
``ValidationException`` (a 5xx) or an oversized item. Ids are restricted to a charset that is
safe in keys and S3 paths, and an id that is a card number is rejected: ids are stored, logged
and alerted in the clear (``card_token`` is exempt: see ``_not_a_card_number``). The card number
is a ``CardNumber`` so it never shows up in a repr, a log line or a validation error; errors
name fields and codes only, never values (``fraud_detection.validation``).

Validation is msgspec's (``TransactionIn`` is a ``msgspec.Struct``; its annotations hold the
constraints) plus the per-field layer of ``fraud_detection.validation``: every invalid field is
reported at once, with the codes the 400 body has always carried (docs/contract.md). Patterns are
anchored with ``\\A``/``\\Z``: msgspec matches with Python's ``re``, whose ``$`` also matches before
a trailing newline.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Annotated, Any

import msgspec
from boto3.dynamodb.types import DYNAMODB_CONTEXT

from fraud_detection.privacy import identifier_is_card_number, redact_pan
from fraud_detection.validation import DecimalBounds, Invalid, Schema

ID_PATTERN = r"\A[A-Za-z0-9._:-]{1,128}\Z"
MAX_AMOUNT = Decimal("1000000000")
MAX_DECIMAL_PLACES = 6
PATTERN_DATA_MAX_DEPTH = 5
PATTERN_DATA_MAX_CHARS = 8192
PATTERN_DATA_MAX_KEY_CHARS = 64
BODY = "<body>"
"""Where an error about the document as a whole (not one field) is reported."""

Identifier = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Amount = Annotated[Decimal, DecimalBounds(ge=Decimal(0), le=MAX_AMOUNT, max_places=MAX_DECIMAL_PLACES)]
RiskScore = Annotated[Decimal, DecimalBounds(ge=Decimal(0), le=Decimal(100), max_places=MAX_DECIMAL_PLACES)]


class CardNumber:
    """12-19 ASCII digits (spaces and dashes dropped) that never show in a repr, ``str()`` or log line."""

    __slots__ = ("_digits",)

    def __init__(self, digits: str) -> None:
        self._digits = digits

    @classmethod
    def parse(cls, value: Any) -> CardNumber:
        """From the JSON value (msgspec calls this through ``dec_hook``); the messages never quote it."""
        if not isinstance(value, str):
            raise ValueError("must be a string of digits")
        digits = value.replace(" ", "").replace("-", "")
        if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
            raise ValueError("must be 12-19 digits")
        return cls(digits)

    def get_secret_value(self) -> str:
        return self._digits

    def __repr__(self) -> str:
        return "CardNumber('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CardNumber) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(self._digits)


class TransactionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One transaction as the caller sends it (JSON object, unknown keys rejected); build it with
    ``parse_transaction``, which runs every check."""

    transaction_id: Identifier
    amount: Amount
    currency: Annotated[str, msgspec.Meta(pattern=r"\A[A-Z]{3}\Z")]
    merchant: Text
    country: Annotated[str, msgspec.Meta(pattern=r"\A[A-Z]{2}\Z")]
    customer_id: Identifier
    risk_score: RiskScore | None = None
    card_number: CardNumber | None = None
    card_token: Identifier | None = None
    timestamp: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    pattern_data: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.card_number is not None and self.card_token is not None:
            raise ValueError("send card_number or card_token, not both")


def _no_dot_dot(value: str) -> str:
    # the charset already excludes '/' and '\\'; '..' would still walk up an S3-style path
    if ".." in value:
        raise ValueError("must not contain '..'")
    return value


def _not_a_card_number(value: str) -> str:
    # Not card_token: network tokens are Luhn-valid by design, and a token is only fingerprinted.
    # Errors carry a code, never the value.
    if identifier_is_card_number(value):
        raise Invalid("card_number_in_identifier")
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must be printable text")
    return value


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    if _size(value, depth=1) > PATTERN_DATA_MAX_CHARS:
        raise ValueError(f"must serialise to at most {PATTERN_DATA_MAX_CHARS} characters")
    return _redacted(value)


SCHEMA: Schema[TransactionIn] = Schema(
    TransactionIn,
    after={
        "transaction_id": (_no_dot_dot, _not_a_card_number),
        "customer_id": (_no_dot_dot, _not_a_card_number),
        "card_token": (_no_dot_dot,),
        "merchant": (_printable,),
        "timestamp": (_printable,),
        "pattern_data": (_bounded,),
    },
    document_name=BODY,
)


def parse_transaction(document: dict[str, Any]) -> TransactionIn:
    """The validated transaction, or ``InvalidDocument`` naming every invalid field (unknown keys as
    ``<unexpected field>``; a rule across fields, e.g. both card references, as ``<body>``)."""
    return SCHEMA.validate(document)


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
