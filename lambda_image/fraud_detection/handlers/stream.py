"""Stream consumer of the pattern table: one audit object and the block alerts per batch.

Not Powertools' BatchProcessor: the audit object is one per batch, so a partial-batch
response would leave a batch half audited. Any failure raises; the event source mapping
bisects the batch and finally hands the poison record to the on-failure destination. A retry
rewrites the same audit key with the same bytes and republishes alerts with the same
``dedupe_key`` (subscribers de-duplicate; SNS standard topics are at-least-once anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fraud_detection import config
from fraud_detection.adapters.alerts import AlertPublisher
from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.audit import build_audit_batch, changes_from_event

SERVICE = "fraud-stream"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=config.metrics_namespace(), service=SERVICE)
tracer = Tracer(service=SERVICE)


@dataclass(frozen=True)
class StreamDependencies:
    store: AuditStore
    publisher: AlertPublisher


@cache
def dependencies() -> StreamDependencies:
    """Built on first use (not at import), so tests can start moto before any client exists."""
    settings = config.from_env()
    metrics.set_default_dimensions(environment=settings.environment)  # once: it outlives every flush
    return StreamDependencies(
        store=AuditStore(boto3.client("s3"), settings.require("bucket_name")),
        publisher=AlertPublisher(boto3.client("sns"), settings.require("topic_arn")),
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    changes = changes_from_event(event)
    batch = build_audit_batch(changes)
    if batch is None:
        logger.info("no pattern inserts in batch", extra={"records": len(changes)})
        metrics.add_metric(name="AuditLinesWritten", unit=MetricUnit.Count, value=0)
        return {"audit_key": None, "lines": 0, "alerts": 0}
    deps.store.put(batch.key, batch.body, content_type="application/x-ndjson", content_encoding="gzip")
    for alert in batch.alerts:
        deps.publisher.publish(alert)
    logger.info(
        "audit batch written",
        extra={"audit_key": batch.key, "lines": batch.line_count, "alerts": len(batch.alerts)},
    )
    metrics.add_metric(name="AuditLinesWritten", unit=MetricUnit.Count, value=batch.line_count)
    metrics.add_metric(name="BlockAlertsPublished", unit=MetricUnit.Count, value=len(batch.alerts))
    return {"audit_key": batch.key, "lines": batch.line_count, "alerts": len(batch.alerts)}
