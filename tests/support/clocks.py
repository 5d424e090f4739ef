"""Clocks a test moves instead of waiting (injected into the handlers' dependencies)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MovableClock:
    """A monotonic clock (the parameter layer's back-off clock): ``now`` is what it reads."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now
