"""Labels Lambda: API Gateway REST proxy ``POST /labels`` -> one label object in the audit bucket.

Thin on purpose, as the webhook: Powertools objects at module level, clients built with the container's
dependencies on the first request, the decision flow in ``fraud_detection.labels_intake`` (docs/labels.md).
Its own function, role, API key and signing-key set: a sender of transactions cannot label them.

The API key check comes first and needs nothing from AWS: API Gateway admitted the request with some key of
the API, and only the labels key may label (403 otherwise). The proxy event carries the id of the key the
request was admitted with in ``requestContext.identity.apiKeyId`` (API Gateway Developer Guide, the
``$context`` variable reference: ``$context.identity.apiKeyId``, "the API key ID associated with an API
request that requires an API key"). Then the parameters (the settings and the label key set, one ``GetParameters``,
cached 5 minutes; unreadable: 503 with ``Retry-After``), then ``labels_intake.process``.

Deadline: at most four AWS calls in sequence (GetParameters on a cold cache, GetItem, PutObject, GetObject on
a duplicate); each call's worst case (attempts x (connect + read)) is a quarter of the invocation's time less
a second, so an unanswered dependency ends in an error the handler turns into a 5xx, before Lambda's timeout.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config as BotoConfig

from fraud_detection import config, contract, labels_intake
from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.adapters.audited_ledger import AuditedLedger
from fraud_detection.adapters.parameters import LabelParameterStore, ParameterError, ParametersUnavailable
from fraud_detection.intake import Reply
from fraud_detection.lambda_platform import (
    NotFoundError,
    PerContainer,
    Response,
    RestResolver,
    deadline_client_config,
    observability,
    raw_body,
    request_budget,
    utc_now,
)

platform = observability(contract.LABELS, patch_modules=("botocore",))
logger, metrics, tracer = platform.logger, platform.metrics, platform.tracer
app = RestResolver()

METRIC_RECORDED = "LabelsRecorded"
METRIC_DUPLICATE = "LabelsDuplicate"
METRIC_REJECTED = "LabelsRejected"
"""With the dimension ``outcome`` (``wrong_api_key``, ``signature_mismatch``, ``not_audited``, ...)."""
DEADLINE_MARGIN_SECONDS = 1.0
MIN_BUDGET_SECONDS = 0.5
RETRY_AFTER_SECONDS = 1
_CALLS = 4
_ATTEMPTS = 2


def client_config(budget_seconds: float) -> BotoConfig:
    """Timeouts and retries so that the request's calls, each at its worst, end within ``budget_seconds``."""
    return deadline_client_config(budget_seconds, min_budget=MIN_BUDGET_SECONDS, calls=_CALLS, attempts=_ATTEMPTS)


@dataclass(frozen=True)
class Dependencies:
    config: config.Config
    parameters: LabelParameterStore
    ledger: AuditedLedger
    objects: AuditStore
    """The audit bucket: label objects are created once and read back only to answer a repeat."""
    now: Callable[[], datetime]
    """The receive-time clock (signature age, ``occurred_at`` in the future, ``recorded_at``)."""


