"""Operational tooling around the stacks: Terraform runner, emulator, local stage and operator CLI."""

import sys as _sys
from pathlib import Path as _Path

# The CLI and the local stage run the image's own code (signing, handlers) in-process; the
# image package lives in lambda_image/ and is not installed into the tooling venv.
_IMAGE_SOURCE = str(_Path(__file__).resolve().parent.parent / "lambda_image")
if _IMAGE_SOURCE not in _sys.path:
    _sys.path.append(_IMAGE_SOURCE)
