"""Deploy preflight against moto's ECR: missing tag -> says which tag to push; present -> ok."""

from __future__ import annotations

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
