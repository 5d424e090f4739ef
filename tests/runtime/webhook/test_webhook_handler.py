"""Webhook handler end to end against moto: captured API Gateway events in, stored items out."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest

from fraud_detection import keys
from fraud_detection.pattern import pattern_id
from tests.runtime.webhook.webhook_support import (
    FIXED_NOW,
    NOW_TS,
    REQUEST_ID,
    WebhookClient,
    base_transaction,
)
from tests.support.events import load_event
from tests.support.faults import Faults
from tests.support.leaks import assert_no_leak
from tests.support.moto_stack import ACCOUNT_ID, NAMES, REGION, SECOND_SIGNING_SECRET
from tests.support.tables import pattern_items

pytestmark = pytest.mark.unit


def items() -> list[dict[str, Any]]:
    return pattern_items(NAMES.table)


def assert_safe(text: str) -> None:
    assert_no_leak(text, "ssm", "dynamodb")


# --- the happy path, from the captured event -------------------------------------------------


def test_captured_event_is_scored_and_stored_once(webhook: WebhookClient) -> None:
    result = webhook.post(load_event("webhook_post.json")["body"])

    assert result.status == 200
    assert result.json == {
        "pattern_id": pattern_id("txn-20261122-000123"),
        "transaction_id": "txn-20261122-000123",
        "risk_score": 12,
        "action": "approve",
        "reasons": ["upstream_risk_score"],
        "timestamp": "2026-11-22T10:07:30.000Z",
    }
    [item] = items()
    shard = keys.shard_for("txn-20261122-000123", NAMES.window_shards)
    assert item["pk"] == {"S": "TXN#txn-20261122-000123"}
    assert item["window_key"] == {"S": f"W#20261122T1005Z#{shard}"}
    assert item["window_start"] == {"S": "2026-11-22T10:05:00.000Z"}
    assert item["event_ts"] == {"N": str(NOW_TS * 1000)}
    assert item["expires_at"] == {"N": str(NOW_TS + 90 * 86400)}
    assert item["customer_key"] == {"S": "CUST#cust-8812"}
    assert item["card_last4"] == {"S": "1111"}
    assert item["amount"] == {"N": "42.5"}
    assert item["client_timestamp"] == {"S": "2026-11-22T10:07:29Z"}
    assert item["request_id"] == {"S": REQUEST_ID}
    assert item["source_ip"] == {"S": "203.0.113.10"}
    assert item["pattern_data"]["M"]["device"]["M"]["os"] == {"S": "ios"}
    assert "card_number" not in item
    assert "4111111111111111" not in json.dumps(item)


def test_base64_encoded_body_is_verified_over_the_decoded_bytes(webhook: WebhookClient) -> None:
    body = load_event("webhook_post.json")["body"]
    result = webhook.post(body, base64_encoded=True, template="webhook_post_base64.json")
    assert result.status == 200
    assert len(items()) == 1


def test_rotated_second_key_is_accepted(webhook: WebhookClient) -> None:
    result = webhook.post(base_transaction(), secret=SECOND_SIGNING_SECRET)
    assert result.status == 200


def test_blocked_merchant_from_settings_blocks(webhook: WebhookClient) -> None:
    result = webhook.post(base_transaction(merchant="Evil Corp", risk_score=None))
    assert (result.status, result.json["action"], result.json["risk_score"]) == (200, "block", 100)
    assert result.json["reasons"] == ["blocked_merchant"]


def test_customer_velocity_counts_earlier_transactions(webhook: WebhookClient) -> None:
    for index in range(5):
        webhook.post(base_transaction(transaction_id=f"v-{index}", card_number=None, risk_score=None))
    sixth = webhook.post(base_transaction(transaction_id="v-5", card_number=None, risk_score=None))
    assert "customer_velocity" in sixth.json["reasons"]
    assert "card_velocity" not in sixth.json["reasons"]


def test_card_velocity_follows_the_fingerprint_across_customers(webhook: WebhookClient) -> None:
    for index in range(3):
        webhook.post(base_transaction(transaction_id=f"c-{index}", customer_id=f"cust-{index}", risk_score=None))
    fourth = webhook.post(base_transaction(transaction_id="c-3", customer_id="cust-9", risk_score=None))
    assert fourth.json["reasons"] == ["card_velocity"]


# --- idempotency ------------------------------------------------------------------------------


def test_duplicate_returns_the_original_decision_and_writes_nothing(webhook: WebhookClient) -> None:
    first = webhook.post(base_transaction())
    changed = webhook.post(base_transaction(merchant="Evil Corp", amount=99999))
    assert changed.status == 200
    assert changed.json == first.json
    assert len(items()) == 1
    assert items()[0]["merchant"] == {"S": "Corner Books"}


def test_replay_of_the_same_signed_request_within_tolerance(webhook: WebhookClient) -> None:
    event = webhook.event(base_transaction(), timestamp=NOW_TS - 200)
    first = webhook.invoke(event)
    replay = webhook.invoke(json.loads(json.dumps(event)))
    assert first.status == replay.status == 200
    assert replay.json == first.json
    assert len(items()) == 1


@pytest.fixture
def atomic_moto_puts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto DynamoDB's per-item atomicity: its check-then-write is not thread-safe, real DynamoDB is."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def put_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # threads share one Metrics
@pytest.mark.usefixtures("atomic_moto_puts")
def test_concurrent_duplicate_deliveries_store_exactly_one_item(webhook: WebhookClient) -> None:
    webhook.post(base_transaction(transaction_id="warm-up"))  # build clients before the race
    barrier = threading.Barrier(6)
    results: list[Any] = []

    def deliver(amount: int) -> None:
        event = webhook.event(base_transaction(transaction_id="race-1", amount=amount))
        barrier.wait()
        results.append(webhook.invoke(event))

    threads = [threading.Thread(target=deliver, args=(1000 * index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    race_items = [item for item in items() if item["pk"]["S"] == "TXN#race-1"]
    assert len(race_items) == 1
    assert {result.status for result in results} == {200}
    assert len({json.dumps(result.json, sort_keys=True) for result in results}) == 1
    assert results[0].json["risk_score"] == int(race_items[0]["risk_score"]["N"])


# --- rejections: nothing written, nothing internal echoed ---------------------------------------


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"signature": None}, 401),
        ({"signature": f"t={NOW_TS},v1={'0' * 64}"}, 401),
        ({"secret": "wrong-secret-wrong-secret-wrong-secret"}, 401),
        ({"timestamp": NOW_TS - 301}, 401),
        ({"timestamp": NOW_TS + 301}, 401),
        ({"content_type": None}, 415),
        ({"content_type": "text/plain"}, 415),
        ({"content_type": "application/json; charset=latin-1"}, 415),
        ({"content_type": "application/x-www-form-urlencoded"}, 415),
    ],
)
def test_unauthenticated_or_wrong_type_is_rejected_before_parsing(
    webhook: WebhookClient, options: dict[str, Any], status: int
) -> None:
    result = webhook.post(base_transaction(), **options)
    assert result.status == status
    assert result.json["request_id"] == REQUEST_ID
    assert_safe(result.text)
    assert items() == []


def test_content_type_header_is_case_insensitive_and_may_carry_utf8_charset(webhook: WebhookClient) -> None:
    event = webhook.event(base_transaction(), content_type=None)
    event["headers"]["content-type"] = "Application/JSON; charset=UTF-8"
    assert webhook.invoke(event).status == 200


def test_oversized_body_is_413_even_when_signed(webhook: WebhookClient) -> None:
    big = base_transaction(pattern_data={"blob": "x" * 70_000})
    result = webhook.post(big)
    assert result.status == 413
    assert items() == []


def test_size_is_checked_before_the_signature(webhook: WebhookClient) -> None:
    assert webhook.post(b"x" * 70_000, signature=None, content_type="text/plain").status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"string"',
        b"null",
        b'{"amount": NaN}',
        b'{"a": Infinity}',
        b"\xff\xfe{}",
    ],
)
def test_signed_but_not_a_json_object_is_400(webhook: WebhookClient, body: bytes) -> None:
    # bytes that are not UTF-8 can only arrive base64-encoded
    result = webhook.post(body, base64_encoded=body.startswith(b"\xff"))
    assert result.status == 400
    assert items() == []


def test_validation_errors_name_fields_but_never_echo_values(webhook: WebhookClient) -> None:
    document = base_transaction(
        transaction_id="../../etc/passwd",
        amount=-5,
        currency="usd",
        country="USA",
        risk_score=101,
        pattern_data={"a": {"b": {"c": {"d": {"e": {"f": "too deep"}}}}}},
    )
    document["unexpected-secret-key"] = "hunter2-value"
    result = webhook.post(document)

    assert result.status == 400
    fields = {error["field"] for error in result.json["errors"]}
    assert fields == {
        "transaction_id",
        "amount",
        "currency",
        "country",
        "risk_score",
        "pattern_data",
        "<unexpected field>",
    }
    for value in (
        "../../etc/passwd",
        "-5",
        "usd",
        "USA",
        "101",
        "too deep",
        "unexpected-secret-key",
        "hunter2",
    ):
        assert value not in result.text
    assert_safe(result.text)
    assert items() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"transaction_id": None},
        {"transaction_id": ""},
        {"transaction_id": "a" * 129},
        {"transaction_id": "a..b"},
        {"transaction_id": "a/b"},
        {"transaction_id": "a\\b"},
        {"transaction_id": 12345},
        {"amount": 1e10},
        {"amount": "12.50x"},
        {"amount": True},
        {"amount": 0.0000001},
        {"card_number": "4111-1111-1111-111x"},
        {"card_number": "12345"},
        {"card_token": "tok_1"},
        {"merchant": "line\nbreak"},
        {"pattern_data": [1, 2]},
        {"pattern_data": {"n": 1e200}},
        {"pattern_data": {"": 1}},
        {"pattern_data": {"big": "x" * 9000}},
    ],
)
def test_each_invalid_field_is_a_400(webhook: WebhookClient, overrides: dict[str, Any]) -> None:
    result = webhook.post(
        base_transaction(**overrides)
        if overrides != {"transaction_id": None}
        else base_transaction(transaction_id=None)
    )
    assert result.status == 400, result.text
    assert items() == []


def test_unknown_route_and_method_do_not_reach_the_flow(webhook: WebhookClient) -> None:
    result = webhook.invoke(load_event("webhook_get.json"))
    assert result.status in (404, 405)
    assert_safe(result.text)
    assert items() == []


# --- configuration and AWS failures: 5xx with only a request id ----------------------------------


def _set_parameter(name: str, value: str) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (NAMES.signing_keys_parameter, "UNSET"),
        (NAMES.fingerprint_key_parameter, "UNSET"),
        (NAMES.signing_keys_parameter, json.dumps({"keys": {}})),
        (NAMES.signing_keys_parameter, json.dumps({"keys": {"k1": "short"}})),
        (NAMES.fingerprint_key_parameter, "too-short"),
    ],
)
def test_placeholder_or_weak_keys_refuse_to_serve(webhook: WebhookClient, name: str, value: str) -> None:
    _set_parameter(name, value)
    result = webhook.post(base_transaction())
    assert result.status == 503
    assert result.json == {"message": "service unavailable", "request_id": REQUEST_ID}
    assert items() == []


def test_invalid_settings_document_refuses_to_serve(webhook: WebhookClient) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=NAMES.settings_parameter,
        Value='{"review_threshold": 90, "block_threshold": 10}',
        Type="String",
        Overwrite=True,
    )
    assert webhook.post(base_transaction()).status == 503


def test_missing_parameter_refuses_to_serve(webhook: WebhookClient) -> None:
    boto3.client("ssm", region_name=REGION).delete_parameter(Name=NAMES.fingerprint_key_parameter)
    result = webhook.post(base_transaction())
    assert result.status == 503
    assert_safe(result.text)


@pytest.mark.parametrize("operation", ["dynamodb.PutItem", "dynamodb.Query", "ssm.GetParameters"])
def test_aws_failure_is_a_5xx_with_only_the_request_id(
    webhook: WebhookClient, faults: Faults, operation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the message names internals (ARN, table); clients are built on the first request, after the hook
    message = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{NAMES.table} is on fire"
    faults.fail(operation, "InternalServerError", status=500, message=message)
    result = webhook.post(base_transaction())
    assert result.status in (500, 503)
    assert set(result.json) == {"message", "request_id"}
    assert result.json["request_id"] == REQUEST_ID
    assert_safe(result.text)
    assert "is on fire" in webhook.log_text  # the detail is in the log, for operators
    assert items() == []


def test_failed_conditional_put_without_an_item_is_a_500(webhook: WebhookClient, faults: Faults) -> None:
    faults.fail("dynamodb.PutItem", "ConditionalCheckFailedException", message="conflict")
    result = webhook.post(base_transaction())
    assert result.status == 500
    assert set(result.json) == {"message", "request_id"}


def test_fixed_clock_is_what_the_captured_event_says() -> None:
    event = load_event("webhook_post.json")
    assert event["requestContext"]["requestTimeEpoch"] == int(FIXED_NOW.timestamp() * 1000)


def test_body_that_cannot_be_utf8_encoded_is_400(webhook: WebhookClient) -> None:
    event = webhook.event(base_transaction())
    event["body"] = '{"transaction_id": "\ud800"}'
    result = webhook.invoke(event)
    assert result.status == 400
    assert items() == []


def test_lone_surrogate_escape_inside_json_is_400(webhook: WebhookClient) -> None:
    result = webhook.post(b'{"transaction_id": "t-1", "merchant": "\\ud800"}')
    assert result.status == 400
    assert items() == []
