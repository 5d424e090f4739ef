"""The alert topic (SNS): one Publish per alert, dedupe key also as a message attribute."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fraud_detection.alerts import Alert
from fraud_detection.contract import SMOKE_ATTRIBUTE


@dataclass(frozen=True)
class AlertPublisher:
    client: Any  # botocore SNS client
    topic_arn: str

    def publish(self, alert: Alert) -> str:
        """Publish and return the message id; errors propagate so the caller is retried."""
        response = self.client.publish(
            TopicArn=self.topic_arn,
            Subject=alert.sns_subject(),
            Message=alert.body(),
            MessageAttributes={
                "dedupe_key": {"DataType": "String", "StringValue": alert.dedupe_key},
                "kind": {"DataType": "String", "StringValue": alert.kind},
                **({SMOKE_ATTRIBUTE: {"DataType": "String", "StringValue": "true"}} if alert.smoke else {}),
            },
        )
        return str(response["MessageId"])
