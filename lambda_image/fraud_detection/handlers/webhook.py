"""Webhook Lambda: API Gateway REST proxy ``POST /webhook`` -> signed, scored, stored once.

Thin on purpose: Powertools objects live at module level (created once per cold start), AWS
clients are built on first use, and the decision flow is ``fraud_detection.intake``. The only
thing callers ever see of a failure is a status code and the API Gateway request id.

Cold start: the import loads what every request needs (boto3, the Powertools logger, metrics,
tracer and Parameters, msgspec and the settings model: even a 401 needs the settings from SSM).
What only one path needs stays out of it: the request model, scoring and the pattern record load
once a delivery is authenticated (``intake._admit``), and the DynamoDB client is built on its
first use, so a cold start whose first request is rejected never pays for them. The one route is
dispatched by ``lambda_platform.RestResolver`` (Powertools' resolver decorators and response shape
without its event handler package, about 0.3x ``import boto3`` of init; docs/performance.md).

Tracing (X-Ray): the functions run with active tracing, so Lambda records the invocation
segment (initialization, invocation, overhead) without any SDK in the image. With tracing on
(deployed; Powertools turns it off outside Lambda), the Tracer loads the X-Ray SDK and patches
botocore during init: the ``## handler`` subsegment (``ColdStart``, ``Service`` and ``outcome``
annotations) and one subsegment per SSM/DynamoDB call. That costs about 0.2x ``import boto3`` of
init (the SDK, wrapt, the patch). Setting ``POWERTOOLS_TRACE_DISABLED=true`` on the function is the
opt-out: the X-Ray SDK is then never imported (``fraud_detection.tracing``), X-Ray still shows the
Lambda segments, but not the per-call subsegments or annotations. Deferring the SDK or the patch
to the first request was rejected: every first request makes an AWS call (the parameters), so it
would only move the cost from init into the first response (``make bench`` measures both).
"""

from __future__ import annotations

import functools
import json
import math
import threading
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

from fraud_detection import config, contract, intake
from fraud_detection.adapters.parameters import (
    ParameterError,
    ParameterNames,
    ParameterStore,
    ParametersUnavailable,
)
from fraud_detection.adapters.patterns import PatternStore
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

platform = observability(contract.WEBHOOK, patch_modules=("botocore",))
logger, metrics, tracer = platform.logger, platform.metrics, platform.tracer
app = RestResolver()

# The deadline: every answer leaves before the invocation's own timeout, with this much to spare for
# the response, the log line and the metrics flush. A dependency that has not answered by then (a
# hang, or a response dripping in byte by byte, which no socket timeout catches because each byte
# resets it) gets a 503 with Retry-After instead of an API Gateway error without one.
DEADLINE_MARGIN_SECONDS = 1.0
MIN_BUDGET_SECONDS = 0.5
RETRY_AFTER_SECONDS = 2
# Every request makes at most four AWS calls in sequence (GetParameters on a cold cache, Query x2,
# PutItem or GetItem): one call's worst case (attempts x (connect + read)) is a third of the budget.
_CALLS_PER_THIRD = 3
_ATTEMPTS = 2


class DeadlineExceeded(Exception):
    """A dependency did not answer within the request's deadline."""


def client_config(budget_seconds: float) -> BotoConfig:
    """Timeouts and retries derived from the deadline (not fixed numbers that may outlive it)."""
    return deadline_client_config(
        budget_seconds, min_budget=MIN_BUDGET_SECONDS, calls=_CALLS_PER_THIRD, attempts=_ATTEMPTS
    )


def budget_seconds(context: LambdaContext) -> float:
    """Seconds this request may spend on its dependencies."""
    return request_budget(context, margin=DEADLINE_MARGIN_SECONDS, minimum=MIN_BUDGET_SECONDS)


