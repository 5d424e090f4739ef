"""Scheduled batch: analyse the last closed 5-minute window, and roll up the previous day.

The job's window or day comes from the EventBridge event (``time``) or an explicit backfill,
never from the clock (async retries may run late or twice). Every output object is built in
memory and written with one PutObject under a deterministic key, so a re-run rewrites it and
a failure half-way leaves nothing behind. ``BatchWindowSucceeded`` is emitted only after the
window's object (and alert) are out: the staleness alarm treats its absence as breaching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fraud_detection import config, contract
from fraud_detection.adapters.alerts import AlertPublisher
from fraud_detection.adapters.audit_store import AuditStore
from fraud_detection.adapters.parameters import SettingsStore
from fraud_detection.adapters.window_reader import WindowReader
from fraud_detection.alerts import window_alert
from fraud_detection.audit import audit_day_prefix, read_audit_lines
from fraud_detection.daily_report import analyses_prefix, build_daily_report
from fraud_detection.jobs import DailyReportJob, WindowJob, parse_job
from fraud_detection.jsonutil import canonical_dumps
from fraud_detection.lambda_platform import PerContainer, observability
from fraud_detection.shadow import shadow_section
from fraud_detection.window_analysis import analysis_key, analyze_window, iso_z

# The staleness alarm filters on the service dimension (contract.BATCH.service, set by the stacks).
platform = observability(contract.BATCH)
# Shorter than the window schedule's period: every scheduled run reads the settings afresh, so a
# settings change applies to the very next window (the cache only spares repeated reads in one run).
SETTINGS_MAX_AGE_SECONDS = 60
logger, metrics, tracer = platform.logger, platform.metrics, platform.tracer


@dataclass(frozen=True)
class BatchDependencies:
    reader: WindowReader
    store: AuditStore
    publisher: AlertPublisher
    settings: SettingsStore
    shadow_report_top_n: int | None = None
    """Set only when shadow settings are deployed: the daily report then reads the day's audit lines."""


def build_dependencies() -> BatchDependencies:
    """The clients of one container, from the environment (built on the first invocation)."""
    cfg = config.from_env()
    return BatchDependencies(
        reader=WindowReader(boto3.client("dynamodb"), cfg.require("table_name"), cfg.window_shards),
        store=AuditStore(boto3.client("s3"), cfg.require("bucket_name")),
        publisher=AlertPublisher(boto3.client("sns"), cfg.require("topic_arn")),
        settings=SettingsStore(
            boto3.client("ssm"), cfg.require("settings_parameter"), max_age_seconds=SETTINGS_MAX_AGE_SECONDS
        ),
        shadow_report_top_n=cfg.shadow_report_top_n,
    )


dependencies = PerContainer(build_dependencies)


@tracer.capture_method(capture_response=False)
def run_window(start: datetime, deps: BatchDependencies) -> dict[str, Any]:
    threshold = deps.settings.load().alert_suspicious_count
    read = deps.reader.read(start)
    analysis = analyze_window(start, read.items, read.scanned_count, threshold)
    key = analysis_key(analysis.window_start)
    deps.store.put(key, canonical_dumps(analysis.document()).encode("utf-8"), "application/json")
    if analysis.should_alert:
        deps.publisher.publish(window_alert(iso_z(analysis.window_start), analysis.suspicious_count, threshold, key))
    result = {
        "job": contract.WINDOW_SCHEDULE.job,
        "window_start": iso_z(analysis.window_start),
        "analysis_key": key,
        "transactions": analysis.transactions,
        "items_read": read.scanned_count,
        "pages": read.pages,
        "alerted": analysis.should_alert,
    }
    logger.info("window analysed", extra=result)
    return result


@tracer.capture_method(capture_response=False)
def run_daily_report(day: date, deps: BatchDependencies) -> dict[str, Any]:
    keys = sorted(key for key in deps.store.keys(analyses_prefix(day)) if key.endswith(".json"))
    analyses = [deps.store.get_json(key) for key in keys]
    shadow = None
    if deps.shadow_report_top_n is not None:
        # one object at a time, deduplicated, bounded (fraud_detection.shadow.MAX_REPORT_LINES)
        audit_keys = sorted(key for key in deps.store.keys(audit_day_prefix(day)) if key.endswith(".jsonl.gz"))
        lines = read_audit_lines(deps.store.get_bytes(key) for key in audit_keys)
        shadow = shadow_section(lines, deps.shadow_report_top_n, objects_total=len(audit_keys))
    report = build_daily_report(day, analyses, shadow)
    deps.store.put(report.csv_key, report.flagged_csv.encode("utf-8"), "text/csv; charset=utf-8")
    deps.store.put(report.summary_key, report.summary_json.encode("utf-8"), "application/json")
    result = {
        "job": contract.DAILY_REPORT_SCHEDULE.job,
        "day": day.isoformat(),
        "windows_found": len(analyses),
        "summary_key": report.summary_key,
        "csv_key": report.csv_key,
    }
    logger.info("daily report written", extra=result)
    return result


@platform.lambda_handler()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = parse_job(event)
    deps = dependencies()
    if isinstance(job, WindowJob):
        result = run_window(job.start, deps)
        metrics.add_metric(name=contract.METRIC_BATCH_WINDOW_SUCCEEDED, unit=MetricUnit.Count, value=1)
        return result
    assert isinstance(job, DailyReportJob)
    result = run_daily_report(job.day, deps)
    metrics.add_metric(name="DailyReportSucceeded", unit=MetricUnit.Count, value=1)
    return result
