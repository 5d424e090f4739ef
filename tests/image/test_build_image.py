"""``make image`` logic against moto ECR: skip when the tag exists, flags Lambda needs, digest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stage.emulator import IMAGE_MANIFEST, put_manifest
from stacks.image_tag import image_tag
from tools.build_image import PLATFORM, PublishError, build_command, main, publish

pytestmark = pytest.mark.unit

REPOSITORY = "fraud-detection-test"
INDEX = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}


class RecordingRunner:
    """Stands in for docker: records commands; ``docker push`` lands the manifest in (moto) ECR."""

    def __init__(self, ecr: Any, manifest: Mapping[str, Any] = IMAGE_MANIFEST) -> None:
        self.ecr = ecr
        self.manifest = manifest
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], stdin: bytes | None) -> None:
        self.commands.append(list(command))
        if list(command[:2]) == ["docker", "push"]:
            put_manifest(self.ecr, REPOSITORY, command[2].rsplit(":", 1)[1], self.manifest)


@pytest.fixture
def ecr(aws: None) -> Any:
    client = boto3.client("ecr", region_name="us-east-1")
    client.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
    return client


@pytest.fixture
def context_dir(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/lambda/python:3.11-arm64\n")
    return tmp_path


def test_build_command_targets_arm64_without_attestations(context_dir: Path) -> None:
    command = build_command("repo:tag", context_dir)
    assert command[:3] == ["docker", "buildx", "build"]
    assert command[command.index("--platform") + 1] == PLATFORM == "linux/arm64"
    assert "--provenance=false" in command
    assert "--sbom=false" in command
    assert command[-3:] == ["-t", "repo:tag", str(context_dir)]


def test_new_tag_is_built_pushed_and_digest_reported(ecr: Any, context_dir: Path) -> None:
    runner = RecordingRunner(ecr)
    result = publish(ecr, REPOSITORY, context_dir, runner=runner)
    assert result.built
    assert result.tag == image_tag(context_dir)
    assert [c[:2] for c in runner.commands] == [["docker", "buildx"], ["docker", "login"], ["docker", "push"]]
    assert runner.commands[2][2] == f"{result.uri}:{result.tag}"
    assert result.digest.startswith("sha256:")
    assert result.reference == f"{result.uri}@{result.digest}"


def test_existing_tag_skips_build_and_push(ecr: Any, context_dir: Path) -> None:
    first = publish(ecr, REPOSITORY, context_dir, runner=RecordingRunner(ecr))
    again = RecordingRunner(ecr)
    second = publish(ecr, REPOSITORY, context_dir, runner=again)
    assert again.commands == []
    assert not second.built
    assert second.digest == first.digest


def test_an_index_in_the_registry_is_refused(ecr: Any, context_dir: Path) -> None:
    with pytest.raises(PublishError, match="index"):
        publish(ecr, REPOSITORY, context_dir, runner=RecordingRunner(ecr, INDEX))


def test_cli_prints_the_digest_reference_last(ecr: Any, context_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = publish(ecr, REPOSITORY, context_dir, runner=RecordingRunner(ecr))
    environ = {"FRAUD_ENVIRONMENT": "test", "FRAUD_REGION": "us-east-1"}
    assert main(["--context", str(context_dir)], environ) == 0
    assert capsys.readouterr().out.splitlines()[-1] == published.reference


def test_defaults_match_what_the_deploy_preflight_expects() -> None:
    from stacks.config import IMAGE_CONTEXT_DIR
    from tools.preflight import expected_image

    region, repository, tag = expected_image({"FRAUD_ENVIRONMENT": "test", "FRAUD_REGION": "eu-west-1"})
    assert (region, repository, tag) == ("eu-west-1", REPOSITORY, image_tag(IMAGE_CONTEXT_DIR))


def test_an_unpinned_base_image_is_refused_before_building(ecr: Any, context_dir: Path) -> None:
    from tools.base_image import PLACEHOLDER, UnpinnedBaseImage

    (context_dir / "Dockerfile").write_text(f"ARG BASE_IMAGE_DIGEST={PLACEHOLDER}\nFROM scratch\n")
    runner = RecordingRunner(ecr)
    with pytest.raises(UnpinnedBaseImage, match="make pin-base-image"):
        publish(ecr, REPOSITORY, context_dir, runner=runner)
    assert runner.commands == []
