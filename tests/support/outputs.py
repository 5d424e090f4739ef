"""What the handlers put out, as a subscriber or reader sees it: alerts (an SQS queue subscribed to the
alert topic), objects in a bucket, EMF metric documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.aws import moto_client


@dataclass(frozen=True)
class AlertInbox:
    queue_url: str

    def drain(self) -> list[dict[str, Any]]:
        client = moto_client("sqs")
        received: list[dict[str, Any]] = []
        while True:
            response = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "body": json.loads(envelope["Message"]),
                        "subject": envelope.get("Subject"),
                        "attributes": {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                        "raw": message["Body"],
                    }
                )
                client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def subscribe_inbox(topic: str) -> AlertInbox:
    """Subscribe a fresh SQS queue to ``topic``."""
    sqs = moto_client("sqs")
    queue_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    moto_client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return AlertInbox(queue_url)


def bucket_objects(bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Key -> body of every object under ``prefix`` (what the handlers wrote)."""
    s3 = moto_client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {entry["Key"]: s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listed}


def emf_records(stdout: str) -> list[dict[str, Any]]:
    """The EMF (CloudWatch embedded metric format) documents Powertools printed."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]


def metric_names(records: list[dict[str, Any]]) -> set[str]:
    return {m["Name"] for r in records for d in r["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
