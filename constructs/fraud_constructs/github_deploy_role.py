"""GitHub Actions OIDC provider and the role the deploy workflow assumes (no stored AWS keys).

Trust: only workflow runs of ``<owner/repo>`` on ``refs/heads/main`` (the ``sub`` claim), for the
``sts.amazonaws.com`` audience. Permissions:

- the Terraform state bucket (list, read/write/delete objects) and its key;
- pushing images to the ``fraud-detection-*`` repositories (``ecr:GetAuthorizationToken`` has no
  resource type, hence ``*``);
- ``cdktf deploy`` itself: creating the stacks' resources needs broad rights. They are scoped by
  **resource name prefix** (``fraud-*``, ``/fraud-detection/*``, ``alias/fraud-*``, the Lambda
  log groups) or, where names cannot be scoped (KMS keys), by the ``project`` tag that every
  resource carries. API Gateway ARNs contain generated ids, not names, so API Gateway is scoped
  to this region only. Service-wide actions (``dynamodb:*``...) are used on those prefixes on
  purpose and suppressed in the policy pack with this reason; review the role before using it
  in an account shared with other workloads.

The OIDC provider is account-global (one per URL): with several regions, create it in one only.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.policy.suppressions import suppress
from fraud_constructs.policy_documents import condition

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# GitHub's published intermediate thumbprints; AWS no longer checks them for this provider,
# but older provider versions require the field.
GITHUB_THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


@dataclass(frozen=True)
class GithubDeployRoleProps:
    """Props of :class:`GithubDeployRole`."""

    repository: str
    """``owner/repository`` allowed to assume the role."""
    role_name: str
    """e.g. ``fraud-github-deploy-us-east-1``."""
    state_bucket_arn: str
    """Terraform state bucket."""
    state_key_arn: str
    """Key of the state bucket."""
    branch: str = "main"
    """Only runs on this branch may deploy. Default: main."""
    project_tag: str = "fraud-detection"
    """Value of the ``project`` tag on every resource (scopes KMS). Default: fraud-detection."""


def _statement(
    sid: str, actions: list[str], resources: list[str], conditions=None
) -> DataAwsIamPolicyDocumentStatement:
    return DataAwsIamPolicyDocumentStatement(sid=sid, actions=actions, resources=resources, condition=conditions)


class GithubDeployRole(Construct):
    """Exposes ``provider``, ``role`` and ``role_policy``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: GithubDeployRoleProps) -> None:
        super().__init__(scope, construct_id)
        self.provider = IamOpenidConnectProvider(
            self,
            "oidc-provider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
            thumbprint_list=list(GITHUB_THUMBPRINTS),
        )
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRoleWithWebIdentity"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Federated", identifiers=[self.provider.arn])
                    ],
                    condition=[
                        condition("StringEquals", f"{GITHUB_OIDC_HOST}:aud", ["sts.amazonaws.com"]),
                        condition(
                            "StringEquals",
                            f"{GITHUB_OIDC_HOST}:sub",
                            [f"repo:{props.repository}:ref:refs/heads/{props.branch}"],
                        ),
                    ],
                )
            ],
        )
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=f"GitHub Actions deploy of {props.repository} ({props.branch})",
            assume_role_policy=trust.json,
            max_session_duration=3600,
        )
        a = aws.arn
        statements = [
            _statement("StateBucketList", ["s3:ListBucket"], [props.state_bucket_arn]),
            _statement(
                "StateObjects",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                [f"{props.state_bucket_arn}/*"],
            ),
            _statement("StateKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [props.state_key_arn]),
            _statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
            _statement("EcrPush", list(ECR_PUSH_ACTIONS), [a("ecr", "repository/fraud-detection-*")]),
            _statement(
                "DeployByNamePrefix",
                [
                    "dynamodb:*",
                    "sqs:*",
                    "sns:*",
                    "lambda:*",
                    "events:*",
                    "cloudwatch:*",
                    "logs:*",
                    "ecr:*",
                    "ssm:*",
                    "s3:*",
                ],
                [
                    a("dynamodb", "table/fraud-*"),
                    a("sqs", "fraud-*"),
                    a("sns", "fraud-*"),
                    a("lambda", "function:fraud-*"),
                    a("lambda", "event-source-mapping:*"),
                    a("events", "rule/fraud-*"),
                    a("cloudwatch", "alarm:fraud-*"),
                    a("cloudwatch", "dashboard/fraud-*", region=False),
                    a("logs", "log-group:/aws/lambda/fraud-*"),
                    a("logs", "log-group:/aws/apigateway/fraud-*"),
                    a("logs", "log-group:API-Gateway-Execution-Logs_*"),
                    a("ecr", "repository/fraud-*"),
                    a("ssm", "parameter/fraud-detection/*"),
                    f"arn:{aws.partition}:s3:::fraud-*",
                ],
            ),
            _statement(
                "IamRolesByNamePrefix",
                ["iam:*"],
                [
                    f"arn:{aws.partition}:iam::{aws.account_id}:role/fraud-*",
                    f"arn:{aws.partition}:iam::{aws.account_id}:oidc-provider/{GITHUB_OIDC_HOST}",
                ],
            ),
            _statement(
                "ApiGatewayThisRegion",
                ["apigateway:*"],
                [f"arn:{aws.partition}:apigateway:{aws.region}::/*"],
            ),
            _statement("KmsAliases", ["kms:*"], [a("kms", "alias/fraud-*")]),
            _statement(
                "KmsKeysOfThisProject",
                ["kms:*"],
                [a("kms", "key/*")],
                [condition("StringEquals", "aws:ResourceTag/project", [props.project_tag])],
            ),
            _statement(
                "KmsCreateTaggedKeys",
                ["kms:CreateKey", "kms:TagResource"],
                ["*"],
                [condition("StringEquals", "aws:RequestTag/project", [props.project_tag])],
            ),
            _statement(
                "ReadForPlan",
                [
                    "kms:ListAliases",
                    "logs:DescribeLogGroups",
                    "cloudwatch:DescribeAlarms",
                    "events:ListRules",
                    "lambda:ListEventSourceMappings",
                    "ecr:DescribeRepositories",
                    "ssm:DescribeParameters",
                ],
                ["*"],
            ),
        ]
        document = DataAwsIamPolicyDocument(self, "policy", statement=statements)
        self.role_policy = IamRolePolicy(self, "role-policy", name="deploy", role=self.role.id, policy=document.json)
        reason = (
            "The deploy role creates every resource of the stacks, so it needs service-wide actions; "
            "they are limited to the fraud-* name prefixes, the project tag (KMS keys) or this region "
            "(API Gateway)."
        )
        suppress(self.role_policy, "FD-IAM-1", reason)
        suppress(
            self.role_policy,
            "FD-IAM-2",
            "KMS CreateKey (request-tag conditioned), ECR login and the List/Describe calls a plan makes "
            "have no resource type in IAM, so they can only be granted on '*'.",
        )
