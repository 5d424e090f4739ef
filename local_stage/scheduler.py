"""The batch schedules, locally: every 5 minutes a window job, daily at 00:15 UTC the report.

EventBridge sends the batch what the target's input transformer makes of the scheduled event:
``{"job": ..., "time": <event time>}`` (docs/contract.md). This thread does the same at the
same wall-clock times, and ``trigger_now`` runs the window job at once (the ``time`` is now,
so the batch analyses the last *closed* window, exactly like a scheduled run would).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

WINDOW_SECONDS = 300
DAILY_AT = (0, 15)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_events(fire_time: datetime) -> list[dict[str, Any]]:
    """The transformed inputs the schedules deliver at ``fire_time`` (pure)."""
    events: list[dict[str, Any]] = [{"job": "window", "time": iso_z(fire_time)}]
    if (fire_time.hour, fire_time.minute) == DAILY_AT:
        events.append({"job": "daily_report", "time": iso_z(fire_time)})
    return events


def next_fire(now: datetime) -> datetime:
    """The next 5-minute boundary after ``now`` (rate(5 minutes) aligned to the clock)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % WINDOW_SECONDS + WINDOW_SECONDS, tz=UTC)


@dataclass
class Scheduler:
    run: Callable[[dict[str, Any]], Any]
    say: Callable[[str], None] = lambda _line: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self, fire_time: datetime) -> None:
        for event in job_events(fire_time):
            try:
                self.say(f"batch {event} -> {self.run(event)}")
            except Exception as error:  # a failed run is logged; the next one still happens
                self.say(f"batch {event} failed: {error}")

    def trigger_now(self) -> None:
        self.fire(self.clock())

    def _loop(self) -> None:
        while True:
            due = next_fire(self.clock())
            wait = max(0.0, (due - self.clock()).total_seconds()) + 1
            if self._stop.wait(wait):
                return
            self.fire(due)

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="batch-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


__all__ = ["Scheduler", "job_events", "next_fire"]
