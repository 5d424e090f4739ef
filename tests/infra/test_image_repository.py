"""ImageRepository: immutable, scanned, KMS-encrypted, bounded history, pull policy for our functions."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.image_repository import ImageRepository, ImageRepositoryProps
from tests.tfjson import only, policy_statements, synth_scope


@pytest.fixture(scope="module")
def repo_doc() -> dict:
    props = ImageRepositoryProps(
        repository_name="fraud-detection-unit",
        kms_key_arn="arn:aws:kms:us-east-1:1:key/k",
        function_name_pattern="fraud-*-unit",
    )
    return synth_scope(lambda s: ImageRepository(s, "repo", aws=s.aws, props=props))


def test_immutable_scanned_and_kms(repo_doc: dict) -> None:
    repo = only(repo_doc, "aws_ecr_repository")
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    assert repo["force_delete"] is False


def test_lifecycle_never_expires_the_newest_images(repo_doc: dict) -> None:
    rules = json.loads(only(repo_doc, "aws_ecr_lifecycle_policy")["policy"])["rules"]
    untagged, capped = sorted(rules, key=lambda r: r["rulePriority"])
    assert untagged["selection"]["tagStatus"] == "untagged"
    assert capped["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50}
    assert all(
        r["selection"]["countType"] != "sinceImagePushed" or r["selection"]["tagStatus"] == "untagged" for r in rules
    )


def test_pull_policy_is_for_lambda_and_scoped_by_source_arn(repo_doc: dict) -> None:
    (statement,) = policy_statements(repo_doc, only(repo_doc, "aws_ecr_repository_policy")["policy"])
    assert statement["principals"][0]["identifiers"][0].startswith("lambda.")
    assert sorted(statement["actions"]) == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    (condition,) = statement["condition"]
    assert condition["variable"] == "aws:sourceArn"
    assert condition["values"][0].endswith(":function:fraud-*-unit")


def test_keep_images_validated() -> None:
    props = ImageRepositoryProps(repository_name="r", kms_key_arn="k", function_name_pattern="f", keep_images=0)
    with pytest.raises(ValueError, match="keep_images"):
        synth_scope(lambda s: ImageRepository(s, "repo", aws=s.aws, props=props))
