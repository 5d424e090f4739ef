"""Signing-key rotation and the card-fingerprint key (docs/contract.md, "Signing keys").

Two signing-key sets, the same JSON shape and the same rotation: the webhook's (senders sign
transactions) and the labels' (labellers sign ``POST /labels``; ``contract.label_signing_keys_parameter_name``,
readable only by the labels function). :class:`KeySetKind` names which one a call is about.

Rotation is add-then-retire: ``add`` keeps every existing key valid (the webhook accepts any
listed key), senders move to the new key after the webhook's 5-minute parameter cache has
expired, and ``retire`` removes the old one. The fingerprint key is set once: every card
fingerprint (``CARD#...``, velocity per card) is an HMAC under it, so changing it would make
every card look new and silently reset card velocity.

The two parameters are not Terraform resources (their values would sit in Terraform state,
``fraud_constructs.runtime_parameters``): this module is their only writer. It creates a
missing one as a SecureString under the app key (app stack output ``app_key_arn``), with
``Overwrite=False`` so a concurrent creation is refused instead of overwritten, and rewrites an
existing one under the key it already has. Environments deployed before that change still hold
the Terraform placeholder ``UNSET``, which reads as "not set".

The key-set changes are pure functions; ``ParameterAdapter`` is the only code touching SSM. The
parameter's format, the placeholder and the minimum secret length are the image's
(``fraud_detection.key_set``, what the webhook reads with), not redefined here.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from fraud_detection.key_set import (
    MIN_SECRET_CHARS,
    PLACEHOLDER,
    KeySetError,
    dumps,
    is_placeholder,
    is_strong_secret,
    parse_entries,
)

CACHE_SECONDS = 300
SIGNING_KEYS_DESCRIPTION = 'Webhook HMAC keys {"keys": {id: secret}}; written only by the rotation command'
LABEL_SIGNING_KEYS_DESCRIPTION = 'Label HMAC keys {"keys": {id: secret}}; written only by the rotation command'
FINGERPRINT_KEY_DESCRIPTION = "Card fingerprint HMAC key; written once by the rotation command, never rotated"


@dataclass(frozen=True)
class KeySetKind:
    """Which signing-key set: its parameter description, who signs with it, and the secret file's stem."""

    description: str
    holders: str
    file_stem: str
    reader: str


WEBHOOK_KEYS = KeySetKind(SIGNING_KEYS_DESCRIPTION, "senders", "signing-key", "webhook")
LABEL_KEYS = KeySetKind(LABEL_SIGNING_KEYS_DESCRIPTION, "labellers", "label-signing-key", "labels function")


class MissingParameter(KeySetError):
    """The secret parameter does not exist yet (the rotation command creates it)."""


