"""Stream handler: shadow outcomes beside the live ones, the ShadowExtraBlock metric, the settings history
(written once per version), and the webhook never reading the shadow (moto in-process)."""

from __future__ import annotations

import gzip
import inspect
import json
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer

from fraud_detection import contract
from fraud_detection.adapters.settings_history import history_key
from fraud_detection.handlers import stream, webhook
from fraud_detection.settings import Settings, canonical_json, parse_settings, settings_version
from tests.support.aws import REGION
from tests.support.events import load_event
from tests.support.lambda_context import FakeLambdaContext
from tests.support.moto_stack import NAMES
from tests.support.outputs import AlertInbox, bucket_objects, emf_records

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]

STREAM_EVENT = "dynamodb_stream_patterns.json"
LIVE = {"high_risk_countries": ["KP", "IR"], "blocked_merchants": ["Evil Corp"]}
SHADOW = {"blocked_customers": ["cust-100", "cust-200"], "block_threshold": 90}
SHADOW_NAME = contract.shadow_settings_parameter_name(NAMES.environment)


def version_of(document: dict[str, Any]) -> str:
    return settings_version(parse_settings(json.dumps(document)))


def event_with_records(version: str) -> dict[str, Any]:
    """The captured stream event, each insert carrying a decision record made under ``version``."""
    event = load_event(STREAM_EVENT)
    serialize = TypeSerializer().serialize
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage")
        if not image:
            continue
        plain = {name: next(iter(value.values())) for name, value in image.items() if name in ("amount",)}
        decision_record = {
            "record_version": 1,
            "settings_version": version,
            "amount": plain["amount"],
            "currency": "USD",
            "country": "US",
            "merchant": "Shop",
            "customer_id": image["customer_id"]["S"],
            "received_at": image["received_at"]["S"],
            "customer_recent": 0,
            "lane": "score",
            "rules": [],
        }
        image["decision_record"] = serialize(decision_record)
    return event


def audit_lines(bucket: str) -> list[dict[str, Any]]:
    (body,) = bucket_objects(bucket, "audit/").values()
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


@pytest.fixture
def live(lambda_env: object, table: str, bucket: str, topic: str, aws: None) -> str:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=NAMES.settings_parameter, Type="SecureString", Value=json.dumps(LIVE))
    return bucket


@pytest.fixture
def shadowed(live: str, monkeypatch: pytest.MonkeyPatch) -> str:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=SHADOW_NAME, Type="SecureString", Value=json.dumps(SHADOW)
    )
    monkeypatch.setenv(contract.ENV_SHADOW_SETTINGS_PARAMETER, SHADOW_NAME)
    return live


