"""The lazy provider import must not change a single byte of the synthesized Terraform JSON.

Each app is synthesized twice in fresh interpreters, at the same time: once as shipped (lazy
provider import) and once with ``FRAUD_STOCK_PROVIDER_IMPORT=1`` (the package ``__init__``
imports every submodule). Each run writes into its own ``CDKTF_OUTDIR``. ``-X importtime`` also
records which provider submodules each run imported, so the test knows the fast run really was
fast (a provider import placed before ``provider_loader.install()`` silently restores the stock
path) without timing anything.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
MAIN = REPO / "main.py"
# ``-X importtime`` lines end with the module name: "import time: 123 | 456 |   cdktf_cdktf_provider_aws.s3_bucket"
PROVIDER_SUBMODULE = re.compile(r"^import time:.*\|\s*(cdktf_cdktf_provider_aws\.\w+)$", re.MULTILINE)
LAZY_MAX_SUBMODULES = 200  # the lazy path imports tens; the stock path imports all ~2,135


@dataclass(frozen=True)
class Synth:
    stacks: dict[str, bytes]
    submodules: list[str]


def _start(app: Path, outdir: Path, *, stock: bool, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "FRAUD_STOCK_PROVIDER_IMPORT"}
    env |= extra_env | {"CDKTF_OUTDIR": str(outdir)}
    if stock:
        env["FRAUD_STOCK_PROVIDER_IMPORT"] = "1"
    # ``python -X importtime app.py``: the app runs as it does for cdktf (its folder first on the path,
    # by Python's own rule for a script), and stderr lists every module it imported.
    return subprocess.Popen(
        [sys.executable, "-X", "importtime", str(app)],
        cwd=app.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(proc: subprocess.Popen, outdir: Path) -> Synth:
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-4000:]
    stacks = {p.parent.name: p.read_bytes() for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
    submodules = sorted(set(PROVIDER_SUBMODULE.findall(stderr)))
    return Synth(stacks=stacks, submodules=submodules)


def synth_both(app: Path, tmp_path: Path, extra_env: dict[str, str] | None = None) -> tuple[Synth, Synth]:
    """Synthesize ``app`` lazily and stock, in parallel (no timing is asserted)."""
    fast_dir, stock_dir = tmp_path / "fast", tmp_path / "stock"
    fast = _start(app, fast_dir, stock=False, extra_env=extra_env or {})
    stock = _start(app, stock_dir, stock=True, extra_env=extra_env or {})
    return _collect(fast, fast_dir), _collect(stock, stock_dir)


def assert_equivalent(fast: Synth, stock: Synth, expected: set[str]) -> None:
    assert expected <= set(fast.stacks), sorted(fast.stacks)
    assert sorted(fast.stacks) == sorted(stock.stacks)
    for name in stock.stacks:
        assert fast.stacks[name] == stock.stacks[name], f"stack {name!r} differs (lazy vs stock import)"
    assert len(stock.submodules) > 2000, "the opt-out did not give the stock import"
    assert len(fast.submodules) < LAZY_MAX_SUBMODULES, (
        f"the lazy import was not used ({len(fast.submodules)} provider submodules imported): "
        "something imports cdktf_cdktf_provider_aws before provider_loader.install(); "
        "call it first (as main.py does before importing stacks.assembly)"
    )


@pytest.mark.tool
def test_sample_app_synth_is_byte_identical(tmp_path: Path) -> None:
    """Guards the loader on its own: resources, data sources, structs, aspects, cross-stack refs."""
    fast, stock = synth_both(HERE / "sample_app.py", tmp_path)
    assert_equivalent(fast, stock, {"sample-keys", "sample-app"})
    assert "cdktf_cdktf_provider_aws.sqs_queue" not in fast.submodules


@pytest.mark.tool
def test_main_synth_is_byte_identical(tmp_path: Path) -> None:
    fast, stock = synth_both(MAIN, tmp_path, {"FRAUD_IMAGE_TAG": "perf-equivalence"})
    from stacks.assembly import STACK_NAMES  # imports cdktf: not at collection

    assert_equivalent(fast, stock, set(STACK_NAMES))
