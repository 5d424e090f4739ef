"""The one event loader: captured events under ``tests/runtime/events``, as the services deliver them."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "runtime" / "events"


@cache
def _parsed(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of the captured event ``name`` (callers may change it)."""
    return copy.deepcopy(_parsed(name))


def event_body(name: str, **overrides: Any) -> dict[str, Any]:
    """The JSON body of the captured API Gateway event ``name``, with overrides (``None`` deletes a key)."""
    document = json.loads(load_event(name)["body"])
    for field, value in overrides.items():
        if value is None:
            document.pop(field, None)
        else:
            document[field] = value
    return document


def input_transformer(scheduled_event: dict[str, Any], job: str) -> dict[str, Any]:
    """What the EventBridge target's input transformer (``input_paths = {"time": "$.time"}``) delivers."""
    return {"job": job, "time": scheduled_event["time"]}
