"""What the GitHub deploy role may do, and the boundary of the roles it creates: one table.

Each row is a :class:`DeployStatement` (actions, resources, conditions, why). The bootstrap stack
renders them with Terraform tokens; ``python -m stacks.deploy_permissions`` renders docs/security.md's
permissions table with placeholders (``<account>``, ``<region>``), and a test keeps the two equal.
The rows of the options live with them (``stacks.network``, ``stacks.edge``,
``stacks.audit_protection``) and are granted whatever the options are set to.

Size: IAM caps a managed policy at 6,144 characters and a role at 10 attached managed policies (a
role's inline policies at 10,240 in total, which these rows exceed). :func:`plan_policies` renders the
rows a third time, with the longest value each token can take (:func:`worst_case_scope`), packs them by
sid into policies of at most ``POLICY_BUDGET_CHARS``, and the bootstrap stack gives the construct that
grouping; synth fails, naming ``deployEnvironments``, when the quotas cannot hold them.

Scope: the deploy role deploys the ``registry`` and ``app`` stacks of the environments in
``deployEnvironments`` (bootstrap stays an administrator's step). Every resource is named by this
project's naming functions for those environments; API Gateway ARNs carry generated ids, so API
Gateway is scoped to this region's REST API paths. S3 statements carry ``s3:ResourceAccount`` so
a bucket of the same name in another account is never reachable.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from fraud_constructs.container_function import role_name
from fraud_constructs.github_deploy_role import (
    ECR_PUSH_ACTIONS,
    GITHUB_OIDC_HOST,
    LOG_GROUP_ACTIONS,
    MANAGED_POLICY_MAX_CHARS,
    MAX_ATTACHED_POLICIES,
    DeployStatement,
    GithubDeployRoleProps,
    guard_statements,
    pack_statements,
    policy_json,
)
from fraud_constructs.policy.statement_reader import Condition
from fraud_detection import contract
from fraud_detection.contract import (
    BATCH,
    FUNCTIONS,
    label_signing_keys_parameter_name,
    parameter_prefix,
    secret_parameter_names,
    settings_parameter_name,
)
from stacks import audit_protection, edge, network
from stacks.config import AppConfig, api_gateway_cloudwatch_role_name, deploy_role_name, permissions_boundary_name


@dataclass(frozen=True)
class DeployScope:
    """Where the deploy role acts: tokens at synth, placeholders in docs/security.md, the longest literal
    values when the policies are measured (:func:`worst_case_scope`)."""

    config: AppConfig
    partition: str
    account: str
    region: str
    state_bucket_arn: str
    state_key_arn: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            ["arn", self.partition, service, self.region if region else "", self.account if account else "", resource]
        )

    @property
    def environments(self) -> tuple[AppConfig, ...]:
        return tuple(replace(self.config, environment=env) for env in self.config.deploy_environments)

    def role_arn(self, name: str) -> str:
        return self.arn("iam", f"role/{name}", region=False)

    def policy_arn(self, name: str) -> str:
        return self.arn("iam", f"policy/{name}", region=False)

    def function_role_arns(self) -> tuple[str, ...]:
        return tuple(
            self.role_arn(role_name(spec.function_name(env.environment), self.region))
            for env in self.environments
            for spec in FUNCTIONS
        )

    def audit_bucket_arn(self, env: AppConfig) -> str:
        return f"arn:{self.partition}:s3:::{env.name('audit')}-{self.account}-{self.region}"

    def aliased(self, kind: str) -> Condition:
        """Only keys whose alias is ``alias/fraud-<kind>-<env>`` of a deploy environment."""
        aliases = tuple(f"alias/{env.name(kind)}" for env in self.environments)
        return Condition("ForAnyValue:StringEquals", "kms:ResourceAliases", aliases)

    @property
    def same_account_s3(self) -> Condition:
        return Condition("StringEquals", "s3:ResourceAccount", (self.account,))


METRIC_FILTER_ACTIONS = ("logs:DeleteMetricFilter", "logs:DescribeMetricFilters", "logs:PutMetricFilter")
S3_BUCKET_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)


def deploy_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """The service permissions of ``make deploy-registry`` and ``make deploy-app`` (guard rails: the
    construct): the base rows below, then the rows of the options (VPC mode, WAF, access logs and
    replication). The options' rows are granted whatever the options are set to: an environment may turn
    one on without re-bootstrapping."""
    return (
        *_base_statements(scope),
        *network.deploy_statements(scope),
        *edge.deploy_statements(scope),
        *audit_protection.deploy_statements(scope),
    )


def _base_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    a = scope.arn
    envs = scope.environments
    s3 = (scope.same_account_s3,)
    state_objects = f"{scope.state_bucket_arn}/{scope.config.backend.key_prefix}/*"
    tables = tuple(r for env in envs for r in (a("dynamodb", f"table/{env.name(contract.TABLE_BASE)}"),))
    functions = tuple(
        a("lambda", f"function:{spec.function_name(env.environment)}{suffix}")
        for env in envs
        for spec in FUNCTIONS
        for suffix in ("", ":*")
    )
    statements = [
        DeployStatement(
            "StateList",
            ("s3:ListBucket",),
            (scope.state_bucket_arn,),
            "the S3 backend lists the state keys of this project",
            s3,
        ),
        DeployStatement(
            "StateObjects",
            ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
            (state_objects,),
            "read and write state; the lock file is written and deleted (use_lockfile)",
            s3,
        ),
        DeployStatement(
            "StateKey",
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
            (scope.state_key_arn,),
            "state objects are encrypted under the state key (S3 backend kms_key_id)",
        ),
        DeployStatement(
            "EcrLogin",
            ("ecr:GetAuthorizationToken",),
            ("*",),
            "registry login has no resource type in IAM",
        ),
        DeployStatement(
            "Repositories",
            (
                *ECR_PUSH_ACTIONS,
                "ecr:CreateRepository",
                "ecr:DeleteLifecyclePolicy",
                "ecr:DeleteRepository",
                "ecr:DeleteRepositoryPolicy",
                "ecr:DescribeRepositories",
                "ecr:GetLifecyclePolicy",
                "ecr:GetRepositoryPolicy",
                "ecr:ListTagsForResource",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:PutLifecyclePolicy",
                "ecr:SetRepositoryPolicy",
                "ecr:TagResource",
                "ecr:UntagResource",
            ),
            tuple(a("ecr", f"repository/{contract.repository_name(env.environment)}") for env in envs),
            "the registry stack owns the repository; make image pushes to it; the app resolves the digest",
        ),
        DeployStatement(
            "KeyAliases",
            ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            tuple(a("kms", f"alias/{env.name(kind)}") for env in envs for kind in ("app", "registry")),
            "the alias half of an alias change; the key half is in each key's policy",
        ),
        DeployStatement(
            "RetireRegistryGrants",
            ("kms:RetireGrant",),
            (a("kms", "key/*"),),
            "ECR retires its grant on the registry key when the repository is deleted, with the caller's IAM "
            "permission (Amazon ECR User Guide, 'Encryption at rest'); only keys aliased as a registry key",
            (scope.aliased("registry"),),
        ),
        DeployStatement(
            "ReadOnlyListings",
            ("kms:ListAliases", "lambda:ListEventSourceMappings", "logs:DescribeLogGroups", "ssm:DescribeParameters"),
            ("*",),
            "list calls Terraform makes during refresh have no resource type in IAM",
        ),
        DeployStatement(
            "PatternTable",
            (
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:GetResourcePolicy",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateTimeToLive",
            ),
            tables + tuple(f"{t}/*" for t in tables),
            "the app stack owns the pattern table, its indexes and stream (no item access)",
        ),
        DeployStatement(
            "Functions",
            (
                "lambda:AddPermission",
                "lambda:CreateAlias",
                "lambda:CreateFunction",
                "lambda:DeleteAlias",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:GetAlias",
                "lambda:GetFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:GetPolicy",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateAlias",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:UpdateFunctionEventInvokeConfig",
            ),
            functions,
            "the functions, their versions, live aliases, permissions and async configs",
        ),
        DeployStatement(
            "CreateStreamMappings",
            ("lambda:CreateEventSourceMapping",),
            ("*",),
            "CreateEventSourceMapping has no resource type in IAM; lambda:FunctionArn limits it to this "
            "project's functions",
            (Condition("ArnLike", "lambda:FunctionArn", functions),),
        ),
        DeployStatement(
            "StreamMappingChanges",
            ("lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"),
            (a("lambda", "event-source-mapping:*"),),
            "mapping ids are generated; lambda:FunctionArn limits them to this project's functions",
            (Condition("ArnLike", "lambda:FunctionArn", functions),),
        ),
        DeployStatement(
            "StreamMappingReads",
            ("lambda:GetEventSourceMapping",),
            (a("lambda", "event-source-mapping:*"),),
            "Terraform refreshes the mapping by its generated id",
        ),
        DeployStatement(
            "DeadLetterQueue",
            (
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ),
            tuple(a("sqs", env.name("dlq")) for env in envs),
            "the app stack owns the DLQ and its queue policy (no message access)",
        ),
        DeployStatement(
            "AlertTopic",
            (
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetDataProtectionPolicy",
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:UntagResource",
            ),
            tuple(a("sns", env.name("alerts")) for env in envs),
            "the alert topic, its policy and the e-mail subscription (no publish)",
        ),
        DeployStatement(
            "AlertSubscriptions",
            ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
            ("*",),
            "subscription actions have no resource type in IAM (Service Authorization Reference, Amazon SNS); "
            "Terraform reads and updates the e-mail subscription's filter policy and removes it on destroy",
        ),
        DeployStatement(
            "Schedules",
            (
                "events:DeleteRule",
                "events:DescribeRule",
                "events:ListTagsForResource",
                "events:ListTargetsByRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:TagResource",
                "events:UntagResource",
            ),
            tuple(a("events", f"rule/{env.name(f'{BATCH.role}-*')}") for env in envs),
            "the batch schedules and their targets",
        ),
        DeployStatement(
            "AlarmsAndDashboard",
            (
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DeleteDashboards",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetDashboard",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutDashboard",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ),
            tuple(
                r
                for env in envs
                for r in (
                    a("cloudwatch", f"alarm:{env.name('*')}"),
                    a("cloudwatch", f"alarm:{env.name('*')}-*"),
                    a("cloudwatch", f"dashboard/{contract.dashboard_name(env.environment)}", region=False),
                )
            ),
            "the alarms and the dashboard of each environment",
        ),
        DeployStatement(
            "LogGroups",
            tuple(sorted((*LOG_GROUP_ACTIONS, *METRIC_FILTER_ACTIONS))),
            tuple(
                r
                for env in envs
                for group in (
                    f"/aws/lambda/{env.name('*')}",
                    f"/aws/apigateway/{env.name('webhook-api')}/*",
                    "API-Gateway-Execution-Logs_*/*",
                )
                for r in (a("logs", f"log-group:{group}"), a("logs", f"log-group:{group}:*"))
            ),
            "the functions' and the API's encrypted log groups (execution logs are named by the API id)",
        ),
        DeployStatement(
            "SettingsParameter",
            (
                "ssm:AddTagsToResource",
                "ssm:DeleteParameter",
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:ListTagsForResource",
                "ssm:PutParameter",
                "ssm:RemoveTagsFromResource",
            ),
            tuple(a("ssm", f"parameter{settings_parameter_name(env.environment)}") for env in envs),
            "the settings parameter only: the secret parameters are not Terraform's",
        ),
        DeployStatement(
            "ApiGateway",
            ("apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"),
            tuple(
                a("apigateway", path, account=False)
                for path in (
                    "/restapis",
                    "/restapis/*",
                    "/apikeys",
                    "/apikeys/*",
                    "/usageplans",
                    "/usageplans/*",
                    "/tags/*",
                )
            ),
            "REST API ids are generated, so this region's REST APIs, keys and usage plans (not /account)",
        ),
        DeployStatement(
            "CreateAuditBuckets",
            ("s3:CreateBucket",),
            tuple(scope.audit_bucket_arn(env) for env in envs),
            "a bucket that does not exist has no owner yet, so no s3:ResourceAccount; CreateBucket only "
            "ever creates in the caller's account, and the name carries this account id",
        ),
        DeployStatement(
            "AuditBuckets",
            S3_BUCKET_ACTIONS,
            tuple(scope.audit_bucket_arn(env) for env in envs),
            "the app stack owns the audit bucket's configuration",
            s3,
        ),
    ]
    disposable = tuple(f"{scope.audit_bucket_arn(env)}/*" for env in envs if env.protection.force_destroy)
    if disposable:
        statements.append(
            DeployStatement(
                "AuditObjectsOnDestroy",
                ("s3:DeleteObject", "s3:DeleteObjectVersion"),
                disposable,
                "force_destroy empties a non-protected environment's bucket (never staging or prod)",
                s3,
            )
        )
    return tuple(statements)


def deploy_denies(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """Denies beside the construct's own: state history, the state key, secrets, governance retention
    (of the audit buckets and of their replicas)."""
    return (*_base_denies(scope), *audit_protection.deploy_denies(scope))


def _base_denies(scope: DeployScope) -> tuple[DeployStatement, ...]:
    audit_buckets = tuple(
        r for env in scope.environments for r in (scope.audit_bucket_arn(env), f"{scope.audit_bucket_arn(env)}/*")
    )
    return (
        DeployStatement(
            "DenyStateHistoryLoss",
            (
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObjectVersion",
                "s3:PutBucketPolicy",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            (scope.state_bucket_arn, f"{scope.state_bucket_arn}/*"),
            "a deploy may write state, never erase its history or loosen the bucket",
            effect="Deny",
        ),
        DeployStatement(
            "DenyStateKeyLoss",
            (
                "kms:DisableKey",
                "kms:DisableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:ScheduleKeyDeletion",
            ),
            (scope.state_key_arn,),
            "the state key outlives every environment; only an administrator changes it",
            effect="Deny",
        ),
        DeployStatement(
            "DenyReadingSecrets",
            ("ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters", "ssm:PutParameter"),
            tuple(
                scope.arn("ssm", f"parameter{name}")
                for env in scope.environments
                for name in (
                    *secret_parameter_names(env.environment),
                    label_signing_keys_parameter_name(env.environment),
                )
            ),
            "the signing, fingerprint and label signing keys never reach CI: only the rotation command, run by "
            "an operator, reads or writes them",
            effect="Deny",
        ),
        DeployStatement(
            "DenyGovernanceBypass",
            ("s3:BypassGovernanceRetention",),
            audit_buckets,
            "Object Lock governance retention of the audit trail holds against the deploy role",
            effect="Deny",
        ),
    )


def boundary_statements(scope: DeployScope) -> tuple[DeployStatement, ...]:
    """The most a role the deploy role creates may ever do: the union of the function roles'
    grants per environment, then what VPC mode adds (network interfaces, flow-log delivery) and what the
    replication role needs."""
    return (*_base_boundary(scope), *network.boundary_statements(scope), *audit_protection.boundary_statements(scope))


def _base_boundary(scope: DeployScope) -> tuple[DeployStatement, ...]:
    a = scope.arn
    envs = scope.environments
    return (
        DeployStatement(
            "OwnLogs",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            tuple(a("logs", f"log-group:/aws/lambda/{env.name('*')}:*") for env in envs),
            "functions write their own log streams",
        ),
        DeployStatement(
            "Traces",
            ("xray:PutTelemetryRecords", "xray:PutTraceSegments"),
            ("*",),
            "X-Ray trace writes have no resource type in IAM",
        ),
        DeployStatement(
            "ListStreams",
            ("dynamodb:ListStreams",),
            ("*",),
            "ListStreams has no resource type in IAM",
        ),
        DeployStatement(
            "PatternTable",
            (
                "dynamodb:BatchWriteItem",
                "dynamodb:DescribeStream",
                "dynamodb:GetItem",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:PutItem",
                "dynamodb:Query",
            ),
            tuple(
                r
                for env in envs
                for r in (
                    a("dynamodb", f"table/{env.name(contract.TABLE_BASE)}"),
                    a("dynamodb", f"table/{env.name(contract.TABLE_BASE)}/*"),
                )
            ),
            "the webhook writes and counts, the stream consumer reads the stream and writes the ledger, the batch "
            "queries windows, the labels function reads the ledger",
        ),
        DeployStatement(
            "AuditTrail",
            ("s3:GetObject", "s3:ListBucket", "s3:PutObject"),
            tuple(r for env in envs for r in (scope.audit_bucket_arn(env), f"{scope.audit_bucket_arn(env)}/*")),
            "audit lines, analyses, reports and labels",
            (scope.same_account_s3,),
        ),
        DeployStatement(
            "AlertsAndDeadLetters",
            ("sns:Publish", "sqs:SendMessage"),
            tuple(r for env in envs for r in (a("sns", env.name("alerts")), a("sqs", env.name("dlq")))),
            "alerts and failed events",
        ),
        DeployStatement(
            "Parameters",
            ("ssm:GetParameter", "ssm:GetParameters"),
            tuple(a("ssm", f"parameter{parameter_prefix(env.environment)}/*") for env in envs),
            "settings, signing keys (webhook and labels) and the fingerprint key",
        ),
        DeployStatement(
            "AppKey",
            ("kms:Decrypt", "kms:GenerateDataKey"),
            (a("kms", "key/*"),),
            "only keys whose alias is an app key of a deploy environment (kms:ResourceAliases)",
            (scope.aliased("app"),),
        ),
    )


def deploy_role_props(scope: DeployScope, policy_layout: tuple[tuple[str, ...], ...] = ()) -> GithubDeployRoleProps:
    """The deploy role of ``scope``: the bootstrap stack's (tokens), the size plan's (worst-case literal
    values) and docs/security.md's (placeholders) are the same rows."""
    config, region = scope.config, scope.region
    return GithubDeployRoleProps(
        repository=str(config.github_repository),
        environments=config.deploy_environments,
        role_name=deploy_role_name(region),
        role_arn=scope.role_arn(deploy_role_name(region)),
        boundary_name=permissions_boundary_name(region),
        boundary_arn=scope.policy_arn(permissions_boundary_name(region)),
        boundary_statements=boundary_statements(scope),
        permissions=deploy_statements(scope),
        # every role it creates carries the boundary; each is passed only to its own service
        managed_role_arns=(
            *scope.function_role_arns(),
            *network.flow_log_role_arns(scope),
            *audit_protection.replication_role_arns(scope),
        ),
        passed_role_arns=scope.function_role_arns(),
        protected_role_arns=(scope.role_arn(api_gateway_cloudwatch_role_name(region)),),
        project_tag=("project", config.resource_tags["project"]),
        oidc_provider_arn=config.github_oidc_provider_arn,
        oidc_provider_arn_pattern=scope.arn("iam", f"oidc-provider/{GITHUB_OIDC_HOST}", region=False),
        extra_denies=deploy_denies(scope),
        policy_layout=policy_layout,
    )


