"""The image validates with msgspec, not pydantic: its requirements and its code say so.

pydantic and pydantic-core were 6.5 MB of the image's added wheels and ~50 ms of the webhook's
cold import (docs/performance.md); msgspec's aarch64 wheel is ~220 KB. These tests read the
hash-pinned requirements the Dockerfile installs and the package's sources, so pydantic cannot come
back unnoticed, neither as a pin nor as an import.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

IMAGE_DIR = Path(__file__).resolve().parents[2] / "lambda_image"
REQUIREMENTS = IMAGE_DIR / "requirements.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>\S+)", re.MULTILINE)
PYDANTIC_IMPORT = re.compile(r"^\s*(?:from|import)\s+pydantic", re.MULTILINE)


def pinned_blocks() -> dict[str, tuple[str, str]]:
    """Each pin of requirements.txt: name -> (version, its block of text up to the next pin)."""
    text = REQUIREMENTS.read_text()
    matches = list(PIN.finditer(text))
    blocks: dict[str, tuple[str, str]] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        blocks[match["name"].lower()] = (match["version"], text[match.start() : end])
    return blocks


def test_no_pydantic_distribution_is_pinned_or_named_as_a_reason() -> None:
    blocks = pinned_blocks()
    assert blocks, "no pins read from requirements.txt"
    assert sorted(name for name in blocks if name.startswith("pydantic")) == []
    assert "pydantic" not in REQUIREMENTS.read_text().lower()
    assert "pydantic" not in (IMAGE_DIR / "requirements.in").read_text().lower()


def test_msgspec_is_pinned_with_hashes_at_the_version_the_tests_run_against() -> None:
    blocks = pinned_blocks()
    assert "msgspec" in blocks, "msgspec is not pinned in requirements.txt"
    pinned, block = blocks["msgspec"]
    hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})\b", block)
    assert len(hashes) >= 2, block  # a wheel per platform (aarch64 for the image) and the sdist
    assert len(set(hashes)) == len(hashes)
    assert pinned == version("msgspec"), f"image pins msgspec {pinned}, the tests run {version('msgspec')}"
    assert re.search(r"^msgspec==", (IMAGE_DIR / "requirements.in").read_text(), re.MULTILINE)


def test_the_image_code_never_imports_pydantic() -> None:
    sources = sorted((IMAGE_DIR / "fraud_detection").rglob("*.py"))
    assert sources
    importing = [str(path.relative_to(IMAGE_DIR)) for path in sources if PYDANTIC_IMPORT.search(path.read_text())]
    assert importing == []
