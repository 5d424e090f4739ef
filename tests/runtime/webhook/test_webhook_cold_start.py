"""The webhook's cold-start structure: what its import loads, and what a rejected first request builds.

Deterministic on purpose (no timings): each import check runs in a fresh interpreter with the
environment a deployed function has, and reads ``sys.modules``. Numbers live in ``make bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.moto_stack import NAMES

pytestmark = pytest.mark.tool

IMAGE = Path(__file__).resolve().parents[3] / "lambda_image"

# Loaded only once a delivery is authenticated (fraud_detection.intake._admit).
ACCEPTED_PATH_ONLY = (
    "fraud_detection.models",
    "fraud_detection.scoring",
    "fraud_detection.pattern",
    "fraud_detection.privacy",
)
# The X-Ray SDK's recorder and its dependency; the top-level ``aws_xray_sdk`` package (a config
# flag Powertools switches off) is allowed.
XRAY_SDK = ("aws_xray_sdk.core", "wrapt")


def lambda_env(*, in_lambda: bool, trace_disabled: bool | None) -> dict[str, str]:
    """What ContainerFunction and the Lambda runtime set for the webhook (docs/contract.md)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN", "LAMBDA_")) and name != "PYTHONPATH"
    }
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": "fraud-webhook-test",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ENVIRONMENT": NAMES.environment,
        "TABLE_NAME": NAMES.table,
        "WINDOW_SHARDS": str(NAMES.window_shards),
        "SETTINGS_PARAMETER": NAMES.settings_parameter,
        "SIGNING_KEYS_PARAMETER": NAMES.signing_keys_parameter,
        "FINGERPRINT_KEY_PARAMETER": NAMES.fingerprint_key_parameter,
        "POWERTOOLS_SERVICE_NAME": "fraud-webhook",
        "POWERTOOLS_METRICS_NAMESPACE": "FraudDetection",
        "LOG_LEVEL": "INFO",
    }
    if in_lambda:
        env["LAMBDA_TASK_ROOT"] = str(IMAGE)
    if trace_disabled is not None:
        env["POWERTOOLS_TRACE_DISABLED"] = "true" if trace_disabled else "false"
    return env


PROBE = """
import json, sys
import fraud_detection.handlers.webhook as webhook
patched = []
if "aws_xray_sdk.core" in sys.modules:
    from aws_xray_sdk.core import patcher
    patched = sorted(patcher._PATCHED_MODULES)
print(json.dumps({
    "modules": sorted(sys.modules),
    "provider": type(webhook.tracer.provider).__module__ + "." + type(webhook.tracer.provider).__name__,
    "disabled": bool(webhook.tracer.disabled),
    "patched": patched,
}))
"""


def import_webhook(env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("in_lambda", "trace_disabled"),
    [(False, None), (True, True)],
    ids=["outside-lambda", "in-lambda-POWERTOOLS_TRACE_DISABLED"],
)
def test_import_with_tracing_disabled_loads_no_xray_sdk(in_lambda: bool, trace_disabled: bool | None) -> None:
    probe = import_webhook(lambda_env(in_lambda=in_lambda, trace_disabled=trace_disabled))
    assert probe["disabled"] is True
    assert probe["provider"] == "fraud_detection.tracing.NoOpProvider"
    assert [name for name in XRAY_SDK if name in probe["modules"]] == []


@pytest.mark.parametrize("trace_disabled", [None, False], ids=["default", "POWERTOOLS_TRACE_DISABLED=false"])
def test_deployed_import_keeps_xray_tracing_with_botocore_patched(trace_disabled: bool | None) -> None:
    probe = import_webhook(lambda_env(in_lambda=True, trace_disabled=trace_disabled))
    assert probe["disabled"] is False
    assert probe["provider"].startswith("aws_xray_sdk.core.")
    assert "botocore" in probe["patched"]


@pytest.mark.parametrize("in_lambda", [False, True], ids=["outside-lambda", "in-lambda"])
def test_import_does_not_load_the_accepted_path(in_lambda: bool) -> None:
    probe = import_webhook(lambda_env(in_lambda=in_lambda, trace_disabled=None))
    assert [name for name in ACCEPTED_PATH_ONLY if name in probe["modules"]] == []
    # what every request needs stays in the import (init), not in the first request
    assert {"msgspec", "fraud_detection.settings", "boto3"} <= set(probe["modules"])
    assert "pydantic" not in probe["modules"]  # the image does not ship it (lambda_image/requirements.txt)


@pytest.fixture
def clients_created() -> Any:
    """Service names of the botocore clients created on the default session while the test runs."""
    session = boto3._get_default_session()
    created: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        created.append(event_name.rsplit(".", 1)[-1])

    session.events.register("creating-client-class", record)
    yield created
    session.events.unregister("creating-client-class", record)


def test_rejected_first_request_builds_no_dynamodb_client(webhook: WebhookClient, clients_created: list[str]) -> None:
    rejected = webhook.post(base_transaction(), secret="not-the-signing-secret-0123456789abcdef")
    assert rejected.status == 401
    assert clients_created == ["ssm"]

    assert webhook.post(base_transaction()).status == 200
    assert webhook.post(base_transaction(transaction_id="txn-second")).status == 200
    assert clients_created == ["ssm", "dynamodb"]  # built once, on first use
