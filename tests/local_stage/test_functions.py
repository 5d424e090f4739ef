"""The stage's functions run out of process: one worker per function, environment set at spawn, output to
the function's own log, a crash reported and the worker restarted, a hang bounded by the timeout."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fraud_ops.targets import FunctionSpec
from local_stage.functions import HandlerError, LocalFunctions, worker_environment

pytestmark = pytest.mark.tool

PROBE = "tests.local_stage.probe_handler.handler"


def probe(timeout: int = 20, **environment: str) -> FunctionSpec:
    return FunctionSpec("probe", "fraud-probe", PROBE, environment, memory_mb=512, timeout_seconds=timeout)


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def functions(tmp_path: Path, said: list[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalFunctions]:
    monkeypatch.setenv("AWS_PROFILE", "someones-real-account")
    spec = probe(TABLE_NAME="patterns-x")
    emulator = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    with LocalFunctions((spec,), emulator, region="eu-west-1", log_dir=tmp_path, say=said.append) as running:
        yield running


def test_the_worker_environment_is_set_at_spawn_and_this_process_keeps_its_own(functions: LocalFunctions) -> None:
    """(Was tests/ops/test_cli_and_stage.py::test_local_functions_run_with_the_function_environment_and_restore_it.)"""
    before = dict(os.environ)
    result = functions.call("fraud-probe", {})
    assert result["env"] == {
        "TABLE_NAME": "patterns-x",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_REGION": "eu-west-1",
        "AWS_PROFILE": None,  # the operator's AWS settings never leak into a local function
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    assert result["function"] == "fraud-probe"
    assert result["pid"] != os.getpid()  # out of process
    assert 0 < result["remaining_ms"] <= 20_000  # the context counts down the function's timeout
    assert dict(os.environ) == before
    assert functions.call("probe", {})["pid"] == result["pid"]  # long-lived: one worker serves both


def test_a_handler_error_is_a_failed_invocation_and_the_worker_lives_on(functions: LocalFunctions) -> None:
    pid = functions.call("probe", {})["pid"]
    with pytest.raises(HandlerError, match="ValueError: asked to fail"):
        functions.call("probe", {"fail": True})
    result = functions.invoke("probe", {"fail": True})
    assert not result.ok and "asked to fail" in result.detail
    assert functions.call("probe", {})["pid"] == pid


def test_handler_output_goes_to_its_log_not_to_the_caller(
    functions: LocalFunctions, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """(Was ...::test_handler_output_goes_to_the_log_and_other_threads_keep_their_stdout and
    ...::test_routed_stdout_still_behaves_like_a_file_for_subprocesses: a handler's subprocess output too.)"""
    result = functions.call("probe", {"say": "from the handler", "child_says": "from its child"})
    assert result["function"] == "fraud-probe"  # the printed lines did not disturb the protocol
    print("from the caller")
    with pytest.raises(HandlerError):
        functions.call("probe", {"fail": True})
    log = (tmp_path / "probe.log").read_text()
    assert "from the handler\nfrom its child\n" in log
    assert "Traceback" in log and "asked to fail" in log  # the function error's traceback is logged
    out, err = capfd.readouterr()
    assert out == "from the caller\n" and "from the handler" not in err


def test_a_crashed_worker_is_reported_and_restarted(functions: LocalFunctions, said: list[str]) -> None:
    first = functions.call("probe", {})["pid"]
    with pytest.raises(HandlerError, match="exited with code 3"):
        functions.call("probe", {"crash": 3})
    assert any("probe worker (fraud-probe) exited with code 3" in line for line in said), said
    second = functions.call("probe", {})["pid"]
    assert second != first
    assert any("probe worker (fraud-probe) restarted" in line for line in said), said
    assert functions.worker("probe").restarts == 1


def test_a_failed_invocation_does_not_wait_for_the_next_cold_start(tmp_path: Path, said: list[str]) -> None:
    """A crash fails its invocation at once: the fresh worker (a cold start, here 3 s) is the next invocation's
    to start, not paid by the failing caller while holding the worker (module docstring)."""
    slow_start = probe(PROBE_IMPORT_SECONDS="3")
    with LocalFunctions((slow_start,), {}, region="eu-west-1", log_dir=tmp_path, say=said.append) as functions:
        worker = functions.worker("probe").start()
        first = worker.pid
        began = time.monotonic()
        with pytest.raises(HandlerError, match="exited with code 3"):
            functions.call("probe", {"crash": 3})
        assert time.monotonic() - began < 3
        assert not worker.running and worker.pid is None and worker.restarts == 0
        assert functions.call("probe", {})["pid"] != first
        assert worker.restarts == 1


def test_a_worker_killed_while_idle_is_reported_and_replaced(functions: LocalFunctions, said: list[str]) -> None:
    worker = functions.worker("probe").start()
    killed = worker.pid
    assert killed is not None and worker.running
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while worker.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert functions.call("probe", {})["pid"] != killed
    assert any("probe worker (fraud-probe) exited with code -9 while idle" in line for line in said), said


def test_a_hung_handler_fails_after_the_function_timeout_and_the_next_call_gets_a_fresh_worker(
    tmp_path: Path, said: list[str]
) -> None:
    with LocalFunctions((probe(timeout=2),), {}, region="eu-west-1", log_dir=tmp_path, say=said.append) as functions:
        first = functions.call("probe", {})["pid"]
        with pytest.raises(HandlerError, match="timed out after 2 seconds"):
            functions.call("probe", {"sleep": 30})
        assert any("timed out after 2 s" in line for line in said), said
        assert functions.worker("probe").restarts == 0  # a timeout is not a restart; the next start is
        assert functions.call("probe", {})["pid"] != first
        assert functions.worker("probe").restarts == 1


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``call`` in a thread; the list gets its result or the exception it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # the test inspects it
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for_line(log: Path, line: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not (log.is_file() and line in log.read_text()):
        assert time.monotonic() < deadline, f"{line!r} not in {log}"
        time.sleep(0.05)


def test_closing_during_an_invocation_fails_it_as_shutting_down(tmp_path: Path, said: list[str]) -> None:
    """The handler outlives close()'s 5 s grace and is killed: its caller gets a HandlerError, not an
    AttributeError from a worker that close() already took away."""
    functions = LocalFunctions((probe(timeout=60),), {}, region="eu-west-1", log_dir=tmp_path, say=said.append)
    worker = functions.worker("probe").start()
    try:
        thread, outcome = in_background(lambda: functions.call("probe", {"say": "busy", "sleep": 60}))
        wait_for_line(tmp_path / "probe.log", "busy")
        functions.close()
        thread.join(30)
        (error,) = outcome
        assert isinstance(error, HandlerError) and "shutting down" in str(error), repr(error)
        assert worker.pid is None and not worker.running
    finally:
        functions.close()


def test_an_invocation_that_times_out_after_close_starts_no_new_worker(tmp_path: Path, said: list[str]) -> None:
    functions = LocalFunctions((probe(timeout=2),), {}, region="eu-west-1", log_dir=tmp_path, say=said.append)
    worker = functions.worker("probe").start()
    try:
        thread, outcome = in_background(lambda: functions.call("probe", {"say": "busy", "sleep": 60}))
        wait_for_line(tmp_path / "probe.log", "busy")
        functions.close()  # waits up to 5 s for the busy worker; the invocation times out meanwhile
        thread.join(30)
        assert worker.pid is None and not worker.running  # nothing was started after close()
        (error,) = outcome
        assert isinstance(error, HandlerError) and "shutting down" in str(error), repr(error)
        with pytest.raises(HandlerError, match="shutting down"):
            functions.call("probe", {})
        assert worker.pid is None
    finally:
        functions.close()


@pytest.mark.unit
def test_a_closed_stage_starts_no_worker(tmp_path: Path) -> None:
    functions = LocalFunctions((probe(),), {}, region="eu-west-1", log_dir=tmp_path)
    functions.close()
    with pytest.raises(HandlerError, match="shutting down"):
        functions.call("probe", {})
    result = functions.invoke("probe", {})
    assert not result.ok and "shutting down" in result.detail


def test_the_spawn_environment_is_built_from_the_spec_not_the_caller() -> None:
    env = worker_environment(
        probe(TABLE_NAME="t"), {"AWS_ENDPOINT_URL": "http://e"}, "us-east-1", base={"AWS_PROFILE": "p", "PATH": "/x"}
    )
    assert env["PATH"] == "/x" and "AWS_PROFILE" not in env
    assert (env["TABLE_NAME"], env["AWS_LAMBDA_FUNCTION_NAME"], env["AWS_REGION"]) == ("t", "fraud-probe", "us-east-1")


@pytest.mark.unit
def test_unknown_functions_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        LocalFunctions((probe(),), {}, region="eu-west-1", log_dir=tmp_path).spec("nope")
