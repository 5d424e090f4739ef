"""A local stand-in for the API Gateway REST stage in front of the webhook (127.0.0.1 only).

It does what the deployed stage does before Lambda sees a request: only ``POST /<stage>/webhook``
exists (anything else is 403 "Missing Authentication Token"), the ``x-api-key`` header must
carry the stage's API key (403 "Forbidden" otherwise), and the request becomes a REST proxy
event (``headers`` + ``multiValueHeaders``, body as text, ``requestContext.requestId``,
``identity.sourceIp``, ``stage``). The Lambda proxy result becomes the HTTP response.
Not emulated: throttling/quota, and the request-body model validation (the handler validates
the body itself with the same outcome class, 400).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_RESOURCE = "/webhook"
API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str  # as received, e.g. /v1/webhook?x=1
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _json_response(status: int, document: Mapping[str, Any], request_id: str) -> GatewayResponse:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    return GatewayResponse(status, headers, json.dumps(document).encode())


def route(request: GatewayRequest, stage: str) -> str | None:
    """The API resource a request hits, or ``None`` (API Gateway answers 403 for unknown routes)."""
    path = request.path.split("?", 1)[0]
    prefix = f"/{stage}"
    if request.method != "POST" or not path.startswith(prefix):
        return None
    resource = path[len(prefix) :] or "/"
    return resource if resource.rstrip("/") == WEBHOOK_RESOURCE else None


def proxy_event(request: GatewayRequest, stage: str, request_id: str, now: datetime) -> dict[str, Any]:
    """The REST API proxy event API Gateway would send to the webhook."""
    path, _, query = request.path.partition("?")
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in request.headers:
        single[name] = value  # API Gateway keeps the last value in ``headers``
        multi.setdefault(name, []).append(value)
    try:
        body: str | None = request.body.decode("utf-8") if request.body else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
    query_multi: dict[str, list[str]] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        query_multi.setdefault(key, []).append(value)
    return {
        "resource": WEBHOOK_RESOURCE,
        "path": WEBHOOK_RESOURCE,
        "httpMethod": request.method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query_multi.items()} or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": WEBHOOK_RESOURCE,
            "httpMethod": request.method,
            "path": path,
            "stage": stage,
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": request.source_ip, "userAgent": single.get("User-Agent")},
            "apiId": "local",
            "domainName": "127.0.0.1",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def response_from_proxy_result(result: Mapping[str, Any], request_id: str) -> GatewayResponse:
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(v) for v in values)
    headers["x-amzn-RequestId"] = request_id
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return GatewayResponse(int(result.get("statusCode", 502)), headers, body)


def handle(
    request: GatewayRequest,
    *,
    stage: str,
    api_key: str,
    webhook: Callable[[dict[str, Any]], Mapping[str, Any]],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> GatewayResponse:
    """One request through the emulated stage (pure apart from ``webhook``)."""
    request_id = str(uuid.uuid4())
    if route(request, stage) is None:
        return _json_response(403, {"message": "Missing Authentication Token"}, request_id)
    offered = [value for name, value in request.headers if name.lower() == API_KEY_HEADER]
    if not offered or offered[-1] != api_key:
        return _json_response(403, {"message": "Forbidden"}, request_id)
    try:
        result = webhook(proxy_event(request, stage, request_id, now()))
    except Exception:  # the integration failed: API Gateway answers 502
        return _json_response(502, {"message": "Internal server error"}, request_id)
    return response_from_proxy_result(result, request_id)


class _Handler(BaseHTTPRequestHandler):
    server: LocalGatewayServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = GatewayRequest(
            method=self.command,
            path=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        response = handle(request, stage=self.server.stage, api_key=self.server.api_key, webhook=self.server.webhook)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        self.server.on_log(f"{self.address_string()} {format % args}")


class LocalGatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        port: int,
        *,
        stage: str,
        api_key: str,
        webhook: Callable[[dict[str, Any]], Mapping[str, Any]],
        on_log: Callable[[str], None] = lambda _line: None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.stage = stage
        self.api_key = api_key
        self.webhook = webhook
        self.on_log = on_log
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{self.stage}{WEBHOOK_RESOURCE}"

    def start(self) -> LocalGatewayServer:
        self._thread = threading.Thread(target=self.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
