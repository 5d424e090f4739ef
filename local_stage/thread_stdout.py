"""Send one thread's ``print`` output somewhere else without touching the other threads.

``contextlib.redirect_stdout`` swaps the process-wide ``sys.stdout``: while the stream pump's
thread ran a handler with its output sent to the stage log, whatever the main thread printed in
that moment (the operator CLI's results) went to the log too. Handlers print (Powertools metrics
flush with ``print``), so the local runtime needs a per-thread destination instead: a proxy
installed once as ``sys.stdout`` that writes each thread's output to that thread's destination,
or to the stream it replaced.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

_INSTALL_LOCK = threading.Lock()


class ThreadRoutedStdout(io.TextIOBase):
    """A ``sys.stdout`` stand-in: threads with a route write there, all others to ``fallback``."""

    def __init__(self, fallback: TextIO) -> None:
        super().__init__()
        self.fallback = fallback
        self._routes = threading.local()

    def _target(self) -> TextIO:
        return getattr(self._routes, "stream", None) or self.fallback

    @contextlib.contextmanager
    def route(self, stream: TextIO) -> Iterator[None]:
        previous = getattr(self._routes, "stream", None)
        self._routes.stream = stream
        try:
            yield
        finally:
            self._routes.stream = previous

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target(), "encoding", "utf-8")

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:  # subprocess(stdout=sys.stdout), faulthandler
        return self._target().fileno()

    @property
    def buffer(self) -> object:  # code that writes bytes to sys.stdout.buffer
        return self._target().buffer


def _installed() -> ThreadRoutedStdout:
    with _INSTALL_LOCK:
        if not isinstance(sys.stdout, ThreadRoutedStdout):
            sys.stdout = ThreadRoutedStdout(sys.stdout)
        return sys.stdout


@contextlib.contextmanager
def stdout_of_this_thread_to(stream: TextIO | None) -> Iterator[None]:
    """Within the block, this thread's ``print`` goes to ``stream``; other threads are unaffected."""
    if stream is None:
        yield
        return
    with _installed().route(stream):
        yield
