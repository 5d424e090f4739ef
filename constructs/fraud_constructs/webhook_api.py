"""Regional REST API: ``POST /webhook`` -> the webhook function's ``live`` alias (Lambda proxy).

- API key required, with a usage plan (throttle + daily quota) and stage-wide throttling
  (``*/*`` method settings); the HMAC signature is checked by the function itself.
- A coarse JSON Schema (draft 4, the caller's ``request_schema``; its ``title`` names the model)
  rejects malformed bodies before Lambda is invoked; the
  ``BAD_REQUEST_BODY`` gateway response is static JSON with the request id. It never embeds
  ``$context.error.validationErrorString``: that string quotes the caller's input without JSON
  escaping, and gateway-response templates are not processed by VTL, so nothing could escape it
  (API Gateway Developer Guide, "Gateway responses" and "$context variables for data models,
  authorizers, mapping templates, and access logging"). The access log has the same rule: every
  variable in it is AWS-generated, and the error message uses ``$context.error.messageString``,
  which API Gateway quotes itself.
- Observability: access logs (JSON, CMK-encrypted group), execution logs at ``logging_level``
  without request/response bodies (``data_trace_enabled = false``: bodies carry card data),
  detailed metrics, X-Ray. The execution log group ``API-Gateway-Execution-Logs_<id>/<stage>``
  is created here first (encrypted, with retention); API Gateway would create it unencrypted and
  keep it forever. Both need the account's API Gateway CloudWatch role (bootstrap stack).
- The deployment's ``triggers`` hash the whole API definition, so any change to a method,
  integration, model, validator or gateway response redeploys; ``create_before_destroy`` keeps
  the stage pointing at a live deployment throughout.
- Lambda may be invoked only for this method (``<execution arn>/*/POST/webhook``) and only
  through the alias.
- ``extra_routes`` (:class:`ProxyRoute`) add further ``POST /<path>`` Lambda-proxy routes to the
  same API and stage, each with the same guards as ``/webhook`` (API key required, its own body
  model checked by the same validator, an invoke permission for that method only, through the
  alias) and **its own** usage plan and API key (``<api_name>-<path>``): the caller's function
  tells the keys apart by ``requestContext.identity.apiKeyId``. Every API key is valid for every
  method of the stage (a usage plan admits the stage, not a path), so a function behind a route
  must refuse keys that are not its own.
- A metric filter on the access log counts 401/403 answers (bad signature, bad or missing API
  key) as ``<metrics_namespace>/ApiAuthFailures{environment}`` for an auth-failure alarm, and another
  counts 429 answers (throttling and the usage plan's quota) as ``<metrics_namespace>/ApiThrottled``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.overrides import apply_overrides

WEBHOOK_PATH = "webhook"
AUTH_FAILURE_METRIC = "ApiAuthFailures"
# API Gateway publishes 4XXError, which mixes 429 with 400/401/403: the access log counts 429 alone.
THROTTLED_METRIC = "ApiThrottled"

BAD_REQUEST_BODY_TEMPLATE = '{"message": "invalid request body", "request_id": "$context.requestId"}'

# $context variables a JSON template may put between quotes: AWS generates their values (ids, times,
# numbers, addresses, method and resource path of a defined method), none is the caller's text.
AWS_GENERATED_CONTEXT_VARIABLES = frozenset(
    {
        "$context.requestId",
        "$context.requestTime",
        "$context.identity.sourceIp",
        "$context.identity.apiKeyId",
        "$context.httpMethod",
        "$context.resourcePath",
        "$context.status",
        "$context.responseLength",
        "$context.responseLatency",
        "$context.integration.latency",
        "$context.integration.status",
        "$context.xrayTraceId",
    }
)
# Variables API Gateway renders already JSON-quoted: they stand unquoted in a template.
SELF_QUOTED_CONTEXT_VARIABLES = frozenset({"$context.error.messageString"})


def access_log_format(environment: str) -> str:
    """One JSON object per request; the constant ``environment`` is the metric filter's dimension."""
    fields = {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "apiKeyId": "$context.identity.apiKeyId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integration.latency",
        "integrationStatus": "$context.integration.status",
        "errorMessage": "@@messageString@@",
        "xrayTraceId": "$context.xrayTraceId",
        "environment": environment,
    }
    # messageString carries its own quotes: it replaces the quoted placeholder as a bare value.
    return json.dumps(fields, separators=(",", ":")).replace('"@@messageString@@"', "$context.error.messageString")


