"""Faults moto cannot produce, injected at the botocore layer, and what the webhook's caller sees after each.

The webhook builds its clients from boto3's default session on first use, so a fault registered
on that session (``tests.support.faults``) before the first request reaches every client it builds.
Each fault is a switch, on until cleared, so a test can show the failure, clear it, and show the
sender's retry. The invariants: a failure is a 5xx whose body is only ``message`` and
``request_id`` (the injected messages carry an ARN, the account id and the table name, so any
echo would show), nothing is half-written, and after the retry there is exactly one pattern item.

Not repeated here: the generic "AWS failure is a 5xx" table and the concurrent-delivery race
(``test_webhook_handler.py``); the stream's and the batch's faults live in ``tests/runtime/stream``
and ``tests/runtime/batch``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from tests.runtime.webhook.webhook_support import NOW_TS, REQUEST_ID, WebhookClient, base_transaction
from tests.support.faults import Faults
from tests.support.leaks import SENTINEL_PAN, assert_no_leak
from tests.support.moto_stack import ACCOUNT_ID, NAMES, REGION
from tests.support.tables import pattern_items as table_items

pytestmark = pytest.mark.unit

LEAKY_MESSAGE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{NAMES.table} says no"


def pattern_items() -> list[dict[str, Any]]:
    return table_items(NAMES.table)


def assert_bare_5xx(webhook: WebhookClient, result: Any) -> None:
    assert 500 <= result.status < 600, result.text
    assert result.json == {"message": result.json["message"], "request_id": REQUEST_ID}
    assert_no_leak(result.text, "kms", "dynamodb", "ssm")


# --- DynamoDB -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("dynamodb.PutItem", "ProvisionedThroughputExceededException"),
        ("dynamodb.PutItem", "ThrottlingException"),
        ("dynamodb.Query", "ProvisionedThroughputExceededException"),
        ("dynamodb.Query", "RequestLimitExceeded"),
    ],
)
def test_throttling_is_a_bare_5xx_and_the_senders_retry_stores_exactly_one_item(
    webhook: WebhookClient, faults: Faults, operation: str, code: str
) -> None:
    faults.fail(operation, code, message=LEAKY_MESSAGE)
    event = webhook.event(base_transaction(card_number=SENTINEL_PAN, card_token=None))
    failed = webhook.invoke(event)
    assert_bare_5xx(webhook, failed)
    assert code in webhook.log_text  # operators see what happened
    assert pattern_items() == []

    faults.clear()
    retried = webhook.invoke(json.loads(json.dumps(event)))  # the sender re-sends the same signed request
    assert retried.status == 200, retried.text
    [item] = pattern_items()
    assert retried.json["pattern_id"] == item["pattern_id"]["S"]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def test_one_transient_throttle_is_absorbed_by_botocore_retries(
    webhook: WebhookClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent at the HTTP layer (ahead of moto), so botocore's standard retry mode sees a real 400."""
    import botocore.retries.standard

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *_: 0)
    events = boto3._get_default_session().events
    throttled: list[str] = []

    def throttle_once(request: Any, **_: Any) -> AWSResponse | None:
        if throttled:
            return None
        throttled.append(request.url)
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "slow down",
            }
        ).encode()
        return AWSResponse(request.url, 400, {"x-amzn-RequestId": "r1"}, _Body(body))

    events.register_first("before-send.dynamodb.PutItem", throttle_once)
    try:
        result = webhook.post(base_transaction())
    finally:
        events.unregister("before-send.dynamodb.PutItem", throttle_once)
    assert throttled, "the fault never fired"
    assert result.status == 200, result.text
    assert len(pattern_items()) == 1


def test_item_appearing_between_check_and_write_returns_the_original_decision(webhook: WebhookClient) -> None:
    """The race the conditional put settles: another delivery commits while this one scores."""
    client = boto3.client("dynamodb", region_name=REGION)
    race: dict[str, Any] = {}  # armed once the winner's item is known; the hook fires once

    def competitor_commits_first(**_: Any) -> None:
        if "winner" in race and "fired" not in race:
            race["fired"] = True  # before the nested put, which runs this hook too
            client.put_item(TableName=NAMES.table, Item=race["winner"])

    events = boto3._get_default_session().events
    events.register("before-call.dynamodb.PutItem", competitor_commits_first)  # before any client exists
    try:
        original = webhook.post(base_transaction(merchant="Evil Corp"))  # blocked merchant
        assert original.json["action"] == "block"
        [winner] = pattern_items()
        client.delete_item(TableName=NAMES.table, Key={"pk": winner["pk"]})
        race["winner"] = winner
        late = webhook.post(base_transaction())  # same transaction id, would have been approved
    finally:
        events.unregister("before-call.dynamodb.PutItem", competitor_commits_first)

    assert race.get("fired")
    assert late.status == 200
    assert late.json == original.json
    assert "duplicate delivery" in webhook.log_text
    [stored] = pattern_items()
    assert stored == winner


