"""What the webhook's cold import must not bring back (issue 14): the floor it was trimmed to.

Deterministic like ``test_webhook_cold_start`` (a fresh interpreter with the deployed environment,
``sys.modules`` read back, no timings; the numbers are in ``make bench``): Powertools' event handler
package (about 0.3x ``import boto3``), its event data classes (0.15x) and pydantic (0.3x) stay out
of the import, while everything operators rely on is still built at init.
"""

from __future__ import annotations

import pytest

from tests.runtime.webhook.test_webhook_cold_start import import_webhook, lambda_env

pytestmark = pytest.mark.tool

DROPPED = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
    "pydantic",
)


def test_deployed_import_leaves_out_the_dropped_libraries_and_keeps_logs_metrics_and_traces() -> None:
    probe = import_webhook(lambda_env(in_lambda=True, trace_disabled=None))
    assert [name for name in DROPPED if name in probe["modules"]] == []
    kept = {"aws_lambda_powertools.logging.logger", "aws_lambda_powertools.metrics", "aws_xray_sdk.core", "msgspec"}
    assert kept <= set(probe["modules"])
    assert probe["disabled"] is False and "botocore" in probe["patched"]
