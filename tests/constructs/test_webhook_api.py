"""WebhookApi: key-protected POST /webhook, validation, logging, throttling, redeploy triggers."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from fraud_constructs.webhook_api import (
    ProxyRoute,
    WebhookApi,
    WebhookApiProps,
    access_log_format,
    definition_hash,
)
from tests.conftest import VARIANTS
from tests.support.app_helpers import address, by_path, ref
from tests.tfjson import only, resources, synth_scope

pytestmark = pytest.mark.synth

API = "app/webhook-api"

UNIT_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "Order",
        "type": "object",
        "required": ["order_id"],
        "maxProperties": 10,
        "properties": {"order_id": {"type": "string"}},
    }
)
UNIT_PROPS = WebhookApiProps(
    api_name="fraud-webhook-api-unit",
    environment="unit",
    request_schema=UNIT_SCHEMA,
    metrics_namespace="Orders",
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


_CONTEXT_VARIABLE = re.compile(r"\$context\.[A-Za-z.]+")


def render_gateway_template(template: str) -> Any:
    """What API Gateway would produce for hostile input: AWS-generated variables get plain values,
    self-quoted ones a JSON string full of quotes and backslashes; anything else is refused."""
    from fraud_constructs.webhook_api import AWS_GENERATED_CONTEXT_VARIABLES, SELF_QUOTED_CONTEXT_VARIABLES

    def value(match: re.Match[str]) -> str:
        name = match.group(0)
        if name in SELF_QUOTED_CONTEXT_VARIABLES:
            return json.dumps('a "quoted" \\ message')
        assert name in AWS_GENERATED_CONTEXT_VARIABLES, f"{name} is not known to be AWS-generated: do not embed it"
        return "v"

    return json.loads(_CONTEXT_VARIABLE.sub(value, template))


@pytest.mark.parametrize("variant", VARIANTS)
def test_gateway_json_is_valid_for_any_input(variant: str, variant_stacks: Any) -> None:
    """Gateway-response templates are not processed by VTL: nothing caller-influenced may be embedded."""
    app = variant_stacks(variant)["app"]
    templates = [
        t
        for response in resources(app, "aws_api_gateway_gateway_response").values()
        for t in response.get("response_templates", {}).values()
    ]
    formats = [stage["access_log_settings"]["format"] for stage in resources(app, "aws_api_gateway_stage").values()]
    assert templates and formats
    for text in templates + formats:
        assert "validationErrorString" not in text
        assert isinstance(render_gateway_template(text), dict)


def test_the_template_check_rejects_the_validation_error_string() -> None:
    """Canary: the old template embedded the caller's input unescaped."""
    old = '{"message": "invalid request body", "error": "$context.error.validationErrorString"}'
    with pytest.raises(AssertionError, match="validationErrorString"):
        render_gateway_template(old)


def test_bad_request_body_is_static_json(synthesized: dict[str, dict]) -> None:
    response = by_path(synthesized["app"], "aws_api_gateway_gateway_response", f"{API}/bad-request-body")
    assert response["response_type"] == "BAD_REQUEST_BODY"
    assert response["status_code"] == "400"
    rendered = render_gateway_template(response["response_templates"]["application/json"])
    assert rendered == {"message": "invalid request body", "request_id": "v"}


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
    assert {"requestId", "status", "ip", "errorMessage"} <= set(render_gateway_template(access["format"]))
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
    schema = json.loads(UNIT_SCHEMA)
    schema["maxProperties"] = 11
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
    assert render_gateway_template(access_log_format("dev"))["environment"] == "dev"


def test_model_is_named_by_the_schema_title_and_filters_use_the_given_namespace() -> None:
    doc = synth_scope(lambda stack: WebhookApi(stack, "api", aws=stack.aws, props=UNIT_PROPS))
    assert only(doc, "aws_api_gateway_model")["name"] == "Order"
    assert {
        f["metric_transformation"]["namespace"] for f in resources(doc, "aws_cloudwatch_log_metric_filter").values()
    } == {"Orders"}
    untitled = json.loads(UNIT_SCHEMA)
    del untitled["title"]
    assert replace(UNIT_PROPS, request_schema=json.dumps(untitled)).model_name == "WebhookRequest"


