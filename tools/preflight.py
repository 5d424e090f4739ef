"""Deploy preflight: what the app stack needs from the account before ``terraform apply`` starts.

- The app stack pins the image by digest, so its tag must already be in ECR: ``python -m
  tools.preflight`` exits 0 when the tag exists, and otherwise says exactly which tag to build and
  push (``make image``), instead of letting apply fail half-way on the ECR image data source.
- Reserved and provisioned concurrency must fit what the account can still reserve: Lambda keeps
  at least 100 executions unreserved (AWS Lambda Developer Guide, "Configuring reserved
  concurrency for a function": "you can reserve up to the Unreserved account concurrency value
  minus 100"; the same floor applies to provisioned concurrency, "Configuring provisioned
  concurrency for a function"). A value the account cannot reserve fails the function's update
  mid-apply; the preflight refuses it first, naming the settings.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from fraud_detection.contract import FUNCTIONS, WEBHOOK, repository_name
from stacks.config import IMAGE_CONTEXT_DIR, AppConfig, ConfigError, load_config
from stacks.image_tag import image_tag

ROOT = Path(__file__).resolve().parent.parent
UNRESERVED_MINIMUM = 100
"""Executions Lambda keeps unreserved in every account and region (see the module docstring)."""


def project_config(environ: dict[str, str]) -> AppConfig:
    context = json.loads((ROOT / "cdktf.json").read_text()).get("context", {})
    return load_config(context, environ)


def expected_image(environ: dict[str, str]) -> tuple[str, str, str]:
    """(region, repository, tag) the app stack will look up."""
    config = project_config(environ)
    return config.region, repository_name(config.environment), config.image_tag or image_tag(IMAGE_CONTEXT_DIR)


def _current_reservation(lambda_client: object, function_name: str) -> int:
    """The function's reservation now (0 if none, or if the function does not exist yet)."""
    try:
        answer = lambda_client.get_function_concurrency(FunctionName=function_name)  # type: ignore[attr-defined]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return 0
        raise
    return int(answer.get("ReservedConcurrentExecutions") or 0)


def concurrency_problem(lambda_client: object, config: AppConfig) -> str | None:
    """Why the account cannot hold this configuration's reservations, or None when it can.

    The functions' current reservations are given back when they change, so they count as available.
    Provisioned concurrency of an unreserved webhook comes out of the same unreserved pool.
    """
    wanted = {spec: config.reserved_concurrency(spec.role) for spec in FUNCTIONS}
    demand = sum(value for value in wanted.values() if value)
    if wanted[WEBHOOK] is None:
        demand += config.webhook_provisioned_concurrency
    if not demand:
        return None
    limits = lambda_client.get_account_settings()["AccountLimit"]  # type: ignore[attr-defined]
    held = sum(_current_reservation(lambda_client, spec.function_name(config.environment)) for spec in FUNCTIONS)
    available = int(limits["UnreservedConcurrentExecutions"]) + held - UNRESERVED_MINIMUM
    if demand <= available:
        return None
    settings = ", ".join(
        f"{spec.role}ReservedConcurrency={value}" for spec, value in wanted.items() if value is not None
    )
    if wanted[WEBHOOK] is None and config.webhook_provisioned_concurrency:
        settings += f", webhookProvisionedConcurrency={config.webhook_provisioned_concurrency}"
    return (
        f"the account can reserve {max(available, 0)} more concurrent executions in {config.region} "
        f"(limit {limits['ConcurrentExecutions']}, unreserved {limits['UnreservedConcurrentExecutions']}, "
        f"{UNRESERVED_MINIMUM} always stay unreserved, this environment holds {held}), but {settings} "
        f"asks for {demand}: lower these settings or raise the account's Lambda concurrency quota"
    )


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
        config = project_config(dict(os.environ))
        region, repository, tag = expected_image(dict(os.environ))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not image_exists(boto3.client("ecr", region_name=region), repository, tag):
        print(
            f"error: image {repository}:{tag} is not in ECR ({region}). Build and push it first: make image",
            file=sys.stderr,
        )
        return 1
    print(f"ok: {repository}:{tag} is in ECR ({region})")
    problem = concurrency_problem(boto3.client("lambda", region_name=region), config)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
