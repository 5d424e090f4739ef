"""A handler that reports the environment it ran with (for the in-process runtime tests)."""

from __future__ import annotations

import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError("asked to fail")
    names = ("TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE", "POWERTOOLS_TRACE_DISABLED")
    return {"env": {name: os.environ.get(name) for name in names}, "function": context.function_name}
