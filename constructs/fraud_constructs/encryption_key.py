"""Customer-managed KMS key with rotation and a key policy that lets each AWS service do its job.

Key policy statements (each opt-in through props; service principals carry only the condition
keys AWS documents for that principal and that use, cited next to each statement):

- account root: ``kms:*``, so IAM policies decide who uses the key (AWS's recommended default;
  without it the key becomes unmanageable);
- CloudWatch Logs (``logs.<region>.amazonaws.com``), only for the log groups this project names
  (``kms:EncryptionContext:aws:logs:arn``): without it an encrypted log group cannot be created;
- EventBridge (``events.amazonaws.com``): sends to the encrypted dead-letter queue;
- CloudWatch alarms (``cloudwatch.amazonaws.com``): publish to the encrypted alert topic, or
  alarm notifications are silently dropped;
- CloudTrail (``cloudtrail.amazonaws.com``), only for the trails named in ``allow_cloudtrail_trails``:
  encrypts the trail's log files (SSE-KMS) and describes the key;
- services acting on the account's behalf (DynamoDB, S3, SQS, ...) only through
  ``kms:ViaService`` with ``kms:CallerAccount`` = this account; IAM policies of the account may
  delegate exactly that (no ``*`` principal: nothing is granted that IAM did not grant);
- the GitHub deploy role (``deploy_role_arn``): what Terraform needs to manage the key, and to
  create the resources encrypted with it through ``via_services``. A ``protected`` key (the state
  key) gives it read access only and denies it every destructive action explicitly.

The policy is rendered when the stack is synthesized, so log groups whose names hold ids of
resources created after the key (the API execution log group) can be added with
:meth:`EncryptionKey.allow_log_groups`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsii
from cdktf import IResolveContext, IStringProducer, Lazy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.overrides import apply_overrides

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]

# What Terraform calls on the key itself (aws_kms_key and aws_kms_alias create/read/update/delete).
# Read: DescribeKey, GetKeyPolicy, GetKeyRotationStatus (with the rotation period), ListResourceTags.
DEPLOY_READ_KEY = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags")
DEPLOY_MANAGE_KEY = (
    *DEPLOY_READ_KEY,
    # PutKeyPolicy also because of KMS's policy lockout safety check (AWS KMS API Reference, CreateKey,
    # Policy parameter: the key policy "must allow the calling principal to make a subsequent
    # PutKeyPolicy request on the KMS key"); the deploy role creates the app and registry keys.
    "kms:PutKeyPolicy",
    "kms:EnableKeyRotation",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:UntagResource",
    # An alias needs the permission on the key as well as on the alias (IAM grants the alias side).
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
# What the deploy role needs so that a service creates a resource encrypted with the key on its
# behalf (each through kms:ViaService = that service):
# - DynamoDB (developer guide, "DynamoDB encryption at rest usage notes", key policy for a
#   customer managed key): Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey, CreateGrant
#   for the principal that creates the table;
# - Amazon ECR (user guide, "Encryption at rest", required IAM permissions): CreateGrant and
#   DescribeKey for the principal that creates the repository (kms:RetireGrant, needed to delete
#   it, must be in that principal's IAM policy);
# - Lambda (developer guide, "Securing Lambda environment variables"): CreateGrant and Encrypt to
#   set a customer managed key on a function, Decrypt to read its environment back;
# - SSM Parameter Store ("How AWS Systems Manager Parameter Store uses AWS KMS"): Encrypt to put a
#   standard SecureString, Decrypt to read it (Terraform reads the value on every refresh);
# - SQS, SNS, S3 and CloudWatch Logs call KMS with their own principals (key policy statements
#   above), not with the creator's.
DEPLOY_USE_THROUGH_SERVICES = (*_USE, "kms:CreateGrant")
# Denied to the deploy role on a protected key (the state key): losing it loses every state file.
DEPLOY_DENIED_ON_PROTECTED_KEY = (
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:DeleteImportedKeyMaterial",
    "kms:CreateGrant",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
)


@dataclass(frozen=True)
class EncryptionKeyProps:
    """Props of :class:`EncryptionKey`."""

    alias: str
    """Alias without the ``alias/`` prefix, e.g. ``fraud-dev``."""
    description: str
    """Shown in the KMS console; say what the key protects."""
    deletion_window_in_days: int = 30
    """Waiting period before deletion (7-30). Default: 30, the longest."""
    allow_cloudwatch_logs: bool = False
    """Let CloudWatch Logs encrypt the log groups named in ``log_group_names`` and through
    :meth:`EncryptionKey.allow_log_groups`; synth fails if none is named. Default: False."""
    log_group_names: tuple[str, ...] = ()
    """Log group names (``*`` allowed) CloudWatch Logs may encrypt with this key. Default: none."""
    allow_eventbridge: bool = False
    """Let EventBridge write to queues encrypted with this key. Default: False."""
    allow_cloudwatch_alarms: bool = False
    """Let CloudWatch alarms publish to topics encrypted with this key. Default: False."""
    allow_cloudtrail_trails: tuple[str, ...] = ()
    """ARNs of the trails CloudTrail may encrypt log files for with this key (``aws:SourceArn``); more with
    :meth:`EncryptionKey.allow_cloudtrail_trails`. Default: none."""
    via_services: tuple[str, ...] = ()
    """Service prefixes (``dynamodb``, ``s3``...) that may use the key for this account's principals
    (and for the deploy role, when there is one)."""
    deploy_role_arn: str | None = None
    """ARN of the GitHub deploy role (may be a token): the key policy lets it manage the key and use
    it through ``via_services``. The role must exist when the key policy is written, or KMS rejects
    the policy: set it only when the bootstrap stack created the role. Default: None."""
    protected: bool = False
    """The key outlives the stacks (the state key): the deploy role may only read the key and use it
    through ``via_services``, and is explicitly denied deleting, disabling, re-keying the policy,
    granting and re-aliasing it. Default: False."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the key. Default: none."""


