"""Stream consumer of the pattern table: one audit object and the block alerts per batch.

Not Powertools' BatchProcessor: the audit object is one per batch, so a partial-batch
response would leave a batch half audited. Any failure raises; the event source mapping
bisects the batch and finally hands the poison record to the on-failure destination. A retry
rewrites the same audit key with the same bytes and republishes alerts with the same
``dedupe_key`` (subscribers de-duplicate; SNS standard topics are at-least-once anyway).

Shadow settings and the settings history (docs/backtest.md, "Shadow settings"): when the stack sets a
shadow parameter, every audited decision is also decided under it (``fraud_detection.shadow``; the webhook
never reads it) and the outcome is written beside the live one; ``ShadowExtraBlock`` gets one sample per
such decision. Every live settings version the batch's records name, and the shadow's, is copied to
``settings/<version>.json`` once (``adapters.settings_history``). Neither may stop the audit trail: a shadow
that cannot be read leaves the batch's lines without ``shadow`` (``ShadowUnavailable``), and a history copy
that fails is logged and tried again with the next batch (``SettingsHistoryFailed``). A retry after the shadow
changed rewrites the audit key with the new shadow outcome.

The audit trail's ledger (docs/labels.md, "The ledger"): once a batch's audit object is written, every
audited line gets an ``AUDITED#<transaction_id>`` item in the pattern table (``adapters.audited_ledger``),
smoke traffic included, after the alerts went out: a ledger that cannot be written (throttled past its
retries, or denied, e.g. an environment whose deploy boundary predates the ledger: docs/deploy.md) never
holds back a block alert. A failed ledger write then raises like any other failure: the batch is retried
whole, rewrites the same object and items and republishes its alerts with the same ``dedupe_key``, and after
the retries the on-failure record reaches the DLQ (its alarm); ``cli backfill-ledger`` repairs the items.
The mapping's filter (``contract.STREAM_AUDITED_EVENTS``) keeps those items from invoking this function again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from fraud_detection import config, contract
from fraud_detection.adapters.alerts import AlertPublisher
from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.adapters.audited_ledger import AuditedEntry, AuditedLedger
from fraud_detection.adapters.parameters import ParametersUnavailable, SettingsStore
from fraud_detection.adapters.settings_history import SettingsHistory
from fraud_detection.audit import AuditBatch, StreamChange, build_audit_batch, changes_from_event, is_pattern_insert
from fraud_detection.lambda_platform import PerContainer, observability
from fraud_detection.settings import Settings, settings_version

platform = observability(contract.STREAM)
logger, metrics, tracer = platform.logger, platform.metrics, platform.tracer
# As the batch's: a deployed settings change reaches the history and the shadow within a minute.
SETTINGS_MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class StreamDependencies:
    store: AuditStore
    publisher: AlertPublisher
    history: SettingsHistory | None = None
    live_settings: SettingsStore | None = None
    """The live settings parameter, read only to copy a version the history lacks."""
    shadow_settings: SettingsStore | None = None
    """Set only when the stack deploys shadow settings."""
    ledger: AuditedLedger | None = None
    """The audit trail's ledger (``AUDITED#`` items in the pattern table); the deployed stream always has one."""


def build_dependencies() -> StreamDependencies:
    """The clients of one container, from the environment (built on the first invocation)."""
    settings = config.from_env()
    store = AuditStore(boto3.client("s3"), settings.require("bucket_name"))
    ssm = boto3.client("ssm") if settings.settings_parameter or settings.shadow_settings_parameter else None

    def parameter(name: str | None) -> SettingsStore | None:
        return None if name is None else SettingsStore(ssm, name, max_age_seconds=SETTINGS_MAX_AGE_SECONDS)

    return StreamDependencies(
        store=store,
        publisher=AlertPublisher(boto3.client("sns"), settings.require("topic_arn")),
        history=SettingsHistory(store),
        live_settings=parameter(settings.settings_parameter),
        shadow_settings=parameter(settings.shadow_settings_parameter),
        ledger=AuditedLedger(boto3.client("dynamodb"), settings.require("table_name")),
    )


dependencies = PerContainer(build_dependencies)


