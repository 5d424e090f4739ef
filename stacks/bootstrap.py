"""Bootstrap stack: what exists once per account and region, before any environment is deployed.

- the API Gateway CloudWatch role and (opt-in, ``manage_api_gateway_account``) the account
  setting pointing at it: stage logging fails without it;
- the Terraform state bucket ``fraud-tfstate-<account>-<region>`` with its own key;
- optionally (``github_repository``) the GitHub OIDC provider and a deploy role;
- optionally (``xray_encryption``) a CMK for this account's X-Ray traces (region-wide).

Its own state: ``make deploy-bootstrap`` on the local backend, then ``make migrate-bootstrap-state``
moves it into the bucket it created, under the state key (docs/deploy.md).
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from fraud_constructs.api_gateway_logging import ApiGatewayLogging, ApiGatewayLoggingProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.github_deploy_role import GITHUB_OIDC_HOST, GithubDeployRole, GithubDeployRoleProps
from fraud_constructs.policy.suppressions import suppress
from fraud_constructs.state_bucket import StateBucket, StateBucketProps
from fraud_constructs.xray_encryption import XrayEncryption, XrayEncryptionProps
from fraud_detection.contract import NAME_PREFIX, PROJECT
from stacks.base import FraudStack
from stacks.config import AppConfig, api_gateway_cloudwatch_role_name, deploy_role_name, permissions_boundary_name
from stacks.deploy_permissions import DeployScope, boundary_statements, deploy_denies, deploy_statements

STATE_BUCKET_PREFIX = f"{NAME_PREFIX}-tfstate"
"""The state bucket's name prefix (account id and region are appended) and the state key's alias."""


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
                alias=STATE_BUCKET_PREFIX,
                description=f"Encrypts the {PROJECT} Terraform state bucket",
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
        self.deploy_role = self._deploy_role(config) if config.github_repository else None
        # Region-wide and account-wide: every workload's traces (off by default, README "xrayEncryption").
        self.xray_key = (
            EncryptionKey(
                self,
                "xray-key",
                aws=self.aws,
                props=EncryptionKeyProps(
                    alias=f"{NAME_PREFIX}-xray",
                    description="Encrypts this account's X-Ray traces in this region (all workloads)",
                ),
            )
            if config.xray_encryption
            else None
        )
        self.xray_encryption = (
            XrayEncryption(self, "xray-encryption", props=XrayEncryptionProps(kms_key_arn=self.xray_key.arn))
            if self.xray_key
            else None
        )
        TerraformOutput(self, "state_bucket_name", value=self.state_bucket.name)
        TerraformOutput(self, "state_key_arn", value=self.state_key.arn)
        TerraformOutput(self, "api_gateway_cloudwatch_role_arn", value=self.api_gateway_logging.role.arn)
        if self.deploy_role is not None:
            TerraformOutput(self, "github_deploy_role_arn", value=self.deploy_role.role.arn)

    def _deploy_role(self, config: AppConfig) -> GithubDeployRole:
        """The least-privilege GitHub deploy role (stacks/deploy_permissions.py holds its table)."""
        aws = self.aws
        scope = DeployScope(
            config=config,
            partition=aws.partition,
            account=aws.account_id,
            region=aws.region,
            state_bucket_arn=self.state_bucket.arn,
            state_key_arn=self.state_key.arn,
        )
        role = GithubDeployRole(
            self,
            "github-deploy",
            props=GithubDeployRoleProps(
                repository=str(config.github_repository),
                environments=config.deploy_environments,
                role_name=deploy_role_name(aws.region),
                role_arn=scope.role_arn(deploy_role_name(aws.region)),
                boundary_name=permissions_boundary_name(aws.region),
                boundary_arn=scope.policy_arn(permissions_boundary_name(aws.region)),
                boundary_statements=boundary_statements(scope),
                permissions=deploy_statements(scope),
                managed_role_arns=scope.function_role_arns(),
                protected_role_arns=(scope.role_arn(api_gateway_cloudwatch_role_name(aws.region)),),
                project_tag=("project", config.resource_tags["project"]),
                oidc_provider_arn=config.github_oidc_provider_arn,
                oidc_provider_arn_pattern=aws.arn("iam", f"oidc-provider/{GITHUB_OIDC_HOST}", region=False),
                extra_denies=deploy_denies(scope),
            ),
        )
        suppress(
            role.role_policy,
            "FD-IAM-2",
            "kms:CreateKey and kms:TagResource (only with the project aws:RequestTag), ECR login and the "
            "List/Describe calls of a refresh have no resource type in IAM, so they can only be granted on '*'.",
        )
        return role
