"""jsii's Node end-of-life banner: the one place that knows how to silence it.

jsii (the runtime under cdktf's Python bindings) prints a large banner each time it starts on a
Node release past end of life, unless ``JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION`` lists the
running major version (a comma list: any other value, such as ``1``, does not silence it). The
Makefile derives it the same way (``node -p``) for its targets; the test session, the bench and
:mod:`fraud_ops.synth` (the synth of the first deployment and of the local stage) call
:func:`silence_banner` on the environment they pass to jsii.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import MutableMapping

VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


@functools.cache
def node_major_version() -> str:
    """Major version of the ``node`` on PATH, e.g. ``"20"`` (``""`` when there is none)."""
    try:
        done = subprocess.run(
            ["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip()


def silence_banner(environ: MutableMapping[str, str] | None = None) -> None:
    """Name the running Node major in ``environ`` (default ``os.environ``) unless it is already set."""
    env = os.environ if environ is None else environ
    env.setdefault(VARIABLE, node_major_version())
