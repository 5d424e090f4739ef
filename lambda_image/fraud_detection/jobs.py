"""Batch job requests (pure): which window or day an EventBridge event asks for.

The window comes from the event's ``time`` (or an explicit backfill), never from the clock:
EventBridge retries async invocations, and a retry delivered late must still process the
window of its own event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fraud_detection import keys
from fraud_detection.contract import DAILY_REPORT_SCHEDULE, WINDOW_SCHEDULE


class InvalidJobError(ValueError):
    """The event names no job we can run; raised so it lands on the failure destination."""


@dataclass(frozen=True)
class WindowJob:
    start: datetime


@dataclass(frozen=True)
class DailyReportJob:
    day: date


def parse_instant(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidJobError(f"{field} must be an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidJobError(f"{field} is not ISO-8601: {value!r}") from error
    if moment.tzinfo is None:
        raise InvalidJobError(f"{field} needs a timezone (use Z): {value!r}")
    return moment.astimezone(UTC)


def _window_job(event: Mapping[str, Any]) -> WindowJob:
    if "window_start" in event:
        start = parse_instant(event["window_start"], "window_start")
        if keys.window_start(start) != start:
            raise InvalidJobError(f"window_start is not a 5-minute boundary: {event['window_start']!r}")
        return WindowJob(start)
    if "time" in event:
        return WindowJob(keys.last_closed_window(parse_instant(event["time"], "time")))
    raise InvalidJobError("window job needs 'time' or 'window_start'")


def _daily_job(event: Mapping[str, Any]) -> DailyReportJob:
    if "day" in event:
        try:
            return DailyReportJob(date.fromisoformat(str(event["day"])))
        except ValueError as error:
            raise InvalidJobError(f"day is not YYYY-MM-DD: {event['day']!r}") from error
    if "time" in event:
        return DailyReportJob(parse_instant(event["time"], "time").date() - timedelta(days=1))
    raise InvalidJobError("daily_report job needs 'time' or 'day'")


def parse_job(event: Any) -> WindowJob | DailyReportJob:
    if not isinstance(event, Mapping):
        raise InvalidJobError("event must be a JSON object")
    job = event.get("job")
    if job == WINDOW_SCHEDULE.job:
        return _window_job(event)
    if job == DAILY_REPORT_SCHEDULE.job:
        return _daily_job(event)
    raise InvalidJobError(f"unknown job {job!r}")
