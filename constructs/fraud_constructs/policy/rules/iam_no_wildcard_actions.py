"""FD-IAM-1: a `*` or `service:*` action grants every future API of the service too; name the actions."""

from collections.abc import Mapping
from typing import Any

from ..core import Rule, StackView, Verdict
from ..iam import IDENTITY_POLICY_TYPES, identity_policy_values, parse_policy


def _wildcard(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _check(resource_type: str, config: Mapping[str, Any], stack: StackView) -> Verdict:
    values = identity_policy_values(resource_type, config)
    if not values:
        return Verdict.NOT_APPLICABLE
    for value in values:
        statements = parse_policy(value, stack)
        if statements is None:
            return Verdict.NON_COMPLIANT  # cannot be read statically: fail closed
        for s in statements:
            if s.allows and (s.not_actions or any(_wildcard(a) for a in s.actions)):
                return Verdict.NON_COMPLIANT
    return Verdict.COMPLIANT


RULE = Rule(
    id="FD-IAM-1",
    message="Identity policy allows a wildcard action (`*`, `service:*` or NotAction), or cannot be read.",
    explanation=(
        "List the exact actions the function needs (e.g. dynamodb:PutItem, dynamodb:Query). Write the "
        "policy as a literal JSON string or a data.aws_iam_policy_document, not ${jsonencode(...)}."
    ),
    applies_to=IDENTITY_POLICY_TYPES,
    check=_check,
)
