"""The image tag is a hash of the build context: the one function both synth and `make image` use.

Same sources -> same tag, so an unchanged image is never rebuilt or re-pushed (tags are
immutable in ECR and builds are not byte-reproducible), and any change to the Dockerfile,
requirements or code yields a new tag that the app stack resolves to a new digest.
Run ``python -m stacks.image_tag`` to print the tag for the checked-out sources.
"""

from __future__ import annotations

import fnmatch
import hashlib
import sys
from pathlib import Path

# Not part of the image, or not deterministic: never part of the hash.
_IGNORED = ("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".DS_Store", "*.egg-info")


def _ignored(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in _IGNORED)


def context_files(context_dir: Path) -> list[Path]:
    """Files that make up the build context, in a stable order."""
    return sorted(p for p in context_dir.rglob("*") if p.is_file() and not _ignored(p.relative_to(context_dir)))


def image_tag(context_dir: Path, length: int = 16) -> str:
    """``src-<hex>``: SHA-256 over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in context_files(context_dir):
        digest.update(path.relative_to(context_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"src-{digest.hexdigest()[:length]}"


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "lambda_image"
    print(image_tag(root))
