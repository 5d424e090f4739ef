"""The account-level CloudWatch role of API Gateway (one setting per account and region).

API Gateway writes access and execution logs with this role, for *every* REST API of the
account in the region, so it lives in the bootstrap stack and ``aws_api_gateway_account`` is
opt-in: two stacks owning it would overwrite each other. ``reset_on_delete`` clears the setting
when the resource is destroyed; without it the account would keep pointing at a deleted role
and every stage with logging enabled would fail to update. (Provider 5.x marks the argument
deprecated because 6.0 makes resetting the default; until then it must be set.)

The role's inline policy is the least-privilege equivalent of the AWS managed
``AmazonAPIGatewayPushToCloudWatchLogs``, scoped to log groups of this account and region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import service_trust_document
from fraud_constructs.overrides import apply_overrides

LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)


@dataclass(frozen=True)
class ApiGatewayLoggingProps:
    """Props of :class:`ApiGatewayLogging`."""

    role_name: str
    """IAM role name (IAM is global: include the region), e.g. ``fraud-apigw-cloudwatch-us-east-1``."""
    manage_account_setting: bool = True
    """Create ``aws_api_gateway_account`` pointing at the role. Default: True; turn it off when
    another stack or team already owns the account setting (then only the role is created)."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the role. Default: none."""


class ApiGatewayLogging(Construct):
    """Exposes ``role``, ``role_policy`` and ``account`` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: ApiGatewayLoggingProps) -> None:
        super().__init__(scope, construct_id)
        # No condition: "Set up CloudWatch logging for REST APIs in API Gateway" (API Gateway developer
        # guide) documents a role with apigateway.amazonaws.com as its trusted entity and no condition
        # key; API Gateway assumes it for every REST API of the account, so there is no API to scope to.
        trust = service_trust_document(self, "trust", "apigateway", aws)
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description="API Gateway writes access and execution logs of this account/region",
            assume_role_policy=trust.json,
        )
        apply_overrides(self.role, props.overrides)
        document = DataAwsIamPolicyDocument(
            self,
            "policy",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PushToCloudWatchLogs",
                    actions=list(LOG_ACTIONS),
                    resources=[aws.arn("logs", "log-group:*"), aws.arn("logs", "log-group:*:log-stream:*")],
                ),
                # DescribeLogGroups has no resource type in IAM (Service Authorization Reference, Amazon
                # CloudWatch Logs): named log groups would grant nothing, as AmazonAPIGatewayPushToCloudWatchLogs
                # shows by granting it on "*".
                DataAwsIamPolicyDocumentStatement(
                    sid="ListLogGroups", actions=["logs:DescribeLogGroups"], resources=["*"]
                ),
            ],
        )
        self.role_policy = IamRolePolicy(
            self, "role-policy", name="push-to-cloudwatch-logs", role=self.role.id, policy=document.json
        )
        self.account = (
            ApiGatewayAccount(
                self,
                "account",
                cloudwatch_role_arn=self.role.arn,
                reset_on_delete=True,
                depends_on=[self.role_policy],
            )
            if props.manage_account_setting
            else None
        )
