"""The deploy steps' own logic, without Terraform: settings, the files the emulator mode writes and
removes, the refusals that change nothing, and the alert-subscription check (moto, and botocore's
Stubber for the pending state moto never reports). The steps end to end: tests/e2e/test_first_deployment.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from fraud_ops import deploy
from local_stage.emulator_patches import OVERRIDE_FILE
from tests.conftest import STATE_KEY_ARN

pytestmark = pytest.mark.unit

ENDPOINT = "http://127.0.0.1:4566"
S3 = {"FRAUD_BACKEND": "s3", "FRAUD_STATE_BUCKET": "fraud-tfstate-123456789012-us-east-1"}


def environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"CDKTF_OUTDIR": str(tmp_path / "cdktf.out"), "FRAUD_IMAGE_TAG": "src-test", **extra}


def synthesized(tmp_path: Path, stack: str, backend: dict[str, Any], resources: dict[str, Any]) -> Path:
    directory = tmp_path / "cdktf.out" / "stacks" / stack
    directory.mkdir(parents=True)
    document = {"terraform": {"backend": backend}, "resource": resources}
    (directory / "cdk.tf.json").write_text(json.dumps(document))
    return directory


def record_backend(directory: Path, kind: str, config: dict[str, Any]) -> None:
    (directory / ".terraform").mkdir()
    (directory / ".terraform" / "terraform.tfstate").write_text(
        json.dumps({"backend": {"type": kind, "config": config}})
    )


@pytest.mark.parametrize(
    "url", ["https://moto.example.com", "http://10.0.0.5:4566", "127.0.0.1:4566", "http://127.0.0.1"]
)
def test_the_emulator_variable_must_name_a_local_endpoint(tmp_path: Path, url: str) -> None:
    with pytest.raises(deploy.DeployError, match="not a local emulator URL"):
        deploy.Deployment.from_environment(environ(tmp_path, FRAUD_EMULATOR_ENDPOINT=url))


def test_a_bad_setting_stops_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["registry"], environ(tmp_path, FRAUD_ENVIRONMENT="Prod!")) == 2
    assert "Invalid setting 'environment'" in capsys.readouterr().err
    assert not (tmp_path / "cdktf.out").exists()


def test_emulator_mode_writes_its_overrides_next_to_the_json_and_a_real_run_removes_them(tmp_path: Path) -> None:
    s3_backend = {"s3": {"bucket": "b", "key": "k", "region": "us-east-1", "kms_key_id": STATE_KEY_ARN}}
    resources = {
        "aws_s3_bucket_policy": {"p": {}},
        "aws_lambda_event_source_mapping": {"m": {}},
        "aws_sqs_queue": {"q": {}},
    }
    directory = synthesized(tmp_path, "app", s3_backend, resources)
    original = (directory / "cdk.tf.json").read_text()
    emulator = deploy.Deployment.from_environment(
        environ(tmp_path, FRAUD_EMULATOR_ENDPOINT=ENDPOINT, **S3, FRAUD_STATE_KMS_KEY_ARN=STATE_KEY_ARN)
    )
    runner = emulator.runner()
    runner.prepare("app")
    assert (directory / "cdk.tf.json").read_text() == original
    override = json.loads((directory / OVERRIDE_FILE).read_text())
    assert "terraform" not in override  # the stack's own S3 backend stays, pointed at moto below
    assert set(override["provider"]["aws"][0]["endpoints"][0].values()) == {ENDPOINT}
    patches = override["resource"]  # one override file: endpoints and the registered emulator gaps
    assert patches == {
        "aws_s3_bucket_policy": {"p": {"count": 0}},
        "aws_lambda_event_source_mapping": {"m": {"count": 0}},
    }
    backend_config = (directory / deploy.BACKEND_CONFIG_FILE).read_text()
    for line in (f's3 = "{ENDPOINT}"', "use_path_style = true", "skip_credentials_validation = true"):
        assert line in backend_config
    assert runner.init_args("app") == (f"-backend-config={deploy.BACKEND_CONFIG_FILE}",)
    environment = runner.terraform("app").environment()
    assert environment["TF_CLI_CONFIG_FILE"] == str(runner.cli_config_path)
    assert environment["AWS_EC2_METADATA_DISABLED"] == "true"  # an emulator run drops the caller's AWS_*

    real = deploy.Deployment.from_environment(environ(tmp_path, **S3, FRAUD_STATE_KMS_KEY_ARN=STATE_KEY_ARN)).runner()
    real.prepare("app")
    assert sorted(p.name for p in directory.iterdir()) == ["cdk.tf.json"]
    assert real.init_args("app") == ()


def test_migration_needs_the_s3_settings_and_an_initialised_bootstrap(tmp_path: Path) -> None:
    directory = synthesized(tmp_path, "bootstrap", {"local": {"path": "../../../state/dev/bootstrap.tfstate"}}, {})
    with pytest.raises(deploy.DeployError, match="never initialised"):
        deploy.step_migrate_bootstrap_state(
            deploy.Deployment.from_environment(environ(tmp_path, **S3, FRAUD_STATE_KMS_KEY_ARN=STATE_KEY_ARN)), print
        )
    record_backend(directory, "local", {"path": "../../../state/dev/bootstrap.tfstate"})
    with pytest.raises(deploy.DeployError, match="set FRAUD_BACKEND=s3"):
        deploy.step_migrate_bootstrap_state(deploy.Deployment.from_environment(environ(tmp_path)), print)
    with pytest.raises(deploy.DeployError, match="no bootstrap state"):
        deploy.step_migrate_bootstrap_state(
            deploy.Deployment.from_environment(environ(tmp_path, **S3, FRAUD_STATE_KMS_KEY_ARN=STATE_KEY_ARN)), print
        )
    assert sorted(p.name for p in directory.iterdir()) == [".terraform", "cdk.tf.json"]


def test_bootstrap_is_not_destroyed_while_its_state_is_in_its_bucket(tmp_path: Path) -> None:
    directory = synthesized(tmp_path, "bootstrap", {"s3": {"bucket": "b", "key": "k"}}, {})
    record_backend(directory, "s3", {"bucket": "b", "key": "k"})
    step = deploy.STEPS["destroy-bootstrap"]
    with pytest.raises(deploy.DeployError, match="FRAUD_BACKEND=local make migrate-bootstrap-state"):
        step(deploy.Deployment.from_environment(environ(tmp_path, **S3, FRAUD_STATE_KMS_KEY_ARN=STATE_KEY_ARN)), print)


def test_the_image_step_pushes_a_manifest_only_on_the_emulator(tmp_path: Path) -> None:
    with pytest.raises(deploy.DeployError, match="only with FRAUD_EMULATOR_ENDPOINT"):
        deploy.step_emulator_image(deploy.Deployment.from_environment(environ(tmp_path)), print)


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sns", region_name="us-east-1")


def test_alert_subscription_confirmed_or_absent(sns: Any) -> None:
    topic = sns.create_topic(Name="fraud-alerts-dev")["TopicArn"]
    lines: list[str] = []
    assert deploy.report_alert_subscriptions(sns, topic, lines.append) == 0
    assert "no e-mail subscription" in lines[-1]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    lines.clear()
    assert deploy.report_alert_subscriptions(sns, topic, lines.append) == 0
    assert any("oncall@example.com" in line for line in lines) and lines[-1] == "the e-mail subscription is confirmed"


def test_a_pending_email_subscription_fails_the_check(sns: Any) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:fraud-alerts-dev"
    pending = {"Protocol": "email", "Endpoint": "oncall@example.com", "SubscriptionArn": "PendingConfirmation"}
    queue = {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:123456789012:q", "SubscriptionArn": f"{topic}:1"}
    lines: list[str] = []
    with Stubber(sns) as stub:
        stub.add_response(
            "list_subscriptions_by_topic",
            {
                "Subscriptions": [
                    {**queue, "Owner": "1", "TopicArn": topic},
                    {**pending, "Owner": "1", "TopicArn": topic},
                ]
            },
            {"TopicArn": topic},
        )
        assert deploy.report_alert_subscriptions(sns, topic, lines.append) == 1
    assert "still PendingConfirmation: oncall@example.com" in lines[-1]


def test_set_secrets_creates_both_signing_key_sets_and_writes_each_new_secret_to_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make set-secrets`` without Terraform (the app's outputs given): the webhook's and the labels'
    signing-key sets and the fingerprint key, each secret in a new mode-600 file, none on the output."""
    from fraud_detection import contract
    from fraud_ops import key_rotation

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    secret_dir = tmp_path / "secrets"
    deployment = deploy.Deployment.from_environment(environ(tmp_path, FRAUD_SECRET_DIR=str(secret_dir)))
    environment = deployment.config.environment
    signing, fingerprint = f"/fraud-detection/{environment}/webhook-signing-keys", "/x/fingerprint"
    with mock_aws():
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="fraud-webhook",
            Role=role,
            PackageType="Image",
            Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r@sha256:" + "0" * 64},
            Environment={"Variables": {"SIGNING_KEYS_PARAMETER": signing, "FINGERPRINT_KEY_PARAMETER": fingerprint}},
        )
        outputs = {"app_key_arn": key_arn, "webhook_function_name": "fraud-webhook"}
        monkeypatch.setattr(deploy, "app_outputs", lambda _deployment, _say: outputs)
        said: list[str] = []
        assert deploy.step_set_secrets(deployment, said.append) == 0
        adapter = key_rotation.ParameterAdapter(boto3.client("ssm", region_name="us-east-1"))
        labels = contract.label_signing_keys_parameter_name(environment)
        webhook_set, label_set = (key_rotation.parse_key_set(adapter.read(name)) for name in (signing, labels))
        described = boto3.client("ssm", region_name="us-east-1").describe_parameters()["Parameters"]
        assert {p["Name"]: p["KeyId"] for p in described if p["Name"] == labels} == {labels: key_arn}
    files = sorted(path.name for path in secret_dir.iterdir())
    assert files == [
        f"{environment}-label-signing-key-{label_set.ids[0]}.json",
        f"{environment}-signing-key-{webhook_set.ids[0]}.json",
    ]
    output = "\n".join(said)
    assert "labeller" in output and "sender" in output
    assert webhook_set.newest()[1] not in output and label_set.newest()[1] not in output
