"""SSM adapter and env config: one call per cache period, placeholder refused, rotation picked up."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from fraud_detection import contract
from fraud_detection.adapters.parameters import (
    ParameterError,
    ParameterNames,
    ParameterStore,
    ParametersUnavailable,
    parse_fingerprint_key,
    parse_signing_keys,
)
from fraud_detection.keys import pattern_pk
from tests.support.clocks import MovableClock
from tests.support.moto_stack import NAMES, REGION, SECOND_SIGNING_SECRET, SIGNING_SECRET, Names

pytestmark = pytest.mark.unit

PARAMETER_NAMES = ParameterNames(
    settings=NAMES.settings_parameter,
    signing_keys=NAMES.signing_keys_parameter,
    fingerprint_key=NAMES.fingerprint_key_parameter,
)


def counted_ssm_client() -> tuple[Any, list[str]]:
    """An SSM client (moto) and the list of ``GetParameters`` calls it has made."""
    client = boto3.client("ssm", region_name=REGION)
    calls: list[str] = []
    client.meta.events.register("before-call.ssm.GetParameters", lambda model, **_: calls.append(model.name))
    return client, calls


def test_loads_all_three_with_one_call_and_caches(parameters: Names) -> None:
    client, calls = counted_ssm_client()
    store = ParameterStore(client, PARAMETER_NAMES)

    loaded = store.webhook_parameters()
    assert loaded.signing_secrets == (SIGNING_SECRET, SECOND_SIGNING_SECRET)
    assert loaded.settings.high_risk_countries == ("KP", "IR")
    assert len(loaded.fingerprint_key) >= 32
    assert store.webhook_parameters() is loaded
    assert calls == ["GetParameters"]
    # Powertools holds each value for max_age (300 s by default): its cache entries say until when
    expiries = [entry.ttl for entry in store.parameters.provider.store.values()]
    assert len(expiries) == 3
    for expiry in expiries:
        assert timedelta(seconds=298) < expiry - datetime.now() <= timedelta(seconds=300)


def test_a_rotated_key_is_picked_up_once_max_age_has_passed(parameters: Names) -> None:
    client, calls = counted_ssm_client()
    store = ParameterStore(client, PARAMETER_NAMES, max_age_seconds=1)
    loaded = store.webhook_parameters()
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=NAMES.signing_keys_parameter,
        Type="SecureString",
        Overwrite=True,
        Value=json.dumps({"keys": {"k3": "n" * 40}}),
    )
    assert store.webhook_parameters() is loaded  # within max_age: the cached value, no call
    time.sleep(1.05)  # Powertools' cache runs on the wall clock
    assert store.webhook_parameters().signing_secrets == ("n" * 40,)
    assert calls == ["GetParameters", "GetParameters"]


def test_a_failed_load_is_retried_only_after_the_backoff(parameters: Names) -> None:
    client, calls = counted_ssm_client()
    clock = MovableClock()
    store = ParameterStore(client, PARAMETER_NAMES, retry_after_seconds=5, clock=clock)
    signing_keys = client.get_parameter(Name=NAMES.signing_keys_parameter, WithDecryption=True)["Parameter"]["Value"]
    client.delete_parameter(Name=NAMES.signing_keys_parameter)  # an operator mistake, fixed a moment later

    with pytest.raises(ParametersUnavailable, match="parameters not found") as first:
        store.webhook_parameters()
    assert first.value.retry_after == 5
    clock.now += 4
    with pytest.raises(ParametersUnavailable) as again:
        store.webhook_parameters()
    assert again.value.retry_after == pytest.approx(1)
    assert calls == ["GetParameters"]

    client.put_parameter(Name=NAMES.signing_keys_parameter, Value=signing_keys, Type="SecureString")
    clock.now += 1
    assert store.webhook_parameters().signing_secrets == (SIGNING_SECRET, SECOND_SIGNING_SECRET)
    assert calls == ["GetParameters", "GetParameters"]


@pytest.mark.parametrize(
    "value",
    ["UNSET", " UNSET\n", "{}", "[]", '{"keys": []}', '{"keys": {"a": 5}}', '{"keys": {"a": "short"}}', "not json"],
)
def test_unusable_signing_keys_are_refused(value: str) -> None:
    with pytest.raises(ParameterError):
        parse_signing_keys(value)


@pytest.mark.parametrize("value", ["UNSET", "short", ""])
def test_unusable_fingerprint_key_is_refused(value: str) -> None:
    with pytest.raises(ParameterError):
        parse_fingerprint_key(value)


def test_error_messages_never_contain_secret_values() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_signing_keys(json.dumps({"keys": {"a": "leaky-secret"}}))
    assert "leaky-secret" not in str(caught.value)


def test_the_webhook_expires_items_after_pattern_ttl_days(webhook: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.runtime.webhook.webhook_support import FIXED_NOW, WebhookClient, base_transaction

    assert isinstance(webhook, WebhookClient)
    monkeypatch.setenv(contract.ENV_PATTERN_TTL_DAYS, "30")
    assert webhook.post(base_transaction(transaction_id="ttl-30")).status == 200
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=NAMES.table, Key={contract.PARTITION_KEY: {"S": pattern_pk("ttl-30")}}, ConsistentRead=True
    )["Item"]
    assert int(item[contract.TTL_ATTRIBUTE]["N"]) == int((FIXED_NOW + timedelta(days=30)).timestamp())


def test_a_bad_pattern_ttl_days_makes_the_webhook_refuse(webhook: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction

    assert isinstance(webhook, WebhookClient)
    monkeypatch.setenv(contract.ENV_PATTERN_TTL_DAYS, "0")
    result = webhook.post(base_transaction())
    assert result.status == 503
    assert contract.ENV_PATTERN_TTL_DAYS in webhook.log_text and contract.ENV_PATTERN_TTL_DAYS not in result.text


def test_missing_environment_variable_makes_the_webhook_refuse(
    webhook: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction

    assert isinstance(webhook, WebhookClient)
    monkeypatch.delenv("SIGNING_KEYS_PARAMETER")
    result = webhook.post(base_transaction())
    assert result.status == 503
    assert "SIGNING_KEYS" not in result.text
