"""Shared AWS fixtures for the image tests: moto in-process, resources shaped like docs/contract.md.

Every handler test (webhook, stream, batch) builds on the same chain:
``aws_credentials`` -> ``aws`` (``mock_aws``) -> ``table`` / ``bucket`` / ``topic`` / ``parameters``
and ``lambda_env`` for the environment variables ``ContainerFunction`` sets. Names live in
``NAMES`` so tests can assert on them without repeating literals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fraud_detection import contract
from tests.support.aws import ACCOUNT_ID, REGION, moto_client
from tests.support.outputs import AlertInbox, subscribe_inbox
from tests.support.tables import create_pattern_table

# Powertools reads these when a handler module is imported, which may happen before any fixture.
os.environ.setdefault(contract.ENV_METRICS_NAMESPACE, contract.METRICS_NAMESPACE)
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
SECOND_SIGNING_SECRET = "test-signing-secret-fedcba9876543210"
FINGERPRINT_SECRET = "test-fingerprint-secret-0123456789abcdef"
ENVIRONMENT = "test"
_SIGNING_KEYS, _FINGERPRINT_KEY = contract.secret_parameter_names(ENVIRONMENT)


@dataclass(frozen=True)
class Names:
    """Resource names of the test environment (the contract's names with environment ``test``)."""

    environment: str = ENVIRONMENT
    table: str = contract.resource_name(contract.TABLE_BASE, ENVIRONMENT)
    bucket: str = f"{contract.resource_name('audit', ENVIRONMENT)}-{ACCOUNT_ID}-{REGION}"
    topic: str = contract.resource_name("alerts", ENVIRONMENT)
    settings_parameter: str = contract.settings_parameter_name(ENVIRONMENT)
    signing_keys_parameter: str = _SIGNING_KEYS
    fingerprint_key_parameter: str = _FINGERPRINT_KEY
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
        contract.ENV_ENVIRONMENT: NAMES.environment,
        contract.ENV_TABLE_NAME: NAMES.table,
        contract.ENV_WINDOW_SHARDS: str(NAMES.window_shards),
        contract.ENV_BUCKET_NAME: NAMES.bucket,
        contract.ENV_TOPIC_ARN: NAMES.topic_arn,
        contract.ENV_SETTINGS_PARAMETER: NAMES.settings_parameter,
        contract.ENV_SIGNING_KEYS_PARAMETER: NAMES.signing_keys_parameter,
        contract.ENV_FINGERPRINT_KEY_PARAMETER: NAMES.fingerprint_key_parameter,
        contract.ENV_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        contract.ENV_LOG_LEVEL: contract.DEFAULT_LOG_LEVEL,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return NAMES


@pytest.fixture
def table(aws: None) -> str:
    """The pattern table as production creates it (``tests.support.tables``, from the contract)."""
    create_pattern_table(moto_client("dynamodb"), NAMES.table)
    return NAMES.table


@pytest.fixture
def bucket(aws: None) -> str:
    moto_client("s3").create_bucket(Bucket=NAMES.bucket)
    return NAMES.bucket


@pytest.fixture
def topic(aws: None) -> str:
    return moto_client("sns").create_topic(Name=NAMES.topic)["TopicArn"]


@pytest.fixture
def settings_document() -> dict[str, Any]:
    """Override in a test module to change the risk settings the parameters fixture writes."""
    return {"high_risk_countries": ["KP", "IR"], "blocked_merchants": ["Evil Corp"]}


@pytest.fixture
def parameters(aws: None, settings_document: dict[str, Any]) -> Names:
    """The three SSM parameters with usable values (as after the rotation command ran)."""
    ssm = moto_client("ssm")
    ssm.put_parameter(Name=NAMES.settings_parameter, Type="SecureString", Value=json.dumps(settings_document))
    ssm.put_parameter(
        Name=NAMES.signing_keys_parameter,
        Type="SecureString",
        Value=json.dumps({"keys": {"k1": SIGNING_SECRET, "k2": SECOND_SIGNING_SECRET}}),
    )
    ssm.put_parameter(Name=NAMES.fingerprint_key_parameter, Type="SecureString", Value=FINGERPRINT_SECRET)
    return NAMES


@pytest.fixture
def stack(lambda_env: Names, table: str, bucket: str, topic: str, parameters: Names) -> Names:
    """Everything at once: what a deployed environment looks like to any handler."""
    return NAMES


@pytest.fixture
def fresh_containers() -> Iterator[None]:
    """The stream and batch handlers start as new containers (their dependencies built anew) and end so."""
    from fraud_detection.handlers import batch, stream

    for handler in (stream, batch):
        handler.dependencies.cache_clear()
    yield
    for handler in (stream, batch):
        handler.dependencies.cache_clear()


@pytest.fixture
def alert_inbox(topic: str) -> AlertInbox:
    """An SQS queue subscribed to the alert topic: what an alert subscriber receives."""
    return subscribe_inbox(topic)


@pytest.fixture
def webhook(stack: Names) -> Iterator[Any]:
    """The webhook handler against the moto stack, as a fresh container whose clocks the test holds.

    The receive-time clock is pinned to the captured event's time (``client.now``, a test may move it)
    and the parameter cache's monotonic clock is ``client.clock`` (moved instead of waiting); both are
    injected into the handler's dependencies. Log lines (formatted exactly as in Lambda) are collected
    in ``client.log``: the Powertools handler binds ``sys.stdout`` at import, so ``capsys`` would miss them.
    """
    from fraud_detection.handlers import webhook as module
    from tests.runtime.webhook.webhook_support import FIXED_NOW, WebhookClient
    from tests.support.clocks import MovableClock
    from tests.support.handler_clients import attached

    client = WebhookClient(module=module, secret=SIGNING_SECRET, now=FIXED_NOW, clock=MovableClock())
    with attached(module, client):
        yield client
