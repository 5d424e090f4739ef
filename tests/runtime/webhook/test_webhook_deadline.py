"""The webhook answers before its own timeout, whatever its dependencies do.

A dependency that sends its response one byte at a time defeats every socket timeout (each byte
resets the read timeout), so the bound has to be the request's deadline. The slow drip is
injected at the botocore layer: the hook returns a response whose body arrives byte by byte.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.lambda_context import FakeLambdaContext
from tests.support.moto_stack import NAMES, REGION
from tests.support.tables import count_items

pytestmark = pytest.mark.unit

DRIP_SECONDS_PER_BYTE = 0.25


def own_client() -> object:
    """A DynamoDB client of a session of its own: the dripping hook sits on boto3's default session."""
    return boto3.session.Session().client("dynamodb", region_name=REGION)


class _DrippingBody:
    """A response body that trickles in: ``{"Items": [], ...`` at four bytes a second, and breaks
    off when the test ends (so the abandoned worker never goes on to write into a later test)."""

    def __init__(self, ended: threading.Event) -> None:
        self._data = json.dumps({"Count": 0, "Items": [], "ScannedCount": 0}).encode()
        self._ended = ended

    def stream(self, **_: Any) -> Iterator[bytes]:
        for index in range(len(self._data)):
            if self._ended.wait(DRIP_SECONDS_PER_BYTE):
                raise ConnectionResetError("the test ended")
            yield self._data[index : index + 1]


@pytest.fixture
def slow_dynamodb(webhook: WebhookClient) -> Iterator[list[str]]:
    events = boto3._get_default_session().events
    dripped: list[str] = []
    ended = threading.Event()

    def drip(request: Any, **_: Any) -> AWSResponse:
        dripped.append(request.headers.get("X-Amz-Target", b"").decode())
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _DrippingBody(ended))

    events.register("before-send.dynamodb", drip)
    yield dripped
    ended.set()
    events.unregister("before-send.dynamodb", drip)


@pytest.mark.parametrize("remaining_ms", [3_000, 5_000])
def test_a_slow_drip_dependency_gets_a_503_with_retry_after_before_the_timeout(
    webhook: WebhookClient, slow_dynamodb: list[str], remaining_ms: int
) -> None:
    before = count_items(NAMES.table, client=own_client())
    started = time.monotonic()
    result = webhook.invoke(
        webhook.event(base_transaction(transaction_id=f"drip-{remaining_ms}")), FakeLambdaContext(remaining_ms)
    )
    elapsed = time.monotonic() - started

    assert slow_dynamodb, "the DynamoDB call must have reached the dripping dependency"
    assert result.status == 503, result.text
    assert result.headers["Retry-After"] == "2"
    assert set(result.json) == {"message", "request_id"}
    assert elapsed < remaining_ms / 1000, f"answered after {elapsed:.2f} s of {remaining_ms / 1000} s"
    assert elapsed >= remaining_ms / 1000 - 1.5  # it waited for the dependency until the deadline
    assert count_items(NAMES.table, client=own_client()) == before
    assert "webhook dependency too slow" in webhook.log_text


def test_client_timeouts_and_retries_fit_the_deadline() -> None:
    from fraud_detection.handlers.webhook import MIN_BUDGET_SECONDS, client_config

    for budget in (6.0, 14.0, 28.0):  # the webhook's 15 s timeout gives 14 s
        config = client_config(budget)
        worst_call = config.retries["max_attempts"] * (config.connect_timeout + config.read_timeout)
        assert 3 * worst_call <= budget + 1e-6, (budget, worst_call)
    # tiny budgets keep usable floors: the deadline itself, not the client, bounds those requests
    assert client_config(MIN_BUDGET_SECONDS).read_timeout == 0.5
    assert client_config(14.0).read_timeout < 5  # never the old fixed 3 x (2 + 5) s per call


def test_the_budget_leaves_a_margin_for_the_answer() -> None:
    from fraud_detection.handlers.webhook import DEADLINE_MARGIN_SECONDS, budget_seconds

    assert budget_seconds(FakeLambdaContext(15_000)) == 15 - DEADLINE_MARGIN_SECONDS
    assert budget_seconds(FakeLambdaContext(100)) > 0
