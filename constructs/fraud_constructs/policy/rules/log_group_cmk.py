"""FD-LOG-1: function logs can echo request data; encrypt them with the project CMK."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, is_customer_managed_key


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    ok = is_customer_managed_key(config.get("kms_key_id"))
    return Verdict.COMPLIANT if ok else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-LOG-1",
    message="CloudWatch log group is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Set kms_key_id = <project CMK arn>; the key policy must allow logs.<region>.amazonaws.com with the "
        "kms:EncryptionContext:aws:logs:arn condition, or the log group cannot be created."
    ),
    applies_to=frozenset({"aws_cloudwatch_log_group"}),
    check=_check,
)
