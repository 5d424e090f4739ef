"""Alarms: names, metrics and dimensions match what AWS and the image publish; all notify the topic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fraud_detection import contract
from stacks.config import AppConfig, load_config
from tests.conftest import VARIANT_CONTEXTS
from tests.support.app_helpers import by_path, ref
from tests.tfjson import resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]


def alarms(app: dict) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in resources(app, "aws_cloudwatch_metric_alarm").values()}


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    topic = ref(app, "aws_sns_topic", "app/alerts/topic", "arn")
    found = alarms(app)
    # 20 health alarms (3 per function, 8 others: the labels route's 5XX among them) + 14 lost-delivery alarms
    # (docs/alarms.md)
    assert len(found) == 34
    for alarm in found.values():
        assert alarm["alarm_actions"] == [topic]
        assert alarm["ok_actions"] == [topic]


def test_batch_staleness_alarm_matches_the_emitted_metric(synthesized: dict[str, dict]) -> None:
    alarm = alarms(synthesized["app"])["fraud-batch-stale-dev"]
    assert alarm["namespace"] == "FraudDetection"
    assert alarm["metric_name"] == "BatchWindowSucceeded"
    assert alarm["dimensions"] == {"service": "fraud-batch", "environment": "dev"}
    assert alarm["statistic"] == "Sum"
    assert alarm["period"] == 900
    assert alarm["threshold"] == 1
    assert alarm["comparison_operator"] == "LessThanThreshold"
    assert alarm["treat_missing_data"] == "breaching"
    # the contract's names, which the batch handler emits (tests/runtime/batch/test_batch_handler.py reads
    # the EMF record it prints: metric BatchWindowSucceeded, dimensions service=fraud-batch and environment)
    assert alarm["metric_name"] == contract.METRIC_BATCH_WINDOW_SUCCEEDED
    assert alarm["dimensions"][contract.DIMENSION_SERVICE] == contract.BATCH.service


@pytest.mark.parametrize("role", ["webhook", "stream", "batch"])
def test_function_alarms_use_the_function_name_dimension(synthesized: dict[str, dict], role: str) -> None:
    found = alarms(synthesized["app"])
    name = f"fraud-{role}-dev"
    for suffix, metric in (("errors", "Errors"), ("throttles", "Throttles"), ("duration-p99", "Duration")):
        alarm = found[f"{name}-{suffix}"]
        assert alarm["namespace"] == "AWS/Lambda"
        assert alarm["metric_name"] == metric
        assert alarm["dimensions"] == {"FunctionName": name}
    duration = found[f"{name}-duration-p99"]
    assert duration["extended_statistic"] == "p99"
    assert "statistic" not in duration
    timeout_ms = by_path(synthesized["app"], "aws_lambda_function", f"app/compute/{role}/function")["timeout"] * 1000
    assert duration["threshold"] < timeout_ms


def test_dlq_and_api_alarms(synthesized: dict[str, dict]) -> None:
    found = alarms(synthesized["app"])
    visible = found["fraud-dlq-dev-messages-visible"]
    assert (visible["metric_name"], visible["threshold"], visible["comparison_operator"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
        "GreaterThanThreshold",
    )
    assert visible["dimensions"] == {"QueueName": "fraud-dlq-dev"}
    assert found["fraud-dlq-dev-oldest-message"]["metric_name"] == "ApproximateAgeOfOldestMessage"
    api_dims = {"ApiName": "fraud-webhook-api-dev", "Stage": "v1"}
    five = found["fraud-webhook-api-dev-5xx-rate"]
    assert (five["namespace"], five["metric_name"], five["statistic"]) == ("AWS/ApiGateway", "5XXError", "Average")
    assert five["dimensions"] == api_dims
    latency = found["fraud-webhook-api-dev-latency-p99"]
    assert (latency["metric_name"], latency["extended_statistic"]) == ("Latency", "p99")
    auth = found["fraud-webhook-api-dev-auth-failures"]
    assert (auth["namespace"], auth["metric_name"], auth["dimensions"]) == (
        "FraudDetection",
        "ApiAuthFailures",
        {"environment": "dev"},
    )


def test_the_labels_route_has_its_own_5xx_alarm(synthesized: dict[str, dict]) -> None:
    """The labels handler answers every exception with 500/503 (its ``Errors`` stays 0) and the stage-wide rate
    is the webhook's traffic: the per-method ``5XXError`` of POST /labels alarms on its own (API Gateway
    publishes it because the stage's ``*/*`` method settings enable detailed metrics)."""
    app = synthesized["app"]
    alarm = alarms(app)["fraud-webhook-api-dev-labels-5xx"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/ApiGateway", "5XXError", "Sum")
    assert alarm["dimensions"] == {
        "ApiName": "fraud-webhook-api-dev",
        "Stage": "v1",
        "Resource": "/labels",
        "Method": "POST",
    }
    assert (alarm["threshold"], alarm["comparison_operator"]) == (0, "GreaterThanThreshold")
    assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (300, 3, 3)
    assert alarm["treat_missing_data"] == "notBreaching"
    assert alarm["alarm_description"].endswith("Runbook: docs/runbook.md#api-labels-5xx")
    # the dimensions name the real route, and per-method metrics are on for every method of the stage
    resource = by_path(app, "aws_api_gateway_resource", "app/webhook-api/labels-resource")
    assert f"/{resource['path_part']}" == alarm["dimensions"]["Resource"] == f"/{contract.LABELS_PATH}"
    assert by_path(app, "aws_api_gateway_method", "app/webhook-api/labels-post")["http_method"] == "POST"
    settings = by_path(app, "aws_api_gateway_method_settings", "app/webhook-api/method-settings")
    assert settings["method_path"] == "*/*"
    assert settings["settings"]["metrics_enabled"] is True
    # the stage-wide alarm speaks of the API, not of the webhook alone
    assert alarms(app)["fraud-webhook-api-dev-5xx-rate"]["alarm_description"].startswith("The API (POST /webhook and")
    # and the dashboard shows the route's own metrics
    body = json.loads(by_path(app, "aws_cloudwatch_dashboard", "app/alarms/dashboard")["dashboard_body"])
    route = ["ApiName", "fraud-webhook-api-dev", "Method", "POST", "Resource", "/labels", "Stage", "v1"]
    assert ["AWS/ApiGateway", "5XXError", *route] in [m for w in body["widgets"] for m in w["properties"]["metrics"]]


def test_api_alarm_dimensions_name_the_real_api(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    assert by_path(app, "aws_api_gateway_rest_api", "app/webhook-api/rest-api")["name"] == "fraud-webhook-api-dev"
    assert by_path(app, "aws_api_gateway_stage", "app/webhook-api/stage")["stage_name"] == "v1"
    assert by_path(app, "aws_sqs_queue", "app/dlq/queue")["name"] == "fraud-dlq-dev"


def test_every_alarm_links_an_existing_runbook_entry(synthesized: dict[str, dict]) -> None:
    runbook = (ROOT / "docs/runbook.md").read_text()
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', runbook))
    for alarm in alarms(synthesized["app"]).values():
        match = re.search(r"docs/runbook\.md#([a-z0-9-]+)", alarm["alarm_description"])
        assert match, alarm["alarm_name"]
        assert match.group(1) in anchors, f"{alarm['alarm_name']}: runbook anchor {match.group(1)} missing"


@pytest.mark.parametrize("variant", ["dev", "prod-full"])
def test_dashboard_shows_every_alarmed_metric(variant: str, variant_outdir) -> None:
    """Every alarmed metric is on the dashboard, the profile options' alarms (WAF, replication) too."""
    app = json.loads((variant_outdir(variant) / "stacks" / "app" / "cdk.tf.json").read_text())
    dashboard = by_path(app, "aws_cloudwatch_dashboard", "app/alarms/dashboard")
    assert dashboard["dashboard_name"] == f"fraud-detection-{VARIANT_CONTEXTS[variant]['environment']}"
    body = json.loads(dashboard["dashboard_body"])
    shown = {m[1] for w in body["widgets"] for m in w["properties"]["metrics"]}
    alarmed = {a["metric_name"] for a in alarms(app).values()}
    assert alarmed <= shown
    if variant == "prod-full":
        assert {"BlockedRequests", "OperationsFailedReplication"} <= alarmed


def _docs_table(config: AppConfig) -> set[tuple[str, ...]]:
    """The table's rows that ``config`` creates: a row "`<alarm>` (with `<setting>`)" exists only when
    that setting is on."""
    rows = set()
    for line in (ROOT / "docs/alarms.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].startswith("`fraud-"):
            alarm, namespace, metric, dimensions, missing, _runbook, page = cells
            assert page, f"{alarm}: name the AWS page that documents the metric"
            alarm, _, setting = alarm.partition(" (with ")
            if setting and not getattr(config, setting.strip("`)")):
                continue
            rows.add((alarm.strip("`"), namespace, metric, dimensions, missing))
    return rows


@pytest.mark.parametrize("variant", ["dev", "prod", "prod-full"])
def test_docs_alarm_table_is_the_synthesized_one(variant: str, variant_stacks) -> None:
    """docs/alarms.md is written by hand; this keeps it equal to what the stacks create (prod-full: the
    rows of the profile options too)."""
    app = variant_stacks(variant)["app"]
    config = load_config(VARIANT_CONTEXTS[variant], {})

    def generic(text: str) -> str:
        text = re.sub(r"\$\{data\.aws_caller_identity\.[^}]+\}", "<account>", text)
        text = re.sub(r"\$\{data\.aws_region\.[^}]+\}", "<region>", text)
        if config.audit_replica_region:
            text = text.replace(f"-{config.audit_replica_region}", "-<replica region>")
        text = re.sub(rf"-{config.environment}(?=-|$|,)", "-<env>", text).replace(f"={config.environment}", "=<env>")
        return text.replace(f"Region={config.region}", "Region=<region>")

    synthesized = {
        (
            generic(a["alarm_name"]),
            a["namespace"],
            a["metric_name"],
            generic(", ".join(f"{k}={v}" for k, v in sorted(a["dimensions"].items()))),
            a["treat_missing_data"],
        )
        for a in alarms(app).values()
    }
    assert synthesized == _docs_table(config)


LOST_DELIVERY_METRICS = {
    ("AWS/Events", "FailedInvocations"),
    ("AWS/Events", "InvocationsFailedToBeSentToDlq"),
    ("AWS/Lambda", "DestinationDeliveryFailures"),
    ("AWS/Lambda", "AsyncEventsDropped"),
    ("AWS/DynamoDB", "WriteThrottleEvents"),
    ("AWS/DynamoDB", "ReadThrottleEvents"),
    ("AWS/SNS", "NumberOfNotificationsFailed"),
    ("FraudDetection", "ApiThrottled"),
}


def test_every_way_to_lose_a_delivery_alarms(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    found = {(a["namespace"], a["metric_name"]) for a in alarms(app).values()}
    assert found >= LOST_DELIVERY_METRICS
    for alarm in alarms(app).values():
        if (alarm["namespace"], alarm["metric_name"]) in LOST_DELIVERY_METRICS:
            assert alarm["treat_missing_data"] == "notBreaching", alarm["alarm_name"]  # published only when non-zero
            assert alarm["alarm_actions"] and alarm["comparison_operator"] == "GreaterThanThreshold"
    # every schedule rule, both async-destination functions, every index
    rules = {r["name"] for r in resources(app, "aws_cloudwatch_event_rule").values()}
    watched_rules = {a["dimensions"]["RuleName"] for a in alarms(app).values() if a["namespace"] == "AWS/Events"}
    assert watched_rules == rules
    table = next(iter(resources(app, "aws_dynamodb_table").values()))
    indexes = {g["name"] for g in table["global_secondary_index"]}
    watched = {a["dimensions"].get("GlobalSecondaryIndexName") for a in alarms(app).values()} - {None}
    assert watched == indexes


def test_429s_are_counted_from_the_access_log(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    metric_filter = by_path(app, "aws_cloudwatch_log_metric_filter", "app/webhook-api/throttled")
    assert metric_filter["pattern"] == '{ $.status = "429" }'
    assert metric_filter["metric_transformation"]["name"] == "ApiThrottled"
    assert metric_filter["metric_transformation"]["dimensions"] == {"environment": "$.environment"}
