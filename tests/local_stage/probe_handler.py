"""A handler that reports the environment it ran with, and can print, fail, crash or hang on request
(for the worker-process tests of ``local_stage.functions``); ``PROBE_IMPORT_SECONDS`` in its environment
makes its cold start (the import) that slow."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

NAMES = ("TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE", "POWERTOOLS_TRACE_DISABLED")
time.sleep(float(os.environ.get("PROBE_IMPORT_SECONDS", "0")))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError("asked to fail")
    if "crash" in event:
        os._exit(int(event["crash"]))
    if "say" in event:  # before a sleep: the test sees the invocation has begun
        print(event["say"])
    if "sleep" in event:
        time.sleep(float(event["sleep"]))
    if "child_says" in event:  # a subprocess inherits the worker's stdout
        subprocess.run([sys.executable, "-c", f"print({event['child_says']!r})"], check=True)
    return {
        "env": {name: os.environ.get(name) for name in NAMES},
        "function": context.function_name,
        "pid": os.getpid(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
