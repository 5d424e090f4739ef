"""The tools that run from venvs of their own (``make tools``): present, or the test cannot run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def require_tool(path: Path, name: str, installer: str) -> Path:
    """``path`` when installed; otherwise fail under CI (a missing tool must not pass silently), skip locally."""
    if path.exists():
        return path
    message = f"{name} venv missing ({path}); run `make tools` ({installer})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
