"""``POST /labels`` end to end against moto: the captured event in, label objects out, every answer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from fraud_detection import labels as model
from fraud_detection.adapters.audited_ledger import audited_pk
from tests.runtime.labels.labels_support import (
    AUDIT_KEY,
    LABELLED_AT,
    RECEIVED_AT,
    REQUEST_ID,
    SECOND_LABEL_SECRET,
    SENDER_API_KEY_ID,
    TRANSACTION_ID,
    LabelsClient,
    at,
    base_label,
    label_objects,
    ledger,
)
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.aws import moto_client
from tests.support.faults import Faults
from tests.support.leaks import assert_no_leak
from tests.support.moto_stack import NAMES, SIGNING_SECRET
from tests.support.outputs import emf_records

pytestmark = pytest.mark.unit

EXPECTED_KEY = f"labels/dt=2026-11-22/{TRANSACTION_ID}/chargeback/20261201T093000000000Z.json"


def assert_safe(text: str) -> None:
    assert_no_leak(text, "ssm", "dynamodb", "s3", "label-signing-keys", paths=True)


# --- accepted ---------------------------------------------------------------------------------------


def test_a_label_for_an_audited_transaction_is_recorded_once(labels: LabelsClient) -> None:
    ledger()
    result = labels.post(base_label())

    assert result.status == 201
    assert result.json == {
        "outcome": "recorded",
        "transaction_id": TRANSACTION_ID,
        "label": "fraud",
        "source": "chargeback",
        "occurred_at": "2026-12-01T09:30:00.000000Z",
    }
    assert label_objects() == {
        EXPECTED_KEY: {
            "transaction_id": TRANSACTION_ID,
            "label": "fraud",
            "source": "chargeback",
            "occurred_at": "2026-12-01T09:30:00.000000Z",
            "recorded_at": model.iso_utc(LABELLED_AT),
            "request_id": REQUEST_ID,
            "transaction_received_at": RECEIVED_AT,
        }
    }
    head = moto_client("s3").head_object(Bucket=NAMES.bucket, Key=EXPECTED_KEY)
    assert head["ContentType"] == "application/json"
    assert "label recorded" in labels.log_text


def test_a_label_with_an_offset_is_keyed_by_its_utc_instant(labels: LabelsClient) -> None:
    ledger()
    result = labels.post(base_label(occurred_at="2026-12-01T10:30:00+01:00"))
    assert (result.status, result.json["occurred_at"]) == (201, "2026-12-01T09:30:00.000000Z")
    assert list(label_objects()) == [EXPECTED_KEY]


def test_the_same_label_again_is_a_duplicate_and_writes_nothing(labels: LabelsClient) -> None:
    ledger()
    first = labels.post(base_label())
    labels.now += timedelta(minutes=5)
    again = labels.post(base_label(occurred_at="2026-12-01T09:30:00.000Z"))  # the same instant, spelled otherwise

    assert (first.status, again.status) == (201, 200)
    assert again.json == {**first.json, "outcome": "duplicate"}
    [stored] = label_objects().values()
    assert stored["recorded_at"] == model.iso_utc(LABELLED_AT)  # the first write stands


def test_another_label_for_the_same_instant_is_a_conflict_naming_occurred_at(labels: LabelsClient) -> None:
    ledger()
    labels.post(base_label())
    result = labels.post(base_label(label="legitimate"))

    assert result.status == 409
    assert result.json["errors"] == [{"field": "occurred_at", "error": "conflicting_label"}]
    assert "occurred_at" in result.json["message"]
    assert result.json["request_id"] == REQUEST_ID
    assert [stored["label"] for stored in label_objects().values()] == ["fraud"]


def test_a_later_label_is_its_own_object_and_supersedes_the_earlier(labels: LabelsClient) -> None:
    ledger()
    first = labels.post(base_label(label="fraud", occurred_at="2026-12-01T09:00:00Z"))
    later = labels.post(base_label(label="legitimate", occurred_at="2027-01-10T09:00:00Z"))  # chargeback reversed

    assert (first.status, later.status) == (201, 201)
    history = label_objects()
    assert sorted(history) == [
        f"labels/dt=2026-11-22/{TRANSACTION_ID}/chargeback/20261201T090000000000Z.json",
        f"labels/dt=2026-11-22/{TRANSACTION_ID}/chargeback/20270110T090000000000Z.json",
    ]
    assert model.effective_labels(history.values()) == {TRANSACTION_ID: "legitimate"}

    analyst = labels.post(base_label(label="fraud", source="analyst", occurred_at="2026-12-15T09:00:00Z"))
    assert analyst.status == 201
    assert model.effective_labels(label_objects().values()) == {TRANSACTION_ID: "fraud"}  # analyst over chargeback


def test_every_listed_label_key_is_accepted(labels: LabelsClient) -> None:
    ledger()
    assert labels.post(base_label(), secret=SECOND_LABEL_SECRET).status == 201


def test_a_label_months_later_is_accepted_after_the_pattern_item_is_gone(
    labels: LabelsClient, webhook: WebhookClient
) -> None:
    """The pattern item (TTL 90 days) is gone; the ledger item, without a TTL, still names the transaction."""
    assert webhook.post(base_transaction()).status == 200
    pattern_key = {"pk": {"S": f"TXN#{TRANSACTION_ID}"}}
    item = moto_client("dynamodb").get_item(TableName=NAMES.table, Key=pattern_key)["Item"]
    ledger(received_at=item["received_at"]["S"])
    moto_client("dynamodb").delete_item(TableName=NAMES.table, Key=pattern_key)  # what TTL does

    labels.now = LABELLED_AT + timedelta(days=200)
    result = labels.post(base_label(occurred_at="2027-09-01T00:00:00Z"))
    assert result.status == 201
    assert [doc["transaction_received_at"] for doc in label_objects().values()] == [RECEIVED_AT]


# --- refused: nothing written, nothing internal said ---------------------------------------------------


def test_a_transaction_the_audit_trail_does_not_hold_is_404_naming_transaction_id(labels: LabelsClient) -> None:
    ledger(transaction_id="txn-other")
    result = labels.post(base_label())
    assert result.status == 404
    assert result.json["errors"] == [{"field": "transaction_id", "error": "not_audited"}]
    assert "transaction_id" in result.json["message"]
    assert result.json["request_id"] == REQUEST_ID
    assert label_objects() == {}


def test_a_pattern_item_without_a_ledger_item_is_not_enough(labels: LabelsClient, webhook: WebhookClient) -> None:
    """Only the audit trail counts: a transaction not yet audited (or never) cannot be labelled."""
    assert webhook.post(base_transaction()).status == 200
    labels.now = webhook.now + timedelta(minutes=1)
    assert labels.post(base_label(occurred_at="2026-11-22T10:08:00Z")).status == 404
    assert label_objects() == {}


@pytest.mark.parametrize("key_id", [SENDER_API_KEY_ID, None, ""])
def test_a_request_admitted_with_another_api_key_is_403(labels: LabelsClient, key_id: str | None) -> None:
    ledger()
    result = labels.post(base_label(), api_key_id=key_id)
    assert result.status == 403
    assert set(result.json) == {"message", "request_id"}
    assert_safe(result.text)
    assert label_objects() == {}


@pytest.mark.parametrize(
    "options",
    [
        {"secret": SIGNING_SECRET},  # a sender's webhook key: never a labeller's
        {"signature": None},
        {"signature": "t=1,v1=" + "0" * 64},
        {"timestamp": int(LABELLED_AT.timestamp()) - 301},
        {"timestamp": int(LABELLED_AT.timestamp()) + 301},
    ],
    ids=["webhook-key", "missing", "zero", "stale", "future"],
)
def test_an_unauthentic_label_is_401(labels: LabelsClient, options: dict[str, Any]) -> None:
    ledger()
    result = labels.post(base_label(), **options)
    assert result.status == 401
    assert result.json == {"message": "invalid signature", "request_id": REQUEST_ID}
    assert label_objects() == {}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"label": "maybe"}, [{"field": "label", "error": "invalid"}]),
        ({"source": "sender"}, [{"field": "source", "error": "invalid"}]),
        ({"transaction_id": "../x"}, [{"field": "transaction_id", "error": "string_pattern_mismatch"}]),
        ({"occurred_at": "yesterday"}, [{"field": "occurred_at", "error": "datetime_parsing"}]),
        ({"occurred_at": "2026-11-23T10:00:00"}, [{"field": "occurred_at", "error": "timezone_missing"}]),
        ({"occurred_at": "0001-01-01T00:00:00+01:00"}, [{"field": "occurred_at", "error": "datetime_parsing"}]),
        ({"label": None}, [{"field": "label", "error": "missing"}]),
        ({"note": "x"}, [{"field": "<unexpected field>", "error": "extra_forbidden"}]),
    ],
)
def test_an_invalid_label_is_400_naming_the_field(
    labels: LabelsClient, overrides: dict[str, Any], errors: list[dict[str, str]]
) -> None:
    ledger()
    result = labels.post(base_label(**overrides))
    assert result.status == 400
    assert result.json["errors"] == errors
    assert_safe(result.text)
    assert label_objects() == {}


@pytest.mark.parametrize(
    ("body", "error"),
    [("[1]", "invalid_json"), ("{", "invalid_json"), ('{"a": NaN}', "invalid_json")],
)
def test_a_body_that_is_not_a_json_object_is_400(labels: LabelsClient, body: str, error: str) -> None:
    result = labels.post(body)
    assert result.status == 400
    assert result.json["errors"] == [{"field": "<body>", "error": error}]


def test_a_body_that_is_not_base64_is_400(labels: LabelsClient) -> None:
    event = labels.event(base_label())
    event["body"], event["isBase64Encoded"] = "not base64!", True
    result = labels.invoke(event)
    assert result.status == 400
    assert result.json["errors"] == [{"field": "<body>", "error": "invalid_encoding"}]


def test_occurred_at_in_the_future_beyond_the_tolerance_is_400(labels: LabelsClient) -> None:
    ledger()
    within = model.iso_utc(LABELLED_AT + timedelta(seconds=300))
    beyond = model.iso_utc(LABELLED_AT + timedelta(seconds=301))
    result = labels.post(base_label(occurred_at=beyond))
    assert result.status == 400
    assert result.json["errors"] == [{"field": "occurred_at", "error": "in_future"}]
    assert labels.post(base_label(occurred_at=within)).status == 201  # a labeller's clock a little ahead


def test_occurred_at_before_the_transaction_was_received_is_400(labels: LabelsClient) -> None:
    ledger()
    before = model.iso_utc(at(RECEIVED_AT) - timedelta(microseconds=1))
    result = labels.post(base_label(occurred_at=before))
    assert result.status == 400
    assert result.json["errors"] == [{"field": "occurred_at", "error": "before_transaction"}]
    assert labels.post(base_label(occurred_at=RECEIVED_AT)).status == 201
    assert len(label_objects()) == 1


def test_oversized_and_wrong_content_type_are_refused_before_the_signature(labels: LabelsClient) -> None:
    ledger()
    big = base_label()
    big["occurred_at"] = "x" * 70_000
    assert labels.post(big).status == 413
    assert labels.post(base_label(), content_type="text/plain").status == 415
    assert label_objects() == {}


def test_another_path_is_404(labels: LabelsClient) -> None:
    event = labels.event(base_label())
    event["path"] = "/webhook"
    assert labels.invoke(event).status == 404


# --- dependencies failing -----------------------------------------------------------------------


def test_an_unset_label_key_set_is_503_with_retry_after(labels: LabelsClient) -> None:
    ledger()
    from tests.runtime.labels.labels_support import LABEL_KEYS_PARAMETER

    moto_client("ssm").put_parameter(Name=LABEL_KEYS_PARAMETER, Value="UNSET", Type="SecureString", Overwrite=True)
    result = labels.post(base_label())
    assert result.status == 503
    assert result.headers["Retry-After"] == "5"
    assert set(result.json) == {"message", "request_id"}
    assert_safe(result.text)
    assert label_objects() == {}


def test_ssm_failing_is_503_then_served_after_the_back_off(labels: LabelsClient, faults: Faults) -> None:
    ledger()
    faults.fail("ssm.GetParameters", "ThrottlingException")
    assert labels.post(base_label()).status == 503
    faults.clear()
    assert labels.post(base_label()).status == 503  # backing off: SSM not called again
    labels.clock.now += 5
    assert labels.post(base_label()).status == 201


def test_a_dynamodb_failure_is_a_500_with_only_the_request_id(labels: LabelsClient, faults: Faults) -> None:
    ledger()
    faults.fail("dynamodb.GetItem", "InternalServerError", status=500)
    result = labels.post(base_label())
    assert result.status == 500
    assert result.json == {"message": "internal error", "request_id": REQUEST_ID}
    assert label_objects() == {}
    assert "InternalServerError" in labels.log_text


def test_a_concurrent_first_write_of_the_same_key_is_503_then_settles(labels: LabelsClient, faults: Faults) -> None:
    """S3 answers 409 ConditionalRequestConflict while another conditional write of the key is in flight. The
    object is not read then: a GetObject of a key not yet written is a 403 (not a 404) to a role without
    s3:ListBucket, as the labels role is, which would make this a 500."""
    ledger()
    faults.fail("s3.PutObject", "ConditionalRequestConflict", status=409)
    faults.fail("s3.GetObject", "AccessDenied", status=403)
    result = labels.post(base_label())
    assert (result.status, result.headers["Retry-After"]) == (503, "1")
    faults.clear()
    assert labels.post(base_label()).status == 201


def test_the_ledger_item_is_read_consistently_and_only_its_attributes(labels: LabelsClient, faults: Faults) -> None:
    seen: list[dict[str, Any]] = []
    faults.fail("dynamodb.GetItem", "unused", when=lambda params: seen.append(dict(params)) and False)
    ledger()
    labels.post(base_label())
    [request] = seen
    assert request["Key"] == {"pk": {"S": audited_pk(TRANSACTION_ID)}}
    assert request["ConsistentRead"] is True
    assert request["ProjectionExpression"] == "transaction_id, received_at, audit_key"


# --- metrics and logs -------------------------------------------------------------------------------


def test_metrics_name_the_outcome_and_logs_never_hold_the_body(
    labels: LabelsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger()
    labels.post(base_label())
    labels.post(base_label())
    labels.post(base_label(), api_key_id=SENDER_API_KEY_ID)
    labels.post(base_label(transaction_id="txn-unknown"))
    records = emf_records(capsys.readouterr().out)
    seen = [
        (metric["Name"], record.get("outcome"))
        for record in records
        for directive in record["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]
    assert seen == [
        ("LabelsRecorded", None),
        ("LabelsDuplicate", None),
        ("LabelsRejected", "wrong_api_key"),
        ("LabelsRejected", "not_audited"),
    ]
    rejected = [r for r in records if "LabelsRejected" in r]
    assert [sorted(r["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) for r in rejected] == [
        ["environment", "outcome", "service"]
    ] * 2
    assert '"occurred_at"' in labels.log_text  # the accepted label's fields are logged ...
    assert json.dumps(base_label()) not in labels.log_text  # ... never the body
    assert AUDIT_KEY not in labels.log_text


# --- the platform -------------------------------------------------------------------------------------


def test_the_handler_stands_on_the_factory_and_its_calls_end_within_the_deadline() -> None:
    from fraud_detection import contract
    from fraud_detection.handlers import labels as module
    from fraud_detection.lambda_platform import PerContainer

    assert module.platform.service == contract.LABELS.service
    assert isinstance(module.dependencies, PerContainer)
    assert contract.LABELS.command == f"{module.__name__}.handler"
    budget = contract.LABELS.timeout_seconds - module.DEADLINE_MARGIN_SECONDS
    config = module.client_config(budget)
    attempts = config.retries["max_attempts"]
    worst = module._CALLS * attempts * (config.connect_timeout + config.read_timeout)
    assert worst <= budget
