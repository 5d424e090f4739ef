"""X-Ray never records what a handler returns.

Powertools' ``capture_lambda_handler`` and ``capture_method`` put the decorated function's return
value on its subsegment as metadata unless told ``capture_response=False``; X-Ray keeps it 30 days
outside the data's own retention and access controls (the webhook's reply, a batch job's keys and
counts). These tests run each handler against moto with the module's tracer talking to a
recording provider (at the Powertools level: the same calls the X-Ray recorder would get) and
require that subsegments were opened and that no metadata was put on any of them. The first test
shows the recorder does see a captured response, so the others can fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from fraud_detection.handlers import batch, stream
from fraud_detection.tracing import NoOpSegment
from tests.runtime.webhook.webhook_support import WebhookClient, base_transaction
from tests.support.events import input_transformer, load_event
from tests.support.lambda_context import FakeLambdaContext

pytestmark = pytest.mark.unit


@dataclass(eq=False)
class RecordedSegment(NoOpSegment):
    name: str
    metadata: list[tuple[str, str, Any]] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.append((namespace, key, value))

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


@dataclass(eq=False)
class RecordingProvider(BaseProvider):
    """Stands in for ``xray_recorder``: keeps every subsegment and everything put on it."""

    segments: list[RecordedSegment] = field(default_factory=list)
    metadata: list[tuple[str, str, Any]] = field(default_factory=list)

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        segment = RecordedSegment(name or "")
        self.segments.append(segment)
        yield segment

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        segment = RecordedSegment(name or "")
        self.segments.append(segment)
        yield segment

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.append((namespace, key, value))

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass

    @property
    def names(self) -> list[str]:
        return [segment.name for segment in self.segments]

    def all_metadata(self) -> list[tuple[str, str, Any]]:
        return self.metadata + [entry for segment in self.segments for entry in segment.metadata]


def record(monkeypatch: pytest.MonkeyPatch, tracer: Tracer) -> RecordingProvider:
    """Point an existing module tracer (and the decorators built on it) at a recorder."""
    recorder = RecordingProvider()
    monkeypatch.setattr(tracer, "provider", recorder)
    return recorder


def test_the_recorder_sees_a_response_captured_with_powertools_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = record(monkeypatch, stream.tracer)

    @stream.tracer.capture_method
    def leaky() -> dict[str, str]:
        return {"customer_id": "cust-8812"}

    @stream.tracer.capture_lambda_handler
    def leaky_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
        return {"audit_key": "audit/x"}

    leaky()
    leaky_handler({}, FakeLambdaContext())
    assert [name.rsplit(".", 1)[-1] for name in recorder.names] == ["leaky", "## leaky_handler"]
    assert [(key.rsplit(".", 1)[-1], value) for _, key, value in recorder.all_metadata()] == [
        ("leaky response", {"customer_id": "cust-8812"}),
        ("leaky_handler response", {"audit_key": "audit/x"}),
    ]


def test_webhook_response_is_not_recorded(webhook: WebhookClient, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = record(monkeypatch, webhook.module.tracer)
    result = webhook.post(base_transaction())
    assert result.status == 200
    assert recorder.names == ["## handler"]
    assert recorder.segments[0].annotations["ColdStart"] in (True, False)
    assert recorder.all_metadata() == []


def test_stream_response_is_not_recorded(
    lambda_env: object,
    table: str,
    bucket: str,
    topic: str,
    fresh_containers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = record(monkeypatch, stream.tracer)
    result = stream.handler(load_event("dynamodb_stream_patterns.json"), FakeLambdaContext())
    assert result["lines"] == 3
    assert recorder.names == ["## handler"]
    assert recorder.all_metadata() == []


@pytest.mark.parametrize(
    ("job", "event_file", "method"),
    [
        ("window", "eventbridge_scheduled_window.json", f"## {batch.__name__}.run_window"),
        ("daily_report", "eventbridge_scheduled_daily_report.json", f"## {batch.__name__}.run_daily_report"),
    ],
)
def test_batch_responses_are_not_recorded(
    stack: object,
    fresh_containers: None,
    monkeypatch: pytest.MonkeyPatch,
    job: str,
    event_file: str,
    method: str,
) -> None:
    recorder = record(monkeypatch, batch.tracer)
    result = batch.handler(input_transformer(load_event(event_file), job), FakeLambdaContext())
    assert result["job"] == job
    assert recorder.names == ["## handler", method]
    assert recorder.all_metadata() == []
