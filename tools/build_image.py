"""Build and publish the Lambda image: ``make image`` (CI runs it after the registry stack).

The tag is ``stacks.image_tag`` (a hash of the build context), and ECR tags are immutable, so
an existing tag means this exact source is already published: the build and push are skipped
and the existing digest is printed. Otherwise: ``docker buildx build`` for linux/arm64 without
provenance/SBOM attestations (Lambda rejects the OCI index they produce), push, and print the
digest ECR recorded. The last stdout line is ``<repository uri>@sha256:<digest>``.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from stacks.config import IMAGE_CONTEXT_DIR
from stacks.image_tag import image_tag
from tools.base_image import require_pinned
from tools.preflight import expected_image

DEFAULT_CONTEXT = IMAGE_CONTEXT_DIR
PLATFORM = "linux/arm64"
# What Lambda accepts; an index (manifest list / OCI index) is rejected at function update.
SINGLE_IMAGE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    }
)

Runner = Callable[[Sequence[str], bytes | None], None]


class PublishError(RuntimeError):
    """The registry holds something Lambda cannot run, or the push did not land."""


@dataclass(frozen=True)
class Published:
    uri: str
    tag: str
    digest: str
    media_type: str
    built: bool

    @property
    def reference(self) -> str:
        return f"{self.uri}@{self.digest}"


def build_command(image: str, context_dir: Path) -> list[str]:
    """The buildx invocation (a pure function so the flags Lambda depends on are tested)."""
    return [
        "docker",
        "buildx",
        "build",
        "--platform",
        PLATFORM,
        "--provenance=false",
        "--sbom=false",
        "--load",
        "-t",
        image,
        str(context_dir),
    ]


def run(command: Sequence[str], stdin: bytes | None = None) -> None:
    subprocess.run(list(command), input=stdin, check=True)


def existing_image(ecr: Any, repository: str, tag: str) -> dict[str, Any] | None:
    try:
        images = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ecr.exceptions.ImageNotFoundException:
        return None
    return images[0] if images else None


def _published(uri: str, tag: str, detail: dict[str, Any], built: bool) -> Published:
    media_type = str(detail.get("imageManifestMediaType", ""))
    if media_type and media_type not in SINGLE_IMAGE_MEDIA_TYPES:
        raise PublishError(f"{uri}:{tag} is a {media_type}; Lambda needs a single-platform image manifest")
    return Published(uri, tag, str(detail["imageDigest"]), media_type, built)


def docker_login(ecr: Any, runner: Runner) -> None:
    token = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    registry = token["proxyEndpoint"]
    runner(["docker", "login", "--username", user, "--password-stdin", registry], password.encode())


def publish(
    ecr: Any, repository: str, context_dir: Path, *, tag: str | None = None, runner: Runner = run
) -> Published:
    """Build and push unless the tag exists; return what ECR holds under the tag."""
    tag = tag or image_tag(context_dir)
    uri = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]["repositoryUri"]
    found = existing_image(ecr, repository, tag)
    if found is not None:
        return _published(uri, tag, found, built=False)
    require_pinned(context_dir / "Dockerfile")
    image = f"{uri}:{tag}"
    runner(build_command(image, context_dir), None)
    docker_login(ecr, runner)
    runner(["docker", "push", image], None)
    pushed = existing_image(ecr, repository, tag)
    if pushed is None:
        raise PublishError(f"{image} was pushed but ECR does not list it")
    return _published(uri, tag, pushed, built=True)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Defaults come from ``tools.preflight.expected_image``: exactly what the app stack resolves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", help="ECR repository name (default: the configured environment's)")
    parser.add_argument("--region", help="AWS region (default: the configured region)")
    parser.add_argument("--context", type=Path, default=DEFAULT_CONTEXT, help="build context (lambda_image)")
    parser.add_argument("--tag", help="tag to publish (default: FRAUD_IMAGE_TAG or the content hash)")
    args = parser.parse_args(argv)
    region, repository, tag = expected_image(dict(os.environ if environ is None else environ))
    if args.context != DEFAULT_CONTEXT:
        tag = image_tag(args.context)
    ecr = boto3.client("ecr", region_name=args.region or region)
    result = publish(ecr, args.repository or repository, args.context, tag=args.tag or tag)
    state = "built and pushed" if result.built else "already published, skipped build and push"
    print(f"{result.uri}:{result.tag} {state}", file=sys.stderr)
    print(result.reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
