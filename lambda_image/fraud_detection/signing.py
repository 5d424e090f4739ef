"""Webhook signatures: ``X-Fraud-Signature: t=<unix s>,v1=<hex hmac-sha256(secret, "{t}.{body}")>``.

The timestamp is inside the MAC so a captured request cannot be replayed outside the tolerance
window (and a replay inside it is absorbed by the idempotent write). Several ``v1`` entries and
several accepted secrets make key rotation seamless. ``sign`` is shared with the operator CLI.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

SIGNATURE_HEADER = "X-Fraud-Signature"
SCHEME = "v1"
_MAX_HEADER_CHARS = 1024
_MAX_SIGNATURES = 8
_HEX_DIGEST_CHARS = 64


class SignatureError(Exception):
    """The request is not authentic; ``reason`` is for logs and metrics, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]


def compute(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body``: the raw bytes, never re-serialised JSON."""
    message = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value a sender puts in ``X-Fraud-Signature``."""
    return f"t={timestamp},{SCHEME}={compute(secret, timestamp, body)}"


def parse(header: str) -> ParsedSignature:
    """Split ``t=...,v1=...[,v1=...]``; unknown schemes are ignored so senders can add newer ones."""
    if len(header) > _MAX_HEADER_CHARS:
        raise SignatureError("malformed")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed")
        if name == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureError("malformed")
            timestamp = int(value)
        elif name == SCHEME and len(value) == _HEX_DIGEST_CHARS and value.isascii():
            signatures.append(value.lower())
    if timestamp is None or not signatures or len(signatures) > _MAX_SIGNATURES:
        raise SignatureError("malformed")
    return ParsedSignature(timestamp=timestamp, signatures=tuple(signatures))


def verify(
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    *,
    now: float,
    tolerance_seconds: int,
) -> int:
    """Return the signed timestamp, or raise ``SignatureError`` (missing/malformed/stale/future/mismatch).

    Every secret is compared against every offered signature with ``hmac.compare_digest`` and
    without an early exit, so timing does not reveal which key or entry was close.
    """
    if not header:
        raise SignatureError("missing")
    parsed = parse(header)
    age = now - parsed.timestamp
    if age > tolerance_seconds:
        raise SignatureError("stale")
    if age < -tolerance_seconds:
        raise SignatureError("future")
    matched = False
    for secret in secrets:
        expected = compute(secret, parsed.timestamp, body)
        for offered in parsed.signatures:
            matched |= hmac.compare_digest(expected, offered)
    if not matched:
        raise SignatureError("mismatch")
    return parsed.timestamp
