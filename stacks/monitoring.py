"""Which alarms this app wants, and its dashboard (the generic ``fraud_constructs.alarms.Alarms`` builds them).

All notify the alert topic, on ALARM and OK.

Lambda alarms use the ``FunctionName`` dimension alone: it aggregates every version, and only
the ``live`` alias is ever invoked, so it is the same traffic without depending on the alias's
``Resource`` dimension (which Lambda publishes only for some metrics).
Auth failures are counted by a metric filter on the API access log (status 401 or 403:
bad signature, missing or invalid API key), because ``4XXError`` mixes them with validation
errors (400) and quota refusals (429). Batch staleness watches the image's EMF metric
``BatchWindowSucceeded{service=fraud-batch, environment=<env>}`` (``fraud_detection.contract``);
*missing* data is breaching, so a batch that stops running at all still alarms. Each alarm's
description links its runbook entry in ``docs/runbook.md``.

Lost deliveries have their own alarms, because none of the above sees them: an EventBridge
target that failed permanently (``FailedInvocations``) or whose event could not reach the DLQ
(``InvocationsFailedToBeSentToDlq``), a Lambda on-failure destination that could not be written
(``DestinationDeliveryFailures``), async events Lambda dropped (``AsyncEventsDropped``), DynamoDB
throttling of the table and of each index (``WriteThrottleEvents``/``ReadThrottleEvents``; an index
that cannot keep up throttles the table's writes), SNS deliveries that failed
(``NumberOfNotificationsFailed``), and 429 answers (API Gateway publishes no 429 metric: a metric
filter on the access log counts them). Missing data is "not breaching" for all of them: the
services publish these metrics only when they are non-zero. The metrics and the AWS pages that
define them are listed in docs/alarms.md (a test keeps that table equal to the synthesized JSON).

``POST /labels`` has a 5XX alarm of its own, on the per-method ``5XXError`` (dimensions ``ApiName``,
``Stage``, ``Resource``, ``Method``: API Gateway publishes them because the stage's ``*/*`` method settings
enable detailed metrics; API Gateway Developer Guide, "Amazon API Gateway dimensions and metrics"). The
labels handler answers every exception with a 500 or 503, so the function's ``Errors`` stays 0, and the
stage-wide 5XX rate is the webhook's traffic: a labels route that fails on every request hardly moves it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fraud_constructs.alarms import AlarmSpec, metric_widget
from fraud_constructs.webhook_api import AUTH_FAILURE_METRIC, THROTTLED_METRIC
from fraud_detection.contract import (
    BATCH,
    DIMENSION_ENVIRONMENT,
    DIMENSION_SERVICE,
    METRIC_BATCH_WINDOW_SUCCEEDED,
    METRIC_SHADOW_EXTRA_BLOCK,
    METRICS_NAMESPACE,
    STREAM,
    resource_name,
)

RUNBOOK = "docs/runbook.md"


@dataclass(frozen=True)
class MonitoredFunction:
    """A function to alarm on; ``timeout_seconds`` sets the p99 duration threshold (80 % of it)."""

    function_name: str
    timeout_seconds: int


@dataclass(frozen=True)
class MonitoringInputs:
    """What the app's alarms and dashboard watch (names the app stack decides)."""

    environment: str
    """Environment suffix (metric dimension)."""
    functions: Sequence[MonitoredFunction]
    """Functions to watch (errors, throttles, p99 duration)."""
    stream_function_name: str
    """Stream consumer (iterator age)."""
    queue_name: str
    """Dead-letter queue name."""
    api_name: str
    """REST API name (``ApiName`` dimension)."""
    stage_name: str
    """Stage name (``Stage`` dimension)."""
    labels_resource: str | None = None
    """Resource path of ``POST /labels`` (``Resource`` dimension, e.g. ``/labels``): its 5XX answers alarm on
    their own. Default: None (no labels route, no alarm)."""
    labels_5xx_periods: int = 3
    """Consecutive 5-minute periods with a labels 5XX before that alarm fires (one 503 while the same label
    is being written is expected). Default: 3."""
    api_5xx_rate: float = 0.01
    """Average of 5XXError (a 0/1 per request) over 5 minutes. Default: 1 %."""
    api_latency_p99_ms: int = 3000
    """Default: 3 s (the integration limit is 29 s)."""
    auth_failures_per_5_minutes: int = 50
    """401/403 answers in 5 minutes that count as a spike. Default: 50."""
    dlq_oldest_age_seconds: int = 2 * 24 * 3600
    """Default: 2 days (messages are kept 14)."""
    stream_iterator_age_ms: int = 5 * 60 * 1000
    """Default: 5 minutes behind the stream."""
    staleness_period_seconds: int = 900
    """Window over which at least one ``BatchWindowSucceeded`` must arrive. Default: 900 (3 runs)."""
    schedule_rule_names: Sequence[str] = ()
    """EventBridge rules whose permanent failures and DLQ-send failures alarm. Default: none."""
    destination_function_names: Sequence[str] = ()
    """Functions with an on-failure destination (async config or event source mapping). Default: none."""
    async_function_names: Sequence[str] = ()
    """Functions invoked asynchronously (dropped async events alarm). Default: none."""
    table_name: str | None = None
    """DynamoDB table whose read/write throttling alarms. Default: None."""
    table_index_names: Sequence[str] = ()
    """Global secondary indexes of that table (write throttling per index). Default: none."""
    topic_name: str | None = None
    """SNS topic whose failed notifications alarm. Default: None."""
    throttled_requests_per_5_minutes: int = 0
    """429 answers in 5 minutes above which the throttling alarm fires. Default: 0 (any refusal)."""
    option_alarms: Sequence[AlarmSpec] = ()
    """Alarms of the profile options (WAF, replication, ...): the dashboard shows their metrics too."""
    shadow_block_share_percent: float | None = None
    """With shadow settings: the hourly share (percent) of decisions the shadow would block more than live
    above which the shadow alarm fires. Default: None (no shadow, no alarm)."""
    shadow_period_seconds: int = 3600
    """Period of the shadow alarm (a share of an hour's decisions, not of a few). Default: 3600."""


