"""The unit-tier guard itself, run on canaries in a separate pytest process: a unit test that starts a
process fails, even when the code under test catches the violation; a quiet one passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tool

ROOT = Path(__file__).resolve().parents[2]
CANARIES = '''
import subprocess

import pytest

pytestmark = pytest.mark.unit


def test_starts_a_process() -> None:
    subprocess.run(["true"], check=False)


def test_swallows_the_violation() -> None:
    try:
        subprocess.run(["true"], check=False)
    except Exception:
        pass


def test_quiet() -> None:
    assert sum([1, 2]) == 3
'''


def test_unit_guard_fails_canaries_even_when_the_violation_is_caught(tmp_path: Path) -> None:
    (tmp_path / "test_canaries.py").write_text(CANARIES)
    args = [sys.executable, "-m", "pytest", str(tmp_path), "-p", "tests.support.tiers", "-p", "no:cacheprovider"]
    args += ["--rootdir", str(tmp_path), "-q", "-rA"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    outcomes = sorted(
        (line.split("::")[-1].split(" - ")[0], line.split(" ", 1)[0])
        for line in done.stdout.splitlines()
        if line.split(" ", 1)[0] in {"PASSED", "FAILED", "ERROR"} and "::" in line
    )
    assert done.returncode == 1, done.stdout
    # Failed in the call; caught by the code under test: its call passed, the guard's teardown errs.
    assert outcomes == [
        ("test_quiet", "PASSED"),
        ("test_starts_a_process", "FAILED"),
        ("test_swallows_the_violation", "ERROR"),
        ("test_swallows_the_violation", "PASSED"),
    ], done.stdout
