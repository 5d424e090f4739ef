"""Stream consumer of the pattern table: one audit object and the block alerts per batch.

Not Powertools' BatchProcessor: the audit object is one per batch, so a partial-batch
response would leave a batch half audited. Any failure raises; the event source mapping
bisects the batch and finally hands the poison record to the on-failure destination. A retry
rewrites the same audit key with the same bytes and republishes alerts with the same
``dedupe_key`` (subscribers de-duplicate; SNS standard topics are at-least-once anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fraud_detection import config, contract
from fraud_detection.adapters.alerts import AlertPublisher
from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.audit import build_audit_batch, changes_from_event
from fraud_detection.lambda_platform import PerContainer, observability

platform = observability(contract.STREAM)
logger, metrics, tracer = platform.logger, platform.metrics, platform.tracer


@dataclass(frozen=True)
class StreamDependencies:
    store: AuditStore
    publisher: AlertPublisher


def build_dependencies() -> StreamDependencies:
    """The clients of one container, from the environment (built on the first invocation)."""
    settings = config.from_env()
    return StreamDependencies(
        store=AuditStore(boto3.client("s3"), settings.require("bucket_name")),
        publisher=AlertPublisher(boto3.client("sns"), settings.require("topic_arn")),
    )


dependencies = PerContainer(build_dependencies)


@platform.lambda_handler()
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
