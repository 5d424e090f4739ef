"""FD-SNS-1: alerts carry transaction ids; encrypt them with the project CMK, not the AWS-managed SNS key."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, is_customer_managed_key


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    ok = is_customer_managed_key(config.get("kms_master_key_id"))
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-SNS-1",
    message="SNS topic is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_master_key_id = <project CMK arn> (not alias/aws/sns); the key policy must allow "
        "cloudwatch.amazonaws.com, or alarm notifications are silently dropped."
    ),
    applies_to=frozenset({"aws_sns_topic"}),
    check=_check,
)
