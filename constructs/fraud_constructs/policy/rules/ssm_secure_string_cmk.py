"""FD-SSM-1: signing and fingerprint keys must be readable only through the project CMK's key policy."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, is_customer_managed_key


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if config.get("type") != "SecureString":
        return Verdict.NOT_APPLICABLE
    return Verdict.COMPLIANT if is_customer_managed_key(config.get("key_id")) else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-SSM-1",
    message="SSM SecureString parameter is encrypted with the AWS-managed key (alias/aws/ssm).",
    explanation="Set key_id = <project CMK arn>.",
    applies_to=frozenset({"aws_ssm_parameter"}),
    check=_check,
)
