"""Bootstrap stack: what exists once per account and region, before any environment is deployed.

- the API Gateway CloudWatch role and (opt-in, ``manage_api_gateway_account``) the account
  setting pointing at it: stage logging fails without it;
- the Terraform state bucket ``fraud-tfstate-<account>-<region>`` with its own key;
- the access-log bucket ``fraud-access-logs-<account>-<region>`` (SSE-S3, no Object Lock: what S3
  requires of a server access log target), always: the state bucket logs into it, and any
  environment can turn ``accessLogs`` on without re-bootstrapping (docs/audit-trail-protection.md);
- optionally (``github_repository``) the GitHub OIDC provider and a deploy role;
- optionally (``xray_encryption``) a CMK for this account's X-Ray traces (region-wide).

Its own state: ``make deploy-bootstrap`` on the local backend, then ``make migrate-bootstrap-state``
moves it into the bucket it created, under the state key (docs/deploy.md).
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from fraud_constructs.access_log_bucket import AccessLogBucket, access_log_prefix
from fraud_constructs.api_gateway_logging import ApiGatewayLogging, ApiGatewayLoggingProps
from fraud_constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from fraud_constructs.github_deploy_role import GithubDeployRole
from fraud_constructs.policy.suppressions import suppress
from fraud_constructs.state_bucket import StateBucket, StateBucketProps
from fraud_constructs.xray_encryption import XrayEncryption, XrayEncryptionProps
from fraud_detection.contract import NAME_PREFIX, PROJECT
from stacks.audit_protection import access_log_bucket_props, suppress_log_bucket_cmk_rule
from stacks.base import FraudStack
from stacks.config import AppConfig, api_gateway_cloudwatch_role_name
from stacks.deploy_permissions import DeployScope, deploy_role_props, plan_policies

STATE_BUCKET_PREFIX = f"{NAME_PREFIX}-tfstate"
"""The state bucket's name prefix (account id and region are appended) and the state key's alias."""
ACCESS_LOG_BUCKET_PREFIX = f"{NAME_PREFIX}-access-logs"
"""The access-log bucket's name prefix (account id and region are appended, as for every bucket)."""


def access_log_bucket_name(account: str, region: str) -> str:
    """``fraud-access-logs-<account>-<region>``: the app stack (another Terraform state) logs into the
    bootstrap's log bucket by this name."""
    return f"{ACCESS_LOG_BUCKET_PREFIX}-{account}-{region}"


class BootstrapStack(FraudStack):
    """Exposes ``state_key``, ``state_bucket``, ``access_log_bucket``, ``api_gateway_logging`` and
    ``deploy_role`` (or None)."""

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
        # Always created (empty until a bucket logs into it; cost: the log objects only), with a stable id.
        self.access_log_bucket = AccessLogBucket(
            self, "access-logs", aws=self.aws, props=access_log_bucket_props(self.aws, ACCESS_LOG_BUCKET_PREFIX)
        )
        suppress_log_bucket_cmk_rule(self.access_log_bucket)
        self.state_bucket.enable_access_logs(
            self.access_log_bucket.name,
            access_log_prefix(self.state_bucket.name),
            depends_on=[self.access_log_bucket.policy],
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
        # Region-wide and account-wide: every workload's traces (off by default, docs/configuration.md
        # "xrayEncryption").
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
        TerraformOutput(self, "access_log_bucket_name", value=self.access_log_bucket.name)
        TerraformOutput(self, "api_gateway_cloudwatch_role_arn", value=self.api_gateway_logging.role.arn)
        if self.deploy_role is not None:
            TerraformOutput(self, "github_deploy_role_arn", value=self.deploy_role.role.arn)

    def _deploy_role(self, config: AppConfig) -> GithubDeployRole:
        """The least-privilege GitHub deploy role (stacks/deploy_permissions.py holds its table, and packs
        it into managed policies that fit IAM's size quotas: synth fails if they cannot)."""
        aws = self.aws
        scope = DeployScope(
            config=config,
            partition=aws.partition,
            account=aws.account_id,
            region=aws.region,
            state_bucket_arn=self.state_bucket.arn,
            state_key_arn=self.state_key.arn,
        )
        plan = plan_policies(config)
        role = GithubDeployRole(self, "github-deploy", props=deploy_role_props(scope, plan.layout))
        suppress(
            role.permissions,
            "FD-IAM-2",
            "kms:CreateKey and kms:TagResource (only with the project aws:RequestTag), ECR login, "
            "lambda:CreateEventSourceMapping (only for this project's functions), the SNS subscription actions, "
            "CloudWatch Logs delivery and resource-policy actions (WAF logging), cloudtrail:DescribeTrails and "
            "the List/Describe calls of a refresh (EC2 Describe included) have no resource type in IAM, so they "
            "can only be granted on '*'.",
        )
        return role