def test_without_shadow_lines_have_no_shadow_and_the_live_version_is_copied(
    live: str, alert_inbox: AlertInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    version = version_of(LIVE)
    stream.handler(event_with_records(version), FakeLambdaContext())
    assert all("shadow" not in line for line in audit_lines(live))
    history = bucket_objects(live, "settings/")
    assert list(history) == [history_key(version)] == [f"settings/{version}.json"]
    body = history[history_key(version)].decode()
    assert body == canonical_json(parse_settings(json.dumps(LIVE)))
    assert settings_version(parse_settings(body)) == version  # the key is the version of what it holds
    names = {
        m["Name"]
        for r in emf_records(capsys.readouterr().out)
        for d in r["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
    }
    assert contract.METRIC_SHADOW_EXTRA_BLOCK not in names
    assert "SettingsVersionsRecorded" in names


def test_with_shadow_each_line_carries_the_shadow_outcome_beside_the_live_one(
    shadowed: str, alert_inbox: AlertInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    stream.handler(event_with_records(version_of(LIVE)), FakeLambdaContext())
    lines = {line["transaction_id"]: line for line in audit_lines(shadowed)}
    shadow_version = version_of(SHADOW)
    assert lines["txn-0001"]["action"] == "approve"  # live, untouched
    assert lines["txn-0001"]["shadow"] == {
        "settings_version": shadow_version,
        "action": "block",
        "risk_score": 100,
        "reasons": ["blocked_customer"],
    }
    assert lines["txn-0002"]["shadow"]["action"] == "block"  # blocked live too: not an extra block
    assert lines["txn-0003"]["shadow"]["action"] != "block"
    assert set(lines["txn-0003"]["shadow"]) == {"settings_version", "action", "risk_score", "reasons"}
    # the alert carries the live decision only
    (alert,) = alert_inbox.drain()
    assert "shadow" not in alert["body"] and alert["body"]["action"] == "block"
    # one sample per decision evaluated: 100 for txn-0001 (extra block), 0 for the two others
    samples = [
        value
        for record in emf_records(capsys.readouterr().out)
        if contract.METRIC_SHADOW_EXTRA_BLOCK in record
        for value in (
            record[contract.METRIC_SHADOW_EXTRA_BLOCK]
            if isinstance(record[contract.METRIC_SHADOW_EXTRA_BLOCK], list)
            else [record[contract.METRIC_SHADOW_EXTRA_BLOCK]]
        )
    ]
    assert sorted(samples) == [0.0, 0.0, 100.0]
    # both versions in the history
    assert sorted(bucket_objects(shadowed, "settings/")) == sorted(
        [history_key(version_of(LIVE)), history_key(shadow_version)]
    )


def test_history_is_written_once_per_version(live: str, alert_inbox: AlertInbox) -> None:
    version = version_of(LIVE)
    s3 = boto3.client("s3", region_name=REGION)
    puts: list[str] = []
    client = stream.dependencies().store.client
    client.meta.events.register(
        "before-call.s3.PutObject",
        lambda params, **_: puts.append(params["url_path"]) if "/settings/" in params["url_path"] else None,
    )
    stream.handler(event_with_records(version), FakeLambdaContext())
    stream.handler(event_with_records(version), FakeLambdaContext())
    assert len(puts) == 1  # the warm container remembers the version
    first = s3.head_object(Bucket=live, Key=history_key(version))
    # a new container tries once more; the conditional put is refused and nothing is rewritten
    stream.dependencies.cache_clear()
    stream.handler(event_with_records(version), FakeLambdaContext())
    assert s3.head_object(Bucket=live, Key=history_key(version))["ETag"] == first["ETag"]
    versions = s3.list_object_versions(Bucket=live, Prefix="settings/").get("Versions", [])
    assert len(versions) == 1


def test_a_version_the_live_parameter_does_not_hold_is_reported_not_invented(
    live: str, alert_inbox: AlertInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    reads: list[str] = []
    ssm = stream.dependencies().live_settings.parameters.provider.client  # type: ignore[union-attr]
    ssm.meta.events.register("before-call.ssm.GetParameter", lambda **_: reads.append("read"))
    stream.handler(event_with_records("0123456789abcdef"), FakeLambdaContext())
    assert len(reads) == 2  # the cached read, then once fresh: the version is not a change the cache missed
    stream.handler(event_with_records("0123456789abcdef"), FakeLambdaContext())
    assert len(reads) == 2  # reported once; later batches naming it read nothing more
    assert history_key("0123456789abcdef") not in bucket_objects(live, "settings/")
    records = emf_records(capsys.readouterr().out)
    assert any(record.get("SettingsVersionUnmatched") == [1.0] for record in records)
    # the live parameter's own version is copied (it is in use, or about to be)
    assert history_key(version_of(LIVE)) in bucket_objects(live, "settings/")


def test_a_settings_change_the_webhook_already_uses_is_copied_despite_the_stream_cache(
    live: str, alert_inbox: AlertInbox
) -> None:
    """The stream caches the live parameter 60 s; a record made under settings changed since (a webhook
    container that started after the change) makes it read the parameter again, so the new version is copied at
    once instead of being reported unmatched (seen on the local stage: a webhook worker restarted just after a
    settings change)."""
    stream.handler(event_with_records(version_of(LIVE)), FakeLambdaContext())  # caches LIVE
    changed = {**LIVE, "alert_suspicious_count": 1}
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=NAMES.settings_parameter, Type="SecureString", Value=json.dumps(changed), Overwrite=True
    )
    stream.handler(event_with_records(version_of(changed)), FakeLambdaContext())
    assert history_key(version_of(changed)) in bucket_objects(live, "settings/")


def test_an_unreadable_shadow_never_stops_the_audit_trail(
    live: str, alert_inbox: AlertInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.ENV_SHADOW_SETTINGS_PARAMETER, SHADOW_NAME)  # set, but the parameter is missing
    result = stream.handler(event_with_records(version_of(LIVE)), FakeLambdaContext())
    assert result["lines"] == 3
    assert all("shadow" not in line for line in audit_lines(live))


def test_the_webhook_path_never_reads_the_shadow() -> None:
    """The webhook's parameters are the live three; nothing in its module names the shadow."""
    source = inspect.getsource(webhook)
    assert "shadow" not in source.lower()
    assert contract.ENV_SHADOW_SETTINGS_PARAMETER not in source
    from fraud_detection.adapters.parameters import ParameterNames

    assert set(ParameterNames.__dataclass_fields__) == {"settings", "signing_keys", "fingerprint_key"}


def test_settings_model_round_trip_of_the_history_body() -> None:
    settings = Settings(block_threshold=70, high_risk_countries=("KP",))
    assert parse_settings(canonical_json(settings)) == settings
