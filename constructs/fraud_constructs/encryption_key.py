"""Customer-managed KMS key with rotation and a key policy that lets each AWS service do its job.

Key policy statements (each opt-in through props, all scoped to this account):

- account root: ``kms:*``, so IAM policies decide who uses the key (AWS's recommended default;
  without it the key becomes unmanageable);
- CloudWatch Logs (``logs.<region>.amazonaws.com``), only for log groups of this account via the
  ``kms:EncryptionContext:aws:logs:arn`` condition: without it an encrypted log group cannot be
  created at all;
- EventBridge (``events.amazonaws.com``): sends to the encrypted dead-letter queue;
- CloudWatch alarms (``cloudwatch.amazonaws.com``): publish to the encrypted alert topic, or
  alarm notifications are silently dropped;
- services acting on the account's behalf (DynamoDB, S3, SQS, ...) only through
  ``kms:ViaService`` with ``kms:CallerAccount`` = this account; IAM policies of the account may
  delegate exactly that (no ``*`` principal: nothing is granted that IAM did not grant).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from fraud_constructs.aws_context import AwsContext

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


@dataclass(frozen=True)
class EncryptionKeyProps:
    """Props of :class:`EncryptionKey`."""

    alias: str
    """Alias without the ``alias/`` prefix, e.g. ``fraud-dev``."""
    description: str
    """Shown in the KMS console; say what the key protects."""
    deletion_window_in_days: int = 30
    """Waiting period before deletion (7-30). Default: 30, the longest."""
    allow_cloudwatch_logs: bool = True
    """Let CloudWatch Logs encrypt this account's log groups. Default: True."""
    allow_eventbridge: bool = False
    """Let EventBridge write to queues encrypted with this key. Default: False."""
    allow_cloudwatch_alarms: bool = False
    """Let CloudWatch alarms publish to topics encrypted with this key. Default: False."""
    via_services: tuple[str, ...] = ()
    """Service prefixes (``dynamodb``, ``s3``...) that may use the key for this account's principals."""


class EncryptionKey(Construct):
    """A rotated CMK with alias; exposes ``key``, ``alias`` and ``arn``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        if not 7 <= props.deletion_window_in_days <= 30:
            raise ValueError("EncryptionKeyProps.deletion_window_in_days must be between 7 and 30")
        self.props = props
        # A key policy is a resource policy. It is rendered as JSON here rather than through an
        # aws_iam_policy_document data source, which scanners judge as an identity policy
        # (``Resource: "*"`` is the only form a key policy takes). FD-KMS-1 judges it instead.
        self.policy = json.dumps({"Version": "2012-10-17", "Statement": _statements(aws, props)})
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=props.deletion_window_in_days,
            policy=self.policy,
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn


Statement = dict[str, Any]


def _allow(sid: str, principal: dict[str, str], actions: list[str], condition: dict | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def _statements(aws: AwsContext, props: EncryptionKeyProps) -> list[Statement]:
    root = {"AWS": f"arn:{aws.partition}:iam::{aws.account_id}:root"}
    same_account = {"StringEquals": {"aws:SourceAccount": aws.account_id}}
    statements = [_allow("AccountAdministers", root, ["kms:*"])]
    if props.allow_cloudwatch_logs:
        statements.append(
            _allow(
                "CloudWatchLogsForThisAccount",
                {"Service": f"logs.{aws.region}.{aws.dns_suffix}"},
                _USE,
                {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": aws.arn("logs", "log-group:*")}},
            )
        )
    if props.allow_eventbridge:
        statements.append(
            _allow(
                "EventBridgeToEncryptedQueues",
                {"Service": f"events.{aws.dns_suffix}"},
                ["kms:Decrypt", "kms:GenerateDataKey"],
                same_account,
            )
        )
    if props.allow_cloudwatch_alarms:
        statements.append(
            _allow(
                "CloudWatchAlarmsToEncryptedTopics",
                {"Service": f"cloudwatch.{aws.dns_suffix}"},
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                same_account,
            )
        )
    if props.via_services:
        statements.append(
            _allow(
                "AccountPrincipalsThroughServices",
                root,
                [*_USE, "kms:CreateGrant"],
                {
                    "StringEquals": {
                        "kms:CallerAccount": aws.account_id,
                        "kms:ViaService": [f"{svc}.{aws.region}.{aws.dns_suffix}" for svc in props.via_services],
                    }
                },
            )
        )
    return statements
