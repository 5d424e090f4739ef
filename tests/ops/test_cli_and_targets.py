"""CLI surface (every subcommand has --help), the batch windows, the alerts inbox, and the target
description the CLI runs against."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from fraud_detection import contract
from fraud_detection.alerts import block_alert
from fraud_detection.contract import SMOKE_ATTRIBUTE
from fraud_detection.signing import SignatureError, verify
from fraud_detection.validation import InvalidDocument
from fraud_ops import cli
from fraud_ops.alert_queues import subscribe_queue
from fraud_ops.targets import (
    API_KEY_VARIABLE,
    LABELS_API_KEY_VARIABLE,
    Target,
    TargetError,
    functions_from_state,
    load_local,
    outputs_from_file,
)
from local_stage.alert_watcher import AlertWatcher

pytestmark = pytest.mark.unit

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detection-dev@sha256:" + "0" * 64
SUBCOMMANDS = (
    "send",
    "batch",
    "report",
    "redrive-dlq",
    "rotate-secret",
    "alerts",
    "smoke",
    "load",
    "backtest",
    "label",
    "labels",
)
ROLES = tuple(function.role for function in contract.FUNCTIONS)


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
        for role in ROLES
    ]
    + [
        {
            "mode": "managed",
            "type": "aws_api_gateway_api_key",
            "instances": [
                {
                    "attributes": {
                        "id": "sndr123",
                        "name": "fraud-webhook-local-default",
                        "value": "sender-key-" + "s" * 30,
                    }
                },
                {
                    "attributes": {
                        "id": "lbl456",
                        "name": "fraud-webhook-local-labels",
                        "value": "labels-key-" + "l" * 30,
                    }
                },
            ],
        }
    ]
}
OUTPUTS = {
    f"{role}_{suffix}": f"fraud-{role}-local" if suffix == "function_name" else f"arn:{role}:{suffix}"
    for role in ROLES
    for suffix in ("function_name", "function_arn", "alias_arn")
}


def test_functions_come_from_terraform_state_with_their_own_environment() -> None:
    specs = functions_from_state(STATE, OUTPUTS)
    assert [spec.role for spec in specs] == ["webhook", "stream", "batch", "labels"]
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
        for role_name in ROLES:
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
    assert target.labels_url == "https://x/v1/labels"  # the same API and stage as the webhook


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


# ---------------------------------------------------------------- labels: keys, target, CLI


def test_the_sender_and_labels_api_keys_are_told_apart_by_name() -> None:
    from fraud_ops.targets import api_key_from_state, api_key_id_from_state, labels_api_key_from_state

    assert api_key_from_state(STATE) == "sender-key-" + "s" * 30
    assert api_key_id_from_state(STATE) == "sndr123"
    assert labels_api_key_from_state(STATE) == ("lbl456", "labels-key-" + "l" * 30)
    (keys,) = [resource for resource in STATE["resources"] if resource["type"] == "aws_api_gateway_api_key"]
    legacy = {"resources": [{**keys, "instances": [{"attributes": {"id": "a", "name": "x", "value": "v"}}]}]}
    assert api_key_from_state(legacy) == "v"  # a state from before the labels key: its one key is the sender's
    with pytest.raises(TargetError, match=r"\*-labels"):
        labels_api_key_from_state(legacy)


def test_the_labels_url_is_an_output_or_next_to_the_webhook() -> None:
    from fraud_ops.targets import labels_url_from

    assert labels_url_from({"webhook_url": "https://a.example/v1/webhook"}) == "https://a.example/v1/labels"
    assert labels_url_from({"webhook_url": "https://a.example/v1/webhook", "labels_url": "https://b/v1/labels"}) == (
        "https://b/v1/labels"
    )
    assert labels_url_from({}) == ""


def local_target(tmp_path: Path, **fields: object) -> Target:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"{API_KEY_VARIABLE}=sender-key\n{LABELS_API_KEY_VARIABLE}=labels-key-value\n")
    base = Target(
        kind="local",
        region="us-east-1",
        webhook_url="http://127.0.0.1:1/v1/webhook",
        labels_url="http://127.0.0.1:1/v1/labels",
        api_key="sender-key",
        labels_api_key="labels-key-value",
        api_key_id="sndr123",
        labels_api_key_id="lbl456",
        outputs=OUTPUTS,
        functions=functions_from_state(STATE, OUTPUTS),
        secrets_file=str(secrets),
    )
    return dataclasses.replace(base, **fields)


def test_the_labels_api_key_stays_in_the_secrets_file_and_its_id_in_the_stage_file(tmp_path: Path) -> None:
    target = local_target(tmp_path)
    path = tmp_path / "stage.json"
    path.write_text(target.to_json())
    stored = json.loads(path.read_text())
    assert "labels-key-value" not in path.read_text() and "labels_api_key" not in stored
    assert (stored["labels_url"], stored["labels_api_key_id"]) == ("http://127.0.0.1:1/v1/labels", "lbl456")
    assert load_local(path) == target


def test_a_label_is_validated_before_anything_is_sent() -> None:
    parser = cli.build_parser()
    moment = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)
    args = parser.parse_args(["label", "--transaction-id", "t-1", "--label", "fraud", "--source", "chargeback"])
    assert cli.label_document(args, now=moment) == {
        "transaction_id": "t-1",
        "label": "fraud",
        "source": "chargeback",
        "occurred_at": "2026-11-22T10:07:30.000000Z",
    }
    offset = parser.parse_args([*["label", "--transaction-id", "t-1", "--label", "fraud", "--source", "analyst"],
                                "--occurred-at", "2026-11-22T11:00:00+01:00"])  # fmt: skip
    assert cli.label_document(offset)["occurred_at"] == "2026-11-22T10:00:00.000000Z"
    with pytest.raises(SystemExit):
        parser.parse_args(["label", "--transaction-id", "t-1", "--label", "maybe", "--source", "analyst"])
    naive = parser.parse_args(
        ["label", "--transaction-id", "t-1", "--label", "fraud", "--source", "analyst", "--occurred-at", "2026-11-22"]
    )
    with pytest.raises(InvalidDocument, match="occurred_at"):
        cli.label_document(naive)


def test_a_label_request_is_signed_with_the_label_secret_and_carries_the_labels_key() -> None:
    document = {"transaction_id": "t-1", "label": "fraud", "source": "analyst", "occurred_at": "2026-11-22T10:00:00Z"}
    body, headers = cli.label_request(document, "l" * 40, "labels-key-value", 1_800_000_000)
    assert json.loads(body) == document and headers["x-api-key"] == "labels-key-value"
    verify(headers["X-Fraud-Signature"], body, ["l" * 40], now=1_800_000_000, tolerance_seconds=300)
    with pytest.raises(SignatureError):
        verify(headers["X-Fraud-Signature"], body, ["s" * 40], now=1_800_000_000, tolerance_seconds=300)


@pytest.fixture
def label_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """moto with the dev label signing-key set: (parameter, newest secret)."""
    from fraud_ops import key_rotation

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv(cli.LABEL_SIGNING_SECRET_VARIABLE, raising=False)
    with mock_aws():
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        adapter = key_rotation.ParameterAdapter(boto3.client("ssm", region_name="us-east-1"))
        name = contract.label_signing_keys_parameter_name("local")
        result = key_rotation.rotate_add(
            adapter, name, datetime(2026, 11, 22, tzinfo=UTC), key_arn=key_arn, kind=key_rotation.LABEL_KEYS
        )
        assert result.key_set is not None
        yield name, result.key_set.newest()[1]


def test_cli_label_posts_through_the_gateway_to_the_labels_function(
    tmp_path: Path, label_keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cli label`` through the local gateway (pure ``handle``): the labels route, the labels key's id in the
    event, a body signed with the label secret; exit 0 on 201/200, 1 on a 4xx."""
    from local_stage import gateway

    _, secret = label_keys
    functions = tuple(
        dataclasses.replace(spec, environment={**spec.environment, "ENVIRONMENT": "local"})
        for spec in functions_from_state(STATE, OUTPUTS)
    )
    target = local_target(tmp_path, functions=functions)
    answers = [(201, "recorded"), (200, "duplicate"), (409, "conflict")]
    seen: list[dict[str, object]] = []

    def labels_function(event: dict[str, object]) -> dict[str, object]:
        seen.append(event)
        verify(
            event["headers"]["X-Fraud-Signature"],
            event["body"].encode(),
            [secret],
            now=time.time(),
            tolerance_seconds=300,
        )  # type: ignore[index,union-attr]
        status, outcome = answers[len(seen) - 1]
        return {"statusCode": status, "body": json.dumps({"outcome": outcome})}

    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        path = "/" + url.split("/", 3)[3]
        request = gateway.GatewayRequest("POST", path, list(headers.items()), body, "127.0.0.1")
        response = gateway.handle(
            request,
            stage="v1",
            api_key=gateway.ApiKey("sndr123", "sender-key"),
            webhook=lambda event: pytest.fail("the webhook must not be called"),
            labels=labels_function,
            labels_api_key=gateway.ApiKey("lbl456", "labels-key-value"),
        )
        return response.status, response.body.decode()

    monkeypatch.setattr(cli, "post", post)
    args = cli.build_parser().parse_args(
        ["label", "--transaction-id", "t-1", "--label", "fraud", "--source", "chargeback"]
    )
    assert [cli.cmd_label(args, target) for _ in answers] == [0, 0, 1]
    event = seen[0]
    assert event["resource"] == "/labels"
    assert event["requestContext"]["identity"]["apiKeyId"] == "lbl456"  # type: ignore[index]
    assert json.loads(event["body"])["source"] == "chargeback"  # type: ignore[arg-type]
    printed = capsys.readouterr().out
    assert "-> 201" in printed and "-> 409" in printed and secret not in printed


