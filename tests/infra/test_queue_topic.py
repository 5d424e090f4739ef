"""DeadLetterQueue and AlertTopic: CMK, retention, and policies scoped to their senders."""

from __future__ import annotations

import pytest

from fraud_constructs.alert_topic import AlertTopic, AlertTopicProps
from fraud_constructs.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from tests.tfjson import only, policy_statements, resources, synth_scope

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"
RULE = "arn:aws:events:us-east-1:111111111111:rule/r"


def test_queue_encrypted_with_14_day_retention_and_no_policy_until_senders_named() -> None:
    doc = synth_scope(
        lambda s: DeadLetterQueue(s, "dlq", aws=s.aws, props=DeadLetterQueueProps(queue_name="q", kms_key_arn=KEY))
    )
    queue = only(doc, "aws_sqs_queue")
    assert queue["kms_master_key_id"] == KEY
    assert queue["message_retention_seconds"] == 1_209_600
    assert resources(doc, "aws_sqs_queue_policy") == {}


def test_queue_policy_allows_exactly_the_named_rules_over_tls() -> None:
    def build(s: object) -> None:
        dlq = DeadLetterQueue(s, "dlq", aws=s.aws, props=DeadLetterQueueProps(queue_name="q", kms_key_arn=KEY))
        dlq.allow_eventbridge_rules([RULE])

    doc = synth_scope(build)
    allow, deny = policy_statements(doc, only(doc, "aws_sqs_queue_policy")["policy"])
    assert allow["actions"] == ["sqs:SendMessage"]
    assert allow["condition"] == [{"test": "ArnEquals", "variable": "aws:SourceArn", "values": [RULE]}]
    assert allow["principals"][0]["identifiers"][0].startswith("events.")
    assert deny["effect"] == "Deny" and deny["condition"][0]["variable"] == "aws:SecureTransport"


def test_queue_policy_is_written_once() -> None:
    def build(s: object) -> None:
        dlq = DeadLetterQueue(s, "dlq", aws=s.aws, props=DeadLetterQueueProps(queue_name="q", kms_key_arn=KEY))
        dlq.allow_eventbridge_rules([RULE])
        dlq.allow_eventbridge_rules([RULE])

    with pytest.raises(ValueError, match="once"):
        synth_scope(build)


def test_topic_encrypted_alarms_scoped_and_email_optional() -> None:
    doc = synth_scope(lambda s: AlertTopic(s, "t", aws=s.aws, props=AlertTopicProps(topic_name="t", kms_key_arn=KEY)))
    assert only(doc, "aws_sns_topic")["kms_master_key_id"] == KEY
    assert resources(doc, "aws_sns_topic_subscription") == {}
    statements = {s["sid"]: s for s in policy_statements(doc, only(doc, "aws_sns_topic_policy")["policy"])}
    alarms = statements["CloudWatchAlarmsPublish"]
    assert alarms["actions"] == ["sns:Publish"]
    assert alarms["condition"][0]["variable"] == "aws:SourceAccount"

    with_email = synth_scope(
        lambda s: AlertTopic(
            s, "t", aws=s.aws, props=AlertTopicProps(topic_name="t", kms_key_arn=KEY, email="ops@example.com")
        )
    )
    subscription = only(with_email, "aws_sns_topic_subscription")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")
