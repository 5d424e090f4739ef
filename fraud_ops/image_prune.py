"""Prune the image repository without ever removing an image a function can run.

The ECR lifecycle policy only expires untagged images and, as a backstop, tagged images beyond a
generous count: it cannot know which images Lambda runs. This command can. It deletes an image only
when **both** hold:

- no version of any of the environment's functions references it (``$LATEST`` and every published
  version, whether an alias points at it or not: ``GetFunction`` per version, by digest);
- it was pushed before the **rollback horizon** (default 30 days): a rollback is a redeploy of an
  earlier commit, whose content-hash tag must still be in the repository, so any commit of the
  last 30 days can be redeployed without a rebuild.

Dry run by default: it prints what it would delete. ``--yes`` deletes.

    python -m fraud_ops.image_prune --environment dev --region us-east-1 [--horizon-days 30] [--yes]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fraud_detection import contract

ROLLBACK_HORIZON_DAYS = 30


@dataclass(frozen=True)
class StoredImage:
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime


def prunable(
    images: Iterable[StoredImage], referenced: set[str], now: datetime, horizon: timedelta
) -> list[StoredImage]:
    """Images no function version references and pushed before ``now - horizon`` (oldest first)."""
    cutoff = now - horizon
    return sorted(
        (image for image in images if image.digest not in referenced and image.pushed_at < cutoff),
        key=lambda image: image.pushed_at,
    )


def digest_of(image_uri: str) -> str | None:
    """``repo@sha256:...`` -> ``sha256:...`` (a tag-only URI has no digest)."""
    _, at, digest = image_uri.partition("@")
    return digest if at else None


def referenced_digests(lambda_client: Any, function_names: Sequence[str]) -> set[str]:
    """Every digest any version (``$LATEST`` and each published one) of these functions runs."""
    digests: set[str] = set()
    for name in function_names:
        try:
            pages = lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=name)
            versions = [v["Version"] for page in pages for v in page["Versions"]]
        except lambda_client.exceptions.ResourceNotFoundException:
            continue
        for version in versions:
            code = lambda_client.get_function(FunctionName=name, Qualifier=version)["Code"]
            for uri in (code.get("ResolvedImageUri"), code.get("ImageUri")):
                if uri and (digest := digest_of(uri)):
                    digests.add(digest)
    return digests


def stored_images(ecr: Any, repository: str) -> list[StoredImage]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
    return [
        StoredImage(detail["imageDigest"], tuple(detail.get("imageTags", ())), detail["imagePushedAt"])
        for page in pages
        for detail in page["imageDetails"]
    ]


def prune(
    ecr: Any,
    lambda_client: Any,
    repository: str,
    function_names: Sequence[str],
    *,
    now: datetime,
    horizon: timedelta,
    delete: bool,
) -> list[StoredImage]:
    """What is (or, without ``delete``, would be) deleted."""
    doomed = prunable(stored_images(ecr, repository), referenced_digests(lambda_client, function_names), now, horizon)
    if delete:
        for start in range(0, len(doomed), 100):  # BatchDeleteImage takes up to 100 ids
            ecr.batch_delete_image(
                repositoryName=repository, imageIds=[{"imageDigest": i.digest} for i in doomed[start : start + 100]]
            )
    return doomed


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--horizon-days", type=int, default=ROLLBACK_HORIZON_DAYS)
    parser.add_argument("--yes", action="store_true", help="delete (default: only list)")
    args = parser.parse_args(argv)
    if args.horizon_days < 1:
        parser.error("--horizon-days must be at least 1")
    from stacks.config import load_config  # validates the environment and region names

    config = load_config({"environment": args.environment, "region": args.region}, {})
    repository = contract.repository_name(config.environment)
    functions = [function.function_name(config.environment) for function in contract.FUNCTIONS]
    doomed = prune(
        boto3.client("ecr", region_name=args.region),
        boto3.client("lambda", region_name=args.region),
        repository,
        functions,
        now=datetime.now(UTC),
        horizon=timedelta(days=args.horizon_days),
        delete=args.yes,
    )
    verb = "deleted" if args.yes else "would delete"
    for image in doomed:
        print(f"{verb} {image.digest} {','.join(image.tags) or '<untagged>'} pushed {image.pushed_at:%Y-%m-%d}")
    print(f"{len(doomed)} image(s) {verb} from {repository}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
