"""Signing-key rotation and the card-fingerprint key (docs/contract.md, "Signing keys").

Rotation is add-then-retire: ``add`` keeps every existing key valid (the webhook accepts any
listed key), senders move to the new key after the webhook's 5-minute parameter cache has
expired, and ``retire`` removes the old one. The fingerprint key is set once: every card
fingerprint (``CARD#...``, velocity per card) is an HMAC under it, so changing it would make
every card look new and silently reset card velocity.

The key-set changes are pure functions; ``ParameterAdapter`` is the only code touching SSM. The
parameter's format, the placeholder and the minimum secret length are the image's
(``fraud_detection.key_set``, what the webhook reads with), not redefined here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fraud_detection.key_set import (
    MIN_SECRET_CHARS,
    KeySetError,
    dumps,
    is_placeholder,
    is_strong_secret,
    parse_entries,
)

CACHE_SECONDS = 300


@dataclass(frozen=True)
class KeySet:
    """``{"keys": {id: secret}}`` in insertion order: the last key is the newest."""

    keys: tuple[tuple[str, str], ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.keys)

    def newest(self) -> tuple[str, str]:
        if not self.keys:
            raise KeySetError("no signing key is set yet: run `rotate-secret --add` first")
        return self.keys[-1]

    def to_json(self) -> str:
        return dumps(self.keys)


def parse_key_set(value: str) -> KeySet:
    """The parameter's value; the Terraform placeholder ``UNSET`` is an empty set."""
    return KeySet(tuple((str(key_id), str(secret)) for key_id, secret in parse_entries(value)))


def new_key_id(now: datetime) -> str:
    """Sortable and readable in logs: ``k<UTC timestamp>``."""
    return now.astimezone(UTC).strftime("k%Y%m%dT%H%M%SZ")


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def add_key(key_set: KeySet, key_id: str, secret: str) -> KeySet:
    if key_id in key_set.ids:
        raise KeySetError(f"key id {key_id!r} already exists")
    if not is_strong_secret(secret):
        raise KeySetError(f"a signing key must have >= {MIN_SECRET_CHARS} characters")
    return KeySet((*key_set.keys, (key_id, secret)))


def retire_key(key_set: KeySet, key_id: str) -> KeySet:
    if key_id not in key_set.ids:
        raise KeySetError(f"no key {key_id!r}; keys: {', '.join(key_set.ids) or 'none'}")
    remaining = tuple(item for item in key_set.keys if item[0] != key_id)
    if not remaining:
        raise KeySetError("refusing to retire the last key: the webhook would answer 503 to everyone")
    return KeySet(remaining)


def fingerprint_init_allowed(current: str) -> bool:
    """Only an unset key may be written; see the module docstring for why."""
    return is_placeholder(current)


FINGERPRINT_ROTATION_REFUSED = (
    "the card-fingerprint key is already set; it is never rotated: every card fingerprint "
    "(velocity per card, CARD#...) is an HMAC under it, so a new key would make every card look "
    "new and break velocity continuity. Nothing was changed."
)


@dataclass(frozen=True)
class ParameterAdapter:
    """SecureString reads and overwrites with the project CMK (the key Terraform created them with)."""

    client: Any  # botocore SSM client

    def read(self, name: str) -> str:
        return str(self.client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])

    def key_id(self, name: str) -> str | None:
        """The KMS key the parameter is encrypted with, so an overwrite keeps it."""
        described = self.client.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}]
        )["Parameters"]
        return str(described[0]["KeyId"]) if described and described[0].get("KeyId") else None

    def write_secure(self, name: str, value: str, key_id: str | None) -> int:
        extra = {"KeyId": key_id} if key_id else {}
        response = self.client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True, **extra)
        return int(response["Version"])


@dataclass(frozen=True)
class RotationResult:
    message: str
    key_set: KeySet | None = None


def rotate_add(adapter: ParameterAdapter, name: str, now: datetime, secret: str | None = None) -> RotationResult:
    current = parse_key_set(adapter.read(name))
    key_id = new_key_id(now)
    updated = add_key(current, key_id, secret or new_secret())
    adapter.write_secure(name, updated.to_json(), adapter.key_id(name))
    return RotationResult(
        f"added signing key {key_id}; valid keys: {', '.join(updated.ids)}. Wait {CACHE_SECONDS // 60} minutes "
        "(webhook parameter cache) before moving senders to it, then retire the old key.",
        updated,
    )


def rotate_retire(adapter: ParameterAdapter, name: str, key_id: str) -> RotationResult:
    updated = retire_key(parse_key_set(adapter.read(name)), key_id)
    adapter.write_secure(name, updated.to_json(), adapter.key_id(name))
    return RotationResult(f"retired {key_id}; valid keys: {', '.join(updated.ids)}", updated)


def init_fingerprint(adapter: ParameterAdapter, name: str, secret: str | None = None) -> RotationResult:
    if not fingerprint_init_allowed(adapter.read(name)):
        raise KeySetError(FINGERPRINT_ROTATION_REFUSED)
    adapter.write_secure(name, secret or new_secret(), adapter.key_id(name))
    return RotationResult("card-fingerprint key initialised (it is never rotated)")
