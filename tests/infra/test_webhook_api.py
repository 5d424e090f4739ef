"""WebhookApi: key-protected POST /webhook, validation, logging, throttling, redeploy triggers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from fraud_constructs.webhook_api import (
    DEFAULT_REQUEST_SCHEMA,
    WebhookApi,
    WebhookApiProps,
    access_log_format,
    definition_hash,
)
from tests.infra.app_helpers import address, by_path, ref
from tests.tfjson import only, synth_scope

API = "app/webhook-api"

UNIT_PROPS = WebhookApiProps(
    api_name="fraud-webhook-api-unit",
    environment="unit",
    function_name="fraud-webhook-unit",
    alias_name="live",
    alias_invoke_arn="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn/invocations",
    kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
)


def test_method_requires_api_key_and_validates_the_body(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    method = by_path(app, "aws_api_gateway_method", f"{API}/post")
    assert method["http_method"] == "POST"
    assert method["api_key_required"] is True
    assert method["request_validator_id"] == ref(
        app, "aws_api_gateway_request_validator", f"{API}/body-validator", "id"
    )
    assert method["request_models"] == {"application/json": ref(app, "aws_api_gateway_model", f"{API}/model", "name")}
    validator = by_path(app, "aws_api_gateway_request_validator", f"{API}/body-validator")
    assert validator["validate_request_body"] is True
    assert by_path(app, "aws_api_gateway_resource", f"{API}/webhook-resource")["path_part"] == "webhook"
    rest_api = by_path(app, "aws_api_gateway_rest_api", f"{API}/rest-api")
    assert rest_api["endpoint_configuration"]["types"] == ["REGIONAL"]
    assert rest_api["lifecycle"] == {"create_before_destroy": True}


def test_model_is_a_coarse_draft4_object_schema(synthesized: dict[str, dict]) -> None:
    model = by_path(synthesized["app"], "aws_api_gateway_model", f"{API}/model")
    schema = json.loads(model["schema"])
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["type"] == "object"
    assert schema["required"] == ["transaction_id"]
    assert schema["properties"]["transaction_id"]["type"] == "string"
    assert schema["maxProperties"] > 0


def test_bad_request_body_names_the_validation_error(synthesized: dict[str, dict]) -> None:
    response = by_path(synthesized["app"], "aws_api_gateway_gateway_response", f"{API}/bad-request-body")
    assert response["response_type"] == "BAD_REQUEST_BODY"
    assert response["status_code"] == "400"
    template = response["response_templates"]["application/json"]
    assert "$context.error.validationErrorString" in template
    # valid JSON once API Gateway substitutes the variables
    json.loads(template.replace("$context.error.validationErrorString", "x").replace("$context.requestId", "r"))


def test_integration_is_lambda_proxy_to_the_alias(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    integration = by_path(app, "aws_api_gateway_integration", f"{API}/integration")
    assert integration["type"] == "AWS_PROXY"
    assert integration["integration_http_method"] == "POST"
    assert integration["uri"] == ref(app, "aws_lambda_alias", "app/compute/webhook/alias", "invoke_arn")
    assert integration["timeout_milliseconds"] <= 29000


def test_permission_is_scoped_to_the_method_and_the_alias(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    permission = by_path(app, "aws_lambda_permission", f"{API}/invoke-permission")
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"].startswith("apigateway.")
    assert permission["qualifier"] == ref(app, "aws_lambda_alias", "app/compute/webhook/alias", "name")
    assert permission["function_name"] == ref(
        app, "aws_lambda_function", "app/compute/webhook/function", "function_name"
    )
    execution_arn = ref(app, "aws_api_gateway_rest_api", f"{API}/rest-api", "execution_arn")
    assert permission["source_arn"] == f"{execution_arn}/*/POST/webhook"


def test_stage_logs_traces_and_never_logs_bodies(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    stage = by_path(app, "aws_api_gateway_stage", f"{API}/stage")
    assert stage["xray_tracing_enabled"] is True
    access = stage["access_log_settings"]
    assert access["destination_arn"] == ref(app, "aws_cloudwatch_log_group", f"{API}/access-logs", "arn")
    fields = json.loads(access["format"])
    assert {"requestId", "status", "ip", "validationError"} <= set(fields)
    settings = by_path(app, "aws_api_gateway_method_settings", f"{API}/method-settings")
    assert settings["method_path"] == "*/*"
    assert settings["settings"]["data_trace_enabled"] is False
    assert settings["settings"]["metrics_enabled"] is True
    assert settings["settings"]["logging_level"] in ("INFO", "ERROR")
    assert settings["settings"]["throttling_rate_limit"] == 100
    assert settings["settings"]["throttling_burst_limit"] == 200


def test_log_groups_are_encrypted_and_precreated(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    key = ref(app, "aws_kms_key", "app/app-key/key", "arn")
    execution = by_path(app, "aws_cloudwatch_log_group", f"{API}/execution-logs")
    rest_api_id = ref(app, "aws_api_gateway_rest_api", f"{API}/rest-api", "id")
    assert execution["name"] == f"API-Gateway-Execution-Logs_{rest_api_id}/v1"
    for path in ("execution-logs", "access-logs"):
        group = by_path(app, "aws_cloudwatch_log_group", f"{API}/{path}")
        assert group["kms_key_id"] == key
        assert group["retention_in_days"] == 30
    stage = by_path(app, "aws_api_gateway_stage", f"{API}/stage")
    assert address(app, "aws_cloudwatch_log_group", f"{API}/execution-logs") in stage["depends_on"]


def test_usage_plan_key_and_quota(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    plan = by_path(app, "aws_api_gateway_usage_plan", f"{API}/usage-plan")
    assert plan["throttle_settings"] == {"rate_limit": 100, "burst_limit": 200}
    assert plan["quota_settings"] == {"limit": 1_000_000, "period": "DAY"}
    assert plan["api_stages"][0]["stage"] == ref(app, "aws_api_gateway_stage", f"{API}/stage", "stage_name")
    key = by_path(app, "aws_api_gateway_usage_plan_key", f"{API}/usage-plan-key")
    assert key["key_type"] == "API_KEY"
    assert key["key_id"] == ref(app, "aws_api_gateway_api_key", f"{API}/api-key", "id")
    assert key["usage_plan_id"] == ref(app, "aws_api_gateway_usage_plan", f"{API}/usage-plan", "id")


def test_deployment_is_replaced_before_destroyed_and_hashes_the_definition(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    deployment = by_path(app, "aws_api_gateway_deployment", f"{API}/deployment")
    assert deployment["lifecycle"] == {"create_before_destroy": True}
    trigger = deployment["triggers"]["redeployment"]
    assert trigger.startswith("${sha1(jsonencode([")
    for part in ("post", "integration", "model", "body-validator", "bad-request-body", "webhook-resource"):
        assert (
            address(
                app,
                {
                    "post": "aws_api_gateway_method",
                    "integration": "aws_api_gateway_integration",
                    "model": "aws_api_gateway_model",
                    "body-validator": "aws_api_gateway_request_validator",
                    "bad-request-body": "aws_api_gateway_gateway_response",
                    "webhook-resource": "aws_api_gateway_resource",
                }[part],
                f"{API}/{part}",
            )
            in trigger
        )


def _trigger(props: WebhookApiProps) -> str:
    doc = synth_scope(lambda stack: WebhookApi(stack, "api", aws=stack.aws, props=props))
    return only(doc, "aws_api_gateway_deployment")["triggers"]["redeployment"]


def test_deployment_trigger_changes_when_the_model_schema_changes() -> None:
    schema = json.loads(DEFAULT_REQUEST_SCHEMA)
    schema["maxProperties"] = 41
    changed = replace(UNIT_PROPS, request_schema=json.dumps(schema))
    assert definition_hash(changed) != definition_hash(UNIT_PROPS)
    assert definition_hash(replace(UNIT_PROPS)) == definition_hash(UNIT_PROPS)
    assert _trigger(changed) != _trigger(UNIT_PROPS)
    assert definition_hash(UNIT_PROPS) in _trigger(UNIT_PROPS)


@pytest.mark.parametrize(
    "change",
    [{"logging_level": "DEBUG"}, {"request_schema": '{"type": "array"}'}, {"request_schema": '{"type": "object"}'}],
)
def test_bad_props_are_rejected(change: dict) -> None:
    with pytest.raises(ValueError):
        replace(UNIT_PROPS, **change)


def test_auth_failures_are_counted_from_the_access_log(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    metric_filter = by_path(app, "aws_cloudwatch_log_metric_filter", f"{API}/auth-failures")
    assert metric_filter["log_group_name"] == ref(app, "aws_cloudwatch_log_group", f"{API}/access-logs", "name")
    assert '"401"' in metric_filter["pattern"] and '"403"' in metric_filter["pattern"]
    transformation = metric_filter["metric_transformation"]
    assert transformation["namespace"] == "FraudDetection"
    assert transformation["name"] == "ApiAuthFailures"
    assert transformation["dimensions"] == {"environment": "$.environment"}
    assert json.loads(access_log_format("dev"))["environment"] == "dev"
