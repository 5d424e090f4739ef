"""A handler that reports the environment it ran with, and can print, fail, crash or hang on request
(for the worker-process tests of ``local_stage.functions``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

NAMES = ("TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE", "POWERTOOLS_TRACE_DISABLED")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError("asked to fail")
    if "crash" in event:
        os._exit(int(event["crash"]))
    if "sleep" in event:
        time.sleep(float(event["sleep"]))
    if "say" in event:
        print(event["say"])
    if "child_says" in event:  # a subprocess inherits the worker's stdout
        subprocess.run([sys.executable, "-c", f"print({event['child_says']!r})"], check=True)
    return {
        "env": {name: os.environ.get(name) for name in NAMES},
        "function": context.function_name,
        "pid": os.getpid(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
