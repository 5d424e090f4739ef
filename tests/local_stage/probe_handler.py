"""A handler that reports the environment it ran with (for the in-process runtime tests)."""

from __future__ import annotations

import os
import threading
from typing import Any

# Set by a test while the handler is held: lets another thread act during the call.
PRINTED = threading.Event()
RELEASE = threading.Event()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError("asked to fail")
    if "say" in event:
        print(event["say"])
        PRINTED.set()
        RELEASE.wait(timeout=10)
        print(event["say"])
    names = ("TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE", "POWERTOOLS_TRACE_DISABLED")
    return {"env": {name: os.environ.get(name) for name in names}, "function": context.function_name}
