"""The stage's background loops (stream pump, alert watcher, scheduler): one daemon thread each."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundLoop:
    """Runs :meth:`_run` on a daemon thread from :meth:`start` until :meth:`stop` sets ``_stop``."""

    thread_name = "background-loop"
    join_seconds = 10.0

    def _init_loop(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)
