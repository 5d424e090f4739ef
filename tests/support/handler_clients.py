"""An API handler module attached to a test client: its clocks and its log lines held by the test."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def attached(module: Any, client: Any) -> Iterator[Any]:
    """Make ``module`` (``handlers.webhook`` or ``handlers.labels``) a fresh container whose receive-time clock
    is ``client.now`` and whose parameter-cache clock is ``client.clock``, and collect its log lines (formatted
    exactly as in Lambda) in ``client.log``: the Powertools handler binds ``sys.stdout`` at import, so
    ``capsys`` would miss them."""
    module.dependencies.use(
        functools.partial(module.build_dependencies, now=lambda: client.now, monotonic=client.clock)
    )
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(module.logger.registered_formatter)
    module.logger.addHandler(handler)
    client.log = log
    try:
        yield client
    finally:
        module.logger.removeHandler(handler)
        module.dependencies.use()
