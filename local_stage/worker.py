"""One function's long-lived worker process: ``python -m local_stage.worker <module.attribute>``.

The local stage (:mod:`local_stage.functions`) starts one per function, with that function's
environment set at spawn (its ``environment.variables`` from Terraform state, the emulator
endpoint and dummy credentials), its stderr on the function's log file of the run. The worker
imports the handler once (the cold start) and then serves invocations, one at a time:

- it says ``{"ready": true}`` once the handler is imported;
- each line on stdin is ``{"event": ..., "context": {...}}`` (the context's attributes);
- each answer on the protocol pipe is ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error": "<type>: <message>"}`` (the traceback goes to the log).

The protocol pipe is the stdout the worker was started with; before the handler is imported the
process's own stdout is pointed at its stderr (the log file), so whatever the handler prints or
logs (Powertools writes to stdout) lands in the log and never in the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass(frozen=True)
class LocalContext:
    """The attributes Powertools and the handlers read from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def _protocol_pipe() -> TextIO:
    """The original stdout, kept for answers; fd 1 (and ``print``) goes to stderr, the log, from now on."""
    pipe = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return pipe


def _answer(pipe: TextIO, document: dict[str, Any]) -> None:
    pipe.write(json.dumps(document, default=str) + "\n")
    pipe.flush()


def serve(handler_path: str) -> int:
    pipe = _protocol_pipe()
    module_name, _, attribute = handler_path.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)  # an import error ends the worker
    _answer(pipe, {"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        context = LocalContext(**request["context"])
        try:
            result = handler(request["event"], context)
        except Exception as error:  # a function error: reported, the worker lives on
            traceback.print_exc()
            _answer(pipe, {"ok": False, "error": f"{type(error).__name__}: {error}"})
            continue
        finally:
            sys.stdout.flush()
        _answer(pipe, {"ok": True, "result": result})
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m local_stage.worker <module.attribute>")
    sys.exit(serve(sys.argv[1]))
