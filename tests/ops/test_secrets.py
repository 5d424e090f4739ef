"""Key-set changes (pure) and the SSM adapter against moto: rotation never drops a valid key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from fraud_detection.adapters.parameters import parse_signing_keys
from fraud_ops import secrets

SIGNING = "/fraud-detection/dev/webhook-signing-keys"
FINGERPRINT = "/fraud-detection/dev/card-fingerprint-key"
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


def test_placeholder_is_an_empty_key_set_and_has_no_newest_key() -> None:
    assert secrets.parse_key_set("UNSET") == secrets.KeySet()
    with pytest.raises(secrets.KeySetError, match="rotate-secret --add"):
        secrets.KeySet().newest()


def test_add_keeps_old_keys_and_the_result_is_what_the_webhook_accepts() -> None:
    first = secrets.add_key(secrets.KeySet(), "k1", "a" * 32)
    both = secrets.add_key(first, "k2", "b" * 32)
    assert both.ids == ("k1", "k2")
    assert both.newest() == ("k2", "b" * 32)
    assert parse_signing_keys(both.to_json()) == ("a" * 32, "b" * 32)


@pytest.mark.parametrize(
    ("key_id", "secret", "message"), [("k1", "c" * 32, "already exists"), ("k9", "short", ">= 32")]
)
def test_add_refuses_duplicates_and_weak_secrets(key_id: str, secret: str, message: str) -> None:
    with pytest.raises(secrets.KeySetError, match=message):
        secrets.add_key(secrets.KeySet((("k1", "a" * 32),)), key_id, secret)


def test_retire_removes_one_key_but_never_the_last() -> None:
    both = secrets.KeySet((("k1", "a" * 32), ("k2", "b" * 32)))
    assert secrets.retire_key(both, "k1").ids == ("k2",)
    with pytest.raises(secrets.KeySetError, match="last key"):
        secrets.retire_key(secrets.KeySet((("k2", "b" * 32),)), "k2")
    with pytest.raises(secrets.KeySetError, match="no key 'k7'"):
        secrets.retire_key(both, "k7")


def test_generated_secrets_are_long_and_distinct() -> None:
    assert len(secrets.new_secret()) >= 64
    assert secrets.new_secret() != secrets.new_secret()
    assert secrets.new_key_id(NOW) == "k20261122T100000Z"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        client = boto3.client("ssm", region_name="us-east-1")
        for name in (SIGNING, FINGERPRINT):  # as Terraform creates them
            client.put_parameter(Name=name, Value="UNSET", Type="SecureString", KeyId=key_arn)
        yield client, key_arn


def test_rotation_writes_secure_strings_with_the_cmk_and_keeps_old_keys(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    adapter = secrets.ParameterAdapter(client)
    secrets.rotate_add(adapter, SIGNING, NOW)
    later = datetime(2026, 11, 23, tzinfo=UTC)
    result = secrets.rotate_add(adapter, SIGNING, later)
    stored = json.loads(adapter.read(SIGNING))["keys"]
    assert list(stored) == ["k20261122T100000Z", "k20261123T000000Z"]
    assert "Wait 5 minutes" in result.message
    described = client.describe_parameters()["Parameters"]  # type: ignore[attr-defined]
    assert {p["Name"]: (p["Type"], p.get("KeyId")) for p in described}[SIGNING] == ("SecureString", key_arn)
    secrets.rotate_retire(adapter, SIGNING, "k20261122T100000Z")
    assert list(json.loads(adapter.read(SIGNING))["keys"]) == ["k20261123T000000Z"]


def test_fingerprint_key_is_set_once_and_never_rotated(ssm: tuple[object, str]) -> None:
    client, _ = ssm
    adapter = secrets.ParameterAdapter(client)
    secrets.init_fingerprint(adapter, FINGERPRINT)
    first = adapter.read(FINGERPRINT)
    assert len(first) >= 32
    with pytest.raises(secrets.KeySetError, match="velocity continuity"):
        secrets.init_fingerprint(adapter, FINGERPRINT)
    assert adapter.read(FINGERPRINT) == first
