"""Schedules: input transformer carrying the event time, delivery retry/DLQ, scoped permissions."""

from __future__ import annotations

import json

import pytest

from fraud_constructs.schedule import ScheduleProps, input_template
from tests.support.app_helpers import by_path, ref, statements_by_sid

pytestmark = pytest.mark.synth

SCHEDULES = {
    "window-schedule": ("fraud-batch-window-dev", "rate(5 minutes)", "window"),
    "daily-report-schedule": ("fraud-batch-daily-report-dev", "cron(15 0 * * ? *)", "daily_report"),
}


@pytest.mark.parametrize("construct_id", sorted(SCHEDULES))
def test_rule_and_target(synthesized: dict[str, dict], construct_id: str) -> None:
    app = synthesized["app"]
    name, expression, job = SCHEDULES[construct_id]
    rule = by_path(app, "aws_cloudwatch_event_rule", f"app/{construct_id}/rule")
    assert rule["name"] == name
    assert rule["schedule_expression"] == expression
    target = by_path(app, "aws_cloudwatch_event_target", f"app/{construct_id}/target")
    assert target["arn"] == ref(app, "aws_lambda_alias", "app/compute/batch/alias", "arn")
    assert "input" not in target  # a constant input would drop the event time
    transformer = target["input_transformer"]
    assert transformer["input_paths"] == {"time": "$.time"}
    assert transformer["input_template"] == f'{{"job": "{job}", "time": <time>}}'
    assert target["retry_policy"]["maximum_retry_attempts"] >= 1
    assert 60 <= target["retry_policy"]["maximum_event_age_in_seconds"] <= 86400
    assert target["dead_letter_config"]["arn"] == ref(app, "aws_sqs_queue", "app/dlq/queue", "arn")


def test_template_becomes_the_job_the_batch_parses() -> None:
    from fraud_detection.jobs import WindowJob, parse_job

    event_time = "2026-11-22T10:10:00Z"
    # EventBridge substitutes a string path value as a JSON string
    job = json.loads(input_template("window").replace("<time>", json.dumps(event_time)))
    assert job == {"job": "window", "time": event_time}
    assert isinstance(parse_job(job), WindowJob)


@pytest.mark.parametrize("construct_id", sorted(SCHEDULES))
def test_permission_only_for_this_rule_and_the_alias(synthesized: dict[str, dict], construct_id: str) -> None:
    app = synthesized["app"]
    permission = by_path(app, "aws_lambda_permission", f"app/{construct_id}/invoke-permission")
    assert permission["principal"].startswith("events.")
    assert permission["source_arn"] == ref(app, "aws_cloudwatch_event_rule", f"app/{construct_id}/rule", "arn")
    assert permission["qualifier"] == ref(app, "aws_lambda_alias", "app/compute/batch/alias", "name")


def test_dlq_policy_allows_exactly_the_two_rules(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    statement = statements_by_sid(app, "app/dlq/policy-document")["EventBridgeRulesSendFailedEvents"]
    (condition,) = statement["condition"]
    assert condition["variable"] == "aws:SourceArn"
    assert sorted(condition["values"]) == sorted(
        ref(app, "aws_cloudwatch_event_rule", f"app/{c}/rule", "arn") for c in SCHEDULES
    )
    assert statement["actions"] == ["sqs:SendMessage"]


@pytest.mark.parametrize(
    "change", [{"schedule_expression": "every 5 minutes"}, {"max_retry_attempts": 186}, {"max_event_age_seconds": 10}]
)
def test_bad_schedule_props_are_rejected(change: dict) -> None:
    base = {
        "rule_name": "r",
        "schedule_expression": "rate(5 minutes)",
        "job": "window",
        "function_name": "f",
        "alias_name": "live",
        "alias_arn": "arn",
        "dead_letter_queue_arn": "q",
    }
    with pytest.raises(ValueError):
        ScheduleProps(**(base | change))