def role_statements(props: GithubDeployRoleProps) -> tuple[DeployStatement, ...]:
    """Every statement of the deploy role: its service permissions, then the construct's guard rails."""
    return (*props.permissions, *guard_statements(props, props.oidc_provider_arn or props.oidc_provider_arn_pattern))


# ---- Size: the deploy role's managed policies and the boundary (IAM quotas) ----

WORST_CASE_PARTITION = "aws-us-gov"
"""The longest partition id (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc)."""
WORST_CASE_REGION = "us-isof-southeast-10"
"""20 characters: longer than any region AWS publishes (the longest today, ``us-isof-south-1``, has 15;
botocore's partitions.json), so a new region does not break the plan."""
WORST_CASE_ACCOUNT = "123456789012"
"""Account ids always have 12 digits."""
WORST_CASE_STATE_BUCKET = "b" * 63
"""The longest S3 bucket name (63 characters); the bootstrap's is ``fraud-tfstate-<account>-<region>``."""
POLICY_MARGIN_CHARS = 300
"""Kept free in every policy for what the worst case does not foresee (5 % of the quota)."""
POLICY_BUDGET_CHARS = MANAGED_POLICY_MAX_CHARS - POLICY_MARGIN_CHARS


def worst_case_scope(config: AppConfig) -> DeployScope:
    """``config``'s deploy scope with the longest literal value each token can take."""
    p, r, a = WORST_CASE_PARTITION, WORST_CASE_REGION, WORST_CASE_ACCOUNT
    return DeployScope(
        config=config,
        partition=p,
        account=a,
        region=r,
        state_bucket_arn=f"arn:{p}:s3:::{WORST_CASE_STATE_BUCKET}",
        state_key_arn=f"arn:{p}:kms:{r}:{a}:key/mrk-{'f' * 32}",  # a multi-Region key id: 36 characters
    )


