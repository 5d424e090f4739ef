"""Daily report's shadow section: live vs shadow counts, the matrix, top N differing by amount (pure), and the
batch reading the day's audit lines only when a shadow is deployed (moto)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from fraud_detection import contract
from fraud_detection.audit import encode_jsonl_gz
from fraud_detection.handlers import batch
from fraud_detection.shadow import shadow_section
from tests.support.aws import REGION
from tests.support.events import input_transformer, load_event
from tests.support.lambda_context import FakeLambdaContext
from tests.support.outputs import bucket_objects

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fresh_containers")]


def line(txn: str, amount: str, live: str, shadow: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "transaction_id": txn,
        "amount": amount,
        "currency": "USD",
        "action": live,
        "risk_score": 10,
        "reasons": [],
        "received_at": "2026-11-21T10:00:00.000Z",
    }
    if shadow is not None:
        out["shadow"] = {"settings_version": "aaaa", "action": shadow, "risk_score": 90, "reasons": ["x"]}
    return out


LINES = [
    line("t1", "10.00", "approve", "block"),
    line("t2", "5000.00", "approve", "review"),
    line("t3", "900.00", "review", "block"),
    line("t4", "20.00", "block", "block"),
    line("t5", "7.00", "approve", "approve"),
    line("t6", "99999", "approve", None),  # written before the shadow: not evaluated
    line("smoke-1", "1.00", "approve", "block"),  # smoke: left out
]


def test_counts_matrix_and_top_n_by_amount() -> None:
    section = shadow_section(LINES, 2, objects_total=1)
    assert section["lines"] == 6 and section["evaluated"] == 5 and section["complete"] is True
    assert section["live_counts_by_action"] == {"approve": 3, "review": 1, "block": 1}
    assert section["shadow_counts_by_action"] == {"approve": 1, "review": 1, "block": 3}
    assert section["live_vs_shadow"]["approve"] == {"approve": 1, "review": 1, "block": 1}
    assert section["live_vs_shadow"]["review"]["block"] == 1
    assert section["differing"] == 3 and section["extra_blocks"] == 2
    top = section["top_differences_by_amount"]
    assert [row["transaction_id"] for row in top] == ["t2", "t3"]  # the two largest of t1, t2, t3
    assert (top[0]["live_action"], top[0]["shadow_action"], top[0]["amount"]) == ("approve", "review", "5000.00")
    assert section["shadow_settings_versions"] == {"aaaa": 5}


def test_the_section_is_bounded() -> None:
    section = shadow_section(LINES, 20, objects_total=1, max_lines=3)
    assert section["complete"] is False and section["lines"] == 3


@pytest.fixture
def audit_day(stack: Any) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=stack.bucket, Key="audit/dt=2026-11-21/hour=10/1-2.jsonl.gz", Body=encode_jsonl_gz(LINES[:4]))
    # a replayed batch: the same lines again under another key (each transaction counts once)
    s3.put_object(Bucket=stack.bucket, Key="audit/dt=2026-11-21/hour=10/1-1.jsonl.gz", Body=encode_jsonl_gz(LINES[:1]))
    s3.put_object(Bucket=stack.bucket, Key="audit/dt=2026-11-21/hour=11/3-4.jsonl.gz", Body=encode_jsonl_gz(LINES[4:]))
    s3.put_object(
        Bucket=stack.bucket,
        Key="audit/dt=2026-11-22/hour=00/5-5.jsonl.gz",
        Body=encode_jsonl_gz([line("next-day", "1", "approve", "block")]),
    )


def daily_summary(bucket: str) -> dict[str, Any]:
    event = input_transformer(load_event("eventbridge_scheduled_daily_report.json"), "daily_report")
    batch.handler(event, FakeLambdaContext())
    return json.loads(bucket_objects(bucket, "reports/")["reports/2026-11-21/summary.json"])


def test_daily_report_has_the_shadow_section_when_a_shadow_is_deployed(
    stack: Any, audit_day: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(contract.ENV_SHADOW_REPORT_TOP_N, "1")
    shadow = daily_summary(stack.bucket)["shadow"]
    assert shadow["evaluated"] == 5 and shadow["audit_objects"] == 3
    assert shadow["extra_blocks"] == 2
    assert [row["transaction_id"] for row in shadow["top_differences_by_amount"]] == ["t2"]


def test_daily_report_without_shadow_reads_no_audit_line(stack: Any, audit_day: None) -> None:
    assert "shadow" not in daily_summary(stack.bucket)
    assert batch.dependencies().shadow_report_top_n is None
