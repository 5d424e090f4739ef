"""Format of the secret parameters (docs/contract.md, "Signing keys"): one definition for both sides.

The webhook reads the signing-key set (``adapters.parameters``); the operator's rotation command
(``fraud_ops.key_rotation``) reads and rewrites it. Both use this module, so they cannot disagree on
what the parameter looks like or on what makes a secret usable:

- ``{"keys": {"<key id>": "<secret>", ...}}``, in insertion order (the last key is the newest);
- Terraform creates every secret parameter with the placeholder ``UNSET``;
- a secret (a signing key, the card fingerprint key) is a string of at least 32 characters.

Pure: no AWS, no logging, and no error message ever carries a secret value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from fraud_detection.contract import PLACEHOLDER

MIN_SECRET_CHARS = 32


class KeySetError(ValueError):
    """The value is not a key set, or not one the webhook can serve with (or a change would break it)."""


def is_placeholder(value: str) -> bool:
    """Still the value Terraform created the parameter with."""
    return value.strip() == PLACEHOLDER


def is_strong_secret(secret: object) -> bool:
    return isinstance(secret, str) and len(secret) >= MIN_SECRET_CHARS


def parse_entries(value: str) -> tuple[tuple[str, Any], ...]:
    """``(key id, secret)`` pairs as stored (secrets not checked); the placeholder has none."""
    if is_placeholder(value):
        return ()
    try:
        document = json.loads(value)
        keys = document["keys"]
    except (ValueError, TypeError, KeyError) as error:
        raise KeySetError('signing keys parameter is not {"keys": {...}}') from error
    if not isinstance(keys, Mapping):
        raise KeySetError('signing keys parameter is not {"keys": {...}}')
    return tuple(keys.items())


def signing_secrets(value: str) -> tuple[str, ...]:
    """The secrets the webhook accepts (every listed key): at least one, and every one strong."""
    if is_placeholder(value):
        raise KeySetError("signing keys parameter is still the placeholder")
    entries = parse_entries(value)
    if not entries:
        raise KeySetError("signing keys parameter lists no keys")
    secrets = tuple(secret for _, secret in entries)
    if not all(is_strong_secret(secret) for secret in secrets):
        raise KeySetError(f"every signing key must be a string of >= {MIN_SECRET_CHARS} characters")
    return secrets


def dumps(entries: Iterable[tuple[str, str]]) -> str:
    """The parameter value for ``(key id, secret)`` pairs, in their order."""
    return json.dumps({"keys": dict(entries)}, separators=(",", ":"))