def shadow_alarm_spec(props: MonitoringInputs) -> AlarmSpec | None:
    """The stream's ``ShadowExtraBlock`` samples (100 per extra block, 0 otherwise, one per decision) averaged
    over the period: the share in percent. No traffic, no samples: not breaching."""
    if props.shadow_block_share_percent is None:
        return None
    return AlarmSpec(
        resource_name(f"{STREAM.role}-shadow-extra-blocks", props.environment),
        "shadow-extra-blocks",
        f"The shadow settings would block more than {props.shadow_block_share_percent:g}% of decisions that live "
        "does not",
        METRICS_NAMESPACE,
        METRIC_SHADOW_EXTRA_BLOCK,
        {DIMENSION_SERVICE: STREAM.service, DIMENSION_ENVIRONMENT: props.environment},
        props.shadow_block_share_percent,
        statistic="Average",
        period=props.shadow_period_seconds,
        treat_missing_data="notBreaching",
    )


def labels_5xx_spec(props: MonitoringInputs) -> AlarmSpec | None:
    """``5XXError`` of ``POST /labels`` alone (Sum: the number of 5XX answers), in every one of
    ``labels_5xx_periods`` periods. Without labels traffic there is no data: not breaching."""
    if props.labels_resource is None:
        return None
    return AlarmSpec(
        f"{props.api_name}-labels-5xx",
        "api-labels-5xx",
        f"POST {props.labels_resource} answered 5XX in {props.labels_5xx_periods} consecutive 5-minute periods",
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": props.api_name, "Stage": props.stage_name, "Resource": props.labels_resource, "Method": "POST"},
        0,
        evaluation_periods=props.labels_5xx_periods,
        datapoints_to_alarm=props.labels_5xx_periods,
        treat_missing_data="notBreaching",
    )


