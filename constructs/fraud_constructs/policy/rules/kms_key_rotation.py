"""FD-KMS-2: yearly rotation limits how much data one key version protects; free for symmetric keys."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, truthy


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    if config.get("customer_master_key_spec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return Verdict.NOT_APPLICABLE  # AWS rotates only symmetric encryption keys
    return Verdict.COMPLIANT if truthy(config.get("enable_key_rotation")) else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-KMS-2",
    message="KMS key does not rotate.",
    explanation="Set enable_key_rotation = true.",
    applies_to=frozenset({"aws_kms_key"}),
    check=_check,
)