# --- extra routes (ProxyRoute): POST /labels in the app ------------------------------------------------------

LABELS = f"{API}/labels"
UNIT_ROUTE = ProxyRoute(
    path="refunds",
    function_name="fraud-refunds-unit",
    alias_name="live",
    alias_invoke_arn="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/refunds/invocations",
    request_schema=json.dumps({"title": "Refund", "type": "object", "required": ["refund_id"]}),
)


def test_labels_route_is_a_key_protected_validated_lambda_proxy(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    resource = by_path(app, "aws_api_gateway_resource", f"{LABELS}-resource")
    assert resource["path_part"] == "labels"
    assert resource["parent_id"] == ref(app, "aws_api_gateway_rest_api", f"{API}/rest-api", "root_resource_id")
    method = by_path(app, "aws_api_gateway_method", f"{LABELS}-post")
    assert (method["http_method"], method["api_key_required"], method["authorization"]) == ("POST", True, "NONE")
    assert method["resource_id"] == ref(app, "aws_api_gateway_resource", f"{LABELS}-resource", "id")
    # The webhook's body validator, the route's own model.
    assert method["request_validator_id"] == ref(
        app, "aws_api_gateway_request_validator", f"{API}/body-validator", "id"
    )
    model = by_path(app, "aws_api_gateway_model", f"{LABELS}-model")
    assert method["request_models"] == {
        "application/json": ref(app, "aws_api_gateway_model", f"{LABELS}-model", "name")
    }
    schema = json.loads(model["schema"])
    assert model["name"] == schema["title"] == "LabelRequest"
    assert schema["type"] == "object"
    assert schema["required"] == ["transaction_id", "label", "source", "occurred_at"]
    integration = by_path(app, "aws_api_gateway_integration", f"{LABELS}-integration")
    assert (integration["type"], integration["integration_http_method"]) == ("AWS_PROXY", "POST")
    assert integration["uri"] == ref(app, "aws_lambda_alias", "app/compute/labels/alias", "invoke_arn")
    assert integration["timeout_milliseconds"] <= 29000


def test_labels_permission_is_scoped_to_its_method_and_alias(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    permission = by_path(app, "aws_lambda_permission", f"{LABELS}-invoke-permission")
    assert permission["statement_id"] == "AllowApiGatewayPostLabels"
    assert permission["qualifier"] == ref(app, "aws_lambda_alias", "app/compute/labels/alias", "name")
    assert permission["function_name"] == ref(
        app, "aws_lambda_function", "app/compute/labels/function", "function_name"
    )
    execution_arn = ref(app, "aws_api_gateway_rest_api", f"{API}/rest-api", "execution_arn")
    assert permission["source_arn"] == f"{execution_arn}/*/POST/labels"


def test_labels_have_their_own_usage_plan_and_key(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    plan = by_path(app, "aws_api_gateway_usage_plan", f"{LABELS}-usage-plan")
    assert plan["name"] == "fraud-webhook-api-dev-labels"
    assert plan["api_stages"][0]["stage"] == ref(app, "aws_api_gateway_stage", f"{API}/stage", "stage_name")
    # Sized from the labels function's reservation (unreserved in dev: burst 10, rate 5 x 10), not the stage's
    # 100/s and 200: docs/capacity.md, "The labels route's throttle".
    assert plan["throttle_settings"] == {"rate_limit": 50, "burst_limit": 10}
    assert plan["quota_settings"] == {"limit": 100_000, "period": "DAY"}
    key = by_path(app, "aws_api_gateway_api_key", f"{LABELS}-api-key")
    assert (key["name"], key["enabled"]) == ("fraud-webhook-api-dev-labels", True)
    # Each key is on its own plan only: the sender's key on the default plan, the labels key on the labels plan,
    # and no other usage plan key exists.
    plan_keys = resources(app, "aws_api_gateway_usage_plan_key").values()
    assert sorted((k["key_id"], k["usage_plan_id"], k["key_type"]) for k in plan_keys) == sorted(
        (
            ref(app, "aws_api_gateway_api_key", f"{prefix}api-key", "id"),
            ref(app, "aws_api_gateway_usage_plan", f"{prefix}usage-plan", "id"),
            "API_KEY",
        )
        for prefix in (f"{API}/", f"{LABELS}-")
    )
    # The labels function knows its own key (it refuses a sender's: docs/labels.md).
    env = by_path(app, "aws_lambda_function", "app/compute/labels/function")["environment"]["variables"]
    assert env["LABELS_API_KEY_ID"] == ref(app, "aws_api_gateway_api_key", f"{LABELS}-api-key", "id")


def test_the_deployment_redeploys_for_the_labels_route(synthesized: dict[str, dict]) -> None:
    app = synthesized["app"]
    trigger = by_path(app, "aws_api_gateway_deployment", f"{API}/deployment")["triggers"]["redeployment"]
    for kind, part in (
        ("aws_api_gateway_resource", "resource"),
        ("aws_api_gateway_method", "post"),
        ("aws_api_gateway_integration", "integration"),
        ("aws_api_gateway_model", "model"),
    ):
        assert address(app, kind, f"{LABELS}-{part}") in trigger, part


def test_the_webhook_path_is_the_contracts() -> None:
    """The construct library knows no application, so it names ``webhook`` itself; the image routes the path
    the contract names. They must be the same segment."""
    from fraud_constructs import webhook_api
    from fraud_detection import contract

    assert webhook_api.WEBHOOK_PATH == contract.WEBHOOK_PATH


def test_an_extra_route_changes_the_definition_hash_only_when_present() -> None:
    with_route = replace(UNIT_PROPS, extra_routes=(UNIT_ROUTE,))
    assert definition_hash(with_route) != definition_hash(UNIT_PROPS)
    schema = json.loads(UNIT_ROUTE.request_schema) | {"maxProperties": 3}
    changed = replace(UNIT_PROPS, extra_routes=(replace(UNIT_ROUTE, request_schema=json.dumps(schema)),))
    assert definition_hash(changed) != definition_hash(with_route)
    doc = synth_scope(lambda stack: WebhookApi(stack, "api", aws=stack.aws, props=with_route))
    assert len(resources(doc, "aws_api_gateway_api_key")) == 2
    assert {m["name"] for m in resources(doc, "aws_api_gateway_model").values()} == {"Order", "Refund"}
    plan = next(p for p in resources(doc, "aws_api_gateway_usage_plan").values() if p["name"].endswith("-refunds"))
    assert plan["throttle_settings"] == {"rate_limit": 100, "burst_limit": 200}  # the API's, unless the route's


@pytest.mark.parametrize(
    "change",
    [
        {"path": "webhook"},
        {"path": "Labels"},
        {"path": "a/b"},
        {"request_schema": '{"type": "object"}'},
    ],
)
def test_bad_routes_are_rejected(change: dict) -> None:
    with pytest.raises(ValueError):
        replace(UNIT_ROUTE, **change)


def test_routes_need_unique_paths_and_model_names() -> None:
    with pytest.raises(ValueError, match="paths must be unique"):
        replace(UNIT_PROPS, extra_routes=(UNIT_ROUTE, UNIT_ROUTE))
    clash = replace(UNIT_ROUTE, request_schema=UNIT_SCHEMA)  # title "Order", as the webhook's model
    with pytest.raises(ValueError, match="model names"):
        replace(UNIT_PROPS, extra_routes=(clash,))
