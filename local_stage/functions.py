"""The stage's functions, each in its own long-lived worker process (:mod:`local_stage.worker`).

The local stage has no Lambda runtime (moto cannot run image functions without Docker), so each
function gets one worker process running the image's real handler. Its environment is set once,
at spawn: the function's ``environment.variables`` (from Terraform state), the emulator endpoint
and dummy credentials, the region and the function name; nothing of the caller's ``AWS_*``
settings. Whatever the handler prints or logs goes to the function's log file of the run
(``<log dir>/<role>.log``); invocations and results travel over the worker's stdin/stdout.

Concurrency: one worker per function, invocations **serialised per worker** (the gateway may
deliver requests concurrently; they queue, like a function with reserved concurrency 1). Waiting
for the worker and waiting for the answer are each bounded by the function's timeout from state,
so a stuck handler never hangs the gateway: the worker is killed, the invocation fails with
"timed out", and the next invocation starts a fresh worker. A worker that dies (crash, ``kill``)
is reported on the stage log with its function and exit code and started again; the invocation it
was serving gets an error result.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from fraud_detection import contract
from fraud_ops.dlq import InvokeResult
from fraud_ops.targets import ROOT, FunctionSpec

# Local-only additions (not what Lambda sets): no X-Ray daemon here; prints reach the log at once.
LOCAL_ONLY_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true", "PYTHONUNBUFFERED": "1"}
STARTUP_TIMEOUT_SECONDS = 120.0  # importing a handler (the cold start) on a busy 2-core machine


class HandlerError(RuntimeError):
    """The invocation failed: the handler raised, timed out, or its worker died (a Lambda function error)."""


def worker_environment(
    spec: FunctionSpec, aws_environment: Mapping[str, str], region: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a function's worker is spawned with (``base``: this process's, minus ``AWS_*``)."""
    inherited = os.environ if base is None else base
    env = {name: value for name, value in inherited.items() if not name.startswith("AWS_")}
    env.update(spec.environment)
    env.update(LOCAL_ONLY_ENVIRONMENT)
    env.update(aws_environment)
    env.update(
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_LAMBDA_FUNCTION_NAME=spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_mb),
    )
    return env


