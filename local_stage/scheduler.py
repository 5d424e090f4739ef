"""The batch schedules, locally: the contract's ``SCHEDULES`` (every 5 minutes the window job, daily at
00:15 UTC the report), fired at the same wall-clock times as the EventBridge rules.

EventBridge sends the batch what the target's input transformer makes of the scheduled event:
``{"job": ..., "time": <event time>}`` (docs/contract.md). This thread does the same, and
``trigger_now`` runs the rate schedules' jobs at once (the ``time`` is now, so the window job
analyses the last *closed* window, exactly like a scheduled run would).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fraud_detection.contract import SCHEDULES, Schedule
from fraud_detection.window_analysis import iso_z
from local_stage.background import BackgroundLoop


def is_due(schedule: Schedule, moment: datetime) -> bool:
    """Whether ``schedule`` fires at ``moment`` (a whole second)."""
    moment = moment.astimezone(UTC)
    if schedule.every_seconds:
        return int(moment.timestamp()) % schedule.every_seconds == 0
    if schedule.daily_at_utc:
        return (moment.hour, moment.minute, moment.second) == (*schedule.daily_at_utc, 0)
    return False


def job_events(fire_time: datetime, schedules: Sequence[Schedule] = SCHEDULES) -> list[dict[str, Any]]:
    """The transformed inputs the schedules deliver at ``fire_time`` (pure), in the contract's order."""
    return [{"job": s.job, "time": iso_z(fire_time)} for s in schedules if is_due(s, fire_time)]


def _next_of(schedule: Schedule, now: datetime) -> datetime | None:
    epoch = int(now.timestamp())
    if schedule.every_seconds:
        return datetime.fromtimestamp(epoch - epoch % schedule.every_seconds + schedule.every_seconds, tz=UTC)
    if schedule.daily_at_utc:
        hour, minute = schedule.daily_at_utc
        today = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return today if today > now else today + timedelta(days=1)
    return None


def next_fire(now: datetime, schedules: Sequence[Schedule] = SCHEDULES) -> datetime:
    """The next moment after ``now`` at which any schedule fires (rates aligned to the clock)."""
    return min(moment for s in schedules if (moment := _next_of(s, now)) is not None)


@dataclass
class Scheduler(BackgroundLoop):
    run: Callable[[dict[str, Any]], Any]
    say: Callable[[str], None] = lambda _line: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    schedules: Sequence[Schedule] = field(default=SCHEDULES)

    thread_name = "batch-scheduler"

    def __post_init__(self) -> None:
        self._init_loop()

    def _run_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            try:
                self.say(f"batch {event} -> {self.run(event)}")
            except Exception as error:  # a failed run is logged; the next one still happens
                self.say(f"batch {event} failed: {error}")

    def fire(self, fire_time: datetime) -> None:
        self._run_all(job_events(fire_time, self.schedules))

    def trigger_now(self) -> None:
        """The rate schedules' jobs (the window job) with the time now, whatever the clock says."""
        now = iso_z(self.clock())
        self._run_all([{"job": s.job, "time": now} for s in self.schedules if s.every_seconds])

    def _run(self) -> None:
        while True:
            due = next_fire(self.clock(), self.schedules)
            wait = max(0.0, (due - self.clock()).total_seconds()) + 1
            if self._stop.wait(wait):
                return
            self.fire(due)


__all__ = ["Scheduler", "job_events", "next_fire"]