@dataclass(frozen=True)
class PolicyPlan:
    """How the deploy role's statements are split into managed policies, measured on the worst case."""

    layout: tuple[tuple[str, ...], ...]
    """The sids of each policy (``GithubDeployRoleProps.policy_layout``)."""
    policy_chars: tuple[int, ...]
    """Worst-case size of each policy (compact JSON), each <= ``POLICY_BUDGET_CHARS``."""
    boundary_chars: int
    """Worst-case size of the permissions boundary."""


def plan_policies(config: AppConfig) -> PolicyPlan:
    """The deploy role's policy layout for ``config``: its statements rendered with worst-case literal
    values, packed into policies of at most ``POLICY_BUDGET_CHARS``. Raises ValueError (synth fails)
    when IAM's quotas cannot hold them: more policies than a role may attach, or a boundary too large."""
    props = deploy_role_props(worst_case_scope(config))
    statements = role_statements(props)
    envs = ", ".join(config.deploy_environments)
    too_many = (
        f"deployEnvironments ({envs}): the GitHub deploy role's permissions do not fit IAM's quotas "
        f"({MANAGED_POLICY_MAX_CHARS} characters per managed policy, {MAX_ATTACHED_POLICIES} policies per role)"
    )
    try:
        layout = pack_statements(statements, POLICY_BUDGET_CHARS)
    except ValueError as exc:
        raise ValueError(f"{too_many}: {exc}; list fewer environments") from exc
    by_sid = {s.sid: s for s in statements}
    sizes = tuple(len(policy_json([by_sid[sid] for sid in group])) for group in layout)
    if len(layout) > MAX_ATTACHED_POLICIES:
        raise ValueError(f"{too_many}: they need {len(layout)} policies; list fewer environments")
    boundary = len(policy_json(props.boundary_statements))
    if boundary > POLICY_BUDGET_CHARS:
        raise ValueError(
            f"deployEnvironments ({envs}): the permissions boundary would be {boundary} characters, more than "
            f"{POLICY_BUDGET_CHARS} (IAM: {MANAGED_POLICY_MAX_CHARS} per managed policy); list fewer environments"
        )
    return PolicyPlan(layout, sizes, boundary)


