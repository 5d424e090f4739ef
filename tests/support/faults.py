"""The one fault injector: AWS errors moto cannot produce, raised at the botocore layer.

``Faults`` hooks an event emitter: boto3's default session (the ``faults`` fixture; reaches every
client built after it) or one client's (``Faults.on(client)``). A failing call never reaches moto:
``before-call`` answers it with the error response, so botocore raises exactly what it raises for
a real one (the modeled exception class, e.g. ``client.exceptions.InternalServerError``, with the
status code). Each fault is a switch, on until cleared, so a test can show the failure, clear it
and show the retry; ``when`` narrows it to some calls (it gets the call's API parameters, seen at
``before-parameter-build``), and ``calls`` counts every call of a hooked operation, failed or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

_FAULT_KEY = "tests.support.faults"  # where a call's fault waits in botocore's request context


class _ErrorResponse:
    """Enough of an HTTP response for botocore's ``before-call`` short-circuit."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.raw = None
        self.content = b""


@dataclass(frozen=True)
class _Fault:
    code: str
    status: int
    message: str
    when: Callable[[Mapping[str, Any]], bool] | None


class Faults:
    def __init__(self, events: Any) -> None:
        self._events = events
        self._active: dict[str, _Fault] = {}
        self._hooks: dict[str, tuple[Callable[..., None], Callable[..., Any]]] = {}
        self.calls: dict[str, int] = {}

    @classmethod
    def on(cls, client: Any) -> Faults:
        """Faults for one existing client only."""
        return cls(client.meta.events)

    def fail(
        self,
        operation: str,
        code: str,
        *,
        status: int = 400,
        message: str | None = None,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """Fail ``operation`` (``service.Operation``, e.g. ``dynamodb.PutItem``) with ``code`` until cleared."""
        self._active[operation] = _Fault(code, status, message or f"injected {code}", when)
        if operation in self._hooks:
            return

        def decide(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            fault = self._active.get(operation)
            if fault is not None and (fault.when is None or fault.when(params)):
                context[_FAULT_KEY] = fault

        def answer(context: dict[str, Any], **_: Any) -> tuple[_ErrorResponse, dict[str, Any]] | None:
            fault = context.pop(_FAULT_KEY, None)
            if fault is None:
                return None
            error = {"Error": {"Code": fault.code, "Message": fault.message}}
            return _ErrorResponse(fault.status), error | {"ResponseMetadata": {"HTTPStatusCode": fault.status}}

        self._hooks[operation] = (decide, answer)
        self._events.register(f"before-parameter-build.{operation}", decide)
        self._events.register(f"before-call.{operation}", answer)

    def clear(self, operation: str | None = None) -> None:
        if operation is None:
            self._active.clear()
        else:
            self._active.pop(operation, None)

    def close(self) -> None:
        for operation, (decide, answer) in self._hooks.items():
            self._events.unregister(f"before-parameter-build.{operation}", decide)
            self._events.unregister(f"before-call.{operation}", answer)
        self._hooks.clear()


@pytest.fixture
def faults(aws: None) -> Iterator[Faults]:
    """Faults on boto3's default session: hooked before the code under test builds its clients."""
    injected = Faults(boto3._get_default_session().events)
    yield injected
    injected.close()