class EncryptionKey(Construct):
    """A rotated CMK with alias; exposes ``key``, ``alias``, ``arn`` and ``policy`` (the rendered JSON)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        if not 7 <= props.deletion_window_in_days <= 30:
            raise ValueError("EncryptionKeyProps.deletion_window_in_days must be between 7 and 30")
        if props.log_group_names and not props.allow_cloudwatch_logs:
            raise ValueError("EncryptionKeyProps.log_group_names needs allow_cloudwatch_logs=True")
        if props.protected and props.deploy_role_arn is None:
            raise ValueError("EncryptionKeyProps.protected protects the key from deploy_role_arn: set it")
        self.props = props
        self._aws = aws
        self._log_group_names: list[str] = list(props.log_group_names)
        self._cloudtrail_trails: list[str] = list(props.allow_cloudtrail_trails)
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=props.deletion_window_in_days,
            # A key policy is a resource policy. It is rendered as JSON here rather than through an
            # aws_iam_policy_document data source, which scanners judge as an identity policy
            # (``Resource: "*"`` is the only form a key policy takes). FD-KMS-1 judges it instead.
            policy=Lazy.string_value(_PolicyProducer(self)),
        )
        apply_overrides(self.key, props.overrides)
        self.alias = KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn

    @property
    def policy(self) -> str:
        """The key policy JSON as it will be synthesized (tokens unresolved)."""
        return json.dumps({"Version": "2012-10-17", "Statement": self.statements()})

    def allow_log_groups(self, names: Iterable[str]) -> None:
        """Add log groups CloudWatch Logs may encrypt with this key (e.g. a name holding an API id)."""
        if not self.props.allow_cloudwatch_logs:
            raise ValueError(f"{self.node.path}: allow_log_groups needs allow_cloudwatch_logs=True")
        self._log_group_names.extend(names)

    def allow_cloudtrail_trails(self, trail_arns: Iterable[str]) -> None:
        """Let CloudTrail encrypt the log files of these trails with this key (a trail of a later construct)."""
        self._cloudtrail_trails.extend(trail_arns)

    def statements(self) -> list[Statement]:
        """The key policy's statements; fails if CloudWatch Logs is allowed but no log group is named."""
        if self.props.allow_cloudwatch_logs and not self._log_group_names:
            raise ValueError(
                f"{self.node.path}: allow_cloudwatch_logs is set but no log group is named "
                "(EncryptionKeyProps.log_group_names or EncryptionKey.allow_log_groups)"
            )
        return _statements(
            self._aws,
            self.props,
            tuple(dict.fromkeys(self._log_group_names)),
            tuple(dict.fromkeys(self._cloudtrail_trails)),
        )


@jsii.implements(IStringProducer)
class _PolicyProducer:
    """Renders the key policy at synth time, after every log group has been added."""

    def __init__(self, key: EncryptionKey) -> None:
        self._key = key

    def produce(self, context: IResolveContext) -> str:
        return self._key.policy


Statement = dict[str, Any]


