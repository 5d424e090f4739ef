"""CLI surface (every subcommand has --help) and the target description the CLI runs against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fraud_ops import cli
from fraud_ops.targets import Target, TargetError, functions_from_state, load_local, outputs_from_file
from local_stage.functions import FunctionSpec, HandlerError, LocalFunctions
from local_stage.thread_stdout import ThreadRoutedStdout
from tests.local_stage import probe_handler

pytestmark = pytest.mark.unit

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detection-dev@sha256:" + "0" * 64
SUBCOMMANDS = ("send", "batch", "report", "redrive-dlq", "rotate-secret")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    assert "--target" in capsys.readouterr().out


def test_missing_local_stage_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["batch", "--target", "local", "--stage-file", str(tmp_path / "none.json")]) == 2
    assert "make local" in capsys.readouterr().err
    with pytest.raises(TargetError):
        load_local(tmp_path / "none.json")


def test_window_event_is_a_backfill_or_a_scheduled_run() -> None:
    parser = cli.build_parser()
    backfill = cli.window_event(parser.parse_args(["batch", "--window", "2026-11-22T10:05:00Z"]))
    assert backfill == {"job": "window", "window_start": "2026-11-22T10:05:00Z"}
    assert set(cli.window_event(parser.parse_args(["batch", "--now"]))) == {"job", "time"}


STATE = {
    "resources": [
        {
            "mode": "managed",
            "type": "aws_lambda_function",
            "instances": [
                {
                    "attributes": {
                        "function_name": f"fraud-{role}-local",
                        "environment": [{"variables": {"ENVIRONMENT": "local", f"{role.upper()}_ONLY": "1"}}],
                        "image_config": [{"command": [f"fraud_detection.handlers.{role}.handler"]}],
                        "memory_size": 512,
                        "timeout": 15,
                    }
                }
            ],
        }
        for role in ("webhook", "stream", "batch")
    ]
}
OUTPUTS = {
    f"{role}_{suffix}": f"fraud-{role}-local" if suffix == "function_name" else f"arn:{role}:{suffix}"
    for role in ("webhook", "stream", "batch")
    for suffix in ("function_name", "function_arn", "alias_arn")
}


def test_functions_come_from_terraform_state_with_their_own_environment() -> None:
    specs = functions_from_state(STATE, OUTPUTS)
    assert [spec.role for spec in specs] == ["webhook", "stream", "batch"]
    batch = specs[2]
    assert batch.handler == "fraud_detection.handlers.batch.handler"
    assert batch.environment == {"ENVIRONMENT": "local", "BATCH_ONLY": "1"}
    assert batch.matches("arn:batch:alias_arn") and batch.matches("fraud-batch-local") and not batch.matches("x")


def test_target_round_trips_through_the_stage_file(tmp_path: Path) -> None:
    target = Target(
        kind="local",
        region="us-east-1",
        webhook_url="http://127.0.0.1:1/v1/webhook",
        api_key="k",
        outputs=OUTPUTS,
        functions=functions_from_state(STATE, OUTPUTS),
        endpoint_url="http://127.0.0.1:2",
    )
    path = tmp_path / "stage.json"
    path.write_text(target.to_json())
    assert load_local(path) == target
    assert target.parameter("STREAM_ONLY") == "1"
    assert target.aws_environment()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"


def test_outputs_file_accepts_terraform_output_json(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"table_name": {"value": "t", "type": "string", "sensitive": False}, "plain": 1}))
    assert outputs_from_file(path) == {"table_name": "t", "plain": 1}


def test_local_functions_run_with_the_function_environment_and_restore_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someones-real-account")
    spec = FunctionSpec("probe", "fraud-probe", "tests.local_stage.probe_handler.handler", {"TABLE_NAME": "patterns-x"})
    functions = LocalFunctions((spec,), {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, region="eu-west-1")
    before = dict(os.environ)
    result = functions.call("fraud-probe", {})
    assert result == {
        "env": {
            "TABLE_NAME": "patterns-x",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_REGION": "eu-west-1",
            "AWS_PROFILE": None,  # the operator's AWS settings never leak into a local function
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
        "function": "fraud-probe",
    }
    assert dict(os.environ) == before
    with pytest.raises(HandlerError, match="asked to fail"):
        functions.call("probe", {"fail": True})
    assert dict(os.environ) == before
    assert not functions.invoke("probe", {"fail": True}).ok


def test_handler_output_goes_to_the_log_and_other_threads_keep_their_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stream pump runs handlers on its own thread while the CLI prints on the main one."""
    spec = FunctionSpec("probe", "fraud-probe", "tests.local_stage.probe_handler.handler", {})
    with (tmp_path / "stage.log").open("w") as log:
        functions = LocalFunctions((spec,), {}, region="eu-west-1", log=log)
        probe_handler.PRINTED.clear()
        probe_handler.RELEASE.clear()
        worker = threading.Thread(target=functions.call, args=("probe", {"say": "from the handler"}))
        worker.start()
        try:
            assert probe_handler.PRINTED.wait(timeout=10)
            print("from the main thread")  # while the handler is mid-call
        finally:
            probe_handler.RELEASE.set()
            worker.join(timeout=10)
        print("after the call")
    assert (tmp_path / "stage.log").read_text() == "from the handler\nfrom the handler\n"
    assert capsys.readouterr().out == "from the main thread\nafter the call\n"


def test_aws_target_reads_the_api_key_and_each_function_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    from fraud_ops.targets import aws_target

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("FRAUD_API_KEY", raising=False)
    with mock_aws():
        key = boto3.client("apigateway", region_name="us-east-1").create_api_key(
            name="k", value="the-api-key-value-0123456789", enabled=True
        )
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        lambda_client = boto3.client("lambda", region_name="us-east-1")
        for role_name in ("webhook", "stream", "batch"):
            lambda_client.create_function(
                FunctionName=f"fraud-{role_name}-local",
                Role=role,
                PackageType="Image",
                Code={"ImageUri": IMAGE_URI},
                ImageConfig={"Command": [f"fraud_detection.handlers.{role_name}.handler"]},
                Environment={"Variables": {"SIGNING_KEYS_PARAMETER": f"/p/{role_name}"}},
            )
        target = aws_target({**OUTPUTS, "api_key_id": key["id"], "webhook_url": "https://x/v1/webhook"}, "us-east-1")
    assert (target.kind, target.api_key, target.endpoint_url) == ("aws", "the-api-key-value-0123456789", None)
    assert target.parameter("SIGNING_KEYS_PARAMETER") == "/p/webhook"
    assert target.function("batch").environment == {"SIGNING_KEYS_PARAMETER": "/p/batch"}


@pytest.mark.tool
def test_routed_stdout_still_behaves_like_a_file_for_subprocesses(tmp_path: Path) -> None:
    with (tmp_path / "fallback.txt").open("w") as fallback, (tmp_path / "routed.txt").open("w") as routed:
        proxy = ThreadRoutedStdout(fallback)
        subprocess.run([sys.executable, "-c", "print('child, unrouted')"], stdout=proxy, check=True)
        with proxy.route(routed):
            subprocess.run([sys.executable, "-c", "print('child, routed')"], stdout=proxy, check=True)
            proxy.buffer.write(b"bytes, routed\n")
            proxy.flush()
    assert (tmp_path / "fallback.txt").read_text() == "child, unrouted\n"
    assert (tmp_path / "routed.txt").read_text() == "child, routed\nbytes, routed\n"
