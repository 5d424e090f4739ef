"""Property tests: whatever a caller sends, client mistakes are 4xx, rejections write nothing,
and responses never carry internals (ARNs, table or parameter names, tracebacks)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fraud_detection.keys import pattern_pk
from tests.runtime.webhook.webhook_support import NOW_TS, WebhookClient, base_transaction
from tests.support.json_strategies import PROPERTY_SETTINGS, json_value
from tests.support.leaks import SENTINEL_PAN, assert_no_leak
from tests.support.moto_stack import NAMES, REGION
from tests.support.tables import count_items

pytestmark = pytest.mark.unit


@PROPERTY_SETTINGS
@given(
    body=st.binary(max_size=2048),
    content_type=st.one_of(st.none(), st.sampled_from(["application/json", "text/plain", ""]), st.text(max_size=30)),
    signature=st.one_of(
        st.none(),
        st.text(max_size=120),
        st.builds(
            lambda t, h: f"t={t},v1={h}",
            st.integers(0, 2 * NOW_TS),
            st.text("0123456789abcdef", min_size=64, max_size=64),
        ),
    ),
)
def test_unsigned_garbage_is_always_a_4xx_and_writes_nothing(
    webhook: WebhookClient, body: bytes, content_type: str | None, signature: str | None
) -> None:
    result = webhook.post(body, signature=signature, content_type=content_type, base64_encoded=True)
    assert result.status in (400, 401, 413, 415)
    assert_no_leak(result.text)
    assert count_items(NAMES.table) == 0


field_values: dict[str, st.SearchStrategy[Any]] = {
    "transaction_id": st.one_of(st.from_regex(r"\A[A-Za-z0-9._:-]{1,20}\Z"), json_value),
    "amount": st.one_of(st.decimals(min_value=0, max_value=10**6, places=2).map(float), json_value),
    "currency": st.one_of(st.sampled_from(["USD", "EUR"]), json_value),
    "merchant": st.one_of(st.text(min_size=1, max_size=20), json_value),
    "country": st.one_of(st.sampled_from(["US", "KP", "FR"]), json_value),
    "customer_id": st.one_of(st.from_regex(r"\A[a-z0-9]{1,10}\Z"), json_value),
    "risk_score": st.one_of(st.integers(0, 100), json_value),
    "card_number": st.one_of(st.just(SENTINEL_PAN), st.from_regex(r"\A[0-9]{12,19}\Z"), json_value),
    "card_token": json_value,
    "timestamp": json_value,
    "pattern_data": json_value,
}


@PROPERTY_SETTINGS
@given(
    document=st.fixed_dictionaries({}, optional=field_values),
    extra=st.dictionaries(st.text(max_size=10), json_value, max_size=2),
)
def test_signed_arbitrary_documents_are_200_or_400_never_5xx(
    webhook: WebhookClient, document: dict[str, Any], extra: dict[str, Any]
) -> None:
    before = count_items(NAMES.table)
    result = webhook.post(json.dumps({**extra, **document}))
    assert result.status in (200, 400), result.text
    assert_no_leak(result.text)
    if result.status == 400:
        assert count_items(NAMES.table) == before
        assert set(result.json) == {"message", "errors", "request_id"} or set(result.json) == {
            "message",
            "request_id",
        }


@PROPERTY_SETTINGS
@given(overrides=st.fixed_dictionaries({}, optional={name: json_value for name in field_values}))
def test_validation_errors_never_echo_submitted_strings(webhook: WebhookClient, overrides: dict[str, Any]) -> None:
    document = base_transaction(**{name: value for name, value in overrides.items() if value is not None})
    document["card_number"] = SENTINEL_PAN
    result = webhook.post(json.dumps(document))
    if result.status == 400 and "errors" in result.json:
        for error in result.json["errors"]:
            assert set(error) == {"field", "error"}
            assert error["field"] in set(field_values) | {"<unexpected field>", "<body>"}
    assert_no_leak(result.text)


# JSON number texts of every shape: long mantissas, tiny and huge exponents, negative zero.
number_text = st.one_of(
    st.builds(
        lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
        st.sampled_from(["", "-"]),
        st.from_regex(r"\A(0|[1-9][0-9]{0,44})\Z"),
        st.one_of(st.just(""), st.from_regex(r"\A\.[0-9]{1,45}\Z")),
        st.one_of(st.just(""), st.integers(-200, 200).map(lambda e: f"e{e}")),
    ),
    st.sampled_from(
        [
            "-0",
            "-0.0",
            "0e-500",
            "1e-130",
            "1e-131",
            "9.9999999999999999999999999999999999999e125",
            "1e126",
            "1" * 38,
            "1" * 39,
            "1." + "1" * 39,
            "123456789012345678901234567890123456789",
        ]
    ),
)


@PROPERTY_SETTINGS
@given(raw=number_text)
def test_any_json_number_is_stored_exactly_or_refused_naming_the_field(webhook: WebhookClient, raw: str) -> None:
    """Numbers DynamoDB cannot store exactly are a 400 naming pattern_data, never a 500, never a write."""
    import uuid
    from decimal import Decimal

    before = count_items(NAMES.table)
    transaction = base_transaction(transaction_id=f"num-{uuid.uuid4().hex}")
    body = json.dumps(transaction)[:-1] + f', "pattern_data": {{"n": {raw}}}}}'
    result = webhook.post(body)
    assert result.status in (200, 400), (raw, result.text)
    assert_no_leak(result.text)
    if result.status == 400:
        assert result.json["errors"] == [{"field": "pattern_data", "error": result.json["errors"][0]["error"]}]
        assert count_items(NAMES.table) == before
    else:
        # the item under the transaction's key (a Scan here would re-read every earlier example's item)
        table = boto3.resource("dynamodb", region_name=REGION).Table(NAMES.table)
        item = table.get_item(Key={"pk": pattern_pk(transaction["transaction_id"])}, ConsistentRead=True)["Item"]
        assert item["pattern_data"]["n"] == Decimal(raw), (raw, item["pattern_data"])


def test_a_39_digit_integer_in_pattern_data_is_a_400_not_a_500(webhook: WebhookClient) -> None:
    before = count_items(NAMES.table)
    body = json.dumps(base_transaction())[:-1] + ', "pattern_data": {"n": 123456789012345678901234567890123456789}}'
    result = webhook.post(body)
    assert result.status == 400, result.text
    assert result.json["errors"] == [{"field": "pattern_data", "error": result.json["errors"][0]["error"]}]
    assert count_items(NAMES.table) == before
