"""Registry stack: the ECR repository and its key. Deployed before the image is pushed."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.image_repository import ImageRepository, ImageRepositoryProps
from fraud_detection import contract
from stacks.base import FraudStack
from stacks.config import AppConfig, deploy_role_name


def deploy_role_arn(aws: AwsContext, config: AppConfig) -> str | None:
    """The GitHub deploy role (bootstrap stack) that manages this environment's keys, or None without
    ``githubRepository``: a key policy naming a role that does not exist is rejected by KMS."""
    if not config.github_repository:
        return None
    return f"arn:{aws.partition}:iam::{aws.account_id}:role/{deploy_role_name(aws.region)}"


class RegistryStack(FraudStack):
    """Exposes ``key`` and ``repository``."""

    def __init__(self, scope: Construct, stack_name: str, config: AppConfig) -> None:
        super().__init__(scope, stack_name, config)
        self.key = EncryptionKey(
            self,
            "registry-key",
            aws=self.aws,
            props=EncryptionKeyProps(
                alias=config.name("registry"),
                description=f"Encrypts the {contract.PROJECT} image repository ({config.environment})",
                allow_cloudwatch_logs=False,
                via_services=("ecr",),
                deploy_role_arn=deploy_role_arn(self.aws, config),
            ),
        )
        self.repository = ImageRepository(
            self,
            "repository",
            aws=self.aws,
            props=ImageRepositoryProps(
                repository_name=contract.repository_name(config.environment),
                kms_key_arn=self.key.arn,
                function_name_pattern=config.name("*"),
                force_delete=config.protection.force_destroy,
            ),
        )
        TerraformOutput(self, "repository_url", value=self.repository.url)
        TerraformOutput(self, "repository_name", value=self.repository.name)
        TerraformOutput(self, "repository_arn", value=self.repository.arn)
        TerraformOutput(self, "registry_key_arn", value=self.key.arn)
