"""SQS queues subscribed to the alert topic: the smoke test's temporary one, the local stage's inbox.

A queue subscribed with raw message delivery receives each alert's JSON body as it was published
(``kind``, ``dedupe_key`` and the details) with its message attributes (``smoke`` on smoke traffic).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fraud_detection import contract


@dataclass(frozen=True)
class QueueSubscription:
    queue_url: str
    queue_arn: str
    subscription_arn: str


def subscribe_queue(sqs: Any, sns: Any, topic_arn: str, queue_name: str) -> QueueSubscription:
    """Create ``queue_name`` (a policy letting only this topic send), subscribe it with raw delivery."""
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        return _subscribe(sqs, sns, topic_arn, url)
    except BaseException:
        sqs.delete_queue(QueueUrl=url)
        raise


def _subscribe(sqs: Any, sns: Any, topic_arn: str, url: str) -> QueueSubscription:
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    subscription = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return QueueSubscription(url, arn, str(subscription))


def remove_subscription(sqs: Any, sns: Any, subscription: QueueSubscription) -> None:
    sns.unsubscribe(SubscriptionArn=subscription.subscription_arn)
    sqs.delete_queue(QueueUrl=subscription.queue_url)


def alert_of(body: str) -> dict[str, Any]:
    """The alert a received message body carries (raw delivery: its JSON), ``{"raw": body}`` when not JSON."""
    try:
        document = json.loads(body)
    except ValueError:
        return {"raw": body}
    return dict(document) if isinstance(document, Mapping) else {"raw": document}


def describe_alert(alert: Mapping[str, Any], attributes: Mapping[str, str]) -> str:
    """One line per alert, e.g. ``block alert txn-42 risk_score 95``."""
    details = [f"{name} {alert[name]}" for name in ("risk_score", "suspicious_count", "threshold") if name in alert]
    smoke = " [smoke]" if attributes.get(contract.SMOKE_ATTRIBUTE) == "true" else ""
    kind, key = alert.get("kind", "?"), alert.get("dedupe_key", alert.get("raw", "?"))
    return " ".join([f"{kind} alert {key}", *details]) + smoke
