"""Shared AWS fixtures for the image tests: moto in-process, resources shaped like docs/contract.md.

Every handler test (webhook, stream, batch) builds on the same chain:
``aws_credentials`` -> ``aws`` (``mock_aws``) -> ``table`` / ``bucket`` / ``topic`` / ``parameters``
and ``lambda_env`` for the environment variables ``ContainerFunction`` sets. Names live in
``NAMES`` so tests can assert on them without repeating literals.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from fraud_detection import keys

# Powertools reads these when a handler module is imported, which may happen before any fixture.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "FraudDetection")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from tests.support.aws import ACCOUNT_ID, REGION

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
SECOND_SIGNING_SECRET = "test-signing-secret-fedcba9876543210"
FINGERPRINT_SECRET = "test-fingerprint-secret-0123456789abcdef"


@dataclass(frozen=True)
class Names:
    """Resource names of the test environment (the contract's patterns with env ``test``)."""

    environment: str = "test"
    table: str = "fraud-patterns-test"
    bucket: str = f"fraud-audit-test-{ACCOUNT_ID}-{REGION}"
    topic: str = "fraud-alerts-test"
    settings_parameter: str = "/fraud-detection/test/settings"
    signing_keys_parameter: str = "/fraud-detection/test/webhook-signing-keys"
    fingerprint_key_parameter: str = "/fraud-detection/test/card-fingerprint-key"
    window_shards: int = 4

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{self.topic}"


NAMES = Names()


@pytest.fixture
def names() -> Names:
    return NAMES


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Names:
    """The environment ``ContainerFunction`` gives every function (union of all three)."""
    values = {
        "ENVIRONMENT": NAMES.environment,
        "TABLE_NAME": NAMES.table,
        "WINDOW_SHARDS": str(NAMES.window_shards),
        "BUCKET_NAME": NAMES.bucket,
        "TOPIC_ARN": NAMES.topic_arn,
        "SETTINGS_PARAMETER": NAMES.settings_parameter,
        "SIGNING_KEYS_PARAMETER": NAMES.signing_keys_parameter,
        "FINGERPRINT_KEY_PARAMETER": NAMES.fingerprint_key_parameter,
        "POWERTOOLS_METRICS_NAMESPACE": "FraudDetection",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LOG_LEVEL": "INFO",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return NAMES


def _gsi(name: str, hash_key: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": "event_ts", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


@pytest.fixture
def table(aws: None) -> str:
    """The pattern table with the contract's key design: pk, 3 GSIs on event_ts, NEW_IMAGE stream, TTL."""
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=NAMES.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "customer_key", "AttributeType": "S"},
            {"AttributeName": "card_key", "AttributeType": "S"},
            {"AttributeName": "window_key", "AttributeType": "S"},
            {"AttributeName": "event_ts", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            _gsi(keys.CUSTOMER_INDEX, "customer_key"),
            _gsi(keys.CARD_INDEX, "card_key"),
            _gsi(keys.WINDOW_INDEX, "window_key"),
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    client.update_time_to_live(
        TableName=NAMES.table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return NAMES.table


@pytest.fixture
def bucket(aws: None) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=NAMES.bucket)
    return NAMES.bucket


@pytest.fixture
def topic(aws: None) -> str:
    return boto3.client("sns", region_name=REGION).create_topic(Name=NAMES.topic)["TopicArn"]


@pytest.fixture
def settings_document() -> dict[str, Any]:
    """Override in a test module to change the risk settings the parameters fixture writes."""
    return {"high_risk_countries": ["KP", "IR"], "blocked_merchants": ["Evil Corp"]}


@pytest.fixture
def parameters(aws: None, settings_document: dict[str, Any]) -> Names:
    """The three SSM parameters with usable values (as after the rotation command ran)."""
    client = boto3.client("ssm", region_name=REGION)
    client.put_parameter(Name=NAMES.settings_parameter, Type="SecureString", Value=json.dumps(settings_document))
    client.put_parameter(
        Name=NAMES.signing_keys_parameter,
        Type="SecureString",
        Value=json.dumps({"keys": {"k1": SIGNING_SECRET, "k2": SECOND_SIGNING_SECRET}}),
    )
    client.put_parameter(Name=NAMES.fingerprint_key_parameter, Type="SecureString", Value=FINGERPRINT_SECRET)
    return NAMES


@pytest.fixture
def stack(lambda_env: Names, table: str, bucket: str, topic: str, parameters: Names) -> Names:
    """Everything at once: what a deployed environment looks like to any handler."""
    return NAMES


@pytest.fixture
def webhook(stack: Names, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The webhook handler against the moto stack, clock pinned to the captured event's time.

    Its log lines (formatted exactly as in Lambda) are collected in ``client.log``: the
    Powertools handler binds ``sys.stdout`` at import, so ``capsys`` alone would miss them.
    """
    from fraud_detection.handlers import webhook as module
    from tests.runtime.webhook.webhook_support import FIXED_NOW, WebhookClient

    module.dependencies.cache_clear()
    monkeypatch.setattr(module, "utc_now", lambda: FIXED_NOW)
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(module.logger.registered_formatter)
    module.logger.addHandler(handler)
    yield WebhookClient(module=module, secret=SIGNING_SECRET, log=log)
    module.logger.removeHandler(handler)
    module.dependencies.cache_clear()
