"""Last-line defence against card numbers in free text we copy into audit objects and alerts.

The webhook never stores a clear card number, but ``merchant`` and ``reasons`` are text that
originates with the caller; a PAN pasted there must not leak into S3 or SNS. Digit runs of
13-19 digits (spaces/dashes allowed) that pass the Luhn check are replaced.

Identifiers are not free text: they are keys, so a card number there is rejected, not masked
(``identifier_is_card_number``; the rule and why it is this one: docs/contract.md).
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED-PAN]"
_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_ID_SEPARATORS = re.compile(r"[-.:_ ]")
PAN_MIN_DIGITS = 13
PAN_MAX_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def redact_pan(text: str) -> str:
    """Replace Luhn-valid 13-19 digit runs; other numbers (ids, amounts) stay readable."""

    def _replace(match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group(0))
        return REDACTED if luhn_valid(digits) else match.group(0)

    return _CANDIDATE.sub(_replace, text)


def identifier_is_card_number(identifier: str) -> bool:
    """Is the identifier a card number: 13-19 ASCII digits and separators only, Luhn-valid digits?

    The separators (``-`` ``.`` ``:`` ``_`` and the space) are dropped; what is left must be
    nothing but 13-19 digits passing the Luhn check. ``4917-6123-4500-9878`` and
    ``4917.6123.4500.9878`` are; an identifier with a letter (``txn-20261122-000123``, any UUID) or
    fewer than 13 or more than 19 digits never is. Why letters exempt an id: docs/contract.md.
    """
    digits = _ID_SEPARATORS.sub("", identifier)
    return (
        PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS and digits.isascii() and digits.isdigit() and luhn_valid(digits)
    )
