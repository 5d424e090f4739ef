#!/usr/bin/env python
"""CDKTF entry point: validate configuration, then synthesize every stack.

Configuration is validated before the AWS provider is imported (that import costs seconds),
so a bad setting fails fast with a message naming it and nothing is written.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fraud_constructs import provider_loader
from stacks.config import IMAGE_CONTEXT_DIR, ConfigError, load_config
from stacks.image_tag import image_tag

CDKTF_JSON = Path(__file__).resolve().parent / "cdktf.json"


def read_context() -> dict:
    """The ``context`` block of cdktf.json (the CLI passes it too, but ``python main.py`` must work alone)."""
    return json.loads(CDKTF_JSON.read_text()).get("context", {})


def main() -> int:
    try:
        config = load_config(read_context(), os.environ)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # The provider import is the slow part: register the lazy provider package first (explicit, so
    # importing fraud_constructs or stacks never patches a third-party package as a side effect).
    provider_loader.install()
    from stacks.assembly import build_app

    assembly = build_app(
        config,
        image_tag=config.image_tag or image_tag(IMAGE_CONTEXT_DIR),
        outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out"),
    )
    assembly.app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
