"""A local stand-in for the API Gateway REST stage in front of the functions (127.0.0.1 only).

It does what the deployed stage does before Lambda sees a request: only ``POST /<stage>/webhook``
and, when the labels function is given, ``POST /<stage>/labels`` exist (anything else is 403
"Missing Authentication Token"); the ``x-api-key`` header must carry one of the stage's API keys
(403 "Forbidden" otherwise), and the request becomes a REST proxy event (``headers`` +
``multiValueHeaders``, body as text, ``requestContext.requestId``, ``identity.sourceIp``,
``identity.apiKey`` / ``identity.apiKeyId``, ``stage``) for the route's function. The Lambda proxy
result becomes the HTTP response. Not emulated: throttling/quota, and the request-body model
validation (the handler validates the body itself with the same outcome class, 400).

API keys, as API Gateway checks them ("Usage plans and API keys for REST APIs"): a method with
``api_key_required`` admits a request carrying *any* enabled key of a usage plan associated with
the stage, not only the key meant for that method. The sender's key therefore passes the gateway on
``/labels`` too; the labels function refuses it (403) by ``requestContext.identity.apiKeyId``. The
stand-in admits every key it knows on every route and passes the key's id on, the same way.

As strict as API Gateway for what tests send: every method (HEAD, OPTIONS, TRACE, made-up ones)
and path the API does not define gets the 403 JSON above, not Python's HTML 501 page; a malformed
``Content-Length`` or header line gets a JSON 400 and closes the connection, with one log line
and no traceback; a raw header line holding a bare CR is refused *before* the standard library's
parser sees it (``http.client`` splits header lines on a lone CR, which would let a client smuggle
an ``x-api-key`` past a proxy); the listen backlog holds a burst of 128 connections.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fraud_detection import contract

WEBHOOK_RESOURCE = f"/{contract.WEBHOOK_PATH}"
LABELS_RESOURCE = f"/{contract.LABELS_PATH}"
SENDER_KEY_ID = "local-sender-key"
"""The id the stand-in gives a sender key passed as a bare string (the local stage passes the real id)."""
API_KEY_HEADER = "x-api-key"
LISTEN_BACKLOG = 128
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit for REST APIs


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


@dataclass(frozen=True)
class ApiKey:
    """One API key of a usage plan of the stage: its id (``aws_api_gateway_api_key.id``) and value."""

    id: str
    value: str = field(repr=False)


Integration = Callable[[dict[str, Any]], Mapping[str, Any]]


def _json_response(status: int, document: Mapping[str, Any], request_id: str) -> GatewayResponse:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    return GatewayResponse(status, headers, json.dumps(document).encode())


def route(request: GatewayRequest, stage: str, resources: Sequence[str] = (WEBHOOK_RESOURCE,)) -> str | None:
    """The API resource (one of ``resources``) a request hits, or ``None`` (API Gateway answers 403 for
    unknown routes)."""
    path = request.path.split("?", 1)[0]
    prefix = f"/{stage}"
    if request.method != "POST" or not path.startswith(prefix):
        return None
    resource = (path[len(prefix) :] or "/").rstrip("/")
    return resource if resource in resources else None


def proxy_event(
    request: GatewayRequest,
    stage: str,
    request_id: str,
    now: datetime,
    *,
    resource: str = WEBHOOK_RESOURCE,
    api_key: ApiKey | None = None,
) -> dict[str, Any]:
    """The REST API proxy event API Gateway would send to the route's function ("Set up Lambda proxy
    integrations in API Gateway", input format: ``identity.apiKey`` and ``identity.apiKeyId`` name the
    key the request was admitted with)."""
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
        "resource": resource,
        "path": resource,
        "httpMethod": request.method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query_multi.items()} or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": path,
            "stage": stage,
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": single.get("User-Agent"),
                "apiKey": api_key.value if api_key else None,
                "apiKeyId": api_key.id if api_key else None,
            },
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


def _as_key(key: str | ApiKey, default_id: str) -> ApiKey:
    return key if isinstance(key, ApiKey) else ApiKey(default_id, key)


def handle(
    request: GatewayRequest,
    *,
    stage: str,
    api_key: str | ApiKey,
    webhook: Integration,
    labels: Integration | None = None,
    labels_api_key: ApiKey | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> GatewayResponse:
    """One request through the emulated stage (pure apart from the integrations). ``api_key`` is the
    senders' key; ``labels`` (the labels function) adds ``POST /labels``; ``labels_api_key`` is the
    labellers' key. Either key passes on either route (module docstring); the event names which one."""
    request_id = str(uuid.uuid4())
    integrations: dict[str, Integration] = {WEBHOOK_RESOURCE: webhook}
    if labels is not None:
        integrations[LABELS_RESOURCE] = labels
    resource = route(request, stage, tuple(integrations))
    if resource is None:
        return _json_response(403, {"message": "Missing Authentication Token"}, request_id)
    keys = [_as_key(api_key, SENDER_KEY_ID), *([labels_api_key] if labels_api_key else [])]
    offered = [value for name, value in request.headers if name.lower() == API_KEY_HEADER]
    admitted = next((key for key in keys if offered and offered[-1] == key.value), None)
    if admitted is None:
        return _json_response(403, {"message": "Forbidden"}, request_id)
    event = proxy_event(request, stage, request_id, now(), resource=resource, api_key=admitted)
    try:
        result = integrations[resource](event)
    except Exception:  # the integration failed: API Gateway answers 502
        return _json_response(502, {"message": "Internal server error"}, request_id)
    return response_from_proxy_result(result, request_id)


