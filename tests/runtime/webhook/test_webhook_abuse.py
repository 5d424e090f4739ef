"""Abuse matrix for ``POST /webhook``: hostile or broken deliveries, in-process and over real HTTP.

Every case names the status the contract's check order gives it (413 > 415 > 401 > 400), and
for each one: nothing is written unless the case is legitimately accepted (exactly one item
then), and the response body carries none of the internals (ARN, account id, table or bucket
name, card number, traceback, file path). A representative subset (one per status class) is
replayed through the local API Gateway stand-in (``local_stage.gateway``) on 127.0.0.1, so the
header and body handling of a real HTTP hop is covered too.

What is already proven elsewhere is not repeated here: the property tests
(``test_webhook_properties.py``) fuzz unsigned garbage and signed documents; the handler tests
cover the single-field validation table and the in-tolerance replay.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from fraud_detection import signing
from local_stage import gateway
from local_stage.emulator import free_port
from tests.runtime.webhook.webhook_support import (
    NOW_TS,
    REQUEST_ID,
    WebhookClient,
    base_transaction,
    set_header,
)
from tests.support.lambda_context import FakeLambdaContext
from tests.support.leaks import SENTINEL_PAN, assert_no_leak
from tests.support.moto_stack import NAMES, SIGNING_SECRET
from tests.support.tables import count_items

pytestmark = pytest.mark.unit

API_KEY = "abuse-test-api-key"


def assert_no_internals(text: str) -> None:
    assert_no_leak(text, ".py", paths=True)


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def with_card(**overrides: Any) -> dict[str, Any]:
    """The base transaction carrying the sentinel card number (so any echo of it would show)."""
    return base_transaction(card_number=SENTINEL_PAN, card_token=None, **overrides)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def signed(body: bytes, timestamp: int = NOW_TS, secret: str = SIGNING_SECRET) -> str:
    return signing.sign(secret, body, timestamp)


# --- one HTTP delivery, independent of how it is carried ---------------------------------------


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: tuple[tuple[str, str], ...]


def delivery(
    body: bytes,
    *,
    signature: str | Callable[[bytes], str] | None = signed,
    content_type: str | None = "application/json",
    signature_header: str = "X-Fraud-Signature",
    content_type_header: str = "Content-Type",
) -> Delivery:
    headers: list[tuple[str, str]] = []
    if content_type is not None:
        headers.append((content_type_header, content_type))
    value = signature(body) if callable(signature) else signature
    if value is not None:
        headers.append((signature_header, value))
    return Delivery(body, tuple(headers))


def altered_after_signing() -> Delivery:
    original = raw(with_card())
    tampered = raw(with_card(amount=99999.0, merchant="Evil Corp"))
    return delivery(tampered, signature=lambda _body: signed(original))


def signature_for_other_timestamp() -> Delivery:
    body = raw(with_card())
    mac = signing.compute(SIGNING_SECRET, NOW_TS - 10, body)
    return delivery(body, signature=lambda _body: f"t={NOW_TS},v1={mac}")  # t swapped after signing


def too_many_signatures() -> Delivery:
    body = raw(with_card())
    good = signing.compute(SIGNING_SECRET, NOW_TS, body)
    return delivery(body, signature=lambda _body: f"t={NOW_TS}," + ",".join([f"v1={good}"] * 9))


def deep_json_body() -> Delivery:
    depth = 30_000  # deep enough to exhaust the parser's recursion limit, still under 64 KiB
    text = '{"pattern_data": ' + "[" * depth + "]" * depth + "}"
    return delivery(text.encode())


def many_keys_pattern_data() -> Delivery:
    return delivery(raw(with_card(pattern_data={f"k{i}": i for i in range(1500)})))


def literal(text: str) -> Delivery:
    """A body spliced as raw JSON text (for tokens ``json.dumps`` would never write)."""
    return delivery(text.encode())


def amount_literal(token: str) -> Delivery:
    document = json.dumps(with_card(amount=0)).replace('"amount": 0', f'"amount": {token}')
    return literal(document)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], Delivery]
    status: int


CASES = [
    # 413: size comes first, whatever else is wrong
    Case("oversized-signed", lambda: delivery(raw(with_card(pattern_data={"blob": "x" * 70_000}))), 413),
    Case(
        "oversized-unsigned-wrong-type", lambda: delivery(b"x" * 65_537, signature=None, content_type="text/plain"), 413
    ),
    Case("oversized-by-one-byte", lambda: delivery(b" " * 65_537), 413),
    # 415: content type before the signature
    Case(
        "form-encoded",
        lambda: delivery(b"transaction_id=t1&amount=5", content_type="application/x-www-form-urlencoded"),
        415,
    ),
    Case(
        "json-with-latin1", lambda: delivery(raw(with_card()), content_type="application/json; charset=iso-8859-1"), 415
    ),
    Case("json-lookalike-type", lambda: delivery(raw(with_card()), content_type="application/jsonp"), 415),
    Case("no-content-type", lambda: delivery(raw(with_card()), content_type=None), 415),
    # 401: authenticity before any parsing
    Case("signature-missing", lambda: delivery(raw(with_card()), signature=None), 401),
    Case("signature-empty", lambda: delivery(raw(with_card()), signature=""), 401),
    Case("signature-garbage", lambda: delivery(raw(with_card()), signature="garbage"), 401),
    Case("signature-no-v1", lambda: delivery(raw(with_card()), signature=f"t={NOW_TS}"), 401),
    Case("signature-no-t", lambda: delivery(raw(with_card()), signature="v1=" + "a" * 64), 401),
    Case("signature-negative-t", lambda: delivery(raw(with_card()), signature=f"t=-{NOW_TS},v1=" + "a" * 64), 401),
    Case("signature-stale", lambda: delivery(raw(with_card()), signature=lambda b: signed(b, NOW_TS - 301)), 401),
    Case("signature-future", lambda: delivery(raw(with_card()), signature=lambda b: signed(b, NOW_TS + 301)), 401),
    Case("signature-epoch-zero", lambda: delivery(raw(with_card()), signature=lambda b: signed(b, 0)), 401),
    Case(
        "signature-forged-other-secret",
        lambda: delivery(raw(with_card()), signature=lambda b: signed(b, secret="attacker-secret-attacker-secret-00")),
        401,
    ),
    Case("signature-forged-zeros", lambda: delivery(raw(with_card()), signature=f"t={NOW_TS},v1=" + "0" * 64), 401),
    Case(
        "signature-oversized-header", lambda: delivery(raw(with_card()), signature=f"t={NOW_TS}," + "v1=ab," * 300), 401
    ),
    Case("signature-too-many-entries", too_many_signatures, 401),
    Case("signature-t-swapped-after-signing", signature_for_other_timestamp, 401),
    Case("body-altered-after-signing", altered_after_signing, 401),
    Case("unsigned-non-json", lambda: delivery(b"not json", signature=None), 401),
    # 400: authenticated but not a JSON object
    Case("non-json", lambda: literal("transaction_id=t1"), 400),
    Case("truncated-json", lambda: literal(json.dumps(with_card())[:-5]), 400),
    Case("json-array-of-transactions", lambda: delivery(json.dumps([with_card(), with_card()]).encode()), 400),
    Case("json-empty-array", lambda: literal("[]"), 400),
    Case("json-scalar", lambda: literal("42"), 400),
    Case("deep-json-recursion", deep_json_body, 400),
    # 400: field validation
    Case("amount-nan", lambda: amount_literal("NaN"), 400),
    Case("amount-infinity", lambda: amount_literal("Infinity"), 400),
    Case("amount-negative-infinity", lambda: amount_literal("-Infinity"), 400),
    Case("amount-1e400", lambda: amount_literal("1e400"), 400),
    Case("amount-negative", lambda: delivery(raw(with_card(amount=-0.01))), 400),
    Case("amount-huge-int", lambda: delivery(raw(with_card(amount=10**30))), 400),
    Case("amount-over-limit", lambda: delivery(raw(with_card(amount=1_000_000_001))), 400),
    Case("amount-string-nan", lambda: delivery(raw(with_card(amount="NaN"))), 400),
    Case("pattern-data-too-deep", lambda: delivery(raw(with_card(pattern_data=nested(6)))), 400),
    Case("pattern-data-too-many-keys", many_keys_pattern_data, 400),
    Case(
        "pattern-data-unstorable-number",
        lambda: literal(json.dumps(with_card(pattern_data={"x": 0})).replace('{"x": 0}', '{"x": 1e400}')),
        400,
    ),
    Case("transaction-id-dotdot", lambda: delivery(raw(with_card(transaction_id="../../etc/passwd"))), 400),
    Case("transaction-id-bare-dotdot", lambda: delivery(raw(with_card(transaction_id=".."))), 400),
    Case("transaction-id-slash", lambda: delivery(raw(with_card(transaction_id="txn/1"))), 400),
    Case("transaction-id-backslash", lambda: delivery(raw(with_card(transaction_id="..\\..\\win.ini"))), 400),
    Case("transaction-id-percent-encoded", lambda: delivery(raw(with_card(transaction_id="%2e%2e%2fetc"))), 400),
    Case("transaction-id-nul", lambda: delivery(raw(with_card(transaction_id="txn\u00001"))), 400),
    Case("transaction-id-unicode", lambda: delivery(raw(with_card(transaction_id="txn-\u00e9"))), 400),
    Case("transaction-id-fullwidth-dots", lambda: delivery(raw(with_card(transaction_id="\uff0e\uff0e\uff0fx"))), 400),
    Case("customer-id-zero-width", lambda: delivery(raw(with_card(customer_id="cust\u200b1"))), 400),
    Case("merchant-control-char", lambda: delivery(raw(with_card(merchant="Shop\x1b[31m"))), 400),
    Case("merchant-nul", lambda: delivery(raw(with_card(merchant="Shop\x00"))), 400),
    Case("merchant-bidi-override", lambda: delivery(raw(with_card(merchant="Shop\u202egnp.exe"))), 400),
    Case("merchant-carriage-return", lambda: delivery(raw(with_card(merchant="Shop\r\nX-Injected: 1"))), 400),
    Case("currency-homoglyph", lambda: delivery(raw(with_card(currency="U\u0405D"))), 400),
    Case("unknown-key", lambda: delivery(raw(with_card(is_admin=True))), 400),
    # accepted: header names and media type are case-insensitive; printable unicode is data
    Case("signature-header-upper", lambda: delivery(raw(with_card()), signature_header="X-FRAUD-SIGNATURE"), 200),
    Case("signature-header-lower", lambda: delivery(raw(with_card()), signature_header="x-fraud-signature"), 200),
    Case("content-type-header-upper", lambda: delivery(raw(with_card()), content_type_header="CONTENT-TYPE"), 200),
    Case(
        "content-type-value-mixed-case",
        lambda: delivery(raw(with_card()), content_type="Application/JSON; Charset=UTF-8"),
        200,
    ),
    Case(
        "merchant-printable-unicode",
        lambda: delivery(raw(with_card(merchant="Caf\u00e9 M\u00fcller \u6771\u4eac"))),
        200,
    ),
]
GATEWAY_SUBSET = {
    "oversized-signed",
    "form-encoded",
    "body-altered-after-signing",
    "signature-stale",
    "amount-nan",
    "transaction-id-dotdot",
    "signature-header-upper",
    "content-type-header-upper",
}
assert {case.id for case in CASES} >= GATEWAY_SUBSET
assert len({case.id for case in CASES}) == len(CASES)


def expected_items(status: int) -> int:
    return 1 if status == 200 else 0


def assert_outcome(status: int, text: str, case: Case, before: int) -> None:
    assert status == case.status, f"{case.id}: {status} {text}"
    assert_no_internals(text)
    assert count_items(NAMES.table) == before + expected_items(status), case.id
    document = json.loads(text)
    if status >= 400:
        assert set(document) <= {"message", "errors", "request_id"}, document
    else:
        assert set(document) == {"pattern_id", "transaction_id", "risk_score", "action", "reasons", "timestamp"}


# --- in-process: the handler with a captured API Gateway event ---------------------------------


def as_event(webhook: WebhookClient, sent: Delivery) -> dict[str, Any]:
    event = webhook.event(sent.body, signature=None, content_type=None)
    for name, value in sent.headers:
        set_header(event, name, value)
    return event


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_abuse_case_through_the_handler(webhook: WebhookClient, case: Case) -> None:
    before = count_items(NAMES.table)
    result = webhook.invoke(as_event(webhook, case.build()))
    assert_outcome(result.status, result.text, case, before)
    if result.status >= 400:
        assert result.json["request_id"] == REQUEST_ID


def test_replay_outside_the_tolerance_is_401_and_writes_nothing_more(webhook: WebhookClient) -> None:
    event = webhook.event(with_card(), timestamp=NOW_TS - 200)
    assert webhook.invoke(event).status == 200
    assert count_items(NAMES.table) == 1
    webhook.now += timedelta(seconds=200)  # the captured request is now 400 s old
    replay = webhook.invoke(json.loads(json.dumps(event)))
    assert replay.status == 401
    assert_no_internals(replay.text)
    assert count_items(NAMES.table) == 1


# --- over real HTTP: the local API Gateway stand-in on 127.0.0.1 -----------------------------


@pytest.fixture
def local_api(webhook: WebhookClient) -> Iterator[str]:
    """The gateway on loopback, calling the real handler in-process (moto is process-wide)."""
    server = gateway.LocalGatewayServer(
        free_port(),
        stage="v1",
        api_key=API_KEY,
        webhook=lambda event: webhook.module.handler(event, FakeLambdaContext()),
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


def http_post(url: str, sent: Delivery) -> tuple[int, str, dict[str, str]]:
    """POST with the header names exactly as given (urllib would re-case them)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in (*sent.headers, ("x-api-key", API_KEY), ("Content-Length", str(len(sent.body)))):
            connection.putheader(name, value)
        connection.endheaders(sent.body)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8"), dict(response.getheaders())
    finally:
        connection.close()


@pytest.mark.tool
@pytest.mark.parametrize("case", [case for case in CASES if case.id in GATEWAY_SUBSET], ids=lambda case: case.id)
def test_abuse_case_over_http_through_the_local_gateway(local_api: str, case: Case) -> None:
    before = count_items(NAMES.table)
    status, text, headers = http_post(local_api, case.build())
    assert_outcome(status, text, case, before)
    assert_no_internals(json.dumps(headers))
    if status >= 400:
        assert json.loads(text)["request_id"] == headers["x-amzn-RequestId"]
