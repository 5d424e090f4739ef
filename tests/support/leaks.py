"""The one leak assertion: what no response (or audit line, or log meant for callers) may contain."""

from __future__ import annotations

import re

from tests.support.aws import ACCOUNT_ID
from tests.support.moto_stack import NAMES

# Luhn-valid and unique to these tests: if it shows up anywhere outside the request, it leaked.
SENTINEL_PAN = "4917612345009878"
# Names of the deployment, AWS plumbing and Python internals: never in what a caller sees.
INTERNALS = (
    "arn:",
    ACCOUNT_ID,
    NAMES.table,
    NAMES.bucket,
    "/fraud-detection/",
    "Traceback",
    'File "',
    "botocore",
    SENTINEL_PAN,
)
# a file path: two or more /segments (``application/json`` in a message has only one)
FILE_PATH = re.compile(r"(?:/[\w.\-]+){2,}|[A-Za-z]:\\")


def assert_no_leak(text: str, *also: str, paths: bool = False) -> None:
    """``text`` holds none of ``INTERNALS`` (nor ``also``), case-insensitively; with ``paths``, no file path."""
    lowered = text.lower()
    for fragment in (*INTERNALS, *also):
        assert fragment.lower() not in lowered, f"leaks {fragment!r}: {text}"
    if paths:
        assert not FILE_PATH.search(text), f"leaks a path: {text}"