def has_bare_cr(line: bytes) -> bool:
    """A CR that does not end the line (``\r\n``): header lines may not contain one."""
    content = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\n")
    return b"\r" in content


class _BareCrDetector:
    """Wraps the request stream while the standard library reads header lines, noting a bare CR."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.found = False

    def readline(self, limit: int = -1) -> bytes:
        line = self.inner.readline(limit)
        self.found = self.found or has_bare_cr(line)
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def content_length(raw: str | None) -> int | None:
    """The body length, or ``None`` when the header is malformed (not digits, or too large)."""
    if raw is None or raw.strip() == "":
        return 0
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    length = int(text)
    return length if length <= MAX_BODY_BYTES else None


class _Handler(BaseHTTPRequestHandler):
    server: LocalGatewayServer
    protocol_version = "HTTP/1.1"

    def parse_request(self) -> bool:
        if has_bare_cr(self.raw_requestline):
            self.request_version = "HTTP/1.1"
            self.send_error(400)
            return False
        detector = _BareCrDetector(self.rfile)
        self.rfile = detector
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = detector.inner
        if parsed and detector.found:
            self.send_error(400)
            return False
        return parsed

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """JSON like API Gateway's own errors, never the standard library's HTML page."""
        self.close_connection = True
        document = {"message": "Missing Authentication Token"} if code == 403 else {"message": "Bad Request"}
        body = json.dumps(document).encode()
        self.send_response(code if code in (400, 403, 413, 414, 431) else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.server.on_log(f"{self.address_string()} refused a malformed request ({code}: {message or explain or ''})")

    def __getattr__(self, name: str) -> Any:
        """Every method reaches the router (which answers 403 for the ones the API does not define)."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        length = content_length(self.headers.get("Content-Length"))
        if length is None:
            self.send_error(400, "malformed Content-Length")
            return
        body = self.rfile.read(length) if length else b""
        request = GatewayRequest(
            method=self.command,
            path=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        server = self.server
        response = handle(
            request,
            stage=server.stage,
            api_key=server.api_key,
            webhook=server.webhook,
            labels=server.labels,
            labels_api_key=server.labels_api_key,
        )
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":  # a HEAD response has headers only
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log line per request (the API's access log is not emulated); refusals are logged."""

    def log_message(self, format: str, *args: Any) -> None:
        self.server.on_log(f"{self.address_string()} {format % args}")


class LocalGatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG  # the standard library's default of 5 resets bursts

    def __init__(
        self,
        port: int,
        *,
        stage: str,
        api_key: str | ApiKey,
        webhook: Integration,
        labels: Integration | None = None,
        labels_api_key: ApiKey | None = None,
        on_log: Callable[[str], None] = lambda _line: None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.stage = stage
        self.api_key = api_key
        self.webhook = webhook
        self.labels = labels
        self.labels_api_key = labels_api_key
        self.on_log = on_log
        self._thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, no traceback (a client that hangs up mid-request is not the stage's failure)."""
        import sys

        error = sys.exc_info()[1]
        self.on_log(f"{client_address[0]} connection failed: {type(error).__name__}")

    @property
    def url(self) -> str:
        """The webhook's URL (``POST /<stage>/webhook``)."""
        return f"http://127.0.0.1:{self.server_address[1]}/{self.stage}{WEBHOOK_RESOURCE}"

    @property
    def labels_url(self) -> str:
        """``POST /<stage>/labels`` (answered only when the labels function is given)."""
        return f"http://127.0.0.1:{self.server_address[1]}/{self.stage}{LABELS_RESOURCE}"

    def start(self) -> LocalGatewayServer:
        self._thread = threading.Thread(target=self.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
