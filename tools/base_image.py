"""Pin the Lambda base image by digest: ``make pin-base-image`` (needs registry access).

The Dockerfile names its base as ``python:<PYTHON_VERSION>-arm64@<BASE_IMAGE_DIGEST>``. The
digest is looked up once, by a person or CI with access to public.ecr.aws, and committed, so
every build after that uses the same bytes. Until it is set, the Dockerfile carries an
all-zero placeholder and ``make image`` refuses to build (a pull would fail anyway, with a far
less helpful message).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent.parent / "lambda_image" / "Dockerfile"
PLACEHOLDER = "sha256:" + "0" * 64
_DIGEST_ARG = re.compile(r"^ARG BASE_IMAGE_DIGEST=(\S+)$", re.MULTILINE)
_VERSION_ARG = re.compile(r"^ARG PYTHON_VERSION=(\S+)$", re.MULTILINE)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class UnpinnedBaseImage(RuntimeError):
    """The Dockerfile still carries the placeholder digest."""


def base_digest(dockerfile_text: str) -> str | None:
    match = _DIGEST_ARG.search(dockerfile_text)
    return match.group(1) if match else None


def require_pinned(dockerfile: Path) -> None:
    """Raise with the fix when the base image digest is the placeholder."""
    if dockerfile.exists() and base_digest(dockerfile.read_text()) == PLACEHOLDER:
        raise UnpinnedBaseImage(
            f"{dockerfile} still has the placeholder BASE_IMAGE_DIGEST; run `make pin-base-image` "
            "(needs access to public.ecr.aws) and commit the change"
        )


def with_digest(dockerfile_text: str, digest: str) -> str:
    """The Dockerfile text with ``BASE_IMAGE_DIGEST`` set to ``digest``."""
    if not _DIGEST.match(digest):
        raise ValueError(f"not an image digest: {digest!r}")
    if not _DIGEST_ARG.search(dockerfile_text):
        raise ValueError("the Dockerfile has no `ARG BASE_IMAGE_DIGEST=` line")
    return _DIGEST_ARG.sub(f"ARG BASE_IMAGE_DIGEST={digest}", dockerfile_text, count=1)


def base_reference(dockerfile_text: str) -> str:
    match = _VERSION_ARG.search(dockerfile_text)
    if not match:
        raise ValueError("the Dockerfile has no `ARG PYTHON_VERSION=` line")
    return f"public.ecr.aws/lambda/python:{match.group(1)}-arm64"


def resolve_digest(reference: str) -> str:
    """Ask the registry (through buildx) for the manifest digest behind a tag."""
    done = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", reference, "--format", "{{json .Manifest}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["digest"]


def main() -> int:
    text = DOCKERFILE.read_text()
    reference = base_reference(text)
    digest = resolve_digest(reference)
    DOCKERFILE.write_text(with_digest(text, digest))
    print(f"{reference}@{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
