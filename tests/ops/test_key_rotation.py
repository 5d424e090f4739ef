"""Key-set changes (pure) and the SSM adapter against moto: rotation never drops a valid key."""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from fraud_detection.adapters.parameters import parse_signing_keys
from fraud_ops import key_rotation, samples
from local_stage import gateway
from local_stage.worker import LocalContext

pytestmark = pytest.mark.unit

SETTINGS = "/fraud-detection/dev/settings"
SIGNING = "/fraud-detection/dev/webhook-signing-keys"
FINGERPRINT = "/fraud-detection/dev/card-fingerprint-key"
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


def test_placeholder_is_an_empty_key_set_and_has_no_newest_key() -> None:
    assert key_rotation.parse_key_set("UNSET") == key_rotation.KeySet()
    with pytest.raises(key_rotation.KeySetError, match="rotate-secret --add"):
        key_rotation.KeySet().newest()


def test_add_keeps_old_keys_and_the_result_is_what_the_webhook_accepts() -> None:
    first = key_rotation.add_key(key_rotation.KeySet(), "k1", "a" * 32)
    both = key_rotation.add_key(first, "k2", "b" * 32)
    assert both.ids == ("k1", "k2")
    assert both.newest() == ("k2", "b" * 32)
    assert parse_signing_keys(both.to_json()) == ("a" * 32, "b" * 32)


@pytest.mark.parametrize(
    ("key_id", "secret", "message"), [("k1", "c" * 32, "already exists"), ("k9", "short", ">= 32")]
)
def test_add_refuses_duplicates_and_weak_secrets(key_id: str, secret: str, message: str) -> None:
    with pytest.raises(key_rotation.KeySetError, match=message):
        key_rotation.add_key(key_rotation.KeySet((("k1", "a" * 32),)), key_id, secret)


def test_retire_removes_one_key_but_never_the_last() -> None:
    both = key_rotation.KeySet((("k1", "a" * 32), ("k2", "b" * 32)))
    assert key_rotation.retire_key(both, "k1").ids == ("k2",)
    with pytest.raises(key_rotation.KeySetError, match="last key"):
        key_rotation.retire_key(key_rotation.KeySet((("k2", "b" * 32),)), "k2")
    with pytest.raises(key_rotation.KeySetError, match="no key 'k7'"):
        key_rotation.retire_key(both, "k7")


