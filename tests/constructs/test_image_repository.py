"""ImageRepository: immutable, scanned, KMS-encrypted, bounded history, pull policy for our functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fraud_constructs.image_repository import ImageRepository, ImageRepositoryProps
from tests.constructs.ecr_lifecycle import Image, expired
from tests.tfjson import only, policy_statements, synth_scope

pytestmark = pytest.mark.synth


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


NOW = datetime(2026, 12, 1, tzinfo=UTC)
OLD_POLICY = json.dumps(  # the rule set before: a count over tagStatus any
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
                "action": {"type": "expire"},
            },
        ]
    }
)


def _history(tagged: int, *, days_apart: float = 1.0) -> list[Image]:
    """``tagged`` content-hash images, the first (the deployed one) the oldest, plus two failed pushes."""
    images = [
        Image(f"sha256:{n:064x}", (f"src-{n:016x}",), NOW - timedelta(days=days_apart * (tagged - n)))
        for n in range(tagged)
    ]
    failed_pushes = [
        Image("sha256:" + "e" * 64, (), NOW - timedelta(days=30)),
        Image("sha256:" + "f" * 64, (), NOW - timedelta(days=2)),
    ]
    return [*images, *failed_pushes]


def _policy(repo_doc: dict) -> str:
    return only(repo_doc, "aws_ecr_lifecycle_policy")["policy"]


def test_the_evaluator_shows_the_old_policy_expiring_the_deployed_image() -> None:
    """Canary: 60 tagged images, the deployed one the oldest; a count over 'any' expires it."""
    images = _history(60)
    assert images[0].digest in expired(OLD_POLICY, images, NOW)


@pytest.mark.parametrize("tagged", [1, 60, 499])
def test_the_deployed_image_survives_when_it_is_the_oldest(repo_doc: dict, tagged: int) -> None:
    images = _history(tagged)
    gone = expired(_policy(repo_doc), images, NOW)
    assert images[0].digest not in gone
    assert gone == {"sha256:" + "e" * 64}  # only the untagged image older than 14 days


def test_tagged_images_never_expire_by_age(repo_doc: dict) -> None:
    """Nothing pushed for two years: the running image must still be there."""
    images = _history(3, days_apart=365)
    assert not {image.digest for image in images if image.tags} & expired(_policy(repo_doc), images, NOW)


def test_only_beyond_the_generous_count_do_tagged_images_expire(repo_doc: dict) -> None:
    images = _history(501)
    gone = expired(_policy(repo_doc), images, NOW) - {"sha256:" + "e" * 64}
    assert gone == {images[0].digest}  # the 501st oldest, beyond keep_images=500
    rules = json.loads(_policy(repo_doc))["rules"]
    assert all(rule["selection"]["tagStatus"] != "any" for rule in rules)


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
