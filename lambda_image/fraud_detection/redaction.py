"""Last-line defence against card numbers in free text we copy into audit objects and alerts.

The webhook never stores a clear card number, but ``merchant`` and ``reasons`` are text that
originates with the caller; a PAN pasted there must not leak into S3 or SNS. Digit runs of
13-19 digits (spaces/dashes allowed) that pass the Luhn check are replaced.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED-PAN]"
_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


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