def _statement(
    sid: str, principal: dict[str, str], actions: Iterable[str], condition: dict | None = None, *, effect: str = "Allow"
) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": effect,
        "Principal": principal,
        "Action": list(actions),
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _statements(
    aws: AwsContext, props: EncryptionKeyProps, log_group_names: tuple[str, ...], trails: tuple[str, ...] = ()
) -> list[Statement]:
    root = {"AWS": f"arn:{aws.partition}:iam::{aws.account_id}:root"}
    via_services = [f"{svc}.{aws.region}.{aws.dns_suffix}" for svc in props.via_services]
    statements = [_statement("AccountAdministers", root, ["kms:*"])]
    if props.allow_cloudwatch_logs:
        # CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
        # Service": the regional logs principal, with ArnLike kms:EncryptionContext:aws:logs:arn on the
        # log group ARN (arn:<partition>:logs:<region>:<account>:log-group:<name>), no other key.
        statements.append(
            _statement(
                "CloudWatchLogsForNamedLogGroups",
                {"Service": f"logs.{aws.region}.{aws.dns_suffix}"},
                _USE,
                {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            aws.arn("logs", f"log-group:{name}") for name in log_group_names
                        ]
                    }
                },
            )
        )
    if props.allow_eventbridge:
        # No condition. EventBridge user guide, "Using dead-letter queues to process undelivered events":
        # the rule is scoped in the queue policy (aws:SourceArn = the rule, DeadLetterQueue); for the
        # key, AWS documents aws:SourceArn/aws:SourceAccount only for event bus encryption ("Authorizing
        # EventBridge to use a customer managed key", kms:EncryptionContext:aws:events:event-bus:arn),
        # not for SQS's KMS calls while EventBridge delivers, where a condition would drop DLQ messages.
        statements.append(
            _statement(
                "EventBridgeToEncryptedQueues",
                {"Service": f"events.{aws.dns_suffix}"},
                ["kms:Decrypt", "kms:GenerateDataKey"],
            )
        )
    if props.allow_cloudwatch_alarms:
        # No condition. SNS developer guide, "Configure AWS KMS permissions for AWS services" (enable
        # compatibility between event sources from AWS services and encrypted topics): the service
        # principal gets kms:GenerateDataKey* and kms:Decrypt with no condition key; the alarms are
        # scoped in the topic policy (aws:SourceArn, AlertTopic).
        statements.append(
            _statement(
                "CloudWatchAlarmsToEncryptedTopics",
                {"Service": f"cloudwatch.{aws.dns_suffix}"},
                ["kms:Decrypt", "kms:GenerateDataKey*"],
            )
        )
    if trails:
        # AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": GenerateDataKey* with
        # StringLike kms:EncryptionContext:aws:cloudtrail:arn on this account's trails, DescribeKey, and
        # aws:SourceArn = the trail ARNs on both ("as a security best practice"). Readers decrypt through
        # IAM (the account-root statement).
        source = {"aws:SourceArn": list(trails)}
        cloudtrail = {"Service": f"cloudtrail.{aws.dns_suffix}"}
        account_trails = f"arn:{aws.partition}:cloudtrail:*:{aws.account_id}:trail/*"
        statements.append(
            _statement(
                "CloudTrailEncryptsNamedTrails",
                cloudtrail,
                ["kms:GenerateDataKey*"],
                {
                    "StringEquals": source,
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": account_trails},
                },
            )
        )
        statements.append(
            _statement("CloudTrailDescribesKey", cloudtrail, ["kms:DescribeKey"], {"StringEquals": source})
        )
    if props.via_services:
        statements.append(
            _statement(
                "AccountPrincipalsThroughServices",
                root,
                [*_USE, "kms:CreateGrant"],
                {"StringEquals": {"kms:CallerAccount": aws.account_id, "kms:ViaService": via_services}},
            )
        )
    if props.deploy_role_arn is not None:
        statements.extend(_deploy_role_statements(props, {"AWS": props.deploy_role_arn}, via_services))
    return statements


def _deploy_role_statements(
    props: EncryptionKeyProps, role: dict[str, str], via_services: list[str]
) -> list[Statement]:
    """The deploy role on this key: manage it (read it only, if protected), use it through services."""
    statements = [
        _statement(
            "DeployRoleReadsKey" if props.protected else "DeployRoleManagesKey",
            role,
            DEPLOY_READ_KEY if props.protected else DEPLOY_MANAGE_KEY,
        )
    ]
    if via_services:
        statements.append(
            _statement(
                "DeployRoleThroughServices",
                role,
                _USE if props.protected else DEPLOY_USE_THROUGH_SERVICES,
                {"StringEquals": {"kms:ViaService": via_services}},
            )
        )
    if props.protected:
        statements.append(
            _statement("DenyDeployRoleDestroyingKey", role, DEPLOY_DENIED_ON_PROTECTED_KEY, effect="Deny")
        )
    return statements
