"""The one step timer of the tooling: how long a labelled step took, recorded and optionally announced."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, MutableMapping


@contextlib.contextmanager
def timed(label: str, timings: MutableMapping[str, float], say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Records ``timings[label]`` (seconds, one decimal) even when the step fails; with ``say`` it announces
    the step before it starts and its time when it is done."""
    if say is not None:
        say(f"{label} ...")
    start = time.monotonic()
    try:
        yield
    finally:
        timings[label] = round(time.monotonic() - start, 1)
    if say is not None:
        say(f"{label}: done in {timings[label]} s")