def alarm_specs(props: MonitoringInputs) -> list[AlarmSpec]:
    """Every alarm of the app, in a stable order."""
    specs: list[AlarmSpec] = []
    for fn in props.functions:
        dims = {"FunctionName": fn.function_name}
        specs += [
            AlarmSpec(
                f"{fn.function_name}-errors",
                "function-errors",
                f"{fn.function_name} reported errors",
                "AWS/Lambda",
                "Errors",
                dims,
                0,
            ),
            AlarmSpec(
                f"{fn.function_name}-throttles",
                "function-throttles",
                f"{fn.function_name} was throttled",
                "AWS/Lambda",
                "Throttles",
                dims,
                0,
            ),
            AlarmSpec(
                f"{fn.function_name}-duration-p99",
                "function-duration",
                f"{fn.function_name} p99 duration above 80% of its timeout",
                "AWS/Lambda",
                "Duration",
                dims,
                fn.timeout_seconds * 1000 * 0.8,
                statistic=None,
                extended_statistic="p99",
                evaluation_periods=3,
                datapoints_to_alarm=2,
            ),
        ]
    specs += [
        AlarmSpec(
            resource_name(f"{STREAM.role}-iterator-age", props.environment),
            "stream-iterator-age",
            "The stream consumer is falling behind the table stream",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": props.stream_function_name},
            props.stream_iterator_age_ms,
            statistic="Maximum",
            evaluation_periods=3,
            datapoints_to_alarm=2,
        ),
        AlarmSpec(
            f"{props.queue_name}-messages-visible",
            "dlq-messages",
            "Failed events are waiting in the DLQ",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": props.queue_name},
            0,
            statistic="Maximum",
        ),
        AlarmSpec(
            f"{props.queue_name}-oldest-message",
            "dlq-age",
            "A failed event has waited in the DLQ for days",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            {"QueueName": props.queue_name},
            props.dlq_oldest_age_seconds,
            statistic="Maximum",
        ),
        AlarmSpec(
            f"{props.api_name}-5xx-rate",
            "api-5xx",
            "The API (POST /webhook and POST /labels) answers 5XX",
            "AWS/ApiGateway",
            "5XXError",
            {"ApiName": props.api_name, "Stage": props.stage_name},
            props.api_5xx_rate,
            statistic="Average",
            evaluation_periods=2,
            datapoints_to_alarm=2,
        ),
        AlarmSpec(
            f"{props.api_name}-latency-p99",
            "api-latency",
            "Webhook p99 latency is high",
            "AWS/ApiGateway",
            "Latency",
            {"ApiName": props.api_name, "Stage": props.stage_name},
            props.api_latency_p99_ms,
            statistic=None,
            extended_statistic="p99",
            evaluation_periods=3,
            datapoints_to_alarm=2,
        ),
        AlarmSpec(
            f"{props.api_name}-auth-failures",
            "api-auth-failures",
            "Spike of 401/403 answers (bad signatures or API keys)",
            METRICS_NAMESPACE,
            AUTH_FAILURE_METRIC,
            {DIMENSION_ENVIRONMENT: props.environment},
            props.auth_failures_per_5_minutes,
        ),
        AlarmSpec(
            resource_name(f"{BATCH.role}-stale", props.environment),
            "batch-stale",
            "No batch window succeeded in the last 15 minutes",
            METRICS_NAMESPACE,
            METRIC_BATCH_WINDOW_SUCCEEDED,
            {DIMENSION_SERVICE: BATCH.service, DIMENSION_ENVIRONMENT: props.environment},
            1,
            comparison="LessThanThreshold",
            period=props.staleness_period_seconds,
            treat_missing_data="breaching",
        ),
    ]
    labels = labels_5xx_spec(props)
    shadow = shadow_alarm_spec(props)
    return specs + ([labels] if labels else []) + ([shadow] if shadow else []) + lost_delivery_specs(props)


def _count(name: str, anchor: str, summary: str, namespace: str, metric: str, dims: Mapping[str, str]) -> AlarmSpec:
    """Any non-zero count in 5 minutes; no data means none happened (these metrics are sparse)."""
    return AlarmSpec(name, anchor, summary, namespace, metric, dims, 0, treat_missing_data="notBreaching")


def lost_delivery_specs(props: MonitoringInputs) -> list[AlarmSpec]:
    """One alarm for each way an event can be lost without any other alarm seeing it."""
    specs: list[AlarmSpec] = []
    for rule in props.schedule_rule_names:
        specs += [
            _count(
                f"{rule}-failed-invocations",
                "schedule-failed",
                f"EventBridge could not invoke the target of {rule}",
                "AWS/Events",
                "FailedInvocations",
                {"RuleName": rule},
            ),
            _count(
                f"{rule}-dlq-send-failures",
                "schedule-dlq-failed",
                f"A failed event of {rule} could not be sent to the DLQ: it is lost",
                "AWS/Events",
                "InvocationsFailedToBeSentToDlq",
                {"RuleName": rule},
            ),
        ]
    for fn in props.destination_function_names:
        specs.append(
            _count(
                f"{fn}-destination-failures",
                "destination-failed",
                f"A failed event of {fn} could not be written to its on-failure destination: it is lost",
                "AWS/Lambda",
                "DestinationDeliveryFailures",
                {"FunctionName": fn},
            )
        )
    for fn in props.async_function_names:
        specs.append(
            _count(
                f"{fn}-async-dropped",
                "async-dropped",
                f"Lambda dropped async events of {fn} (too old, or retries exhausted without a destination)",
                "AWS/Lambda",
                "AsyncEventsDropped",
                {"FunctionName": fn},
            )
        )
    if props.table_name:
        table = {"TableName": props.table_name}
        specs += [
            _count(
                f"{props.table_name}-write-throttles",
                "table-throttles",
                "DynamoDB throttled writes to the pattern table",
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                table,
            ),
            _count(
                f"{props.table_name}-read-throttles",
                "table-throttles",
                "DynamoDB throttled reads of the pattern table",
                "AWS/DynamoDB",
                "ReadThrottleEvents",
                table,
            ),
        ]
        specs += [
            _count(
                f"{props.table_name}-{index}-write-throttles",
                "index-throttles",
                f"The {index} index cannot keep up: DynamoDB throttles the table's writes",
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                {**table, "GlobalSecondaryIndexName": index},
            )
            for index in props.table_index_names
        ]
    if props.topic_name:
        specs.append(
            _count(
                f"{props.topic_name}-notifications-failed",
                "alerts-failed",
                "SNS could not deliver alerts to a subscriber",
                "AWS/SNS",
                "NumberOfNotificationsFailed",
                {"TopicName": props.topic_name},
            )
        )
    specs.append(
        AlarmSpec(
            f"{props.api_name}-throttled",
            "api-throttled",
            "The webhook answered 429 (stage or usage-plan throttling, or the daily quota)",
            METRICS_NAMESPACE,
            THROTTLED_METRIC,
            {DIMENSION_ENVIRONMENT: props.environment},
            props.throttled_requests_per_5_minutes,
            treat_missing_data="notBreaching",
        )
    )
    return specs


