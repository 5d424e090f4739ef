"""Deploy preflight: the app stack pins the image by digest, so its tag must already be in ECR.

``python -m tools.preflight`` exits 0 when the tag the app stack will resolve exists, and
otherwise says exactly which tag to build and push (``make image``), instead of letting
``terraform apply`` fail half-way on the ECR image data source.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from fraud_detection.contract import repository_name
from stacks.config import IMAGE_CONTEXT_DIR, ConfigError, load_config
from stacks.image_tag import image_tag

ROOT = Path(__file__).resolve().parent.parent


def expected_image(environ: dict[str, str]) -> tuple[str, str, str]:
    """(region, repository, tag) the app stack will look up."""
    context = json.loads((ROOT / "cdktf.json").read_text()).get("context", {})
    config = load_config(context, environ)
    return config.region, repository_name(config.environment), config.image_tag or image_tag(IMAGE_CONTEXT_DIR)


def image_exists(ecr: object, repository: str, tag: str) -> bool:
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])  # type: ignore[attr-defined]
    except ClientError as error:
        if error.response["Error"]["Code"] in {"ImageNotFoundException", "RepositoryNotFoundException"}:
            return False
        raise
    return True


def main() -> int:
    try:
        region, repository, tag = expected_image(dict(os.environ))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if image_exists(boto3.client("ecr", region_name=region), repository, tag):
        print(f"ok: {repository}:{tag} is in ECR ({region})")
        return 0
    print(
        f"error: image {repository}:{tag} is not in ECR ({region}). Build and push it first: make image",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
