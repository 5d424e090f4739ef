"""FD-ECR-1: the image holds the scoring code; encrypt it with the project CMK (default is AES256)."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, is_customer_managed_key


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    for enc in blocks(config.get("encryption_configuration")):
        if enc.get("encryption_type") == "KMS" and is_customer_managed_key(enc.get("kms_key")):
            return Verdict.COMPLIANT
    return Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-ECR-1",
    message="ECR repository is not encrypted with a customer-managed KMS key.",
    explanation='Set encryption_configuration { encryption_type = "KMS", kms_key = <project CMK arn> }.',
    applies_to=frozenset({"aws_ecr_repository"}),
    check=_check,
)
