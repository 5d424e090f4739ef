"""SNS topic for fraud alerts and alarm notifications, encrypted with the project CMK.

CloudWatch alarms may publish only for this project's alarms (``aws:SourceArn`` like
``arn:...:cloudwatch:<region>:<account>:alarm:<alarm_name_patterns>``); the key policy must also
allow ``cloudwatch.amazonaws.com`` or notifications are silently dropped.
An e-mail subscription is optional (it stays pending until the recipient confirms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, deny_insecure_transport, service_principal
from fraud_constructs.overrides import apply_overrides


@dataclass(frozen=True)
class AlertTopicProps:
    """Props of :class:`AlertTopic`."""

    topic_name: str
    """Topic name, e.g. ``fraud-alerts-dev``."""
    kms_key_arn: str
    """CMK for SSE; its key policy must allow ``cloudwatch.amazonaws.com``."""
    alarm_name_patterns: tuple[str, ...]
    """Names of the alarms that may publish (``ArnLike`` on their ARN in this account and region),
    e.g. ``("fraud-*-dev", "fraud-*-dev-*")``."""
    email: str | None = None
    """E-mail subscriber (confirms by mail). Default: None."""
    email_filter_policy: str | None = None
    """SNS filter policy JSON (``MessageAttributes`` scope) of the e-mail subscription, e.g. to drop
    smoke-test alerts: ``{"smoke": [{"exists": false}]}`` delivers only messages without that
    attribute (Amazon SNS Developer Guide, "Attribute key matching"). Default: None (everything)."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the topic. Default: none."""


class AlertTopic(Construct):
    """Exposes ``topic`` (and ``arn``/``name``), ``policy`` and ``email_subscription`` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: AlertTopicProps) -> None:
        super().__init__(scope, construct_id)
        if not props.alarm_name_patterns:
            raise ValueError("AlertTopicProps.alarm_name_patterns must name at least one alarm pattern")
        self.topic = SnsTopic(self, "topic", name=props.topic_name, kms_master_key_id=props.kms_key_arn)
        apply_overrides(self.topic, props.overrides)
        document = DataAwsIamPolicyDocument(
            self,
            "policy-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AccountManagesTopic",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS", identifiers=[f"arn:{aws.partition}:iam::{aws.account_id}:root"]
                        )
                    ],
                    actions=[
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    resources=[self.topic.arn],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="CloudWatchAlarmsPublish",
                    principals=[service_principal("cloudwatch", aws)],
                    actions=["sns:Publish"],
                    resources=[self.topic.arn],
                    # aws:SourceArn = the alarm: AWS re:Post knowledge center "Why didn't I receive an SNS
                    # notification for my CloudWatch alarm trigger?" restricts cloudwatch.amazonaws.com with
                    # ArnLike aws:SourceArn on the alarm ARN (the ARN carries account and region).
                    condition=[
                        condition(
                            "ArnLike",
                            "aws:SourceArn",
                            [aws.arn("cloudwatch", f"alarm:{pattern}") for pattern in props.alarm_name_patterns],
                        )
                    ],
                ),
                deny_insecure_transport(["sns:Publish"], [self.topic.arn]),
            ],
        )
        self.policy = SnsTopicPolicy(self, "policy", arn=self.topic.arn, policy=document.json)
        self.email_subscription = (
            SnsTopicSubscription(
                self,
                "email",
                topic_arn=self.topic.arn,
                protocol="email",
                endpoint=props.email,
                filter_policy=props.email_filter_policy,
                filter_policy_scope="MessageAttributes" if props.email_filter_policy else None,
            )
            if props.email
            else None
        )

    @property
    def arn(self) -> str:
        return self.topic.arn

    @property
    def name(self) -> str:
        return self.topic.name