@dataclass(frozen=True)
class ProxyRoute:
    """A further ``POST /<path>`` route of :class:`WebhookApi`: Lambda proxy to a function's alias, with its
    own request model, usage plan and API key. Its construct ids start with ``<path>-`` (they are state
    addresses: a path, once deployed, keeps its name)."""

    path: str
    """One path segment, e.g. ``labels`` (lowercase letters, digits, ``-``); not ``webhook``."""
    function_name: str
    """Function name (for the invoke permission)."""
    alias_name: str
    """Alias the API invokes (permission qualifier)."""
    alias_invoke_arn: str
    """Invoke ARN of that alias (integration URI)."""
    request_schema: str
    """Draft-4 JSON Schema of the body, as for ``WebhookApiProps.request_schema``; its ``title`` names the
    model and must differ from every other model of the API."""
    description: str = ""
    """Says who the route's usage plan and API key are for. Default: ``POST /<path> callers``."""
    throttle_rate: int | None = None
    """The route's usage plan steady rate per key. Default: None (the API's ``throttle_rate``)."""
    throttle_burst: int | None = None
    """The route's usage plan burst per key. Default: None (the API's ``throttle_burst``)."""
    quota_per_day: int | None = None
    """Requests per API key and day. Default: None (the API's ``quota_per_day``)."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", self.path) or self.path == WEBHOOK_PATH:
            raise ValueError(f"ProxyRoute.path {self.path!r} must be one lowercase segment other than {WEBHOOK_PATH!r}")
        _check_schema("ProxyRoute.request_schema", self.request_schema)

    @property
    def model_name(self) -> str:
        """The schema's ``title``, else ``<Path>Request``."""
        fallback = "".join(part.capitalize() for part in self.path.split("-")) + "Request"
        return str(json.loads(self.request_schema).get("title") or fallback)


def _check_schema(what: str, request_schema: str) -> None:
    schema = json.loads(request_schema)
    if schema.get("type") != "object" or not schema.get("required"):
        raise ValueError(f"{what} must describe an object that requires a property")


@dataclass(frozen=True)
class WebhookApiProps:
    """Props of :class:`WebhookApi`."""

    api_name: str
    """REST API name, e.g. ``fraud-webhook-api-dev``."""
    environment: str
    """Environment suffix (access log field and metric dimension)."""
    function_name: str
    """Webhook function name (for the invoke permission)."""
    alias_name: str
    """Alias the API invokes (permission qualifier)."""
    alias_invoke_arn: str
    """Invoke ARN of that alias (integration URI)."""
    kms_key_arn: str
    """CMK for the access and execution log groups."""
    request_schema: str
    """Draft-4 JSON Schema of the request body: an object schema that requires at least one property
    (its ``title``, if any, names the API Gateway model)."""
    metrics_namespace: str
    """CloudWatch namespace of the access-log metric filters (auth failures, 429s)."""
    description: str = "Transaction webhook"
    """REST API description. Default: ``Transaction webhook``."""
    stage_name: str = "v1"
    """Default: ``v1``."""
    log_retention_days: int = 30
    """Default: 30."""
    throttle_rate: int = 100
    """Steady requests per second, stage-wide and per key. Default: 100."""
    throttle_burst: int = 200
    """Burst, stage-wide and per key. Default: 200."""
    quota_per_day: int = 1_000_000
    """Requests per API key and day. Default: 1,000,000."""
    logging_level: str = "INFO"
    """Execution log level, ``INFO`` or ``ERROR``. Default: INFO (bodies are never logged)."""
    extra_routes: tuple[ProxyRoute, ...] = ()
    """Further ``POST /<path>`` routes, each with its own usage plan and API key. Default: none."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths on the stage. Default: none."""

    def __post_init__(self) -> None:
        if self.logging_level not in ("INFO", "ERROR"):
            raise ValueError("WebhookApiProps.logging_level must be INFO or ERROR")
        _check_schema("WebhookApiProps.request_schema", self.request_schema)
        paths = [route.path for route in self.extra_routes]
        if len(set(paths)) != len(paths):
            raise ValueError(f"WebhookApiProps.extra_routes: paths must be unique ({paths})")
        models = [self.model_name, *(route.model_name for route in self.extra_routes)]
        if len(set(models)) != len(models):
            raise ValueError(f"WebhookApiProps: request schema titles (model names) must be unique ({models})")

    @property
    def model_name(self) -> str:
        """The schema's ``title``, else ``WebhookRequest``."""
        return str(json.loads(self.request_schema).get("title") or "WebhookRequest")