def within_deadline(seconds: float, work: Callable[[], intake.Reply]) -> intake.Reply:
    """Run ``work`` on a worker thread and stop waiting after ``seconds``.

    A late worker is left to finish on its own (a daemon thread, frozen with the container between
    invocations): what it may still write is idempotent by ``transaction_id``, so the sender's retry
    gets the same decision. Errors are re-raised here, on the handler's thread."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["reply"] = work()
        except BaseException as error:  # re-raised on the handler thread below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="webhook-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(f"no answer within {seconds:.1f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["reply"]


@dataclass(frozen=True)
class Dependencies:
    config: config.Config
    parameters: ParameterStore
    store: PatternStore
    now: Callable[[], datetime]
    """The receive-time clock."""


def build_dependencies(
    *,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> Dependencies:
    """Clients and cached parameters, built on the first request of a cold start (DynamoDB: on first use).

    Client timeouts come from that first request's deadline: an invocation's remaining time at its
    start is the function's timeout, the same for every request of the container. ``now`` stamps
    deliveries; ``monotonic`` is the parameter cache's clock."""
    boto_config = client_config(budget_seconds(app.lambda_context))
    settings = config.from_env()
    names = ParameterNames(
        settings=settings.require("settings_parameter"),
        signing_keys=settings.require("signing_keys_parameter"),
        fingerprint_key=settings.require("fingerprint_key_parameter"),
    )
    return Dependencies(
        config=settings,
        parameters=ParameterStore(boto3.client("ssm", config=boto_config), names, clock=monotonic),
        store=PatternStore(
            functools.partial(boto3.client, "dynamodb", config=boto_config), settings.require("table_name")
        ),
        now=now,
    )


dependencies = PerContainer(build_dependencies)


@app.post("/webhook")
def receive() -> Response:
    event = app.current_event
    request_id = event.request_id
    body = raw_body(event.body, event.is_base64_encoded)
    if body is None:
        return _reply(intake.Reply(400, {"message": "body must be UTF-8 JSON"}, "invalid_encoding"), request_id)
    deps = dependencies()
    delivery = intake.Delivery(
        body=body,
        content_type=event.headers.get("content-type"),
        signature=event.headers.get("x-fraud-signature"),
        request_id=request_id,
        source_ip=event.source_ip,
        received_at=deps.now(),
    )
    reply = within_deadline(
        budget_seconds(app.lambda_context),
        lambda: intake.process(
            delivery,
            deps.parameters.webhook_parameters(),
            deps.store,
            shards=deps.config.window_shards,
            ttl_days=deps.config.pattern_ttl_days,
        ),
    )
    return _reply(reply, request_id)


@app.exception_handler(DeadlineExceeded)
def too_slow(error: DeadlineExceeded) -> Response:
    """A dependency is too slow: answer in time, tell the sender when to retry, write nothing more."""
    logger.error("webhook dependency too slow", extra={"detail": str(error)})
    return _failure(503, "service unavailable", {"Retry-After": str(RETRY_AFTER_SECONDS)})


@app.exception_handler(config.ConfigError)
@app.exception_handler(ParameterError)
def unavailable(error: Exception) -> Response:
    """Parameters unreadable (SSM/KMS failure, placeholder keys, bad settings): refuse, write nothing.

    The sender is told when to retry; the cause (type and AWS message) goes to the log only.
    """
    cause = error.__cause__ or error
    logger.error("webhook unavailable", extra={"error_type": type(cause).__name__, "detail": str(error)})
    headers = None
    if isinstance(error, ParametersUnavailable):
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
    return _failure(503, "service unavailable", headers)


@app.not_found
def not_found(error: NotFoundError) -> Response:
    return _failure(404, "not found")


@app.exception_handler(Exception)
def failed(error: Exception) -> Response:
    """Any AWS or internal failure: details go to the log, the caller gets only the request id."""
    logger.error("webhook failed", exc_info=error, extra={"error_type": type(error).__name__})
    return _failure(500, "internal error")


@platform.lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _reply(reply: intake.Reply, request_id: str) -> Response:
    if reply.outcome == "written":
        metrics.add_metric(name="PatternsWritten", unit=MetricUnit.Count, value=1)
        logger.info(
            "pattern written",
            extra={
                "transaction_id": reply.body["transaction_id"],
                "action": reply.body["action"],
                "risk_score": reply.body["risk_score"],
            },
        )
    elif reply.outcome == "duplicate":
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
        logger.info("duplicate delivery", extra={"transaction_id": reply.body["transaction_id"]})
    else:
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        logger.warning("webhook rejected", extra={"outcome": reply.outcome, "status": reply.status})
    tracer.put_annotation(key="outcome", value=reply.outcome)
    body = dict(reply.body)
    if reply.status >= 400:
        body["request_id"] = request_id
    return Response(status_code=reply.status, body=json.dumps(body))


def _failure(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
    request_id = app.current_event.request_id
    return Response(
        status_code=status,
        body=json.dumps({"message": message, "request_id": request_id}),
        headers=headers,
    )
