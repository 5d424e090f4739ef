"""What every stack of this app has: the AWS provider with default tags, and a state backend."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from stacks.config import AppConfig


class FraudStack(TerraformStack):
    """A stack with the provider, default tags, backend and ``aws`` context lookups."""

    def __init__(self, scope: Construct, stack_name: str, config: AppConfig) -> None:
        super().__init__(scope, stack_name)
        self.config = config
        self.provider = AwsProvider(
            self,
            "aws",
            region=config.region,
            default_tags=[AwsProviderDefaultTags(tags=config.resource_tags)],
        )
        configure_backend(self, stack_name, config)
        self.aws = AwsContext(self, "aws-context")


def state_key(config: AppConfig, stack_name: str) -> str:
    """One state object per environment and stack."""
    return f"{config.backend.key_prefix}/{config.environment}/{stack_name}.tfstate"


def configure_backend(stack: TerraformStack, stack_name: str, config: AppConfig) -> None:
    """Local state under ``state/<env>/`` (relative: snapshots do not depend on the checkout
    path), or S3 with native locking. cdktf 0.21's ``S3Backend`` has no ``use_lockfile``, so it
    is set by override; a DynamoDB lock table is not needed with Terraform >= 1.10.

    ``kms_key_id`` is the state key: with ``encrypt = true`` alone the backend sends
    ``x-amz-server-side-encryption: AES256`` on every state, lock and digest write, overriding the
    bucket's default KMS encryption (Terraform docs, "Backend Type: s3", ``encrypt`` and
    ``kms_key_id``). The state bucket's policy denies any other key (``StateBucket``)."""
    if config.backend.kind == "s3":
        S3Backend(
            stack,
            bucket=str(config.backend.bucket),
            key=state_key(config, stack_name),
            region=config.backend.region,
            encrypt=True,
            kms_key_id=config.backend.kms_key_arn,
        )
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        # Terraform runs in cdktf.out/stacks/<name>/, three levels below the project root.
        LocalBackend(stack, path=f"../../../state/{config.environment}/{stack_name}.tfstate")