class FunctionWorker:
    """One worker process of one function; :meth:`invoke` is safe to call from many threads."""

    def __init__(
        self, spec: FunctionSpec, environment: Mapping[str, str], log_path: Path, say: Callable[[str], None]
    ) -> None:
        self.spec = spec
        self._environment = dict(environment)
        self._log_path = log_path
        self._say = say
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _spawn(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "local_stage.worker", self.spec.handler],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=self._environment,
                cwd=ROOT,
            )
        answers: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(
            target=_read_lines, args=(process.stdout, answers), name=f"{self.spec.role}-worker-pipe", daemon=True
        ).start()
        self._process, self._answers = process, answers
        ready = self._next_answer(STARTUP_TIMEOUT_SECONDS, "start")
        if not ready.get("ready"):
            raise HandlerError(f"{self.spec.name}: worker did not start: {ready}")

    def _next_answer(self, timeout: float, doing: str) -> dict[str, Any]:
        assert self._process is not None
        try:
            raw = self._answers.get(timeout=timeout)
        except queue.Empty:
            self._stop_process(kill=True)
            self._say(f"{self.spec.role} worker ({self.spec.name}) timed out after {timeout:g} s; killed")
            raise HandlerError(f"{self.spec.name}: Task timed out after {timeout:g} seconds") from None
        if raw is None:  # the pipe closed: the worker is gone
            code = self._process.wait()
            self._process = None
            self._say(f"{self.spec.role} worker ({self.spec.name}) exited with code {code} during {doing}")
            raise HandlerError(f"{self.spec.name}: worker exited with code {code} (log: {self._log_path})")
        return dict(json.loads(raw))

    def _ensure_running(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            code = self._process.returncode
            self._process = None
            self._say(f"{self.spec.role} worker ({self.spec.name}) exited with code {code} while idle; restarting")
            self.restarts += 1
        if self._process is None:
            self._spawn()

    def start(self) -> FunctionWorker:
        with self._lock:
            self._ensure_running()
        return self

    def invoke(self, event: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
        """The handler's result; ``HandlerError`` when it raised, timed out or its worker died."""
        timeout = float(self.spec.timeout_seconds)
        if not self._lock.acquire(timeout=timeout):
            raise HandlerError(f"{self.spec.name}: Task timed out after {timeout:g} seconds (worker busy)")
        try:
            self._ensure_running()
            assert self._process is not None and self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps({"event": event, "context": context}).encode() + b"\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass  # the worker is gone: the closed pipe below reports it
            try:
                answer = self._next_answer(timeout, "an invocation")
            except HandlerError:
                if self._process is None:  # it crashed: start the next one now, not on the next call
                    self.restarts += 1
                    self._restart_quietly()
                raise
        finally:
            self._lock.release()
        if not answer.get("ok"):
            raise HandlerError(f"{self.spec.name}: {answer.get('error')}")
        return answer.get("result")

    def _restart_quietly(self) -> None:
        try:
            self._spawn()
            self._say(f"{self.spec.role} worker ({self.spec.name}) restarted (PID {self.pid})")
        except HandlerError as error:  # the next invocation tries again
            self._say(f"{self.spec.role} worker restart failed: {error}")

    def _stop_process(self, *, kill: bool = False) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if kill:
            process.kill()
        elif process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # ends the worker's loop
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop(self) -> None:
        """End the worker (without waiting for an invocation in progress: a busy worker is killed after 5 s)."""
        self._stop_process()


def _read_lines(stream: IO[bytes] | None, answers: queue.Queue[bytes | None]) -> None:
    assert stream is not None
    for raw in stream:
        answers.put(raw)
    answers.put(None)


class LocalFunctions:
    """The functions of a target, each in its worker; also the ``Invoker`` of the DLQ redrive and the CLI."""

    def __init__(
        self,
        specs: tuple[FunctionSpec, ...],
        aws_environment: Mapping[str, str],
        *,
        region: str,
        log_dir: Path,
        account_id: str = "123456789012",
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self._specs = specs
        self._region = region
        self._account = account_id
        self._workers = {
            spec.role: FunctionWorker(
                spec, worker_environment(spec, aws_environment, region), log_dir / f"{spec.role}.log", say
            )
            for spec in specs
        }

    def spec(self, function: str) -> FunctionSpec:
        for spec in self._specs:
            if spec.matches(function):
                return spec
        raise KeyError(f"no local function {function!r}")

    def worker(self, function: str) -> FunctionWorker:
        return self._workers[self.spec(function).role]

    def start(self) -> LocalFunctions:
        """Start every worker now (the stage pays the cold starts before READY)."""
        for worker in self._workers.values():
            worker.start()
        return self

    def call(self, function: str, event: Mapping[str, Any]) -> Any:
        """Run the handler in its worker; raises ``HandlerError`` when the invocation fails."""
        spec = self.spec(function)
        context = {
            "function_name": spec.name,
            "memory_limit_in_mb": spec.memory_mb,
            "invoked_function_arn": (
                f"arn:aws:lambda:{self._region}:{self._account}:function:{spec.name}:{contract.LIVE_ALIAS}"
            ),
            "aws_request_id": str(uuid.uuid4()),
            "timeout_seconds": spec.timeout_seconds,
            "log_group_name": f"/aws/lambda/{spec.name}",
        }
        return self._workers[spec.role].invoke(dict(event), context)

    def invoke(self, function: str, payload: Mapping[str, Any]) -> InvokeResult:
        """The ``Invoker`` protocol (DLQ redrive, CLI batch): a function error is a failed result."""
        try:
            result = self.call(function, payload)
        except HandlerError as error:
            return InvokeResult(False, str(error))
        return InvokeResult(True, json.dumps(result, default=str))

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()

    def __enter__(self) -> LocalFunctions:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
