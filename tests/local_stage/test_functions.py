"""The stage's functions run out of process: one worker per function, environment set at spawn, output to
the function's own log, a crash reported and the worker restarted, a hang bounded by the timeout."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fraud_ops.targets import FunctionSpec
from local_stage.functions import HandlerError, LocalFunctions, worker_environment

pytestmark = pytest.mark.tool

PROBE = "tests.local_stage.probe_handler.handler"


def probe(timeout: int = 20, **environment: str) -> FunctionSpec:
    return FunctionSpec("probe", "fraud-probe", PROBE, environment, timeout_seconds=timeout)


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
    assert any("restarted" in line for line in said), said
    second = functions.call("probe", {})["pid"]
    assert second != first
    assert functions.worker("probe").restarts == 1


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
        assert functions.call("probe", {})["pid"] != first


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
