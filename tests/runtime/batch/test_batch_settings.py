"""The batch reads its risk settings through the same parameter layer as the webhook (Powertools
Parameters behind the failure back-off): one ``GetParameter``, cached for less than a schedule period."""

from __future__ import annotations

import boto3
import pytest

from fraud_detection.adapters.parameters import ParametersUnavailable, SettingsStore
from tests.support.clocks import MovableClock
from tests.support.moto_stack import NAMES, REGION, Names

pytestmark = pytest.mark.unit


def test_the_batch_reads_its_settings_through_the_same_cache(parameters: Names) -> None:
    client = boto3.client("ssm", region_name=REGION)
    calls: list[str] = []
    client.meta.events.register("before-call.ssm", lambda model, **_: calls.append(model.name))
    store = SettingsStore(client, NAMES.settings_parameter, max_age_seconds=60)
    settings = store.load()
    assert settings.high_risk_countries == ("KP", "IR")
    assert store.load() is settings
    assert calls == ["GetParameter"]


def test_a_failed_settings_read_backs_off(aws: None) -> None:
    client = boto3.client("ssm", region_name=REGION)
    clock = MovableClock()
    store = SettingsStore(client, NAMES.settings_parameter, clock=clock)
    with pytest.raises(ParametersUnavailable, match="ParameterNotFound") as first:
        store.load()
    assert first.value.retry_after == 5
    client.put_parameter(Name=NAMES.settings_parameter, Type="SecureString", Value='{"high_risk_countries": []}')
    with pytest.raises(ParametersUnavailable, match="backing off"):
        store.load()
    clock.now += 5
    assert store.load().high_risk_countries == ()
