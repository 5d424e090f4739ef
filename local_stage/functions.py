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
is reported on the stage log with its function and exit code; the invocation it was serving gets
an error result at once, and the next invocation starts a fresh worker (reported as restarted). A
failed invocation never waits for that cold start itself.

Stopping (:meth:`FunctionWorker.stop`, :meth:`LocalFunctions.close`) is final: no worker is started
after it, and an invocation it interrupts fails with "the stage is shutting down".
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
from fraud_ops.invoke import InvokeResult
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
        self._lock = threading.Lock()  # one invocation (or start) at a time: the only place workers are spawned
        self._state = threading.Lock()  # _process and _closed change together (stop() does not wait for _lock)
        self._process: subprocess.Popen[bytes] | None = None
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        self._closed = False
        self._started = False  # a worker ran before: the next spawn is a restart
        self.restarts = 0
        """Workers started again after one ended (crash, kill, timeout); the first start is not one."""

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def _shutting_down(self) -> HandlerError:
        return HandlerError(f"{self.spec.name}: the stage is shutting down (worker stopped)")

    def _forget(self, process: subprocess.Popen[bytes]) -> None:
        """``process`` is no longer this worker's (unless something else already replaced or took it)."""
        with self._state:
            if self._process is process:
                self._process = None

    def _spawn(self) -> tuple[subprocess.Popen[bytes], queue.Queue[bytes | None]]:
        if self._closed:
            raise self._shutting_down()
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
        with self._state:
            closed = self._closed
            if not closed:
                self._process, self._answers = process, answers
        if closed:  # stop() ran while this one was being started: it must not outlive the stage
            _end(process, kill=True)
            raise self._shutting_down()
        ready = self._next_answer(process, answers, STARTUP_TIMEOUT_SECONDS, "start")
        if not ready.get("ready"):
            raise HandlerError(f"{self.spec.name}: worker did not start: {ready}")
        return process, answers

    def _next_answer(
        self, process: subprocess.Popen[bytes], answers: queue.Queue[bytes | None], timeout: float, doing: str
    ) -> dict[str, Any]:
        """The worker's next line; ``process`` is the one asked (stop() may have taken it away meanwhile)."""
        try:
            raw = answers.get(timeout=timeout)
        except queue.Empty:
            self._forget(process)
            _end(process, kill=True)
            if self._closed:
                raise self._shutting_down() from None
            self._say(f"{self.spec.role} worker ({self.spec.name}) timed out after {timeout:g} s; killed")
            raise HandlerError(f"{self.spec.name}: Task timed out after {timeout:g} seconds") from None
        if raw is None:  # the pipe closed: the worker is gone
            code = process.wait()
            self._forget(process)
            if self._closed:
                raise self._shutting_down()
            self._say(f"{self.spec.role} worker ({self.spec.name}) exited with code {code} during {doing}")
            raise HandlerError(f"{self.spec.name}: worker exited with code {code} (log: {self._log_path})")
        return dict(json.loads(raw))

    def _ensure_running(self) -> tuple[subprocess.Popen[bytes], queue.Queue[bytes | None]]:
        """The live worker and its answers, started (again) if there is none; called holding ``_lock``."""
        if self._closed:
            raise self._shutting_down()
        process, answers = self._process, self._answers
        if process is not None and process.poll() is not None:
            self._forget(process)
            self._say(
                f"{self.spec.role} worker ({self.spec.name}) exited with code {process.returncode} while idle; "
                "restarting"
            )
            process = None
        if process is not None:
            return process, answers
        restart = self._started
        process, answers = self._spawn()
        self._started = True
        if restart:
            self.restarts += 1
            self._say(f"{self.spec.role} worker ({self.spec.name}) restarted (PID {process.pid})")
        return process, answers

    def start(self) -> FunctionWorker:
        with self._lock:
            self._ensure_running()
        return self

    def invoke(self, event: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
        """The handler's result; ``HandlerError`` when it raised, timed out, its worker died or the stage stopped.

        A failed invocation does not start the next worker: the next invocation does (and pays the cold start).
        """
        timeout = float(self.spec.timeout_seconds)
        if not self._lock.acquire(timeout=timeout):
            raise HandlerError(f"{self.spec.name}: Task timed out after {timeout:g} seconds (worker busy)")
        try:
            process, answers = self._ensure_running()
            try:
                assert process.stdin is not None
                process.stdin.write(json.dumps({"event": event, "context": context}).encode() + b"\n")
                process.stdin.flush()
            except (OSError, ValueError):  # gone, or its stdin closed by stop(): the closed pipe below reports it
                pass
            answer = self._next_answer(process, answers, timeout, "an invocation")
        finally:
            self._lock.release()
        if not answer.get("ok"):
            raise HandlerError(f"{self.spec.name}: {answer.get('error')}")
        return answer.get("result")

    def stop(self) -> None:
        """End the worker, for good: no worker is started after this. An invocation in progress is not waited
        for: a busy worker is killed after 5 s, and its caller gets a ``HandlerError`` (shutting down)."""
        with self._state:
            self._closed = True
            process, self._process = self._process, None
        if process is not None:
            _end(process)


def _end(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """Close the worker's stdin (which ends its loop) or kill it; kill it anyway after 5 s."""
    if kill:
        process.kill()
    elif process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


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