def definition_hash(props: WebhookApiProps) -> str:
    """Hash of everything in the API definition that lives in this code, not in resource ids."""
    static: dict[str, Any] = {
        "path": WEBHOOK_PATH,
        "method": "POST",
        "api_key_required": True,
        "integration": {"type": "AWS_PROXY", "timeout_ms": 29000},
        "schema": props.request_schema,
        "validator": {"body": True, "parameters": False},
        "responses": {"BAD_REQUEST_BODY": BAD_REQUEST_BODY_TEMPLATE},
    }
    if props.extra_routes:  # absent without extra routes: the webhook-only hash (and deployment) is unchanged
        static["extra_routes"] = [
            {"path": route.path, "method": "POST", "api_key_required": True, "schema": route.request_schema}
            for route in props.extra_routes
        ]
    return hashlib.sha256(json.dumps(static, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RouteDefinition:
    """What of one :class:`ProxyRoute` the deployment deploys (its triggers hash these ids)."""

    resource: ApiGatewayResource
    model: ApiGatewayModel
    method: ApiGatewayMethod
    integration: ApiGatewayIntegration


@dataclass(frozen=True)
class RouteResources(RouteDefinition):
    """The resources of one :class:`ProxyRoute` (``WebhookApi.routes[path]``)."""

    permission: LambdaPermission
    usage_plan: ApiGatewayUsagePlan
    api_key: ApiGatewayApiKey
    usage_plan_key: ApiGatewayUsagePlanKey


class WebhookApi(Construct):
    """Exposes ``rest_api``, ``stage``, ``deployment``, ``method``, ``integration``, ``model``,
    ``api_key``, ``usage_plan``, ``permission``, ``access_log_group``, ``execution_log_group``,
    ``auth_failure_filter``, ``throttled_filter``, ``url``, and per extra route ``routes[path]``
    (:class:`RouteResources`) and ``route_url(path)``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: WebhookApiProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.rest_api = ApiGatewayRestApi(
            self,
            "rest-api",
            name=props.api_name,
            description=props.description,
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            api_key_source="HEADER",
            # A replaced API gets a new id and URL: create the new one before the old one goes.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        api_id = self.rest_api.id
        self.resource = ApiGatewayResource(
            self,
            "webhook-resource",
            rest_api_id=api_id,
            parent_id=self.rest_api.root_resource_id,
            path_part=WEBHOOK_PATH,
        )
        self.model = ApiGatewayModel(
            self,
            "model",
            rest_api_id=api_id,
            name=props.model_name,
            content_type="application/json",
            schema=props.request_schema,
        )
        self.validator = ApiGatewayRequestValidator(
            self,
            "body-validator",
            rest_api_id=api_id,
            name="body",
            validate_request_body=True,
            validate_request_parameters=False,
        )
        self.method = ApiGatewayMethod(
            self,
            "post",
            rest_api_id=api_id,
            resource_id=self.resource.id,
            http_method="POST",
            authorization="NONE",
            api_key_required=True,
            request_validator_id=self.validator.id,
            request_models={"application/json": self.model.name},
        )
        self.integration = ApiGatewayIntegration(
            self,
            "integration",
            rest_api_id=api_id,
            resource_id=self.resource.id,
            http_method=self.method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=props.alias_invoke_arn,
            timeout_milliseconds=29000,
        )
        definitions = {route.path: self._route_definition(route) for route in props.extra_routes}
        self.bad_request_body = ApiGatewayGatewayResponse(
            self,
            "bad-request-body",
            rest_api_id=api_id,
            response_type="BAD_REQUEST_BODY",
            status_code="400",
            response_templates={"application/json": BAD_REQUEST_BODY_TEMPLATE},
        )
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=api_id,
            description="Managed by cdktf; replaced whenever the API definition changes",
            triggers={
                "redeployment": Fn.sha1(
                    Fn.jsonencode(
                        [
                            definition_hash(props),
                            self.resource.id,
                            self.method.id,
                            self.integration.id,
                            self.model.id,
                            self.validator.id,
                            self.bad_request_body.id,
                            *(
                                resource_id
                                for r in definitions.values()
                                for resource_id in (r.resource.id, r.method.id, r.integration.id, r.model.id)
                            ),
                        ]
                    )
                )
            },
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.access_log_group = CloudwatchLogGroup(
            self,
            "access-logs",
            name=f"/aws/apigateway/{props.api_name}/access",
            kms_key_id=props.kms_key_arn,
            retention_in_days=props.log_retention_days,
        )
        self.execution_log_group = CloudwatchLogGroup(
            self,
            "execution-logs",
            name=f"API-Gateway-Execution-Logs_{api_id}/{props.stage_name}",
            kms_key_id=props.kms_key_arn,
            retention_in_days=props.log_retention_days,
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=api_id,
            stage_name=props.stage_name,
            deployment_id=self.deployment.id,
            xray_tracing_enabled=True,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_log_group.arn, format=access_log_format(props.environment)
            ),
            depends_on=[self.execution_log_group],
        )
        apply_overrides(self.stage, props.overrides)
        self.method_settings = ApiGatewayMethodSettings(
            self,
            "method-settings",
            rest_api_id=api_id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level=props.logging_level,
                data_trace_enabled=False,
                throttling_rate_limit=props.throttle_rate,
                throttling_burst_limit=props.throttle_burst,
            ),
        )
        self.usage_plan = ApiGatewayUsagePlan(
            self,
            "usage-plan",
            name=f"{props.api_name}-default",
            description="Default plan for webhook senders",
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=api_id, stage=self.stage.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=props.throttle_rate, burst_limit=props.throttle_burst
            ),
            quota_settings=ApiGatewayUsagePlanQuotaSettings(limit=props.quota_per_day, period="DAY"),
        )
        self.api_key = ApiGatewayApiKey(
            self,
            "api-key",
            name=f"{props.api_name}-default",
            description="Default webhook sender key",
            enabled=True,
        )
        self.usage_plan_key = ApiGatewayUsagePlanKey(
            self,
            "usage-plan-key",
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=self.usage_plan.id,
        )
        self.permission = LambdaPermission(
            self,
            "invoke-permission",
            statement_id="AllowApiGatewayPostWebhook",
            action="lambda:InvokeFunction",
            function_name=props.function_name,
            qualifier=props.alias_name,
            principal=f"apigateway.{aws.dns_suffix}",
            source_arn=f"{self.rest_api.execution_arn}/*/POST/{WEBHOOK_PATH}",
        )
        self.routes: dict[str, RouteResources] = {
            route.path: self._route_access(aws, route, definitions[route.path]) for route in props.extra_routes
        }
        self.auth_failure_filter = self._count_statuses(
            "auth-failures", '{ ($.status = "401") || ($.status = "403") }', AUTH_FAILURE_METRIC
        )
        self.throttled_filter = self._count_statuses("throttled", '{ $.status = "429" }', THROTTLED_METRIC)

    def _route_definition(self, route: ProxyRoute) -> RouteDefinition:
        """``POST /<path>``: resource, model, method (API key, body validator) and Lambda-proxy integration;
        the deployment's triggers include them."""
        api_id = self.rest_api.id
        resource = ApiGatewayResource(
            self,
            f"{route.path}-resource",
            rest_api_id=api_id,
            parent_id=self.rest_api.root_resource_id,
            path_part=route.path,
        )
        model = ApiGatewayModel(
            self,
            f"{route.path}-model",
            rest_api_id=api_id,
            name=route.model_name,
            content_type="application/json",
            schema=route.request_schema,
        )
        method = ApiGatewayMethod(
            self,
            f"{route.path}-post",
            rest_api_id=api_id,
            resource_id=resource.id,
            http_method="POST",
            authorization="NONE",
            api_key_required=True,
            request_validator_id=self.validator.id,
            request_models={"application/json": model.name},
        )
        integration = ApiGatewayIntegration(
            self,
            f"{route.path}-integration",
            rest_api_id=api_id,
            resource_id=resource.id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=route.alias_invoke_arn,
            timeout_milliseconds=29000,
        )
        return RouteDefinition(resource=resource, model=model, method=method, integration=integration)

    def _route_access(self, aws: AwsContext, route: ProxyRoute, definition: RouteDefinition) -> RouteResources:
        """The route's invoke permission (this method only, through the alias), usage plan and API key."""
        props = self.props
        who = route.description or f"POST /{route.path} callers"
        permission = LambdaPermission(
            self,
            f"{route.path}-invoke-permission",
            statement_id="AllowApiGatewayPost" + "".join(part.capitalize() for part in route.path.split("-")),
            action="lambda:InvokeFunction",
            function_name=route.function_name,
            qualifier=route.alias_name,
            principal=f"apigateway.{aws.dns_suffix}",
            source_arn=f"{self.rest_api.execution_arn}/*/POST/{route.path}",
        )
        usage_plan = ApiGatewayUsagePlan(
            self,
            f"{route.path}-usage-plan",
            name=f"{props.api_name}-{route.path}",
            description=f"Plan for {who}",
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=self.rest_api.id, stage=self.stage.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=route.throttle_rate or props.throttle_rate,
                burst_limit=route.throttle_burst or props.throttle_burst,
            ),
            quota_settings=ApiGatewayUsagePlanQuotaSettings(
                limit=route.quota_per_day or props.quota_per_day, period="DAY"
            ),
        )
        api_key = ApiGatewayApiKey(
            self,
            f"{route.path}-api-key",
            name=f"{props.api_name}-{route.path}",
            description=f"Key of {who}",
            enabled=True,
        )
        usage_plan_key = ApiGatewayUsagePlanKey(
            self,
            f"{route.path}-usage-plan-key",
            key_id=api_key.id,
            key_type="API_KEY",
            usage_plan_id=usage_plan.id,
        )
        return RouteResources(
            resource=definition.resource,
            model=definition.model,
            method=definition.method,
            integration=definition.integration,
            permission=permission,
            usage_plan=usage_plan,
            api_key=api_key,
            usage_plan_key=usage_plan_key,
        )

    def route_url(self, path: str) -> str:
        """``https://<id>.execute-api.<region>.amazonaws.com/<stage>/<path>`` of an extra route."""
        if path not in self.routes:
            raise KeyError(f"no extra route {path!r} (routes: {sorted(self.routes)})")
        return f"{self.stage.invoke_url}/{path}"

    def _count_statuses(self, construct_id: str, pattern: str, metric: str) -> CloudwatchLogMetricFilter:
        """A metric filter on the access log counting answers that match ``pattern``, per environment."""
        return CloudwatchLogMetricFilter(
            self,
            construct_id,
            name=f"{self.props.api_name}-{construct_id}",
            log_group_name=self.access_log_group.name,
            pattern=pattern,
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                namespace=self.props.metrics_namespace,
                name=metric,
                value="1",
                dimensions={"environment": "$.environment"},
                unit="Count",
            ),
        )

    @property
    def url(self) -> str:
        """``https://<id>.execute-api.<region>.amazonaws.com/<stage>/webhook``."""
        return f"{self.stage.invoke_url}/{WEBHOOK_PATH}"
