"""Documents validated field by field: msgspec checks types and constraints, this layer reports.

msgspec converts a whole document in one call and stops at the first error, with a message meant
for developers (it quotes unknown field names, which can be caller data). What a caller or an
operator needs is every invalid field at once, each with a stable error code and never a value.
``Schema`` does that on top of a ``msgspec.Struct``:

- the fast path is one ``msgspec.convert`` of the whole document into the struct, then the checks
  msgspec cannot express, on every field;
- only when msgspec refuses the document is each field converted on its own, so that one bad field
  does not hide the next.

msgspec alone decides whether types and constraints hold: the field-by-field pass only explains a
refusal, it never accepts a document the whole conversion refused. The error codes are the ones the
webhook has answered with since it validated with pydantic (``string_pattern_mismatch``,
``greater_than_equal``, ``extra_forbidden``, ...; docs/contract.md), so its 400 bodies did not change.

msgspec stops short in three places, and this module fills them in:

- a ``Decimal`` has no bounds in msgspec: ``DecimalBounds`` in the field's ``Annotated`` metadata
  (msgspec ignores it) is checked here, on the ``Decimal`` value, exactly (no float, no context);
- checks of a value's content (``after``: a card number in an id, ``..`` in a path, printable text)
  are plain functions per field, run in order after the conversion (the first failure is the field's);
- a custom type (e.g. a card number that must never show in a repr) converts itself: a class with
  a ``parse(value)`` class method, called through msgspec's ``dec_hook``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec
import msgspec.structs

S = TypeVar("S", bound=msgspec.Struct)
UNEXPECTED_FIELD = "<unexpected field>"
"""The field name reported for every key the struct does not declare: the key itself is caller data."""


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field: its name (or ``<unexpected field>`` / the whole document's name) and an error code.

    ``detail`` is for operator documents only (the settings: e.g. which list entry conflicts); a caller's
    document never gets one, so its errors still carry no value."""

    field: str
    error: str
    detail: str | None = None

    def to_json(self) -> dict[str, str]:
        body = {"field": self.field, "error": self.error}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class InvalidDocument(ValueError):
    """A document that failed validation: every invalid field by name and code, never a value."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("invalid fields: " + self.summary())

    def summary(self) -> str:
        """``field (code), ...``: safe to log, it holds no caller value (an operator document's ``detail``
        is appended: ``field (code: detail)``)."""
        return ", ".join(
            f"{error.field} ({error.error}{'' if error.detail is None else ': ' + error.detail})"
            for error in self.errors
        )

    def to_json(self) -> list[dict[str, str]]:
        return [error.to_json() for error in self.errors]


class Invalid(ValueError):
    """Raised by an ``after`` check with the error code to report (a plain ``ValueError`` is ``value_error``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DecimalBounds(msgspec.Struct, frozen=True):
    """Bounds of a ``Decimal`` field, as ``Annotated`` metadata: finite, ``ge <= value <= le``, at most
    ``max_places`` decimals (trailing zeros do not count: ``1.50`` has one)."""

    ge: Decimal
    le: Decimal
    max_places: int

    def check(self, number: Decimal) -> Decimal:
        if not number.is_finite():
            raise Invalid("finite_number")
        if decimal_places(number) > self.max_places:
            raise Invalid("decimal_max_places")
        if number < self.ge:
            raise Invalid("greater_than_equal")
        if number > self.le:
            raise Invalid("less_than_equal")
        return number


def decimal_places(number: Decimal) -> int:
    """Decimals of a finite number, exactly: ``Decimal.normalize()`` would first round it to 28 digits."""
    if number.is_zero():
        return 0
    _, digits, exponent = number.as_tuple()
    exponent = int(exponent)  # an int for every finite number ('n'/'N'/'F' only for NaN and Infinity)
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def _dec_hook(kind: type, value: Any) -> Any:
    parse = getattr(kind, "parse", None)
    if parse is None:
        raise NotImplementedError(f"no conversion to {kind.__name__}")
    return parse(value)


After = Callable[[Any], Any]


class _Field(msgspec.Struct, frozen=True):
    name: str
    kind: Any  # the annotation msgspec converts to
    required: bool
    bounds: DecimalBounds | None
    after: tuple[After, ...]

    def refine(self, value: Any) -> Any:
        """The checks msgspec cannot express, on a converted value (``None`` of an optional field passes)."""
        if value is None:
            return None
        if self.bounds is not None:
            value = self.bounds.check(value)
        for check in self.after:
            value = check(value)
        return value

    def convert(self, value: Any) -> Any:
        try:
            converted = msgspec.convert(value, self.kind, dec_hook=_dec_hook)
        except msgspec.ValidationError:
            raise Invalid(error_code(value, self.kind)) from None
        return self.refine(converted)


class Schema(Generic[S]):
    """A ``msgspec.Struct`` type plus the per-field layer: ``validate(document)`` returns an instance or
    raises ``InvalidDocument`` naming every invalid field.

    ``after`` maps a field name to checks run in order on its converted value (each returns the value,
    possibly changed, or raises ``Invalid``/``ValueError``; the first failure is the field's error). A
    ``ValueError`` from the struct's ``__post_init__`` (a rule across fields, checked only once every
    field is valid) is reported under ``document_name`` as ``value_error``, unless it is an
    ``InvalidDocument``: then its own field errors are reported.
    """

    def __init__(
        self,
        struct: type[S],
        *,
        after: Mapping[str, Sequence[After]] | None = None,
        document_name: str = "<document>",
    ) -> None:
        after = dict(after or {})
        self.struct = struct
        self.document_name = document_name
        self.fields = tuple(
            _Field(
                info.name,
                info.type,
                info.required,
                _decimal_bounds(info.type),
                tuple(after.pop(info.name, ())),
            )
            for info in msgspec.structs.fields(struct)
        )
        if after:
            raise TypeError(f"checks for fields {struct.__name__} does not declare: {sorted(after)}")
        self._names = frozenset(field.name for field in self.fields)
        self._refined = tuple(field for field in self.fields if field.bounds is not None or field.after)

    def validate(self, document: Any) -> S:
        if not isinstance(document, dict):
            raise InvalidDocument([FieldError(self.document_name, "model_type")])
        try:
            instance = msgspec.convert(document, self.struct, dec_hook=_dec_hook)
        except msgspec.ValidationError:
            return self._field_by_field(document)
        changed: dict[str, Any] = {}
        errors: list[FieldError] = []
        for field in self._refined:
            value = getattr(instance, field.name)
            try:
                refined = field.refine(value)
            except ValueError as error:
                errors.append(FieldError(field.name, _code(error)))
                continue
            if refined is not value:
                changed[field.name] = refined
        if errors:
            raise InvalidDocument(errors)
        return msgspec.structs.replace(instance, **changed) if changed else instance

    def _field_by_field(self, document: dict[str, Any]) -> S:
        """msgspec refused the document: convert each field alone, to name every invalid one."""
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for field in self.fields:
            if field.name not in document:
                if field.required:
                    errors.append(FieldError(field.name, "missing"))
                continue
            try:
                values[field.name] = field.convert(document[field.name])
            except ValueError as error:
                errors.append(FieldError(field.name, _code(error)))
        if any(name not in self._names for name in document):
            errors.append(FieldError(UNEXPECTED_FIELD, "extra_forbidden"))
        if errors:
            raise InvalidDocument(errors)
        try:
            self.struct(**values)
        except InvalidDocument:
            raise  # a rule across fields that names its own fields (e.g. an entry on two settings lists)
        except (ValueError, TypeError):
            raise InvalidDocument([FieldError(self.document_name, "value_error")]) from None
        # Every field passed on its own, yet msgspec refused the whole: report that, never accept it.
        raise InvalidDocument([FieldError(self.document_name, "invalid")])


def _code(error: ValueError) -> str:
    return error.code if isinstance(error, Invalid) else "value_error"


def _decimal_bounds(kind: Any) -> DecimalBounds | None:
    for metadata in _metadata(_without_none(kind)):
        if isinstance(metadata, DecimalBounds):
            return metadata
    return None


def _without_none(kind: Any) -> Any:
    """``X | None`` -> ``X`` (``None`` itself never fails an optional field)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        members = [member for member in typing.get_args(kind) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return kind


def _metadata(kind: Any) -> tuple[Any, ...]:
    return kind.__metadata__ if typing.get_origin(kind) is Annotated else ()


def _base(kind: Any) -> Any:
    base = typing.get_args(kind)[0] if typing.get_origin(kind) is Annotated else kind
    return typing.get_origin(base) or base


def error_code(value: Any, kind: Any) -> str:
    """Why msgspec refused ``value`` for ``kind``, named as pydantic named it (the webhook's 400s keep
    their codes): the type first, then each ``msgspec.Meta`` constraint in pydantic's order."""
    kind = _without_none(kind)
    base = _base(kind)
    meta = next((item for item in _metadata(kind) if isinstance(item, msgspec.Meta)), None)
    if base is str:
        if not isinstance(value, str):
            return "string_type"
        if meta is not None and meta.min_length is not None and len(value) < meta.min_length:
            return "string_too_short"
        if meta is not None and meta.max_length is not None and len(value) > meta.max_length:
            return "string_too_long"
        return "string_pattern_mismatch"
    if base is Decimal:
        return "decimal_parsing" if isinstance(value, str) else "decimal_type"
    if base in (int, float):
        if isinstance(value, bool) or not isinstance(value, int if base is int else (int, float)):
            return f"{base.__name__}_type"
        if meta is not None and meta.ge is not None and value < meta.ge:
            return "greater_than_equal"
        if meta is not None and meta.le is not None and value > meta.le:
            return "less_than_equal"
        return f"{base.__name__}_type"
    if base is dict:
        return "dict_type"
    if base in (tuple, list) and not isinstance(value, (list, tuple)):
        return f"{base.__name__}_type"
    if isinstance(base, type) and hasattr(base, "parse"):
        return "value_error"  # a custom type's own ``parse`` refused it
    return "invalid"
