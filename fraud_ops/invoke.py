"""Running a function synchronously, the same way in an account and on the local stage.

An :class:`Invoker` runs a function with a payload and answers an :class:`InvokeResult`; a function error
is a failed result, not an exception. :class:`LambdaInvoker` is Lambda ``Invoke`` in an account; on the
local stage ``local_stage.functions.LocalFunctions`` is one. The CLI's ``batch``, ``report``, ``smoke``
and ``redrive-dlq`` (:mod:`fraud_ops.dlq`) take either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class InvokeResult:
    ok: bool
    detail: str


class Invoker(Protocol):
    """Runs a function synchronously: :class:`LambdaInvoker` in an account, the local stage's
    ``local_stage.functions.LocalFunctions`` locally."""

    def invoke(self, function: str, payload: Mapping[str, Any]) -> InvokeResult: ...


@dataclass(frozen=True)
class LambdaInvoker:
    """A real account: synchronous ``Invoke``; a ``FunctionError`` is a failed result."""

    client: Any  # botocore Lambda client

    def invoke(self, function: str, payload: Mapping[str, Any]) -> InvokeResult:
        response = self.client.invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
        body = response["Payload"].read().decode("utf-8", "replace")
        if response.get("FunctionError"):
            return InvokeResult(False, f"{function} failed: {body}")
        return InvokeResult(True, body)
