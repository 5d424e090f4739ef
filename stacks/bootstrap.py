"""Bootstrap stack: what exists once per account and region, before any environment is deployed.

- the API Gateway CloudWatch role and (opt-in, ``manage_api_gateway_account``) the account
  setting pointing at it: stage logging fails without it;
- the Terraform state bucket ``fraud-tfstate-<account>-<region>`` with its own key;
- optionally (``github_repository``) the GitHub OIDC provider and a deploy role.

Its own state: run it once with the local backend, then ``terraform init -migrate-state`` into
the bucket it created (README, "First deploy").
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from fraud_constructs.api_gateway_logging import ApiGatewayLogging, ApiGatewayLoggingProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.github_deploy_role import GithubDeployRole, GithubDeployRoleProps
from fraud_constructs.state_bucket import StateBucket, StateBucketProps
from stacks.base import FraudStack
from stacks.config import AppConfig, api_gateway_cloudwatch_role_name, deploy_role_name

STATE_BUCKET_PREFIX = "fraud-tfstate"


class BootstrapStack(FraudStack):
    """Exposes ``state_key``, ``state_bucket``, ``api_gateway_logging`` and ``deploy_role`` (or None)."""

    def __init__(self, scope: Construct, stack_name: str, config: AppConfig) -> None:
        super().__init__(scope, stack_name, config)
        region = self.aws.region
        self.state_key = EncryptionKey(
            self,
            "state-key",
            aws=self.aws,
            props=EncryptionKeyProps(
                alias="fraud-tfstate",
                description="Encrypts the fraud-detection Terraform state bucket",
                allow_cloudwatch_logs=False,
                via_services=("s3",),
            ),
        )
        self.state_bucket = StateBucket(
            self,
            "state-bucket",
            aws=self.aws,
            props=StateBucketProps(name_prefix=STATE_BUCKET_PREFIX, kms_key_arn=self.state_key.arn),
        )
        self.api_gateway_logging = ApiGatewayLogging(
            self,
            "api-gateway-logging",
            aws=self.aws,
            props=ApiGatewayLoggingProps(
                role_name=api_gateway_cloudwatch_role_name(region),
                manage_account_setting=config.manage_api_gateway_account,
            ),
        )
        self.deploy_role = (
            GithubDeployRole(
                self,
                "github-deploy",
                aws=self.aws,
                props=GithubDeployRoleProps(
                    repository=config.github_repository,
                    role_name=deploy_role_name(region),
                    state_bucket_arn=self.state_bucket.arn,
                    state_key_arn=self.state_key.arn,
                    project_tag=config.resource_tags["project"],
                ),
            )
            if config.github_repository
            else None
        )
        TerraformOutput(self, "state_bucket_name", value=self.state_bucket.name)
        TerraformOutput(self, "state_key_arn", value=self.state_key.arn)
        TerraformOutput(self, "api_gateway_cloudwatch_role_arn", value=self.api_gateway_logging.role.arn)
        if self.deploy_role is not None:
            TerraformOutput(self, "github_deploy_role_arn", value=self.deploy_role.role.arn)