# --- SSM / KMS ------------------------------------------------------------------------------------


def test_kms_access_denied_while_decrypting_parameters_is_a_bare_5xx(webhook: WebhookClient, faults: Faults) -> None:
    denial = (
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/fraud-webhook-dev/fraud-webhook-dev is not authorized to "
        f"perform: kms:Decrypt on resource: arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd because no "
        "identity-based policy allows the kms:Decrypt action"
    )
    faults.fail("ssm.GetParameters", "AccessDeniedException", message=denial)
    result = webhook.post(base_transaction())
    assert_bare_5xx(webhook, result)
    assert "AccessDeniedException" in webhook.log_text
    assert pattern_items() == []


def test_ssm_unavailable_at_cold_start_backs_off_then_recovers_without_a_new_container(
    webhook: WebhookClient, faults: Faults
) -> None:
    clock = webhook.clock
    faults.fail("ssm.GetParameters", "InternalServerError", status=503, message=LEAKY_MESSAGE)
    first = webhook.post(base_transaction(transaction_id="txn-during-outage"))
    assert_bare_5xx(webhook, first)
    assert first.status == 503 and first.headers["Retry-After"] == "5"
    assert "InternalServerError" in webhook.log_text  # the cause is logged, not returned

    clock.now += 2
    again = webhook.post(base_transaction(transaction_id="txn-during-outage"))
    assert again.status == 503 and again.headers["Retry-After"] == "3"
    assert faults.calls["ssm.GetParameters"] == 1  # backing off: the second request did not call SSM

    clock.now += 3  # backoff over, but SSM still down: one more call, a new backoff
    assert webhook.post(base_transaction(transaction_id="txn-during-outage")).status == 503
    assert faults.calls["ssm.GetParameters"] == 2

    faults.clear()
    clock.now += 5
    recovered = webhook.post(base_transaction(transaction_id="txn-during-outage"))  # same warm container
    assert recovered.status == 200, recovered.text
    assert faults.calls["ssm.GetParameters"] == 3
    assert len(pattern_items()) == 1


def test_ssm_outage_in_a_warm_container_is_masked_by_the_cache_until_the_next_cold_start(
    webhook: WebhookClient, faults: Faults
) -> None:
    clock = webhook.clock
    faults.fail("ssm.GetParameters", "InternalServerError", status=503, message=LEAKY_MESSAGE)
    faults.clear()  # hook in place before the clients exist, fault off
    assert webhook.post(base_transaction(transaction_id="txn-warm-1")).status == 200

    faults.fail("ssm.GetParameters", "InternalServerError", status=503, message=LEAKY_MESSAGE)
    clock.now += 60
    assert webhook.post(base_transaction(transaction_id="txn-warm-2")).status == 200  # cached parameters
    webhook.module.dependencies.cache_clear()  # a new container starts during the outage
    assert_bare_5xx(webhook, webhook.post(base_transaction(transaction_id="txn-cold-3")))
    faults.clear()
    clock.now += 5
    assert webhook.post(base_transaction(transaction_id="txn-cold-3")).status == 200
    assert len(pattern_items()) == 3


# --- Lambda timeout after the write: the response is lost ----------------------------------------


class LambdaTimedOut(BaseException):  # the runtime's kill, not an error the code may handle
    """Not an ``Exception``: the runtime kills the invocation, no handler code runs after it."""


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the killed invocation flushes none
def test_timeout_after_the_write_then_the_senders_retry_returns_the_same_decision(webhook: WebhookClient) -> None:
    events = boto3._get_default_session().events

    def die_after_write(**_: Any) -> None:
        raise LambdaTimedOut

    event = webhook.event(base_transaction(merchant="Evil Corp"), timestamp=NOW_TS - 20)
    events.register("after-call.dynamodb.PutItem", die_after_write)
    try:
        with pytest.raises(LambdaTimedOut):
            webhook.invoke(event)
    finally:
        events.unregister("after-call.dynamodb.PutItem", die_after_write)
    [written] = pattern_items()  # the write happened; API Gateway answered 504 to the sender

    webhook.module.dependencies.cache_clear()  # the timed-out container is not reused
    retried = webhook.invoke(json.loads(json.dumps(event)))
    assert retried.status == 200
    assert retried.json["pattern_id"] == written["pattern_id"]["S"]
    assert retried.json["action"] == written["action"]["S"] == "block"
    assert retried.json["risk_score"] == int(written["risk_score"]["N"])
    assert retried.json["timestamp"] == written["received_at"]["S"]
    assert pattern_items() == [written]
