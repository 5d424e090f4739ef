"""FD-S3-2: one stray ACL or policy must not make audit data public; all four blocks close every path."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, refers_to, truthy

_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    name = stack.name_of(resource_type, config)
    if name is None:
        return Verdict.NON_COMPLIANT
    for _, pab in stack.of_type("aws_s3_bucket_public_access_block"):
        if refers_to(pab.get("bucket"), resource_type, name, config.get("bucket")) and all(
            truthy(pab.get(flag)) for flag in _FLAGS
        ):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-S3-2",
    message="S3 bucket has no public access block with all four settings true.",
    explanation=(
        "Add aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, "
        "ignore_public_acls and restrict_public_buckets all true."
    ),
    applies_to=frozenset({"aws_s3_bucket"}),
    check=_check,
)
