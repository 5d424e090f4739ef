"""Synthesize the stacks the way ``cdktf synth`` does (``python main.py``), into a chosen directory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from fraud_ops.targets import ROOT
from tools.jsii_env import silence_banner


class SynthError(RuntimeError):
    """``python main.py`` failed; the message carries the end of its stderr."""


def synthesize(outdir: Path, environ: Mapping[str, str], timeout: float = 900) -> None:
    """``python main.py`` with ``environ`` (the configuration's ``FRAUD_*`` settings) into ``outdir``."""
    env = {**environ, "CDKTF_OUTDIR": str(outdir)}
    silence_banner(env)
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise SynthError(f"synth failed ({done.returncode}):\n{done.stderr[-4000:]}")