def test_cli_label_refuses_an_invalid_label_without_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "post", lambda *_: pytest.fail("nothing may be sent"))
    args = cli.build_parser().parse_args(
        ["label", "--transaction-id", "bad id!", "--label", "fraud", "--source", "analyst", "--occurred-at", "x"]
    )
    assert cli.cmd_label(args, local_target(tmp_path)) == 2
    error = capsys.readouterr().err
    assert "transaction_id" in error and "occurred_at" in error


def test_the_labels_api_key_of_an_account_is_the_one_the_labels_function_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fraud_ops.targets import labels_api_key

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        apigateway = boto3.client("apigateway", region_name="us-east-1")
        apigateway.create_api_key(name="fraud-default", value="sender-key-" + "s" * 30, enabled=True)
        labels = apigateway.create_api_key(name="fraud-labels", value="labels-key-" + "l" * 30, enabled=True)
        functions = tuple(
            dataclasses.replace(spec, environment={contract.ENV_LABELS_API_KEY_ID: labels["id"]})
            if spec.role == "labels"
            else spec
            for spec in functions_from_state(STATE, OUTPUTS)
        )
        target = Target("aws", "us-east-1", "https://x/v1/webhook", "sender", OUTPUTS, functions)
        assert labels_api_key(target, environ={}) == "labels-key-" + "l" * 30
    assert labels_api_key(target, environ={LABELS_API_KEY_VARIABLE: "from-env"}) == "from-env"


