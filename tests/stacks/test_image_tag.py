"""The content-hash tag: stable for the same sources, different for any change, ignores caches."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.image_tag import image_tag

pytestmark = pytest.mark.unit


def _context(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "pkg" / "a.py").write_text("x = 1\n")
    return root


def test_same_sources_same_tag_and_format(tmp_path: Path) -> None:
    first = image_tag(_context(tmp_path / "one"))
    assert first == image_tag(_context(tmp_path / "two"))
    assert first.startswith("src-") and len(first) == 20


def test_any_content_or_name_change_changes_the_tag(tmp_path: Path) -> None:
    root = _context(tmp_path / "c")
    before = image_tag(root)
    (root / "pkg" / "a.py").write_text("x = 2\n")
    changed = image_tag(root)
    (root / "pkg" / "a.py").rename(root / "pkg" / "b.py")
    assert len({before, changed, image_tag(root)}) == 3


def test_bytecode_caches_are_ignored(tmp_path: Path) -> None:
    root = _context(tmp_path / "c")
    before = image_tag(root)
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert image_tag(root) == before