PLACEHOLDER_SCOPE_ARGS = {
    "partition": "aws",
    "account": "<account>",
    "region": "<region>",
    "state_bucket_arn": "arn:aws:s3:::<state bucket>",
    "state_key_arn": "<state key arn>",
}


def readme_config() -> AppConfig:
    """The configuration docs/security.md's tables are rendered for: one environment named ``<env>``."""
    from stacks.config import load_config

    return replace(load_config({}, {}), github_repository="<owner>/<repo>", deploy_environments=("<env>",))


def markdown_table(config: AppConfig) -> str:
    """docs/security.md's deploy-role table for ``config`` (placeholders instead of tokens)."""
    return _table(role_statements(deploy_role_props(DeployScope(config=config, **PLACEHOLDER_SCOPE_ARGS))))


def boundary_table(config: AppConfig) -> str:
    """docs/security.md's table of the permissions boundary."""
    return _table(boundary_statements(DeployScope(config=config, **PLACEHOLDER_SCOPE_ARGS)))


def _table(rows: list[DeployStatement] | tuple[DeployStatement, ...]) -> str:
    lines = ["| sid | effect | actions | resources | condition | why |", "| --- | --- | --- | --- | --- | --- |"]
    for s in rows:
        conditions = "; ".join(f"`{c.test} {c.variable}` = {', '.join(c.values)}" for c in s.conditions) or "-"
        resources = "<br>".join(f"`{r}`" for r in s.resources)
        lines.append(f"| {s.sid} | {s.effect} | {', '.join(s.actions)} | {resources} | {conditions} | {s.why} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - prints the tables of docs/security.md
    print(markdown_table(readme_config()))
    print()
    print(boundary_table(readme_config()))
    sys.exit(0)
