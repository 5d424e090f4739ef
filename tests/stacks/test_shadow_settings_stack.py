"""Shadow settings in the stacks: the second parameter only with a shadow file, its name to the stream, exact
grants (settings history, shadow read, the report's audit read), and the shadow alarm."""

from __future__ import annotations

import json

import pytest

from fraud_detection import contract
from stacks.config import load_config, settings_document
from stacks.monitoring import MonitoringInputs, alarm_specs, shadow_alarm_spec
from tests.conftest import VARIANT_CONTEXTS
from tests.support.app_helpers import by_path, ref, statements_by_sid
from tests.tfjson import resources

pytestmark = pytest.mark.synth

SHADOW_PATH = "app/compute/shadow-parameters/settings"


def env_of(app: dict, role: str) -> dict[str, str]:
    return by_path(app, "aws_lambda_function", f"app/compute/{role}/function")["environment"]["variables"]


def test_without_a_shadow_file_no_parameter_no_name_no_grant(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    names = {p["name"] for p in resources(app, "aws_ssm_parameter").values()}
    assert contract.shadow_settings_parameter_name("dev") not in names
    assert env_of(app, "stream")[contract.ENV_SHADOW_SETTINGS_PARAMETER] == ""
    assert env_of(app, "batch")[contract.ENV_SHADOW_REPORT_TOP_N] == ""
    stream = statements_by_sid(app, "app/compute/stream/policy")
    assert stream["ReadSettings"]["resources"] == [
        ref(app, "aws_ssm_parameter", "app/compute/parameters/settings", "arn")
    ]
    batch = statements_by_sid(app, "app/compute/batch/policy")
    assert "ReadAuditTrail" not in batch and "ListAuditTrail" not in batch
    assert not any(
        "shadow" in name for name in (a["alarm_name"] for a in resources(app, "aws_cloudwatch_metric_alarm").values())
    )


def test_settings_history_grant_is_exactly_put_on_settings(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    stream = statements_by_sid(app, "app/compute/stream/policy")
    assert stream["WriteSettingsHistory"]["actions"] == ["s3:PutObject"]
    assert stream["WriteSettingsHistory"]["resources"] == [f"{bucket}/{contract.SETTINGS_HISTORY_PREFIX}*"]
    assert env_of(app, "stream")[contract.ENV_SETTINGS_PARAMETER] == "/fraud-detection/dev/settings"
    for role in ("webhook", "batch"):
        text = json.dumps(statements_by_sid(app, f"app/compute/{role}/policy"))
        assert "/settings/*" not in text


def test_with_a_shadow_file_the_parameter_the_name_and_exact_grants(variant_stacks) -> None:
    app = variant_stacks("prod-full")["app"]
    config = load_config(VARIANT_CONTEXTS["prod-full"], {})
    shadow = by_path(app, "aws_ssm_parameter", SHADOW_PATH)
    assert shadow["name"] == contract.shadow_settings_parameter_name("prod") == "/fraud-detection/prod/shadow-settings"
    assert shadow["type"] == "SecureString" and shadow["key_id"].startswith("${aws_kms_key.app-key")
    assert json.loads(shadow["value"]) == settings_document(config.shadow_settings_file)
    live = by_path(app, "aws_ssm_parameter", "app/compute/parameters/settings")
    assert json.loads(live["value"]) == contract.DEFAULT_SETTINGS  # the live file is unset: the defaults

    assert env_of(app, "stream")[contract.ENV_SHADOW_SETTINGS_PARAMETER] == shadow["name"]
    assert env_of(app, "batch")[contract.ENV_SHADOW_REPORT_TOP_N] == "20"
    assert contract.ENV_SHADOW_SETTINGS_PARAMETER not in env_of(app, "webhook")
    assert contract.ENV_SHADOW_SETTINGS_PARAMETER not in env_of(app, "batch")

    shadow_arn = ref(app, "aws_ssm_parameter", SHADOW_PATH, "arn")
    stream = statements_by_sid(app, "app/compute/stream/policy")
    assert stream["ReadSettings"]["actions"] == ["ssm:GetParameter"]
    assert stream["ReadSettings"]["resources"] == [
        ref(app, "aws_ssm_parameter", "app/compute/parameters/settings", "arn"),
        shadow_arn,
    ]
    for role in ("webhook", "batch"):
        assert shadow_arn not in json.dumps(statements_by_sid(app, f"app/compute/{role}/policy"))

    bucket = ref(app, "aws_s3_bucket", "app/audit/bucket", "arn")
    batch = statements_by_sid(app, "app/compute/batch/policy")
    assert (batch["ReadAuditTrail"]["actions"], batch["ReadAuditTrail"]["resources"]) == (
        ["s3:GetObject"],
        [f"{bucket}/audit/*"],
    )
    assert batch["ListAuditTrail"]["resources"] == [bucket]
    assert batch["ListAuditTrail"]["condition"] == [
        {"test": "StringLike", "variable": "s3:prefix", "values": ["audit/*"]}
    ]


def test_the_shadow_alarm_watches_the_stream_metric(variant_stacks) -> None:
    app = variant_stacks("prod-full")["app"]
    alarm = next(
        a
        for a in resources(app, "aws_cloudwatch_metric_alarm").values()
        if a["alarm_name"] == "fraud-stream-shadow-extra-blocks-prod"
    )
    assert (alarm["namespace"], alarm["metric_name"]) == (
        contract.METRICS_NAMESPACE,
        contract.METRIC_SHADOW_EXTRA_BLOCK,
    )
    assert alarm["dimensions"] == {"service": "fraud-stream", "environment": "prod"}
    assert (alarm["statistic"], alarm["threshold"], alarm["period"]) == ("Average", 5, 3600)
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["treat_missing_data"] == "notBreaching"


@pytest.mark.unit
def test_shadow_alarm_spec_only_with_a_share() -> None:
    base = MonitoringInputs("dev", [], "fraud-stream-dev", "q", "api", "v1")
    assert shadow_alarm_spec(base) is None
    assert not any(spec.metric_name == contract.METRIC_SHADOW_EXTRA_BLOCK for spec in alarm_specs(base))
    with_shadow = MonitoringInputs("dev", [], "fraud-stream-dev", "q", "api", "v1", shadow_block_share_percent=7)
    spec = shadow_alarm_spec(with_shadow)
    assert spec is not None and spec in alarm_specs(with_shadow)
    assert (spec.threshold, spec.statistic, spec.runbook_anchor) == (7, "Average", "shadow-extra-blocks")