def app_not_deployed(name: str) -> KeySetError:
    return KeySetError(
        f"{name} does not exist yet and the app key is unknown (app stack output app_key_arn): deploy the "
        "app stack first (make deploy-app), it creates the key the secret parameters are encrypted with. "
        "Nothing was changed."
    )


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
    """SecureString reads, creations (under the app key) and overwrites (under the parameter's own key)."""

    client: Any  # botocore SSM client

    def read_optional(self, name: str) -> str | None:
        """The decrypted value, or None when the parameter does not exist."""
        try:
            return str(self.client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as error:
            if error.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise

    def read(self, name: str) -> str:
        value = self.read_optional(name)
        if value is None:
            raise MissingParameter(
                f"{name} does not exist yet: run `make set-secrets` (or rotate-secret --add / --init-fingerprint)"
            )
        return value

    def key_id(self, name: str) -> str | None:
        """The KMS key the parameter is encrypted with, so an overwrite keeps it."""
        described = self.client.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}]
        )["Parameters"]
        return str(described[0]["KeyId"]) if described and described[0].get("KeyId") else None

    def write_secure(self, name: str, value: str, key_id: str | None) -> int:
        """Overwrite an existing parameter (same type, same key)."""
        extra = {"KeyId": key_id} if key_id else {}
        response = self.client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True, **extra)
        return int(response["Version"])

    def create_secure(self, name: str, value: str, key_id: str, description: str) -> int:
        """Create a parameter; refuses (changes nothing) when it appeared in the meantime."""
        try:
            response = self.client.put_parameter(
                Name=name, Value=value, Type="SecureString", KeyId=key_id, Description=description, Overwrite=False
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ParameterAlreadyExists":
                raise KeySetError(
                    f"{name} was created by someone else meanwhile; nothing was changed, run again"
                ) from error
            raise
        return int(response["Version"])


def _store(
    adapter: ParameterAdapter, name: str, value: str, *, exists: bool, key_arn: str | None, description: str
) -> None:
    if exists:
        adapter.write_secure(name, value, adapter.key_id(name))
    elif key_arn:
        adapter.create_secure(name, value, key_arn, description)
    else:
        raise app_not_deployed(name)


@dataclass(frozen=True)
class RotationResult:
    message: str
    key_set: KeySet | None = None


def rotate_add(
    adapter: ParameterAdapter,
    name: str,
    now: datetime,
    secret: str | None = None,
    *,
    key_arn: str | None = None,
    kind: KeySetKind = WEBHOOK_KEYS,
) -> RotationResult:
    """Add a signing key; creates the parameter (under ``key_arn``, the app key) when it does not exist."""
    current = adapter.read_optional(name)
    key_id = new_key_id(now)
    updated = add_key(parse_key_set(current or PLACEHOLDER), key_id, secret or new_secret())
    _store(
        adapter,
        name,
        updated.to_json(),
        exists=current is not None,
        key_arn=key_arn,
        description=kind.description,
    )
    return RotationResult(
        f"added signing key {key_id} to {name}; valid keys: {', '.join(updated.ids)}. Wait "
        f"{CACHE_SECONDS // 60} minutes ({kind.reader} parameter cache) before moving {kind.holders} to it, "
        "then retire the old key.",
        updated,
    )


def rotate_retire(adapter: ParameterAdapter, name: str, key_id: str) -> RotationResult:
    updated = retire_key(parse_key_set(adapter.read(name)), key_id)
    adapter.write_secure(name, updated.to_json(), adapter.key_id(name))
    return RotationResult(f"retired {key_id}; valid keys: {', '.join(updated.ids)}", updated)


def init_fingerprint(
    adapter: ParameterAdapter, name: str, secret: str | None = None, *, key_arn: str | None = None
) -> RotationResult:
    """Set the fingerprint key when missing or ``UNSET``; refuses (changes nothing) once it is set."""
    current = adapter.read_optional(name)
    if current is not None and not fingerprint_init_allowed(current):
        raise KeySetError(FINGERPRINT_ROTATION_REFUSED)
    value = secret or new_secret()
    if not is_strong_secret(value):
        raise KeySetError(f"the card-fingerprint key must have >= {MIN_SECRET_CHARS} characters")
    _store(adapter, name, value, exists=current is not None, key_arn=key_arn, description=FINGERPRINT_KEY_DESCRIPTION)
    return RotationResult("card-fingerprint key initialised (it is never rotated)")


@dataclass(frozen=True)
class InitialSecrets:
    """What ``ensure_initial_secrets`` did: one line per parameter, and the signing keys it added (if any)."""

    messages: tuple[str, ...]
    added_key: tuple[str, str] | None
    added_label_key: tuple[str, str] | None = None


def _ensure_key_set(
    adapter: ParameterAdapter, name: str, *, key_arn: str | None, now: datetime, kind: KeySetKind
) -> tuple[str, tuple[str, str] | None]:
    """(message, the key added or None): adds a key only when the set has none."""
    current = adapter.read_optional(name)
    existing = parse_key_set(current) if current is not None else KeySet()
    if existing.keys:
        flag = " --labels" if kind is LABEL_KEYS else ""
        return (
            f"{name}: signing keys already set ({', '.join(existing.ids)}): nothing added; rotate with "
            f"rotate-secret --add{flag}",
            None,
        )
    result = rotate_add(adapter, name, now, key_arn=key_arn, kind=kind)
    assert result.key_set is not None
    return result.message, result.key_set.newest()


def ensure_initial_secrets(
    adapter: ParameterAdapter,
    signing_name: str,
    fingerprint_name: str,
    *,
    key_arn: str | None,
    now: datetime,
    label_signing_name: str | None = None,
) -> InitialSecrets:
    """First deployment (``make set-secrets``), safe to run again: adds a signing key to each key set
    (the webhook's, and the labels' when ``label_signing_name`` is given) only when it has none, and
    initialises the fingerprint key only when unset; never replaces a value."""
    messages: list[str] = []
    message, added = _ensure_key_set(adapter, signing_name, key_arn=key_arn, now=now, kind=WEBHOOK_KEYS)
    messages.append(message)
    added_label: tuple[str, str] | None = None
    if label_signing_name is not None:
        message, added_label = _ensure_key_set(adapter, label_signing_name, key_arn=key_arn, now=now, kind=LABEL_KEYS)
        messages.append(message)
    fingerprint = adapter.read_optional(fingerprint_name)
    if fingerprint is not None and not fingerprint_init_allowed(fingerprint):
        messages.append("card-fingerprint key already set: left as it is (it is never rotated)")
    else:
        messages.append(init_fingerprint(adapter, fingerprint_name, key_arn=key_arn).message)
    return InitialSecrets(tuple(messages), added, added_label)


def write_secret_file(
    directory: Path, environment: str, parameter: str, key_id: str, secret: str, *, kind: KeySetKind = WEBHOOK_KEYS
) -> Path:
    """The new signing secret for the sender (or labeller), in a new file only its owner can read (never stdout)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{environment}-{kind.file_stem}-{key_id}.json"
    document = {
        "environment": environment,
        "parameter": parameter,
        "key_id": key_id,
        "secret": secret,
        "signature": 'X-Fraud-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>',
    }
    return write_private_file(path, json.dumps(document, indent=2) + "\n")


def write_private_file(path: Path, text: str) -> Path:
    """A new file (never an existing one: its mode could be wider) only its owner can read and write."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
