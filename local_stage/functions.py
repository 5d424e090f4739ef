"""Run the image's real handlers in this process, each with the environment its function gets.

The local stage has no Lambda runtime (moto cannot run image functions without Docker), so it
imports ``fraud_detection.handlers.*`` and calls them. Each call runs under one lock with
``os.environ`` set to that function's ``environment.variables`` (read from Terraform state)
plus the emulator endpoint and dummy credentials: the handlers build their boto3 clients and
Powertools objects from the environment on first use, exactly as in Lambda. Calls are
serialised; that is fine for one developer's traffic.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from fraud_ops.dlq import InvokeResult
from local_stage.thread_stdout import stdout_of_this_thread_to

# Local-only additions (not what Lambda sets): no X-Ray daemon here.
LOCAL_ONLY_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true"}
# os.environ is process-wide: every LocalFunctions in this process (the stage's, a CLI's) shares one lock.
_ENVIRONMENT_LOCK = threading.RLock()


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed function as the local runtime needs it."""

    role: str  # webhook | stream | batch
    name: str
    handler: str  # module.attribute, the image's command
    environment: Mapping[str, str]
    memory_mb: int = 512
    timeout_seconds: int = 60
    aliases: tuple[str, ...] = ()  # ARNs / qualified names that also mean this function

    def matches(self, function: str) -> bool:
        return function in (self.role, self.name, *self.aliases) or function.split(":")[-1] == self.name or (
            ":function:" in function and function.split(":function:")[1].split(":")[0] == self.name
        )


@dataclass(frozen=True)
class LocalContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class HandlerError(RuntimeError):
    """The handler raised: the Lambda equivalent of a function error."""


class LocalFunctions:
    """Invokes handlers in-process; ``aws_environment`` points boto3 at the emulator."""

    def __init__(
        self,
        specs: tuple[FunctionSpec, ...],
        aws_environment: Mapping[str, str],
        *,
        region: str,
        account_id: str = "123456789012",
        log: TextIO | None = None,
    ) -> None:
        self._specs = specs
        self._aws = dict(aws_environment)
        self._region = region
        self._account = account_id
        self._log = log

    def spec(self, function: str) -> FunctionSpec:
        for spec in self._specs:
            if spec.matches(function):
                return spec
        raise KeyError(f"no local function {function!r}")

    @contextlib.contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        saved = dict(os.environ)
        try:
            for name in [n for n in os.environ if n.startswith("AWS_")]:
                del os.environ[name]
            os.environ.update(spec.environment)
            os.environ.update(LOCAL_ONLY_ENVIRONMENT)
            os.environ.update(
                {
                    **self._aws,
                    "AWS_REGION": self._region,
                    "AWS_DEFAULT_REGION": self._region,
                    "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                }
            )
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def call(self, function: str, event: Mapping[str, Any]) -> Any:
        """Run the handler; raises ``HandlerError`` when it raises."""
        spec = self.spec(function)
        module_name, _, attribute = spec.handler.rpartition(".")
        context = LocalContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self._region}:{self._account}:function:{spec.name}:live",
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=spec.timeout_seconds,
            log_group_name=f"/aws/lambda/{spec.name}",
        )
        with _ENVIRONMENT_LOCK, self._environment(spec), stdout_of_this_thread_to(self._log):
            handler = getattr(importlib.import_module(module_name), attribute)
            try:
                # A JSON round trip, as Lambda gives the handler a fresh decoded payload.
                return handler(json.loads(json.dumps(dict(event))), context)
            except Exception as error:
                raise HandlerError(f"{spec.name}: {type(error).__name__}: {error}") from error
            finally:
                if self._log:
                    self._log.flush()

    def invoke(self, function: str, payload: Mapping[str, Any]) -> InvokeResult:
        """The ``Invoker`` protocol (DLQ redrive, CLI batch): a function error is a failed result."""
        try:
            result = self.call(function, payload)
        except HandlerError as error:
            return InvokeResult(False, str(error))
        return InvokeResult(True, json.dumps(result, default=str))


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
