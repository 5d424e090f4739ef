"""Helpers for the webhook tests: captured API Gateway events, signing, invoking the handler."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from fraud_detection import signing
from tests.support.clocks import MovableClock
from tests.support.events import event_body, load_event
from tests.support.lambda_context import FakeLambdaContext

# Matches requestTimeEpoch of tests/runtime/events/webhook_post.json (10:07 UTC: outside the night rule).
FIXED_NOW = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)
NOW_TS = int(FIXED_NOW.timestamp())
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def base_transaction(**overrides: Any) -> dict[str, Any]:
    """The captured event's body as a dict, with overrides (``None`` deletes a key)."""
    return event_body("webhook_post.json", **overrides)


def set_header(event: dict[str, Any], name: str, value: str | None) -> None:
    """Replace a header in both maps API Gateway sends, whatever its case."""
    for mapping in ("headers", "multiValueHeaders"):
        headers = event.get(mapping) or {}
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        if value is not None:
            headers[name] = value if mapping == "headers" else [value]
        event[mapping] = headers


@dataclass(frozen=True)
class Result:
    status: int
    text: str
    headers: dict[str, Any] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class WebhookClient:
    """The handler of a fresh container: ``now`` is its receive-time clock, ``clock`` its monotonic one."""

    module: ModuleType
    secret: str
    now: datetime = FIXED_NOW
    clock: MovableClock = field(default_factory=MovableClock)
    log: io.StringIO = field(default_factory=io.StringIO)

    @property
    def log_text(self) -> str:
        return self.log.getvalue()

    def invoke(self, event: dict[str, Any], context: FakeLambdaContext | None = None) -> Result:
        response = self.module.handler(event, context or FakeLambdaContext())
        headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
        return Result(
            status=response["statusCode"],
            text=response.get("body") or "",
            headers={**headers, **(response.get("headers") or {})},
        )

    def event(
        self,
        body: bytes | str | dict[str, Any],
        *,
        timestamp: int = NOW_TS,
        secret: str | None = None,
        signature: str | None = "sign",
        content_type: str | None = "application/json",
        base64_encoded: bool = False,
        template: str = "webhook_post.json",
    ) -> dict[str, Any]:
        """A captured POST event carrying ``body``, signed now (``signature="sign"``) or as given."""
        text = body if isinstance(body, str | bytes) else json.dumps(body)
        raw = text if isinstance(text, bytes) else text.encode()
        event = load_event(template)
        if base64_encoded:
            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = raw.decode("utf-8", "surrogatepass"), False
        header = signing.sign(secret or self.secret, raw, timestamp) if signature == "sign" else signature
        set_header(event, "X-Fraud-Signature", header)
        set_header(event, "Content-Type", content_type)
        return event

    def post(self, body: bytes | str | dict[str, Any], **options: Any) -> Result:
        return self.invoke(self.event(body, **options))