@platform.lambda_handler()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    changes = changes_from_event(event)
    shadow = load_shadow(deps) if changes else None
    batch = build_audit_batch(changes, shadow)
    if batch is None:
        logger.info("no pattern inserts in batch", extra={"records": len(changes)})
        metrics.add_metric(name="AuditLinesWritten", unit=MetricUnit.Count, value=0)
        return {"audit_key": None, "lines": 0, "alerts": 0}
    deps.store.put(batch.key, batch.body, content_type="application/x-ndjson", content_encoding="gzip")
    for alert in batch.alerts:
        deps.publisher.publish(alert)
    ledgered = deps.ledger.write(ledger_entries(changes, batch.key)) if deps.ledger is not None else 0
    record_history(batch, shadow, deps)
    for sample in batch.shadow_samples:  # one per decision evaluated; Powertools flushes every 100 values
        metrics.add_metric(name=contract.METRIC_SHADOW_EXTRA_BLOCK, unit=MetricUnit.Percent, value=sample)
    logger.info(
        "audit batch written",
        extra={"audit_key": batch.key, "lines": batch.line_count, "alerts": len(batch.alerts)},
    )
    metrics.add_metric(name="AuditLinesWritten", unit=MetricUnit.Count, value=batch.line_count)
    metrics.add_metric(name="BlockAlertsPublished", unit=MetricUnit.Count, value=len(batch.alerts))
    metrics.add_metric(name="AuditedLedgerItemsWritten", unit=MetricUnit.Count, value=ledgered)
    return {"audit_key": batch.key, "lines": batch.line_count, "alerts": len(batch.alerts)}


def ledger_entries(changes: list[StreamChange], audit_key: str) -> list[AuditedEntry]:
    """One ledger entry per audited change (the lines of ``audit_key``; ``build_audit_batch`` has already
    refused a pattern insert without ``transaction_id`` or ``received_at``)."""
    return [
        AuditedEntry(
            transaction_id=str(change.new_image["transaction_id"]),
            received_at=str(change.new_image["received_at"]),
            audit_key=audit_key,
        )
        for change in changes
        if is_pattern_insert(change)
    ]


def load_shadow(deps: StreamDependencies) -> Settings | None:
    """The shadow settings, or None (none deployed, or unreadable: then this batch has no shadow outcomes)."""
    if deps.shadow_settings is None:
        return None
    try:
        return deps.shadow_settings.load()
    except ParametersUnavailable as error:
        logger.warning("shadow settings unavailable; batch audited without shadow", extra={"reason": str(error)})
        metrics.add_metric(name="ShadowUnavailable", unit=MetricUnit.Count, value=1)
        return None


def record_history(batch: AuditBatch, shadow: Settings | None, deps: StreamDependencies) -> None:
    """Copy each settings version the batch used (live versions from its records, and the shadow's) to the
    history, once. A live version is found by reading the live parameter. When a record names a version the
    cached read does not hold, the parameter is read again at once, once per such version (a settings change
    the webhook already uses, while this container's 60-second cache still holds the previous one). A version
    the parameter no longer holds either (the webhook still caching the previous settings for a few minutes)
    was copied while it was the parameter's, or it is reported (``SettingsVersionUnmatched``)."""
    history = deps.history
    if history is None:
        return
    pending = [version for version in batch.settings_versions if not history.has(version)]
    candidates: list[Settings] = [shadow] if shadow is not None else []
    if pending and deps.live_settings is not None:
        try:
            live = deps.live_settings.load()
            # once per version: a version already reported unmatched does not make every batch read SSM again
            if any(version != settings_version(live) and not history.missed(version) for version in pending):
                live = deps.live_settings.load(fresh=True)
            candidates.insert(0, live)
        except ParametersUnavailable as error:
            logger.warning("live settings unavailable; history copy postponed", extra={"reason": str(error)})
    known = {settings_version(settings) for settings in candidates}
    for version in pending:
        if version not in known and history.first_miss(version):
            logger.warning("settings version not in the live parameter", extra={"settings_version": version})
            metrics.add_metric(name="SettingsVersionUnmatched", unit=MetricUnit.Count, value=1)
    written = 0
    for settings in candidates:
        try:
            written += history.record(settings)
        except (ClientError, BotoCoreError):
            logger.exception("settings history copy failed", extra={"settings_version": settings_version(settings)})
            metrics.add_metric(name="SettingsHistoryFailed", unit=MetricUnit.Count, value=1)
    if written:
        metrics.add_metric(name="SettingsVersionsRecorded", unit=MetricUnit.Count, value=written)
