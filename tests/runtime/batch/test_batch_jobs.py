"""Which window or day an event asks for: from the event, never the clock (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fraud_detection.jobs import DailyReportJob, InvalidJobError, WindowJob, parse_job
from tests.support.events import input_transformer, load_event

pytestmark = pytest.mark.unit


def test_scheduled_window_event_takes_the_last_closed_window_of_its_time() -> None:
    event = input_transformer(load_event("eventbridge_scheduled_window.json"), "window")
    assert parse_job(event) == WindowJob(datetime(2026, 11, 22, 10, 5, tzinfo=UTC))


def test_window_inside_a_window_uses_the_previous_closed_one() -> None:
    job = parse_job({"job": "window", "time": "2026-11-22T10:14:59Z"})
    assert job == WindowJob(datetime(2026, 11, 22, 10, 5, tzinfo=UTC))


def test_explicit_backfill_window() -> None:
    job = parse_job({"job": "window", "window_start": "2026-11-21T23:55:00Z"})
    assert job == WindowJob(datetime(2026, 11, 21, 23, 55, tzinfo=UTC))


def test_scheduled_daily_report_is_for_the_previous_utc_day() -> None:
    event = input_transformer(load_event("eventbridge_scheduled_daily_report.json"), "daily_report")
    assert parse_job(event) == DailyReportJob(date(2026, 11, 21))


def test_daily_report_time_with_offset_is_converted_to_utc_first() -> None:
    assert parse_job({"job": "daily_report", "time": "2026-11-22T01:30:00+02:00"}) == DailyReportJob(date(2026, 11, 20))


def test_backfill_day() -> None:
    assert parse_job({"job": "daily_report", "day": "2026-11-01"}) == DailyReportJob(date(2026, 11, 1))


@pytest.mark.parametrize(
    "event",
    [
        {"job": "window"},
        {"job": "window", "window_start": "2026-11-22T10:06:00Z"},
        {"job": "window", "time": "2026-11-22T10:10:00"},
        {"job": "window", "time": 1795342019},
        {"job": "daily_report", "day": "22/11/2026"},
        {"job": "daily_report"},
        {"job": "cleanup", "time": "2026-11-22T10:10:00Z"},
        {"time": "2026-11-22T10:10:00Z"},
        ["window"],
    ],
)
def test_events_without_a_usable_window_are_rejected(event: object) -> None:
    with pytest.raises(InvalidJobError):
        parse_job(event)
