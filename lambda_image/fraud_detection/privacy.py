"""Card data handling: the clear number lives only in memory for the length of one request.

What leaves the request is the last four digits (for humans) and a keyed HMAC fingerprint (for
velocity per card). A plain hash of a 16-digit number with a known BIN is brute-forced in
minutes; the HMAC key sits in SSM, so the fingerprint is useless without it.
"""

from __future__ import annotations

import hashlib
import hmac

from fraud_detection.redaction import identifier_is_card_number, luhn_valid, redact_pan

__all__ = [
    "fingerprint",
    "identifier_is_card_number",
    "last4",
    "luhn_valid",
    "mask",
    "redact_pan",
    "token_fingerprint",
]

_FINGERPRINT_HEX_CHARS = 32


def last4(card_number: str) -> str:
    return card_number[-4:]


def mask(card_number: str) -> str:
    """``************1111``: safe to show, keeps the length."""
    return "*" * (len(card_number) - 4) + card_number[-4:]


def fingerprint(key: bytes, card_number: str) -> str:
    """Keyed fingerprint of a clear card number (128 bits of HMAC-SHA256, hex)."""
    return _mac(key, b"pan:" + card_number.encode("ascii"))


def token_fingerprint(key: bytes, card_token: str) -> str:
    """Fingerprint of a processor token, domain-separated so a token never equals a number."""
    return _mac(key, b"tok:" + card_token.encode("utf-8"))


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_FINGERPRINT_HEX_CHARS]
