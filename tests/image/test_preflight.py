"""Deploy preflight against moto's ECR: missing tag -> says which tag to push; present -> ok."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from local_stage.emulator import put_manifest
from tools import preflight

pytestmark = pytest.mark.unit


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("FRAUD_IMAGE_TAG", "src-preflight")
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="fraud-detection-dev")
        yield client


def test_missing_tag_names_the_tag_to_push(ecr, capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight.main() == 1
    err = capsys.readouterr().err
    assert "fraud-detection-dev:src-preflight" in err and "make image" in err


def test_present_tag_passes(ecr, capsys: pytest.CaptureFixture[str]) -> None:
    put_manifest(ecr, "fraud-detection-dev", "src-preflight")
    assert preflight.main() == 0
    assert "is in ECR" in capsys.readouterr().out


def test_default_tag_is_the_content_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks.config import IMAGE_CONTEXT_DIR
    from stacks.image_tag import image_tag

    monkeypatch.delenv("FRAUD_IMAGE_TAG", raising=False)
    assert preflight.expected_image({})[2] == image_tag(IMAGE_CONTEXT_DIR)


# --- reserved and provisioned concurrency against the account's unreserved pool --------------------------

ACCOUNT_SETTINGS = "before-call.lambda.GetAccountSettings"


class _Ok:
    status_code = 200
    headers: dict[str, str] = {}
    raw = None
    content = b""


@pytest.fixture
def lambda_client(monkeypatch: pytest.MonkeyPatch):
    """moto's Lambda; GetAccountSettings (which moto lacks) is answered at the botocore layer."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("lambda", region_name="us-east-1")
        unreserved = {"value": 1000}

        def answer(**_: object):
            limits = {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": unreserved["value"]}
            return _Ok(), {"AccountLimit": limits, "AccountUsage": {}, "ResponseMetadata": {"HTTPStatusCode": 200}}

        client.meta.events.register(ACCOUNT_SETTINGS, answer)
        client.unreserved = unreserved  # type: ignore[attr-defined]
        yield client


def _config(**context: object):
    from stacks.config import load_config

    return load_config({"environment": "prod"} | context, {})


def test_prod_preset_fits_a_default_account(lambda_client) -> None:
    assert preflight.concurrency_problem(lambda_client, _config()) is None


def test_reservations_beyond_the_unreserved_pool_are_refused_naming_the_settings(lambda_client) -> None:
    lambda_client.unreserved["value"] = 300  # a new account: little left above the 100 Lambda keeps
    problem = preflight.concurrency_problem(lambda_client, _config())
    assert problem is not None
    assert "webhookReservedConcurrency=200" in problem and "streamReservedConcurrency=10" in problem
    assert "labelsReservedConcurrency=2" in problem  # every function of the contract counts (200+10+2+2)
    assert "asks for 214" in problem and "can reserve 200 more" in problem


def test_the_functions_own_reservations_count_as_available(lambda_client) -> None:
    lambda_client.unreserved["value"] = 300
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = boto3.client("iam").create_role(RoleName="webhook", AssumeRolePolicyDocument=json.dumps(trust))
    lambda_client.create_function(
        FunctionName="fraud-webhook-prod",
        Role=role["Role"]["Arn"],
        Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x@sha256:" + "0" * 64},
        PackageType="Image",
    )
    lambda_client.put_function_concurrency(FunctionName="fraud-webhook-prod", ReservedConcurrentExecutions=200)
    assert preflight.concurrency_problem(lambda_client, _config()) is None  # 300 + 200 held - 100 >= 214


def test_unreserved_provisioned_concurrency_draws_on_the_pool(lambda_client) -> None:
    lambda_client.unreserved["value"] = 150
    config = _config(environment="dev", webhookProvisionedConcurrency=60)
    problem = preflight.concurrency_problem(lambda_client, config)
    assert problem is not None and "webhookProvisionedConcurrency=60" in problem
    assert preflight.concurrency_problem(lambda_client, _config(environment="dev")) is None