def test_generated_secrets_are_long_and_distinct() -> None:
    assert len(key_rotation.new_secret()) >= 64
    assert key_rotation.new_secret() != key_rotation.new_secret()
    assert key_rotation.new_key_id(NOW) == "k20261122T100000Z"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    """SSM and the app key; the secret parameters do not exist (Terraform no longer creates them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        yield boto3.client("ssm", region_name="us-east-1"), key_arn


def described(client: object) -> dict[str, tuple[str, str | None]]:
    return {p["Name"]: (p["Type"], p.get("KeyId")) for p in client.describe_parameters()["Parameters"]}  # type: ignore[attr-defined]


def test_rotation_creates_the_parameter_under_the_app_key_and_keeps_old_keys(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    adapter = key_rotation.ParameterAdapter(client)
    key_rotation.rotate_add(adapter, SIGNING, NOW, key_arn=key_arn)
    assert described(client)[SIGNING] == ("SecureString", key_arn)
    later = datetime(2026, 11, 23, tzinfo=UTC)
    result = key_rotation.rotate_add(adapter, SIGNING, later, key_arn=key_arn)
    stored = json.loads(adapter.read(SIGNING))["keys"]
    assert list(stored) == ["k20261122T100000Z", "k20261123T000000Z"]
    assert "Wait 5 minutes" in result.message
    assert described(client)[SIGNING] == ("SecureString", key_arn)
    key_rotation.rotate_retire(adapter, SIGNING, "k20261122T100000Z")
    assert list(json.loads(adapter.read(SIGNING))["keys"]) == ["k20261123T000000Z"]


def test_an_existing_parameter_keeps_its_own_key(ssm: tuple[object, str]) -> None:
    """Environments deployed before: Terraform created it (UNSET) under the key it had; an overwrite keeps it."""
    client, key_arn = ssm
    other_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    client.put_parameter(Name=SIGNING, Value="UNSET", Type="SecureString", KeyId=other_key)  # type: ignore[attr-defined]
    adapter = key_rotation.ParameterAdapter(client)
    key_rotation.rotate_add(adapter, SIGNING, NOW, key_arn=key_arn)
    assert described(client)[SIGNING] == ("SecureString", other_key)
    assert list(json.loads(adapter.read(SIGNING))["keys"]) == ["k20261122T100000Z"]


def test_without_the_app_key_a_missing_parameter_is_refused_and_nothing_is_created(ssm: tuple[object, str]) -> None:
    client, _ = ssm
    adapter = key_rotation.ParameterAdapter(client)
    for attempt in (
        lambda: key_rotation.rotate_add(adapter, SIGNING, NOW, key_arn=None),
        lambda: key_rotation.init_fingerprint(adapter, FINGERPRINT, key_arn=None),
    ):
        with pytest.raises(key_rotation.KeySetError, match="deploy the app stack first"):
            attempt()
    assert described(client) == {}
    with pytest.raises(key_rotation.MissingParameter, match="make set-secrets"):
        adapter.read(SIGNING)
    with pytest.raises(key_rotation.MissingParameter):
        key_rotation.rotate_retire(adapter, SIGNING, "k1")


class _StaleReads(key_rotation.ParameterAdapter):
    """Reads as if the parameter did not exist yet: someone else creates it between read and write."""

    def read_optional(self, name: str) -> str | None:
        return None


def test_a_concurrent_creation_is_never_overwritten(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    client.put_parameter(Name=SIGNING, Value='{"keys":{"k0":"%s"}}' % ("z" * 40), Type="SecureString")  # type: ignore[attr-defined]
    with pytest.raises(key_rotation.KeySetError, match="created by someone else"):
        key_rotation.rotate_add(_StaleReads(client), SIGNING, NOW, key_arn=key_arn)
    assert list(json.loads(key_rotation.ParameterAdapter(client).read(SIGNING))["keys"]) == ["k0"]


def test_fingerprint_key_is_set_once_and_never_rotated(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    adapter = key_rotation.ParameterAdapter(client)
    key_rotation.init_fingerprint(adapter, FINGERPRINT, key_arn=key_arn)
    first = adapter.read(FINGERPRINT)
    assert len(first) >= 32
    assert described(client)[FINGERPRINT] == ("SecureString", key_arn)
    with pytest.raises(key_rotation.KeySetError, match="velocity continuity"):
        key_rotation.init_fingerprint(adapter, FINGERPRINT, key_arn=key_arn)
    assert adapter.read(FINGERPRINT) == first


def test_the_legacy_placeholder_counts_as_unset(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    client.put_parameter(Name=FINGERPRINT, Value="UNSET", Type="SecureString", KeyId=key_arn)  # type: ignore[attr-defined]
    adapter = key_rotation.ParameterAdapter(client)
    key_rotation.init_fingerprint(adapter, FINGERPRINT, key_arn=key_arn)
    assert adapter.read(FINGERPRINT) != "UNSET"


def test_initial_secrets_are_created_once_and_never_replaced(ssm: tuple[object, str]) -> None:
    client, key_arn = ssm
    adapter = key_rotation.ParameterAdapter(client)
    first = key_rotation.ensure_initial_secrets(adapter, SIGNING, FINGERPRINT, key_arn=key_arn, now=NOW)
    assert first.added_key is not None and first.added_key[0] == "k20261122T100000Z"
    values = {name: adapter.read(name) for name in (SIGNING, FINGERPRINT)}
    assert parse_signing_keys(values[SIGNING]) == (first.added_key[1],)
    again = key_rotation.ensure_initial_secrets(
        adapter, SIGNING, FINGERPRINT, key_arn=key_arn, now=datetime(2026, 11, 23, tzinfo=UTC)
    )
    assert again.added_key is None
    assert "nothing added" in again.messages[0] and "left as it is" in again.messages[1]
    assert {name: adapter.read(name) for name in (SIGNING, FINGERPRINT)} == values
    assert all(first.added_key[1] not in message for message in (*first.messages, *again.messages))


def test_the_secret_file_is_new_and_private(tmp_path: Path) -> None:
    path = key_rotation.write_secret_file(tmp_path / "secrets", "dev", SIGNING, "k1", "s" * 40)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["secret"] == "s" * 40
    with pytest.raises(FileExistsError):
        key_rotation.write_secret_file(tmp_path / "secrets", "dev", SIGNING, "k1", "t" * 40)
    assert json.loads(path.read_text())["secret"] == "s" * 40


def forget_cold_start() -> None:
    module = sys.modules.get("fraud_detection.handlers.webhook")
    if module is not None:
        module.dependencies.cache_clear()


def test_the_webhook_answers_503_with_retry_after_while_the_secrets_do_not_exist(
    ssm: tuple[object, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window between make deploy-app and make set-secrets, through the real handler in-process."""
    client, key_arn = ssm
    client.put_parameter(Name=SETTINGS, Value="{}", Type="SecureString", KeyId=key_arn)  # type: ignore[attr-defined]
    environment = {
        "ENVIRONMENT": "dev",
        "POWERTOOLS_SERVICE_NAME": "fraud-webhook",
        "POWERTOOLS_METRICS_NAMESPACE": "FraudDetection",
        "TABLE_NAME": "fraud-patterns-dev",
        "WINDOW_SHARDS": "8",
        "SETTINGS_PARAMETER": SETTINGS,
        "SIGNING_KEYS_PARAMETER": SIGNING,
        "FINGERPRINT_KEY_PARAMETER": FINGERPRINT,
    }
    for name, value in {**environment, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    context = LocalContext("fraud-webhook-dev", 512, "arn:aws:lambda:us-east-1:1:function:fraud-webhook-dev", "r", 15)
    body = samples.encode(samples.transaction("missing", "approve"))
    request = gateway.GatewayRequest(
        "POST", "/v1/webhook", list(samples.signed_headers("s" * 40, body, 0, None).items()), body, "127.0.0.1"
    )
    event = gateway.proxy_event(request, "v1", "req-1", NOW)
    forget_cold_start()  # the handler module (imported in the function's environment) caches its clients
    try:
        from fraud_detection.handlers import webhook

        result = webhook.handler(event, context)
    finally:
        forget_cold_start()
    assert result["statusCode"] == 503, result
    response = gateway.response_from_proxy_result(result, "req-1")  # what API Gateway would send
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert int(headers["retry-after"]) >= 1
    assert described(client).keys() == {SETTINGS}  # the webhook created nothing


LABEL_SIGNING = "/fraud-detection/dev/label-signing-keys"


def test_the_label_signing_key_set_is_created_with_the_webhooks_and_apart_from_it(ssm: tuple[object, str]) -> None:
    """``make set-secrets`` / the local stage: a second key set, SecureString under the app key, never sharing a
    secret with the senders' set; run again, it changes nothing."""
    from fraud_detection.contract import label_signing_keys_parameter_name

    assert label_signing_keys_parameter_name("dev") == LABEL_SIGNING
    client, key_arn = ssm
    adapter = key_rotation.ParameterAdapter(client)
    first = key_rotation.ensure_initial_secrets(
        adapter, SIGNING, FINGERPRINT, key_arn=key_arn, now=NOW, label_signing_name=LABEL_SIGNING
    )
    assert first.added_key is not None and first.added_label_key is not None
    assert first.added_key[1] != first.added_label_key[1]
    assert described(client)[LABEL_SIGNING] == ("SecureString", key_arn)
    assert parse_signing_keys(adapter.read(LABEL_SIGNING)) == (first.added_label_key[1],)
    assert parse_signing_keys(adapter.read(SIGNING)) == (first.added_key[1],)
    assert any("labellers" in message for message in first.messages)
    stored = {name: adapter.read(name) for name in (SIGNING, LABEL_SIGNING, FINGERPRINT)}
    again = key_rotation.ensure_initial_secrets(
        adapter, SIGNING, FINGERPRINT, key_arn=key_arn, now=NOW, label_signing_name=LABEL_SIGNING
    )
    assert (again.added_key, again.added_label_key) == (None, None)
    assert any("rotate-secret --add --labels" in message for message in again.messages)
    assert {name: adapter.read(name) for name in stored} == stored
    secrets = (first.added_key[1], first.added_label_key[1])
    assert all(secret not in message for secret in secrets for message in (*first.messages, *again.messages))


def test_a_label_secret_file_is_named_apart_from_a_sender_one(tmp_path: Path) -> None:
    sender = key_rotation.write_secret_file(tmp_path, "dev", SIGNING, "k1", "s" * 40)
    labeller = key_rotation.write_secret_file(
        tmp_path, "dev", LABEL_SIGNING, "k1", "t" * 40, kind=key_rotation.LABEL_KEYS
    )
    assert (sender.name, labeller.name) == ("dev-signing-key-k1.json", "dev-label-signing-key-k1.json")
    assert json.loads(labeller.read_text())["parameter"] == LABEL_SIGNING
    assert stat.S_IMODE(labeller.stat().st_mode) == 0o600