def test_rotate_secret_labels_rotates_the_label_key_set_only(
    tmp_path: Path, label_keys: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from fraud_ops import key_rotation

    name, first = label_keys
    functions = tuple(
        dataclasses.replace(spec, environment={"ENVIRONMENT": "local", "SIGNING_KEYS_PARAMETER": "/webhook-keys"})
        for spec in functions_from_state(STATE, OUTPUTS)
    )
    target = local_target(tmp_path, functions=functions)
    parser = cli.build_parser()
    assert cli.cmd_rotate(parser.parse_args(["rotate-secret", "--add", "--labels"]), target) == 0
    adapter = key_rotation.ParameterAdapter(boto3.client("ssm", region_name="us-east-1"))
    rotated = key_rotation.parse_key_set(adapter.read(name))
    assert len(rotated.ids) == 2 and rotated.keys[0][1] == first
    assert adapter.read_optional("/webhook-keys") is None  # the senders' set is untouched
    assert cli.cmd_rotate(parser.parse_args(["rotate-secret", "--labels"]), target) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"label signing keys: {', '.join(rotated.ids)}"
    assert cli.cmd_rotate(parser.parse_args(["rotate-secret", "--labels", "--init-fingerprint"]), target) == 2


def test_cli_labels_shows_the_history_and_the_effective_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fraud_detection import labels as label_model

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dynamodb, s3 = boto3.client("dynamodb", region_name="us-east-1"), boto3.client("s3", region_name="us-east-1")
        dynamodb.create_table(
            TableName="patterns",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3.create_bucket(Bucket="audit")
        received = "2026-11-22T23:59:00.000Z"
        dynamodb.put_item(
            TableName="patterns",
            Item={
                "pk": {"S": "AUDITED#t-1"},
                "transaction_id": {"S": "t-1"},
                "received_at": {"S": received},
                "audit_key": {"S": "audit/dt=x/hour=00/1-1.jsonl.gz"},
            },
        )
        for source, label, occurred in (
            ("customer", "fraud", "2026-11-23T08:00:00Z"),
            ("chargeback", "fraud", "2026-11-24T08:00:00Z"),
            ("chargeback", "legitimate", "2026-11-25T08:00:00Z"),
        ):
            parsed = label_model.parse_label(
                {"transaction_id": "t-1", "label": label, "source": source, "occurred_at": occurred}
            )
            moment = label_model.parse_instant(parsed.occurred_at)
            key = label_model.label_key("t-1", label_model.parse_instant(received), source, moment)
            document = label_model.label_document(
                parsed, transaction_received_at=received, recorded_at=moment, request_id="r"
            )
            s3.put_object(Bucket="audit", Key=key, Body=json.dumps(document).encode())
        target = local_target(tmp_path, outputs={**OUTPUTS, "table_name": "patterns", "bucket_name": "audit"})
        args = cli.build_parser().parse_args(["labels", "--transaction-id", "t-1"])
        assert cli.cmd_labels(args, target) == 0
        out = capsys.readouterr().out
        assert "3 label(s)" in out and out.strip().endswith("effective label: legitimate")
        assert cli.cmd_labels(cli.build_parser().parse_args(["labels", "--transaction-id", "t-2"]), target) == 1
