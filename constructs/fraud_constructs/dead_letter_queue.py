"""SQS dead-letter queue for everything that failed after its retries (schedules, async runs, streams).

Encrypted with the project CMK (whose policy must let EventBridge use it), 14-day retention,
TLS-only. EventBridge needs a queue policy naming the exact rules that may send
(``aws:SourceArn``); Lambda destinations and stream on-failure destinations send with the
function's role instead, which IAM grants. Call :meth:`allow_eventbridge_rules` once with the
rule ARNs: the queue has exactly one policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.iam_statements import condition, deny_insecure_transport, service_principal
from fraud_constructs.overrides import apply_overrides

FOURTEEN_DAYS = 14 * 24 * 3600


@dataclass(frozen=True)
class DeadLetterQueueProps:
    """Props of :class:`DeadLetterQueue`."""

    queue_name: str
    """Queue name, e.g. ``fraud-dlq-dev``."""
    kms_key_arn: str
    """CMK for SSE; its key policy must allow ``events.amazonaws.com``."""
    retention_seconds: int = FOURTEEN_DAYS
    """How long failed events wait for a redrive. Default: 14 days, the SQS maximum."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the queue. Default: none."""


class DeadLetterQueue(Construct):
    """Exposes ``queue`` (and ``arn``/``url``/``name``) and, once senders are allowed, ``policy``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: DeadLetterQueueProps) -> None:
        super().__init__(scope, construct_id)
        self._aws = aws
        self.queue = SqsQueue(
            self,
            "queue",
            name=props.queue_name,
            kms_master_key_id=props.kms_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=props.retention_seconds,
        )
        apply_overrides(self.queue, props.overrides)
        self.policy: SqsQueuePolicy | None = None

    @property
    def arn(self) -> str:
        return self.queue.arn

    @property
    def url(self) -> str:
        return self.queue.url

    @property
    def name(self) -> str:
        return self.queue.name

    def allow_eventbridge_rules(self, rule_arns: list[str]) -> SqsQueuePolicy:
        """Write the queue policy: EventBridge may send, only for these rules; no plain HTTP."""
        if self.policy is not None:
            raise ValueError("DeadLetterQueue.allow_eventbridge_rules may be called once (one policy per queue)")
        if not rule_arns:
            raise ValueError("DeadLetterQueue.allow_eventbridge_rules needs at least one rule ARN")
        document = DataAwsIamPolicyDocument(
            self,
            "policy-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="EventBridgeRulesSendFailedEvents",
                    principals=[service_principal("events", self._aws)],
                    actions=["sqs:SendMessage"],
                    resources=[self.queue.arn],
                    # EventBridge user guide, "Using dead-letter queues to process undelivered events"
                    # (granting permissions to the dead-letter queue): events.amazonaws.com may
                    # sqs:SendMessage with ArnEquals aws:SourceArn = the rule ARN.
                    condition=[condition("ArnEquals", "aws:SourceArn", rule_arns)],
                ),
                deny_insecure_transport(["sqs:*"], [self.queue.arn]),
            ],
        )
        self.policy = SqsQueuePolicy(self, "policy", queue_url=self.queue.url, policy=document.json)
        return self.policy