def build_dependencies(
    *,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> Dependencies:
    """Clients and cached parameters, built on the first request of a cold start."""
    context = app.lambda_context
    budget = request_budget(context, margin=DEADLINE_MARGIN_SECONDS, minimum=MIN_BUDGET_SECONDS)
    boto_config = client_config(budget)
    settings = config.from_env()
    return Dependencies(
        config=settings,
        parameters=LabelParameterStore(
            boto3.client("ssm", config=boto_config),
            settings.require("settings_parameter"),
            settings.require("label_signing_keys_parameter"),
            clock=monotonic,
        ),
        ledger=AuditedLedger(boto3.client("dynamodb", config=boto_config), settings.require("table_name")),
        objects=AuditStore(boto3.client("s3", config=boto_config), settings.require("bucket_name")),
        now=now,
    )


dependencies = PerContainer(build_dependencies)


@app.post(f"/{contract.LABELS_PATH}")
def receive() -> Response:
    event = app.current_event
    request_id = event.request_id
    deps = dependencies()
    identity = (event.raw.get("requestContext") or {}).get("identity") or {}
    if identity.get("apiKeyId") != deps.config.require("labels_api_key_id"):
        return _reply(Reply(403, {"message": "forbidden"}, "wrong_api_key"), request_id)
    body = raw_body(event.body, event.is_base64_encoded)
    if body is None:
        reply = Reply(
            400,
            {"message": "body must be UTF-8 JSON", "errors": [{"field": "<body>", "error": "invalid_encoding"}]},
            "invalid_encoding",
        )
        return _reply(reply, request_id)
    delivery = labels_intake.LabelDelivery(
        body=body,
        content_type=event.headers.get("content-type"),
        signature=event.headers.get("x-fraud-signature"),
        request_id=request_id,
        received_at=deps.now(),
    )
    reply = labels_intake.process(delivery, deps.parameters.label_parameters(), deps.ledger, deps.objects)
    return _reply(reply, request_id)


@app.exception_handler(labels_intake.LabelInFlight)
def in_flight(error: labels_intake.LabelInFlight) -> Response:
    """The same label is being written by a concurrent request: the retry gets 200 or 409."""
    logger.warning("label write in flight")
    return _failure(503, "service unavailable", "in_flight", {"Retry-After": str(RETRY_AFTER_SECONDS)})


@app.exception_handler(config.ConfigError)
@app.exception_handler(ParameterError)
def unavailable(error: Exception) -> Response:
    """Parameters unreadable (SSM/KMS failure, placeholder keys, bad settings) or the function misconfigured:
    refuse, write nothing; the cause goes to the log only."""
    cause = error.__cause__ or error
    logger.error("labels unavailable", extra={"error_type": type(cause).__name__, "detail": str(error)})
    headers = None
    if isinstance(error, ParametersUnavailable):
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
    return _failure(503, "service unavailable", "unavailable", headers)


@app.not_found
def not_found(error: NotFoundError) -> Response:
    return _failure(404, "not found", "no_route")


@app.exception_handler(Exception)
def failed(error: Exception) -> Response:
    """Any AWS or internal failure: details go to the log, the caller gets only the request id."""
    logger.error("labels failed", exc_info=error, extra={"error_type": type(error).__name__})
    return _failure(500, "internal error", "internal_error")


@platform.lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _reply(reply: Reply, request_id: str) -> Response:
    """Metrics and one log line (never the body: only ids, codes and field names), then the response."""
    if reply.outcome in ("recorded", "duplicate"):
        name = METRIC_RECORDED if reply.outcome == "recorded" else METRIC_DUPLICATE
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        logger.info(
            f"label {reply.outcome}",
            extra={name: reply.body[name] for name in ("transaction_id", "label", "source", "occurred_at")},
        )
    else:
        _rejected(reply.outcome)
        fields = [error["field"] for error in reply.body.get("errors", ())]
        logger.warning("label rejected", extra={"outcome": reply.outcome, "status": reply.status, "fields": fields})
    tracer.put_annotation(key="outcome", value=reply.outcome)
    body = dict(reply.body)
    if reply.status >= 400:
        body["request_id"] = request_id
    return Response(status_code=reply.status, body=json.dumps(body))


def _rejected(outcome: str) -> None:
    metrics.add_dimension(name="outcome", value=outcome)
    metrics.add_metric(name=METRIC_REJECTED, unit=MetricUnit.Count, value=1)


def _failure(status: int, message: str, outcome: str, headers: dict[str, str] | None = None) -> Response:
    _rejected(outcome)
    tracer.put_annotation(key="outcome", value=outcome)
    return Response(
        status_code=status,
        body=json.dumps({"message": message, "request_id": app.current_event.request_id}),
        headers=headers,
    )
