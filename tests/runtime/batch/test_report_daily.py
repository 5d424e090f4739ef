"""Daily report: rolled up from window analyses (pure), CSV escaping, handler idempotency (moto)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from fraud_detection.daily_report import build_daily_report, escape_cell, report_keys
from fraud_detection.handlers import batch
from fraud_detection.jsonutil import canonical_dumps
from fraud_detection.window_analysis import analysis_key, analyze_window
from tests.support.aws import REGION
from tests.support.events import input_transformer, load_event
from tests.support.lambda_context import FakeLambdaContext
from tests.support.outputs import bucket_objects
from tests.support.tables import pattern_item

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]

DAY = date(2026, 11, 21)


def window_document(start: datetime, items: list[dict[str, Any]]) -> dict[str, Any]:
    return json.loads(canonical_dumps(analyze_window(start, items, len(items), 5).document()))


def pattern(txn: str, start: datetime, **kwargs: Any) -> dict[str, Any]:
    return pattern_item(txn, start + timedelta(seconds=30), shards=4, **kwargs)


def day_of_analyses() -> list[dict[str, Any]]:
    midnight = datetime(2026, 11, 21, tzinfo=UTC)
    documents = []
    for index in range(288):
        start = midnight + timedelta(minutes=5 * index)
        items = [pattern(f"a-{index}", start)]
        if index == 10:
            items.append(pattern("rev-1", start, action="review", risk_score=60, merchant='=HYPERLINK("x")'))
        if index == 200:
            items.append(pattern("blk-1", start, action="block", risk_score=95, merchant="@SUM(A1)"))
        documents.append(window_document(start, items))
    return documents


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("Acme = Books", "Acme = Books"),
        ("", ""),
        (None, ""),
    ],
)
def test_escape_cell(raw: str | None, escaped: str) -> None:
    assert escape_cell(raw) == escaped


def test_totals_per_action_and_one_row_per_flagged_pattern() -> None:
    report = build_daily_report(DAY, day_of_analyses())
    summary = json.loads(report.summary_json)
    assert summary["counts_by_action"] == {"approve": 288, "block": 1, "review": 1}
    assert summary["windows_found"] == 288
    assert summary["missing_windows"] == []
    assert summary["transactions"] == 290
    rows = csv_rows(report.flagged_csv)
    assert [row["transaction_id"] for row in rows] == ["rev-1", "blk-1"]
    assert rows[0]["merchant"] == '\'=HYPERLINK("x")'
    assert rows[1]["merchant"] == "'@SUM(A1)"
    assert rows[1]["window_start"] == "2026-11-21T16:40:00Z"


def test_missing_windows_are_listed_not_hidden() -> None:
    documents = [d for d in day_of_analyses() if not d["window_start"].endswith("T00:05:00Z")]
    summary = json.loads(build_daily_report(DAY, documents).summary_json)
    assert summary["windows_found"] == 287
    assert summary["missing_windows"] == ["0005"]


def test_report_is_independent_of_listing_order() -> None:
    documents = day_of_analyses()
    assert build_daily_report(DAY, documents) == build_daily_report(DAY, list(reversed(documents)))


def test_report_keys() -> None:
    assert report_keys(DAY) == ("reports/2026-11-21/summary.json", "reports/2026-11-21/flagged.csv")


@pytest.fixture
def analyses_in_bucket(stack: Any) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    documents = day_of_analyses()
    for document in documents:
        start = datetime.fromisoformat(document["window_start"].replace("Z", "+00:00"))
        s3.put_object(Bucket=stack.bucket, Key=analysis_key(start), Body=json.dumps(document).encode())
    # neighbours that must not be rolled into 2026-11-21
    other = window_document(
        datetime(2026, 11, 22, tzinfo=UTC), [pattern("next-day", datetime(2026, 11, 22, tzinfo=UTC))]
    )
    s3.put_object(Bucket=stack.bucket, Key="analyses/dt=2026-11-22/window=0000.json", Body=json.dumps(other).encode())
    return documents


def test_scheduled_daily_report_rolls_up_the_previous_day_from_analyses(
    stack: Any, analyses_in_bucket: list[dict[str, Any]]
) -> None:
    event = input_transformer(load_event("eventbridge_scheduled_daily_report.json"), "daily_report")
    result = batch.handler(event, FakeLambdaContext())
    reports = bucket_objects(stack.bucket, "reports/")
    assert sorted(reports) == ["reports/2026-11-21/flagged.csv", "reports/2026-11-21/summary.json"]
    assert result["windows_found"] == 288
    summary = json.loads(reports["reports/2026-11-21/summary.json"])
    assert summary["day"] == "2026-11-21"
    assert summary["counts_by_action"]["approve"] == 288
    assert "next-day" not in reports["reports/2026-11-21/flagged.csv"].decode()


def test_daily_report_does_not_read_the_table(stack: Any, analyses_in_bucket: list[dict[str, Any]]) -> None:
    seen: list[str] = []
    batch.dependencies().reader.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: seen.append(model.name)
    )
    batch.handler({"job": "daily_report", "day": "2026-11-21"}, FakeLambdaContext())
    assert seen == []


def test_rerun_rewrites_the_same_report_objects(stack: Any, analyses_in_bucket: list[dict[str, Any]]) -> None:
    batch.handler({"job": "daily_report", "day": "2026-11-21"}, FakeLambdaContext())
    first = bucket_objects(stack.bucket, "reports/")
    batch.handler({"job": "daily_report", "day": "2026-11-21"}, FakeLambdaContext())
    assert bucket_objects(stack.bucket, "reports/") == first


def test_day_without_analyses_reports_every_window_missing(stack: Any) -> None:
    batch.handler({"job": "daily_report", "day": "2026-11-01"}, FakeLambdaContext())
    summary = json.loads(
        bucket_objects(stack.bucket, "reports/2026-11-01/summary.json")["reports/2026-11-01/summary.json"]
    )
    assert summary["windows_found"] == 0
    assert len(summary["missing_windows"]) == 288
