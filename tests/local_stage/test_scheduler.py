"""Local schedules deliver what the EventBridge input transformer would, at the same times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local_stage.scheduler import Scheduler, job_events, next_fire

pytestmark = pytest.mark.unit


def test_every_five_minutes_a_window_job_with_the_event_time() -> None:
    assert job_events(datetime(2026, 11, 22, 10, 10, tzinfo=UTC)) == [{"job": "window", "time": "2026-11-22T10:10:00Z"}]


def test_at_00_15_the_daily_report_runs_too() -> None:
    jobs = [event["job"] for event in job_events(datetime(2026, 11, 22, 0, 15, tzinfo=UTC))]
    assert jobs == ["window", "daily_report"]


def test_next_fire_is_the_next_five_minute_boundary() -> None:
    assert next_fire(datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)) == datetime(2026, 11, 22, 10, 10, tzinfo=UTC)
    assert next_fire(datetime(2026, 11, 22, 10, 10, tzinfo=UTC)) == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)


def test_trigger_now_runs_the_window_job_and_survives_a_failure() -> None:
    seen: list[dict[str, str]] = []
    lines: list[str] = []

    def run(event: dict[str, str]) -> str:
        seen.append(event)
        raise RuntimeError("boom")

    Scheduler(run=run, say=lines.append, clock=lambda: datetime(2026, 11, 22, 10, 7, tzinfo=UTC)).trigger_now()
    assert seen == [{"job": "window", "time": "2026-11-22T10:07:00Z"}]
    assert "failed: boom" in lines[0]