def dashboard_body(props: MonitoringInputs, region: str) -> str:
    """Dashboard JSON: functions, API, queue, stream lag and batch heartbeat."""
    api = ["ApiName", props.api_name, "Stage", props.stage_name]
    widgets: list[dict] = []
    for row, fn in enumerate(props.functions):
        name = ["FunctionName", fn.function_name]
        widgets.append(
            metric_widget(
                f"{fn.function_name}: invocations / errors / throttles",
                [["AWS/Lambda", m, *name] for m in ("Invocations", "Errors", "Throttles")],
                region,
                0,
                row * 6,
            )
        )
        widgets.append(
            metric_widget(
                f"{fn.function_name}: duration p99",
                [["AWS/Lambda", "Duration", *name]],
                region,
                12,
                row * 6,
                stat="p99",
            )
        )
    y = len(props.functions) * 6
    widgets += [
        metric_widget(
            "API requests / 4XX / 5XX",
            [["AWS/ApiGateway", m, *api] for m in ("Count", "4XXError", "5XXError")],
            region,
            0,
            y,
        ),
        metric_widget("API latency p99", [["AWS/ApiGateway", "Latency", *api]], region, 12, y, stat="p99"),
        metric_widget(
            "DLQ depth and oldest message",
            [
                ["AWS/SQS", m, "QueueName", props.queue_name]
                for m in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
            ],
            region,
            0,
            y + 6,
            stat="Maximum",
        ),
        metric_widget(
            "Batch windows succeeded / auth failures",
            [
                [
                    METRICS_NAMESPACE,
                    METRIC_BATCH_WINDOW_SUCCEEDED,
                    DIMENSION_SERVICE,
                    BATCH.service,
                    DIMENSION_ENVIRONMENT,
                    props.environment,
                ],
                [METRICS_NAMESPACE, AUTH_FAILURE_METRIC, DIMENSION_ENVIRONMENT, props.environment],
            ],
            region,
            12,
            y + 6,
        ),
        metric_widget(
            "Stream iterator age (max)",
            [["AWS/Lambda", "IteratorAge", "FunctionName", props.stream_function_name]],
            region,
            0,
            y + 12,
            stat="Maximum",
        ),
    ]
    lost = [[spec.namespace, spec.metric_name, *_flat(spec.dimensions)] for spec in lost_delivery_specs(props)]
    throttles = [m for m in lost if m[0] == "AWS/DynamoDB"]
    widgets += [
        metric_widget(
            "Lost deliveries (EventBridge, destinations, async drops, SNS, 429)",
            [m for m in lost if m[0] != "AWS/DynamoDB"],
            region,
            12,
            y + 12,
        ),
        metric_widget("DynamoDB throttling (table and indexes)", throttles, region, 0, y + 18),
    ]
    labels = labels_5xx_spec(props)
    if labels:
        route = _flat(labels.dimensions)
        widgets.append(
            metric_widget(
                f"POST {props.labels_resource}: requests / 4XX / 5XX",
                [["AWS/ApiGateway", m, *route] for m in ("Count", "4XXError", "5XXError")],
                region,
                12,
                y + 18,
            )
        )
    shadow = shadow_alarm_spec(props)
    for i, spec in enumerate([*props.option_alarms, *([shadow] if shadow else [])]):
        widgets.append(
            metric_widget(
                spec.summary,
                [[spec.namespace, spec.metric_name, *_flat(spec.dimensions)]],
                region,
                12 * (i % 2),
                y + 24 + 6 * (i // 2),
                stat=spec.statistic or "Sum",
            )
        )
    return json.dumps({"widgets": widgets})


def _flat(dimensions: Mapping[str, str]) -> list[str]:
    return [part for key in sorted(dimensions) for part in (key, dimensions[key])]
