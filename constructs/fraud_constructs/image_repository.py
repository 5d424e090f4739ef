"""ECR repository for the Lambda image: immutable tags, scan on push, KMS, bounded history.

- ``IMMUTABLE`` tags: a tag names one image forever, so a deployed digest can always be traced
  back to its content-hash tag, and re-pushing a tag cannot silently change what runs.
- Lifecycle that never removes a deployable image: untagged images (failed or interrupted pushes)
  expire after ``untagged_expiry_days``; tagged images are **never expired by age** (content-hash
  tags are never re-pushed, so the image a function runs would age out whenever nothing new is
  pushed for the horizon), only beyond a generous ``keep_images`` count. There is no rule on
  ``tagStatus any``: a count rule over every image also expires images that published function
  versions and the rollback path still run, and Lambda then fails those versions. ECR evaluates
  rules by priority and an image matched by one rule is not seen by lower-priority rules
  (Amazon ECR User Guide, "Lifecycle policies": "Lifecycle policy evaluation rules"). Pruning what
  no published version references is an operator command (``python -m fraud_ops.image_prune``),
  which knows what Lambda runs; ECR does not.
- Repository policy: Lambda may pull, only for functions of this account whose names match
  ``function_name_pattern`` (``aws:sourceArn``). Without it Lambda adds its own statement when a
  function is created, and the next plan shows drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_policy import EcrRepositoryPolicy
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, service_principal
from fraud_constructs.overrides import apply_overrides


@dataclass(frozen=True)
class ImageRepositoryProps:
    """Props of :class:`ImageRepository`."""

    repository_name: str
    """Repository name, e.g. ``fraud-detection-dev``."""
    kms_key_arn: str
    """CMK for image layer encryption."""
    function_name_pattern: str
    """Lambda function names allowed to pull (``StringLike``), e.g. ``fraud-*-dev``."""
    keep_images: int = 500
    """Tagged images kept before the oldest expire; a backstop far above what the prune command
    leaves (ECR allows 20,000 images per repository). Default: 500."""
    untagged_expiry_days: int = 14
    """Days an untagged image (a failed push) is kept. Default: 14."""
    force_delete: bool = False
    """Let ``terraform destroy`` delete a repository that still has images. Default: False."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the repository. Default: none."""


def lifecycle_rules(keep_images: int, untagged_expiry_days: int) -> str:
    """ECR lifecycle policy JSON: untagged by age, tagged only by a generous count, nothing on ``any``."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Backstop: keep the newest {keep_images} tagged images (never by age)",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


class ImageRepository(Construct):
    """Exposes ``repository`` (and ``url``/``name``/``arn``), ``lifecycle`` and ``policy``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: ImageRepositoryProps) -> None:
        super().__init__(scope, construct_id)
        if props.keep_images < 1:
            raise ValueError("ImageRepositoryProps.keep_images must be at least 1")
        self.repository = EcrRepository(
            self,
            "repository",
            name=props.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[
                EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
            ],
            force_delete=props.force_delete,
        )
        apply_overrides(self.repository, props.overrides)
        self.lifecycle = EcrLifecyclePolicy(
            self,
            "lifecycle",
            repository=self.repository.name,
            policy=lifecycle_rules(props.keep_images, props.untagged_expiry_days),
        )
        document = DataAwsIamPolicyDocument(
            self,
            "policy-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="LambdaPullForOurFunctions",
                    principals=[service_principal("lambda", aws)],
                    actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    # Lambda developer guide, "Create a Lambda function using a container image" (Amazon
                    # ECR permissions): lambda.amazonaws.com gets ecr:BatchGetImage and
                    # ecr:GetDownloadUrlForLayer with StringLike aws:sourceArn on the function ARN.
                    condition=[
                        condition(
                            "StringLike",
                            "aws:sourceArn",
                            [aws.arn("lambda", f"function:{props.function_name_pattern}")],
                        )
                    ],
                )
            ],
        )
        self.policy = EcrRepositoryPolicy(self, "policy", repository=self.repository.name, policy=document.json)

    @property
    def url(self) -> str:
        return self.repository.repository_url

    @property
    def name(self) -> str:
        return self.repository.name

    @property
    def arn(self) -> str:
        return self.repository.arn
