"""FD-DDB-2: without point-in-time recovery a bad deploy or a buggy writer can destroy the audit trail."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict, blocks, truthy


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    pitr = blocks(config.get("point_in_time_recovery"))
    return Verdict.COMPLIANT if any(truthy(p.get("enabled")) for p in pitr) else Verdict.NON_COMPLIANT


RULE = Rule(
    id="FD-DDB-2",
    message="DynamoDB table has no point-in-time recovery.",
    explanation="Set point_in_time_recovery { enabled = true }.",
    applies_to=frozenset({"aws_dynamodb_table"}),
    check=_check,
)
