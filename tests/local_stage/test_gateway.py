"""The local API Gateway stand-in: routing, API key check, proxy event shape, real HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fraud_ops.cli import post
from local_stage import gateway
from local_stage.emulator import free_port

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)


def request(
    path: str = "/v1/webhook", method: str = "POST", key: str | None = "k", body: bytes = b'{"a":1}'
) -> gateway.GatewayRequest:
    headers = [("Content-Type", "application/json"), ("X-Fraud-Signature", "t=1,v1=ab")]
    if key is not None:
        headers.append(("x-api-key", key))
    return gateway.GatewayRequest(method, path, headers, body, "203.0.113.10")


class Recorder:
    def __init__(self, result: dict[str, Any] | Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = result if result is not None else {"statusCode": 200, "body": '{"ok": true}'}

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.mark.parametrize(
    ("req", "status", "message"),
    [
        (request(key=None), 403, "Forbidden"),
        (request(key="wrong"), 403, "Forbidden"),
        (request(path="/v1/other"), 403, "Missing Authentication Token"),
        (request(method="GET"), 403, "Missing Authentication Token"),
        (request(path="/v2/webhook"), 403, "Missing Authentication Token"),
    ],
)
def test_rejections_happen_before_the_function_runs(req: gateway.GatewayRequest, status: int, message: str) -> None:
    webhook = Recorder()
    response = gateway.handle(req, stage="v1", api_key="k", webhook=webhook, now=lambda: NOW)
    assert (response.status, json.loads(response.body)["message"]) == (status, message)
    assert webhook.events == []


def test_proxy_event_is_shaped_like_api_gateway_rest() -> None:
    webhook = Recorder({"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": '{"m": 1}'})
    req = request(path="/v1/webhook?x=1")
    response = gateway.handle(req, stage="v1", api_key="k", webhook=webhook, now=lambda: NOW)
    (event,) = webhook.events
    assert response.status == 401 and response.body == b'{"m": 1}'
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    assert (event["httpMethod"], event["path"], event["resource"]) == ("POST", "/webhook", "/webhook")
    assert event["headers"]["X-Fraud-Signature"] == "t=1,v1=ab"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["queryStringParameters"] == {"x": "1"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a":1}', False)
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["identity"]["sourceIp"]) == ("v1", "/v1/webhook", "203.0.113.10")
    assert context["requestTimeEpoch"] == int(NOW.timestamp() * 1000)


SENDER = gateway.ApiKey("sndr123", "sender-key")
LABELLER = gateway.ApiKey("lbl456", "labels-key")


def labels_request(key: str | None, path: str = "/v1/labels") -> gateway.GatewayRequest:
    return request(path=path, key=key)


@pytest.mark.parametrize(
    ("req", "called", "key_id"),
    [
        (request(key="sender-key"), "webhook", "sndr123"),
        (labels_request("labels-key"), "labels", "lbl456"),
        (labels_request("labels-key", "/v1/labels/"), "labels", "lbl456"),
        # API Gateway admits any key of a usage plan of the stage on any keyed method: the function decides
        (labels_request("sender-key"), "labels", "sndr123"),
        (request(key="labels-key"), "webhook", "lbl456"),
    ],
)
def test_each_route_reaches_its_function_with_the_admitted_keys_id(
    req: gateway.GatewayRequest, called: str, key_id: str
) -> None:
    functions = {"webhook": Recorder(), "labels": Recorder()}
    response = gateway.handle(
        req, stage="v1", api_key=SENDER, webhook=functions["webhook"], labels=functions["labels"],
        labels_api_key=LABELLER, now=lambda: NOW,
    )  # fmt: skip
    assert response.status == 200
    (event,) = functions[called].events
    assert [name for name, recorder in functions.items() if recorder.events] == [called]
    resource = f"/{called}"
    assert (event["resource"], event["path"], event["requestContext"]["resourcePath"]) == (resource,) * 3
    identity = event["requestContext"]["identity"]
    assert identity["apiKeyId"] == key_id
    assert identity["apiKey"] == next(key.value for key in (SENDER, LABELLER) if key.id == key_id)


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (labels_request(None), "Forbidden"),
        (labels_request("unknown-key"), "Forbidden"),
        (request(key="unknown-key"), "Forbidden"),
        (labels_request("labels-key", "/v1/labels/x"), "Missing Authentication Token"),
        (
            gateway.GatewayRequest("GET", "/v1/labels", [("x-api-key", "labels-key")], b"", "1.2.3.4"),
            "Missing Authentication Token",
        ),
    ],
)
def test_the_labels_route_refuses_unknown_keys_and_methods_before_any_function(
    req: gateway.GatewayRequest, message: str
) -> None:
    functions = {"webhook": Recorder(), "labels": Recorder()}
    response = gateway.handle(
        req, stage="v1", api_key=SENDER, webhook=functions["webhook"], labels=functions["labels"],
        labels_api_key=LABELLER, now=lambda: NOW,
    )  # fmt: skip
    assert (response.status, json.loads(response.body)["message"]) == (403, message)
    assert functions["webhook"].events == functions["labels"].events == []


def test_without_a_labels_function_the_route_does_not_exist() -> None:
    webhook = Recorder()
    response = gateway.handle(labels_request("k"), stage="v1", api_key="k", webhook=webhook, now=lambda: NOW)
    assert (response.status, json.loads(response.body)["message"]) == (403, "Missing Authentication Token")
    assert webhook.events == []


def test_non_utf8_body_is_passed_base64_encoded() -> None:
    webhook = Recorder()
    gateway.handle(request(body=b"\xff\xfe"), stage="v1", api_key="k", webhook=webhook, now=lambda: NOW)
    (event,) = webhook.events
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"


def test_a_crashing_integration_is_a_502() -> None:
    response = gateway.handle(request(), stage="v1", api_key="k", webhook=Recorder(RuntimeError("x")), now=lambda: NOW)
    assert response.status == 502


@pytest.fixture
def server() -> Iterator[tuple[gateway.LocalGatewayServer, Recorder, Recorder]]:
    webhook = Recorder({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": 1}'})
    labels = Recorder({"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": '{"l": 1}'})
    running = gateway.LocalGatewayServer(
        free_port(), stage="v1", api_key="secret-key", webhook=webhook, labels=labels, labels_api_key=LABELLER
    ).start()
    try:
        yield running, webhook, labels
    finally:
        running.stop()


@pytest.mark.tool
def test_real_http_round_trip_on_loopback(server: tuple[gateway.LocalGatewayServer, Recorder, Recorder]) -> None:
    running, webhook, labels = server
    assert running.url.startswith("http://127.0.0.1:") and running.url.endswith("/v1/webhook")
    status, body = post(running.url, b'{"x":1}', {"x-api-key": "secret-key"})
    assert (status, json.loads(body)) == (200, {"ok": 1})
    assert webhook.events[0]["body"] == '{"x":1}'
    assert post(running.url, b"{}", {})[0] == 403
    assert running.labels_url == running.url.removesuffix("/webhook") + "/labels"
    status, body = post(running.labels_url, b'{"y":2}', {"x-api-key": "labels-key"})
    assert (status, json.loads(body)) == (201, {"l": 1})
    assert labels.events[0]["requestContext"]["identity"]["apiKeyId"] == "lbl456" and len(webhook.events) == 1


def raw_exchange(port: int, payload: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes or goes quiet."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def status_and_body(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture
def logged_server() -> Iterator[tuple[gateway.LocalGatewayServer, Recorder, list[str]]]:
    lines: list[str] = []
    webhook = Recorder({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": 1}'})
    running = gateway.LocalGatewayServer(
        free_port(), stage="v1", api_key="secret-key", webhook=webhook, on_log=lines.append
    ).start()
    try:
        yield running, webhook, lines
    finally:
        running.stop()


@pytest.mark.tool
@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "GET", "PUT", "DELETE", "PATCH", "BREW", "CONNECT"])
def test_every_undefined_method_is_api_gateways_403_json(
    logged_server: tuple[gateway.LocalGatewayServer, Recorder, list[str]], method: str
) -> None:
    running, webhook, _ = logged_server
    port = running.server_address[1]
    raw = raw_exchange(port, f"{method} /v1/webhook HTTP/1.1\r\nHost: x\r\nx-api-key: secret-key\r\n\r\n".encode())
    status, body = status_and_body(raw)
    assert status == 403
    if method != "HEAD":
        assert json.loads(body) == {"message": "Missing Authentication Token"}
    else:
        assert body == b""
    assert webhook.events == []


@pytest.mark.tool
@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "99999999999999999999", "0x10"])
def test_a_malformed_content_length_is_a_400_without_a_traceback(
    logged_server: tuple[gateway.LocalGatewayServer, Recorder, list[str]],
    length: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    running, webhook, lines = logged_server
    raw = raw_exchange(
        running.server_address[1],
        b"POST /v1/webhook HTTP/1.1\r\nHost: x\r\nx-api-key: secret-key\r\n"
        + f"Content-Length: {length}\r\n\r\n{{}}".encode(),
    )
    status, body = status_and_body(raw)
    assert status == 400 and json.loads(body) == {"message": "Bad Request"}
    assert webhook.events == []
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out + "\n".join(lines)


@pytest.mark.tool
def test_a_bare_cr_cannot_smuggle_an_api_key(
    logged_server: tuple[gateway.LocalGatewayServer, Recorder, list[str]],
) -> None:
    """The standard library splits header lines on a lone CR: 'X-Note: a\\rx-api-key: secret-key'
    would become two headers. It is refused before parsing."""
    running, webhook, _ = logged_server
    raw = raw_exchange(
        running.server_address[1],
        b"POST /v1/webhook HTTP/1.1\r\nHost: x\r\nX-Note: a\rx-api-key: secret-key\r\nContent-Length: 2\r\n\r\n{}",
    )
    status, body = status_and_body(raw)
    assert status == 400 and json.loads(body) == {"message": "Bad Request"}
    assert webhook.events == []


@pytest.mark.tool
def test_a_malformed_header_line_is_a_json_400(
    logged_server: tuple[gateway.LocalGatewayServer, Recorder, list[str]],
) -> None:
    running, webhook, _ = logged_server
    raw = raw_exchange(
        running.server_address[1], b"POST /v1/webhook HTTP/1.1\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n"
    )
    status, body = status_and_body(raw)
    assert status in (400, 431) and json.loads(body) == {"message": "Bad Request"}
    assert webhook.events == []


@pytest.mark.tool
def test_fifty_simultaneous_connections_are_all_answered(
    logged_server: tuple[gateway.LocalGatewayServer, Recorder, list[str]],
) -> None:
    import socket
    import threading

    running, _, _ = logged_server
    port = running.server_address[1]
    barrier = threading.Barrier(50)
    answers: list[int] = []
    errors: list[str] = []

    def one() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
                barrier.wait()
                sock.sendall(
                    b"POST /v1/webhook HTTP/1.1\r\nHost: x\r\nx-api-key: secret-key\r\nContent-Length: 2\r\n\r\n{}"
                )
                head = sock.recv(65536)
                answers.append(int(head.split(b" ", 2)[1]))
        except Exception as error:  # every failure is counted
            errors.append(type(error).__name__)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and answers == [200] * 50
