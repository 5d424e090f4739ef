"""CLI surface (every subcommand has --help), the batch windows, the alerts inbox, and the target
description the CLI runs against."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from fraud_detection.alerts import block_alert
from fraud_detection.contract import SMOKE_ATTRIBUTE
from fraud_ops import cli
from fraud_ops.alert_queues import subscribe_queue
from fraud_ops.targets import (
    API_KEY_VARIABLE,
    Target,
    TargetError,
    functions_from_state,
    load_local,
    outputs_from_file,
)
from local_stage.alert_watcher import AlertWatcher

pytestmark = pytest.mark.unit

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detection-dev@sha256:" + "0" * 64
SUBCOMMANDS = ("send", "batch", "report", "redrive-dlq", "rotate-secret", "alerts", "smoke", "load", "backtest")


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


def test_batch_current_analyses_the_open_window_and_now_the_last_closed_one() -> None:
    parser = cli.build_parser()
    moment = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)
    current = cli.window_event(parser.parse_args(["batch", "--current"]), now=moment)
    assert current == {"job": "window", "window_start": "2026-11-22T10:05:00Z"}  # the events just sent
    scheduled = cli.window_event(parser.parse_args(["batch", "--now"]), now=moment)
    assert scheduled == {"job": "window", "time": "2026-11-22T10:07:30Z"}  # the batch analyses 10:00-10:05
    assert cli.window_event(parser.parse_args(["batch"]), now=moment) == scheduled
    with pytest.raises(SystemExit):
        parser.parse_args(["batch", "--current", "--now"])


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


def test_target_round_trips_through_the_stage_file_and_the_api_key_stays_in_the_secrets_file(
    tmp_path: Path,
) -> None:
    """The stage file is world-readable; the API key is read from the mode-600 secrets file it names."""
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"# comment\n{API_KEY_VARIABLE}=the-api-key-value-0123456789\nFRAUD_SIGNING_SECRET=x\n")
    target = Target(
        kind="local",
        region="us-east-1",
        webhook_url="http://127.0.0.1:1/v1/webhook",
        api_key="the-api-key-value-0123456789",
        outputs=OUTPUTS,
        functions=functions_from_state(STATE, OUTPUTS),
        endpoint_url="http://127.0.0.1:2",
        secrets_file=str(secrets),
    )
    path = tmp_path / "stage.json"
    path.write_text(target.to_json())
    assert "the-api-key-value-0123456789" not in path.read_text() and "api_key" not in json.loads(path.read_text())
    assert load_local(path) == target
    assert target.parameter("STREAM_ONLY") == "1"
    assert target.aws_environment()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"


def test_a_stage_file_without_its_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    target = Target("local", "us-east-1", "", "k", {}, (), secrets_file=str(tmp_path / "gone.env"))
    path = tmp_path / "stage.json"
    path.write_text(target.to_json())
    with pytest.raises(TargetError, match=r"gone\.env"):
        load_local(path)


def test_outputs_file_accepts_terraform_output_json(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"table_name": {"value": "t", "type": "string", "sensitive": False}, "plain": 1}))
    assert outputs_from_file(path) == {"table_name": "t", "plain": 1}


def test_aws_target_reads_the_api_key_and_each_function_environment(monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_alerts_reach_the_stage_log_and_the_inbox_cli_alerts_shows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The local stage's two queues on the alert topic: the watcher prints a line per alert, ``cli alerts``
    shows the inbox (and empties it unless ``--keep``)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    alert = block_alert({"transaction_id": "smoke-42", "risk_score": 95, "action": "block"})
    with mock_aws():
        sqs, sns = boto3.client("sqs", region_name="us-east-1"), boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="fraud-alerts-local")["TopicArn"]
        watched = subscribe_queue(sqs, sns, topic, "fraud-alerts-local-stage-log")
        inbox = subscribe_queue(sqs, sns, topic, "fraud-alerts-local-inbox")
        sns.publish(
            TopicArn=topic,
            Message=alert.body(),
            MessageAttributes={SMOKE_ATTRIBUTE: {"DataType": "String", "StringValue": "true"}},
        )
        lines: list[str] = []
        assert AlertWatcher(sqs, watched.queue_url, lines.append).poll_once() == 1
        assert lines == ["block alert smoke-42 risk_score 95 [smoke]"]

        target = Target("local", "us-east-1", "", "", {}, (), alerts_queue_url=inbox.queue_url)
        keep = argparse.Namespace(keep=True, json=True, limit=10)
        assert cli.cmd_alerts(keep, target) == 0
        shown = capsys.readouterr().out
        assert "block alert smoke-42 risk_score 95 [smoke]" in shown and '"dedupe_key":"smoke-42"' in shown
        assert cli.cmd_alerts(argparse.Namespace(keep=False, json=False, limit=10), target) == 0
        assert "block alert smoke-42" in capsys.readouterr().out  # kept: shown again, now removed
        assert cli.cmd_alerts(argparse.Namespace(keep=False, json=False, limit=10), target) == 0
        assert capsys.readouterr().out == "no new alerts\n"
    no_inbox = Target("aws", "us-east-1", "", "", {}, ())
    assert cli.cmd_alerts(argparse.Namespace(keep=False, json=False, limit=10), no_inbox) == 2
