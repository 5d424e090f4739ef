"""Exact IAM of each function role: actions per statement, resources, and where '*' is allowed."""

from __future__ import annotations

import json

import pytest

from tests.support.app_helpers import by_path, document_statements, ref, statements_by_sid

pytestmark = pytest.mark.synth

KEY = ("aws_kms_key", "app/app-key/key", "arn")
# Resource "*" only for actions IAM cannot scope (X-Ray writes, DynamoDB ListStreams).
STAR_ALLOWED = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}

EXPECTED_ACTIONS = {
    "webhook": {
        "WriteOwnLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "XRayWrite": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "UseAppKey": {"kms:Decrypt"},
        "WritePatterns": {"dynamodb:PutItem", "dynamodb:GetItem"},
        "CountVelocity": {"dynamodb:Query"},
        "ReadParameters": {"ssm:GetParameters"},
    },
    "stream": {
        "WriteOwnLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "XRayWrite": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "UseAppKey": {"kms:Decrypt", "kms:GenerateDataKey"},
        "ReadTableStream": {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"},
        "ListStreams": {"dynamodb:ListStreams"},
        "WriteAuditTrail": {"s3:PutObject"},
        "WriteSettingsHistory": {"s3:PutObject"},  # issue 15: settings/<version>.json, If-None-Match
        "ReadSettings": {"ssm:GetParameter"},  # issue 15: the live (and shadow) settings it copies
        "PublishAlerts": {"sns:Publish"},
        "SendToDeadLetterQueue": {"sqs:SendMessage"},
        "WriteLedger": {"dynamodb:BatchWriteItem"},  # AUDITED#<txn> items (labels)
    },
    "batch": {
        "WriteOwnLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "XRayWrite": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "UseAppKey": {"kms:Decrypt", "kms:GenerateDataKey"},
        "SendToDeadLetterQueue": {"sqs:SendMessage"},
        "ReadWindows": {"dynamodb:Query"},
        "WriteAnalysesAndReports": {"s3:PutObject"},
        "ReadAnalyses": {"s3:GetObject"},
        "ListAnalyses": {"s3:ListBucket"},
        "PublishAlerts": {"sns:Publish"},
        "ReadSettings": {"ssm:GetParameter"},
    },
    "labels": {
        "WriteOwnLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "XRayWrite": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "UseAppKey": {"kms:Decrypt", "kms:GenerateDataKey"},
        "ReadLedger": {"dynamodb:GetItem"},
        "ReadParameters": {"ssm:GetParameters"},
        "WriteLabels": {"s3:PutObject", "s3:GetObject"},
    },
}
LEDGER_ONLY = [{"test": "ForAllValues:StringLike", "variable": "dynamodb:LeadingKeys", "values": ["AUDITED#*"]}]


@pytest.mark.parametrize("role", sorted(EXPECTED_ACTIONS))
def test_exact_actions_per_statement(synthesized: dict[str, dict], role: str) -> None:
    statements = statements_by_sid(synthesized["app"], f"app/compute/{role}/policy")
    assert {sid: set(s["actions"]) for sid, s in statements.items()} == EXPECTED_ACTIONS[role]
    for s in statements.values():
        assert s.get("effect", "Allow") == "Allow"


@pytest.mark.parametrize("role", sorted(EXPECTED_ACTIONS))
def test_no_wildcard_action_and_star_only_where_unscopable(synthesized: dict[str, dict], role: str) -> None:
    for s in document_statements(synthesized["app"], f"app/compute/{role}/policy"):
        assert not any(a == "*" or a.endswith(":*") or "*" in a for a in s["actions"]), s
        if "*" in s["resources"]:
            assert s["resources"] == ["*"] and set(s["actions"]) <= STAR_ALLOWED, s


def test_role_policy_is_the_granted_document(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    for role in EXPECTED_ACTIONS:
        policy = by_path(app, "aws_iam_role_policy", f"app/compute/{role}/role-policy")
        assert policy["policy"].endswith(".json}") and f"compute_{role}_policy" in policy["policy"]
        assert policy["role"] == ref(app, "aws_iam_role", f"app/compute/{role}/role", "id")


def test_roles_trust_lambda_as_documented(synthesized: dict[str, dict]) -> None:
    """Lambda developer guide, "Defining Lambda function permissions with an execution role": the trust
    names lambda.amazonaws.com with no condition key (test_service_conditions.py covers every variant)."""
    for role in EXPECTED_ACTIONS:
        (trust,) = document_statements(synthesized["app"], f"app/compute/{role}/trust")
        assert trust["actions"] == ["sts:AssumeRole"]
        assert trust["principals"][0]["type"] == "Service"
        assert trust["principals"][0]["identifiers"][0].startswith("lambda.")
        assert "condition" not in trust


def test_webhook_resources_are_exact(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    s = statements_by_sid(app, "app/compute/webhook/policy")
    table = ref(app, "aws_dynamodb_table", "app/patterns/table", "arn")
    assert s["WritePatterns"]["resources"] == [table]
    assert sorted(s["CountVelocity"]["resources"]) == sorted([f"{table}/index/by_customer", f"{table}/index/by_card"])
    # The settings by reference; the two secrets (not Terraform resources) by the ARN built from their names.
    settings, *secrets = s["ReadParameters"]["resources"]
    assert settings == ref(app, "aws_ssm_parameter", "app/compute/parameters/settings", "arn")
    assert sorted(arn.rsplit(":", 1)[1] for arn in secrets) == [
        "parameter/fraud-detection/dev/card-fingerprint-key",
        "parameter/fraud-detection/dev/webhook-signing-keys",
    ]
    assert s["UseAppKey"]["resources"] == [ref(app, *KEY)]
    assert s["WriteOwnLogs"]["resources"] == [
        ref(app, "aws_cloudwatch_log_group", "app/compute/webhook/log-group", "arn") + ":*"
    ]


def test_stream_resources_are_exact(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    s = statements_by_sid(app, "app/compute/stream/policy")
    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    assert s["ReadTableStream"]["resources"] == [ref(app, "aws_dynamodb_table", "app/patterns/table", "stream_arn")]
    assert s["ListStreams"]["resources"] == ["*"]
    assert s["WriteAuditTrail"]["resources"] == [f"{bucket}/audit/*"]
    assert s["PublishAlerts"]["resources"] == [ref(app, "aws_sns_topic", "app/alerts/topic", "arn")]
    assert s["SendToDeadLetterQueue"]["resources"] == [ref(app, "aws_sqs_queue", "app/dlq/queue", "arn")]
    # The ledger only: never a pattern item (TXN#...), whatever the stream consumer's code does.
    assert s["WriteLedger"]["resources"] == [ref(app, "aws_dynamodb_table", "app/patterns/table", "arn")]
    assert s["WriteLedger"]["condition"] == LEDGER_ONLY


def test_labels_resources_are_exact(synthesized: dict[str, dict]) -> None:
    """docs/labels.md: the ledger item of the transaction (never a pattern item), the settings and the label
    keys (never the webhook's signing keys or the fingerprint key), and labels/ objects only."""
    app = synthesized["app"]
    s = statements_by_sid(app, "app/compute/labels/policy")
    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    assert s["ReadLedger"]["resources"] == [ref(app, "aws_dynamodb_table", "app/patterns/table", "arn")]
    assert s["ReadLedger"]["condition"] == LEDGER_ONLY
    settings, label_keys = s["ReadParameters"]["resources"]
    assert settings == ref(app, "aws_ssm_parameter", "app/compute/parameters/settings", "arn")
    assert label_keys.rsplit(":", 1)[1] == "parameter/fraud-detection/dev/label-signing-keys"
    assert s["WriteLabels"]["resources"] == [f"{bucket}/labels/*"]
    assert s["UseAppKey"]["resources"] == [ref(app, *KEY)]


def test_only_the_labels_function_reads_the_label_keys(synthesized: dict[str, dict]) -> None:
    """A sender's credentials never validate a label: the webhook cannot read the label key set, and the labels
    function cannot read the webhook's."""
    for role in EXPECTED_ACTIONS:
        text = json.dumps(document_statements(synthesized["app"], f"app/compute/{role}/policy"))
        assert ("label-signing-keys" in text) == (role == "labels"), role
        assert ("webhook-signing-keys" in text) == (role == "webhook"), role


def test_batch_resources_are_exact(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    s = statements_by_sid(app, "app/compute/batch/policy")
    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    table = ref(app, "aws_dynamodb_table", "app/patterns/table", "arn")
    assert s["ReadWindows"]["resources"] == [f"{table}/index/by_window"]
    assert sorted(s["WriteAnalysesAndReports"]["resources"]) == [f"{bucket}/analyses/*", f"{bucket}/reports/*"]
    assert s["ReadAnalyses"]["resources"] == [f"{bucket}/analyses/*"]
    assert s["ListAnalyses"]["resources"] == [bucket]
    assert s["ListAnalyses"]["condition"] == [{"test": "StringLike", "variable": "s3:prefix", "values": ["analyses/*"]}]
    assert s["ReadSettings"]["resources"] == [ref(app, "aws_ssm_parameter", "app/compute/parameters/settings", "arn")]


def test_no_function_can_scan_or_delete(synthesized: dict[str, dict]) -> None:
    text = json.dumps([document_statements(synthesized["app"], f"app/compute/{r}/policy") for r in EXPECTED_ACTIONS])
    for forbidden in ("dynamodb:Scan", "dynamodb:DeleteItem", "s3:DeleteObject", "ssm:PutParameter"):
        assert forbidden not in text
