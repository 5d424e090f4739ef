"""DeadLetterQueue and AlertTopic: CMK, retention, and policies scoped to their senders."""

from __future__ import annotations

import pytest

from fraud_constructs.alert_topic import AlertTopic, AlertTopicProps
from fraud_constructs.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from tests.tfjson import only, policy_statements, resources, synth_scope

pytestmark = pytest.mark.synth

KEY = "arn:aws:kms:us-east-1:111111111111:key/k"
RULE = "arn:aws:events:us-east-1:111111111111:rule/r"
PATTERNS = ("fraud-*-dev", "fraud-*-dev-*")


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


def test_topic_encrypted_alarms_scoped_to_their_arns_and_email_optional() -> None:
    def topic(email: str | None = None) -> dict:
        props = AlertTopicProps(topic_name="t", kms_key_arn=KEY, alarm_name_patterns=PATTERNS, email=email)
        return synth_scope(lambda s: AlertTopic(s, "t", aws=s.aws, props=props))

    doc = topic()
    assert only(doc, "aws_sns_topic")["kms_master_key_id"] == KEY
    assert resources(doc, "aws_sns_topic_subscription") == {}
    statements = {s["sid"]: s for s in policy_statements(doc, only(doc, "aws_sns_topic_policy")["policy"])}
    alarms = statements["CloudWatchAlarmsPublish"]
    assert alarms["actions"] == ["sns:Publish"]
    assert alarms["principals"][0]["identifiers"][0].startswith("cloudwatch.")
    # The documented key for alarms is aws:SourceArn on the alarm ARN (which carries account and region).
    ((test, variable, arns),) = [(c["test"], c["variable"], c["values"]) for c in alarms["condition"]]
    assert (test, variable) == ("ArnLike", "aws:SourceArn")
    assert all(arn.startswith("arn:${data.aws_partition.") and ":cloudwatch:${data.aws_region." in arn for arn in arns)
    assert [arn.split(":alarm:", 1)[1] for arn in arns] == list(PATTERNS)

    subscription = only(topic("ops@example.com"), "aws_sns_topic_subscription")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")


def test_topic_needs_an_alarm_pattern() -> None:
    props = AlertTopicProps(topic_name="t", kms_key_arn=KEY, alarm_name_patterns=())
    with pytest.raises(ValueError, match="alarm_name_patterns"):
        synth_scope(lambda s: AlertTopic(s, "t", aws=s.aws, props=props))
